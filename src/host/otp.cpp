// host:interfaces/otp@2.1.0 (system-only) — e-mail one-time codes for a
// contract's own verification flow: without `otp-code` a code is sent to
// `new-contact` (the node's mailer, the login OTP's rate limits); with one
// it is checked (constant time, single use, expiry, attempt limit) and the
// returned profile carries the verified contact. Only for the calling
// user. SMS, mock mode and skip-otp are refused: this node has no SMS
// provider and never skips a check.
#include "common/encoding.h"
#include "host/account_util.h"
#include "host/host.h"

namespace t3n::host {
namespace {

constexpr const char* kRequest =
    "record { user-did: list<u8>, profile: list<u8>, channel: enum { email, sms }, new-contact: option<string>, "
    "current-contact: option<string>, otp-code: option<string>, authenticated-contact: option<string>, is-mock-mode: bool, "
    "otp-timeout-in-sec: option<u32>, skip-otp: bool }";
constexpr const char* kResponse =
    "record { otp-status: option<enum { otp-pending, otp-failed, otp-expired }>, profile: option<list<u8>>, "
    "expires-at-sec: option<u64>, is-new-profile: option<bool> }";

std::optional<std::string> opt_string(const Val* v) {
  if (v == nullptr || !v->is_option()) return std::nullopt;
  const Val* inner = v->get_option().value();
  if (inner == nullptr || !inner->is_string()) return std::nullopt;
  return std::string(inner->get_string());
}

Val response(std::optional<const char*> status, std::optional<Bytes> profile, std::optional<std::uint64_t> expires, bool is_new) {
  std::vector<std::pair<std::string_view, Val>> fields;
  fields.emplace_back("otp-status", status ? some(Val::enum_(*status)) : none());
  fields.emplace_back("profile", profile ? some(runtime::bytes_to_val(*profile)) : none());
  fields.emplace_back("expires-at-sec", expires ? some(Val(*expires)) : none());
  fields.emplace_back("is-new-profile", some(Val(is_new)));
  return ok_val(Val(wc::Record(std::move(fields))));
}

}  // namespace

runtime::HostInterface otp_interface() {
  runtime::HostInterface iface{"host:interfaces/otp@2.1.0", "otp", {}};
  iface.functions["verify"] = {
      std::string("func(request: ") + kRequest + ") -> result<" + kResponse + ", string>",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 1));
        T3N_ASSIGN_OR_RETURN(auto f, record_fields(args[0], "request"));
        const Val* user_v = f["user-did"];
        const Val* profile_v = f["profile"];
        const Val* channel_v = f["channel"];
        const Val* mock_v = f["is-mock-mode"];
        const Val* skip_v = f["skip-otp"];
        if (user_v == nullptr || profile_v == nullptr || channel_v == nullptr || !channel_v->is_enum() || mock_v == nullptr ||
            !mock_v->is_bool() || skip_v == nullptr || !skip_v->is_bool())
          return common::invalid_argument("request: not a verify-request");
        T3N_ASSIGN_OR_RETURN(Bytes user, runtime::val_to_bytes(*user_v, "user-did"));
        T3N_ASSIGN_OR_RETURN(Bytes profile_bytes, runtime::val_to_bytes(*profile_v, "profile"));
        auto fail = [&](const std::string& m) { return set_result(r, err_string(m)); };
        if (auto why = account_refusal(ctx, user, false); !why.empty()) return fail(why);
        if (channel_v->get_enum() != "email") return fail("sms_unavailable: no SMS provider is configured on this node");
        if (mock_v->get_bool() || skip_v->get_bool()) return fail("mock mode and skip-otp are not offered by this node");
        const auto contact = opt_string(f["new-contact"]);
        if (!contact) return fail("new-contact: the address to verify is required");
        // The address's canonical form, as e-mail logins use it.
        std::string address = *contact;
        for (char& c : address) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (address.find('@') == std::string::npos || address.size() > 254 || address.find_first_of(" \r\n\t") != std::string::npos)
          return fail("new-contact: not an e-mail address");
        const std::string flow = "host otp|" + ctx.contract_name + "|" + common::hex_encode(user);
        auto profile = profile_bytes.empty() ? Result<common::Json>(common::Json::object())
                                             : common::parse_json(common::to_string(profile_bytes), 32);
        if (!profile.ok() || !profile->is_object()) return fail("profile: not a JSON object");
        const bool is_new = profile->empty();
        const auto code = opt_string(f["otp-code"]);
        if (!code) {
          Status sent = ctx.services->otp_send(ctx, flow, address);
          if (!sent.ok()) return fail(sent.message());
          return set_result(r, response("otp-pending", std::nullopt, ctx.cluster_timestamp_ms / 1000 + 600, is_new));
        }
        auto proven = ctx.services->otp_check(ctx, flow, *code);
        if (!proven.ok() || *proven != address) return set_result(r, response("otp-failed", std::nullopt, std::nullopt, is_new));
        (*profile)["verified_contacts"]["email"] = {{"value", address}, {"verified_at_ms", ctx.cluster_timestamp_ms}};
        (*profile)["email_address"] = address;
        return set_result(r, response(std::nullopt, common::to_bytes(profile->dump()), std::nullopt, is_new));
      }};
  return iface;
}

}  // namespace t3n::host
