// host:interfaces/signing@2.1.0 — the cluster's secp256k1 key, users'
// custodial wallets (through CallContext::services, which keeps the keys
// sealed in identity/wallets) and SD-JWT VCs from the operator's issuers.
// No private key ever crosses into the guest: results are signatures,
// addresses and public keys.
#include "common/encoding.h"
#include "crypto/hash.h"
#include "crypto/secp256k1.h"
#include "host/host.h"
#include "host/sd_jwt.h"
#include "host/util.h"

namespace t3n::host {
namespace {

constexpr const char* kSignError =
    "variant { no-signing-key, signing-failed(string), pubkey-format, encoding-failed(string) }";
constexpr const char* kSdJwtError =
    "variant { unknown-issuer(string), invalid-payload(string), holder-binding-invalid(string), "
    "conceal-claims-failed(string), sign-failed(string), current-time-failed(string) }";
constexpr const char* kUserError =
    "variant { no-execution-context, contract-not-allowlisted(string), no-wallet, kv-unavailable(string), "
    "signing-failed(string), not-authorized, malformed-address }";
constexpr const char* kSdJwtRequest =
    "record { payload: string, disclosable-claims: list<string>, holder-did: string, issuer-provider-id: "
    "option<string>, bind-to-holder: bool }";

std::string sig(const char* params, const std::string& ok, const char* err) {
  return std::string("func(") + params + ") -> result<" + ok + ", " + err + ">";
}

Val user_err(const char* which) { return err_val(variant_case(which)); }
Val user_err(const char* which, const std::string& detail) { return err_val(variant_case(which, detail)); }
// Store trouble is the interface's kv-unavailable, never a trap; the detail
// is the store's message, which names tables, not values.
Val kv_err(const Status& s) { return user_err("kv-unavailable", s.message()); }

// Why the calling user's wallets are out of reach, or null when they are not.
const char* no_user_context(const runtime::CallContext& ctx) {
  if (ctx.services == nullptr || !ctx.calling_user_did || ctx.calling_user_did->size() != 20) return "no-execution-context";
  return nullptr;
}

Val sign_as(runtime::CallContext& ctx, ByteView address, ByteView message) {
  const auto digest = crypto::eip191_hash(message);
  auto signed_ = ctx.services->sign_with_user_wallet(ctx, address, digest);
  if (!signed_.ok()) return kv_err(signed_.status());
  if (!*signed_) return user_err("not-authorized");
  return ok_val(runtime::bytes_to_val(**signed_));
}

std::string hex0x(ByteView b) { return "0x" + common::hex_encode(b); }

}  // namespace

runtime::HostInterface signing_interface(const SigningKeys* keys) {
  runtime::HostInterface iface{"host:interfaces/signing@2.1.0", "signing", {}};
  iface.functions["sign"] = {
      sig("message: list<u8>", "list<u8>", kSignError),
      [keys](runtime::CallContext&, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 1));
        T3N_ASSIGN_OR_RETURN(Bytes message, arg_bytes(args, 0));
        if (keys == nullptr || keys->cluster_secp256k1.empty() || !keys->secp256k1)
          return set_result(r, err_val(variant_case("no-signing-key")));
        const auto digest = crypto::keccak256(message);
        auto s = keys->secp256k1->sign_recoverable(keys->cluster_secp256k1, digest);
        if (!s.ok()) return set_result(r, err_val(variant_case("signing-failed", s.status().message())));
        (*s)[64] = static_cast<std::uint8_t>((*s)[64] + 27);
        if (keys->cluster_public.size() != 65) return set_result(r, err_val(variant_case("pubkey-format")));
        const ByteView pub(keys->cluster_public);
        const common::Json out{{"signature", hex0x(*s)},
                               {"pubKey", {{"x", hex0x(pub.subspan(1, 32))}, {"y", hex0x(pub.subspan(33, 32))}}}};
        return set_result(r, ok_val(runtime::bytes_to_val(common::to_bytes(out.dump()))));
      }};
  iface.functions["sign-sd-jwt-vc"] = {
      sig(("request: " + std::string(kSdJwtRequest)).c_str(), "string", kSdJwtError),
      [keys](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 1));
        T3N_ASSIGN_OR_RETURN(auto f, record_fields(args[0], "request"));
        auto err = [&](const char* which, const std::string& d) { return set_result(r, err_val(variant_case(which, d))); };
        const Val* payload_v = f["payload"];
        const Val* claims_v = f["disclosable-claims"];
        const Val* holder_v = f["holder-did"];
        const Val* issuer_v = f["issuer-provider-id"];
        const Val* bind_v = f["bind-to-holder"];
        if (payload_v == nullptr || !payload_v->is_string() || claims_v == nullptr || !claims_v->is_list() ||
            holder_v == nullptr || !holder_v->is_string() || issuer_v == nullptr || !issuer_v->is_option() ||
            bind_v == nullptr || !bind_v->is_bool())
          return common::invalid_argument("request: not a sign-sd-jwt-vc-request");
        std::string issuer_id = keys != nullptr ? keys->default_issuer : std::string();
        if (const Val* id = issuer_v->get_option().value(); id != nullptr) {
          if (!id->is_string()) return common::invalid_argument("issuer-provider-id: expected a string");
          issuer_id = std::string(id->get_string());
        }
        const SdJwtIssuer* issuer = nullptr;
        if (keys != nullptr)
          for (const auto& i : keys->issuers)
            if (i.id == issuer_id) issuer = &i;
        if (issuer == nullptr) return err("unknown-issuer", issuer_id.empty() ? "no issuer is configured" : issuer_id);
        auto payload = common::parse_json(payload_v->get_string(), 32);
        if (!payload.ok()) return err("invalid-payload", "the payload is not JSON");
        std::vector<std::string> claims;
        for (const auto& c : claims_v->get_list()) {
          if (!c.is_string()) return common::invalid_argument("disclosable-claims: expected strings");
          claims.emplace_back(c.get_string());
        }
        const std::string holder_did(holder_v->get_string());
        std::optional<common::Json> cnf;
        if (bind_v->get_bool()) {
          if (ctx.services == nullptr || !ctx.calling_user_did)
            return err("holder-binding-invalid", "no calling user to bind the credential to");
          const std::string caller_did = "did:t3n:" + common::hex_encode(*ctx.calling_user_did);
          if (holder_did != caller_did) return err("holder-binding-invalid", "the holder is not the calling user");
          auto pub = ctx.services->holder_public_key(ctx);
          if (!pub.ok()) return err("holder-binding-invalid", "the holder key is unavailable: " + pub.status().message());
          cnf = p256_jwk(*pub);
        }
        if (!holder_did.empty()) {
          if (holder_did.rfind("did:", 0) != 0 || holder_did.size() > 512)
            return err("holder-binding-invalid", "holder-did is not a DID");
          if (payload->is_object() && !payload->contains("sub")) (*payload)["sub"] = holder_did;
        }
        if (ctx.cluster_timestamp_ms == 0) return err("current-time-failed", "the call has no cluster timestamp");
        auto issued = issue_sd_jwt_vc(*issuer, std::move(*payload), claims, cnf, ctx.cluster_timestamp_ms / 1000);
        if (auto* failure = std::get_if<SdJwtIssueFailure>(&issued)) {
          const char* which = failure->kind == SdJwtIssueError::kInvalidPayload  ? "invalid-payload"
                              : failure->kind == SdJwtIssueError::kConcealFailed ? "conceal-claims-failed"
                                                                                 : "sign-failed";
          return err(which, failure->detail);
        }
        return set_result(r, ok_val(Val::string(std::get<std::string>(issued))));
      }};
  iface.functions["sign-as-user"] = {
      sig("message: list<u8>", "list<u8>", kUserError),
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 1));
        T3N_ASSIGN_OR_RETURN(Bytes message, arg_bytes(args, 0));
        if (const char* why = no_user_context(ctx)) return set_result(r, user_err(why));
        if (ctx.manifest == nullptr || !ctx.manifest->sign_as_user)
          return set_result(r, user_err("contract-not-allowlisted", ctx.contract_name + " lacks sign_as_user"));
        auto wallets = ctx.services->user_wallets(ctx, true);
        if (!wallets.ok()) return set_result(r, kv_err(wallets.status()));
        if (!*wallets) return set_result(r, user_err("no-wallet"));
        return set_result(r, sign_as(ctx, (*wallets)->primary, message));
      }};
  iface.functions["sign-with-wallet"] = {
      sig("wallet-address: list<u8>, message: list<u8>", "list<u8>", kUserError),
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 2));
        T3N_ASSIGN_OR_RETURN(Bytes address, arg_bytes(args, 0));
        T3N_ASSIGN_OR_RETURN(Bytes message, arg_bytes(args, 1));
        if (const char* why = no_user_context(ctx)) return set_result(r, user_err(why));
        if (ctx.manifest == nullptr || !ctx.manifest->sign_as_user)
          return set_result(r, user_err("contract-not-allowlisted", ctx.contract_name + " lacks sign_as_user"));
        if (address.size() != 20) return set_result(r, user_err("malformed-address"));
        return set_result(r, sign_as(ctx, address, message));
      }};
  iface.functions["get-user-eth-address"] = {
      sig("", "option<list<u8>>", kUserError),
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 0));
        if (const char* why = no_user_context(ctx)) return set_result(r, user_err(why));
        auto wallets = ctx.services->user_wallets(ctx, true);
        if (!wallets.ok()) return set_result(r, kv_err(wallets.status()));
        if (!*wallets) return set_result(r, ok_val(none()));
        return set_result(r, ok_val(some(runtime::bytes_to_val((*wallets)->primary))));
      }};
  iface.functions["list-user-wallets"] = {
      sig("", "record { primary: list<u8>, secondary: list<list<u8>> }", kUserError),
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 0));
        if (const char* why = no_user_context(ctx)) return set_result(r, user_err(why));
        auto wallets = ctx.services->user_wallets(ctx, true);
        if (!wallets.ok()) return set_result(r, kv_err(wallets.status()));
        if (!*wallets) return set_result(r, user_err("no-wallet"));
        std::vector<Val> secondary;
        for (const auto& a : (*wallets)->secondary) secondary.push_back(runtime::bytes_to_val(a));
        std::vector<std::pair<std::string_view, Val>> fields;
        fields.emplace_back("primary", runtime::bytes_to_val((*wallets)->primary));
        fields.emplace_back("secondary", Val(wc::List(std::move(secondary))));
        return set_result(r, ok_val(Val(wc::Record(std::move(fields)))));
      }};
  iface.functions["has-user-wallet"] = {
      sig("did: list<u8>", "bool", kUserError),
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 1));
        T3N_ASSIGN_OR_RETURN(Bytes user, arg_bytes(args, 0));
        if (ctx.services == nullptr) return set_result(r, user_err("no-execution-context"));
        if (user.size() != 20) return set_result(r, ok_val(Val(false)));  // no user has such an id
        auto has = ctx.services->has_wallet(ctx, user);
        if (!has.ok()) return set_result(r, kv_err(has.status()));
        return set_result(r, ok_val(Val(*has)));
      }};
  return iface;
}

}  // namespace t3n::host
