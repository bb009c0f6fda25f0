// host:interfaces/http-with-placeholders@2.1.0 — http, plus `{{profile.…}}`
// markers the host fills with the calling user's profile after the
// contract handed the request over (placeholders.h), so the plaintext
// never enters WASM. The upstream's answer goes back to the contract as
// is. Errors are the `http-error` variant; none carries a profile value,
// and nothing of the substituted request is logged.
#include "host/host.h"
#include "host/http_values.h"
#include "host/placeholders.h"

namespace t3n::host {
namespace {

constexpr const char* kHttpErrorType =
    "variant { egress-denied(string), placeholder-denied(string), placeholder-unknown(string), "
    "placeholder-no-user-context, upstream-error(string) }";

Val http_error(std::string_view which, std::optional<std::string> text) {
  std::optional<Val> payload;
  if (text) payload = Val::string(*text);
  return Val(wc::WitResult::err(Val(wc::Variant(which, std::move(payload)))));
}

}  // namespace

runtime::HostInterface http_with_placeholders_interface(const Egress* egress) {
  runtime::HostInterface iface{"host:interfaces/http-with-placeholders@2.1.0", "http_with_placeholders", {}};
  iface.functions["call"] = {
      std::string("func(request: ") + kHttpRequestType + ") -> result<" + kHttpResponseType + ", " + kHttpErrorType + ">",
      [egress](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 1));
        auto req = http_request_of(args[0]);
        if (!req.ok()) return set_result(r, http_error("egress-denied", req.status().message()));
        if (egress == nullptr) return set_result(r, http_error("egress-denied", "this node has no egress configured"));
        static const std::vector<std::string> kNone;
        const auto& allow = ctx.manifest != nullptr ? ctx.manifest->http_allow_list : kNone;
        const auto& placeholders = ctx.manifest != nullptr ? ctx.manifest->placeholder_allowlist : kNone;
        EgressRequest outgoing;
        if (has_placeholders(*req)) {
          std::optional<common::Json> profile;
          if (ctx.user_profile) {
            auto parsed = common::parse_json(common::to_string(*ctx.user_profile), 32);
            profile = parsed.ok() ? std::move(*parsed) : common::Json::object();
          }
          PlaceholderFailure why;
          auto filled = substitute_placeholders(*req, profile ? &*profile : nullptr, placeholders, why, &ctx.profile_handles);
          if (!filled) {
            switch (why.kind) {
              case PlaceholderFailure::Kind::kNoUserContext: return set_result(r, http_error("placeholder-no-user-context", std::nullopt));
              case PlaceholderFailure::Kind::kUnknown: return set_result(r, http_error("placeholder-unknown", why.message));
              default: return set_result(r, http_error("placeholder-denied", why.message));
            }
          }
          outgoing = std::move(*filled);
        } else {
          outgoing = std::move(*req);
        }
        auto out = egress->send(outgoing, allow);
        ctx.egress_bytes += outgoing.body.size() + (out.ok ? out.response.body.size() : 0);
        if (!out.ok)
          return set_result(r, http_error(out.error.kind == EgressError::Kind::kDenied ? "egress-denied" : "upstream-error",
                                          out.error.message));
        return set_result(r, ok_val(http_response_val(out.response)));
      }};
  return iface;
}

}  // namespace t3n::host
