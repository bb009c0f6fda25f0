// host:interfaces/vp@2.1.0 — OpenID4VP with SD-JWT VCs and key binding.
// - sign: the calling user, as holder, presents a credential bound to their
//   custodial P-256 key: the host appends the KB-JWT (nonce, aud, iat,
//   sd_hash) signed with that key, which never leaves the node.
// - submit: the wallet's response to a verifier (response_mode direct_post,
//   or direct_post.jwt encrypted to the verifier's key as a JWE with
//   ECDH-ES and A128GCM/A256GCM), sent through egress under the contract's
//   http_allow_list.
// - verify: a verifier's check of a presentation against the operator's
//   trusted-issuer registry (host/sd_jwt.h verify_presentation).
#include "common/encoding.h"
#include "host/egress.h"
#include "host/host.h"
#include "host/jwe.h"
#include "host/sd_jwt.h"
#include "host/util.h"

namespace t3n::host {
namespace {

using common::Json;

constexpr const char* kSignRequest = "record { unsigned-sd-jwt: string, nonce: string, audience: string }";
constexpr const char* kSubmitRequest =
    "record { response-uri: string, vp-token: string, state: option<string>, response-mode: option<string>, "
    "client-metadata-jwks: option<string> }";
constexpr const char* kSubmitResponse = "record { code: u16, payload: list<u8> }";
constexpr const char* kVerifyRequest = "record { vp-token: string, audience: string, nonce: string, issuer: string }";
constexpr const char* kVerifyError =
    "variant { signature-invalid, audience-mismatch, nonce-mismatch, expired, not-yet-valid, issuer-untrusted, "
    "malformed(string) }";
constexpr const char* kVerifyResponse =
    "record { holder-did: string, claims: list<u8>, issued-at: u64, expires-at: option<u64> }";
constexpr std::size_t kMaxTextBytes = 1024;  // nonce, audience, state

Result<std::string> string_field(const std::map<std::string, const Val*, std::less<>>& f, const char* name) {
  auto it = f.find(name);
  if (it == f.end() || !it->second->is_string()) return common::invalid_argument(std::string(name) + ": expected a string");
  return std::string(it->second->get_string());
}
Result<std::optional<std::string>> optional_string_field(const std::map<std::string, const Val*, std::less<>>& f, const char* name) {
  auto it = f.find(name);
  if (it == f.end() || !it->second->is_option()) return common::invalid_argument(std::string(name) + ": expected an option<string>");
  const Val* v = it->second->get_option().value();
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) return common::invalid_argument(std::string(name) + ": expected a string");
  return std::optional<std::string>(std::string(v->get_string()));
}

// The verifier's encryption key and "enc" from client metadata: either a
// JWKS {"keys": […]} or client_metadata {"jwks": {…}, "encrypted_response_enc_values_supported": […]}.
Result<std::pair<Json, std::string>> encryption_target(const std::string& metadata_text) {
  auto meta = common::parse_json(metadata_text, 16);
  if (!meta.ok() || !meta->is_object()) return common::invalid_argument("client-metadata-jwks is not a JSON object");
  const Json* jwks = meta->contains("jwks") ? &(*meta)["jwks"] : &*meta;
  if (!jwks->is_object() || !jwks->contains("keys") || !(*jwks)["keys"].is_array())
    return common::invalid_argument("client-metadata-jwks has no keys");
  std::string enc = "A128GCM";  // OpenID4VP's default
  if (meta->contains("encrypted_response_enc_values_supported")) {
    const Json& list = (*meta)["encrypted_response_enc_values_supported"];
    enc.clear();
    if (list.is_array())
      for (const auto& e : list)
        if (e == "A128GCM" || e == "A256GCM") {
          enc = e.get<std::string>();
          break;
        }
    if (enc.empty()) return common::invalid_argument("the verifier supports neither A128GCM nor A256GCM");
  }
  for (const auto& k : (*jwks)["keys"]) {
    if (!k.is_object() || k.value("kty", "") != "EC" || k.value("crv", "") != "P-256") continue;
    if (k.contains("use") && k["use"] != "enc") continue;
    if (k.contains("alg") && k["alg"] != "ECDH-ES") continue;
    return std::make_pair(k, enc);
  }
  return common::invalid_argument("client-metadata-jwks has no P-256 ECDH-ES encryption key");
}

const char* vp_error_name(VpError e) {
  switch (e) {
    case VpError::kSignatureInvalid: return "signature-invalid";
    case VpError::kAudienceMismatch: return "audience-mismatch";
    case VpError::kNonceMismatch: return "nonce-mismatch";
    case VpError::kExpired: return "expired";
    case VpError::kNotYetValid: return "not-yet-valid";
    case VpError::kIssuerUntrusted: return "issuer-untrusted";
    case VpError::kMalformed: break;
  }
  return "malformed";
}

}  // namespace

runtime::HostInterface vp_interface(const Egress* egress, const std::vector<TrustedIssuer>* trusted) {
  runtime::HostInterface iface{"host:interfaces/vp@2.1.0", "vp", {}};
  iface.functions["sign"] = {
      std::string("func(request: ") + kSignRequest + ") -> result<string, string>",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 1));
        T3N_ASSIGN_OR_RETURN(auto f, record_fields(args[0], "request"));
        T3N_ASSIGN_OR_RETURN(std::string sd_jwt, string_field(f, "unsigned-sd-jwt"));
        T3N_ASSIGN_OR_RETURN(std::string nonce, string_field(f, "nonce"));
        T3N_ASSIGN_OR_RETURN(std::string audience, string_field(f, "audience"));
        auto fail = [&](const std::string& m) { return set_result(r, err_string(m)); };
        if (nonce.empty() || nonce.size() > kMaxTextBytes || audience.empty() || audience.size() > kMaxTextBytes)
          return fail("nonce and audience must be 1..1024 bytes");
        if (ctx.services == nullptr || !ctx.calling_user_did)
          return fail("no calling user: a presentation is signed with the caller's holder key");
        if (ctx.cluster_timestamp_ms == 0) return fail("the call has no cluster timestamp");
        auto parts = split_sd_jwt(sd_jwt);
        if (!parts.ok()) return fail("unsigned-sd-jwt: " + parts.status().message());
        auto jwt = parse_jwt(parts->issuer_jwt);
        if (!jwt.ok()) return fail("unsigned-sd-jwt: " + jwt.status().message());
        if (!disclose_claims(jwt->payload, parts->disclosures).ok())
          return fail("unsigned-sd-jwt: a disclosure does not belong to this credential");
        // Only a credential bound to the caller's own holder key is presented.
        const Json* cnf = jwt->payload.contains("cnf") ? &jwt->payload["cnf"] : nullptr;
        if (cnf == nullptr || !cnf->is_object() || !cnf->contains("jwk"))
          return fail("the credential has no holder binding (cnf.jwk)");
        auto bound = p256_from_jwk((*cnf)["jwk"]);
        auto holder = ctx.services->holder_public_key(ctx);
        if (!holder.ok()) return fail("the holder key is unavailable: " + holder.status().message());
        if (!bound.ok() || *bound != *holder) return fail("the credential is bound to another key than the calling user's");
        auto presented = add_key_binding(sd_jwt, nonce, audience, ctx.cluster_timestamp_ms / 1000,
                                         [&](ByteView m) { return ctx.services->holder_sign(ctx, m); });
        if (!presented.ok()) return fail(presented.status().message());
        return set_result(r, ok_val(Val::string(*presented)));
      }};
  iface.functions["submit"] = {
      std::string("func(request: ") + kSubmitRequest + ") -> result<" + kSubmitResponse + ", string>",
      [egress](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 1));
        T3N_ASSIGN_OR_RETURN(auto f, record_fields(args[0], "request"));
        T3N_ASSIGN_OR_RETURN(std::string uri, string_field(f, "response-uri"));
        T3N_ASSIGN_OR_RETURN(std::string token, string_field(f, "vp-token"));
        T3N_ASSIGN_OR_RETURN(auto state, optional_string_field(f, "state"));
        T3N_ASSIGN_OR_RETURN(auto mode, optional_string_field(f, "response-mode"));
        T3N_ASSIGN_OR_RETURN(auto metadata, optional_string_field(f, "client-metadata-jwks"));
        auto fail = [&](const std::string& m) { return set_result(r, err_string(m)); };
        if (egress == nullptr) return fail("this node has no egress configured");
        if (token.empty()) return fail("vp-token is empty");
        if (state && state->size() > kMaxTextBytes) return fail("state is longer than 1024 bytes");
        const std::string response_mode = mode.value_or("direct_post");
        std::string body;
        if (response_mode == "direct_post") {
          body = "vp_token=" + common::percent_encode(token);
          if (state) body += "&state=" + common::percent_encode(*state);
        } else if (response_mode == "direct_post.jwt") {
          if (!metadata) return fail("direct_post.jwt needs client-metadata-jwks (the verifier's encryption key)");
          auto target = encryption_target(*metadata);
          if (!target.ok()) return fail(target.status().message());
          Json response = Json::object();
          auto parsed = token.front() == '{' ? common::parse_json(token, 16) : Result<Json>(common::invalid_argument(""));
          response["vp_token"] = parsed.ok() ? std::move(*parsed) : Json(token);
          if (state) response["state"] = *state;
          auto jwe = jwe_encrypt_ecdh_es(target->first, target->second, response.dump());
          if (!jwe.ok()) return fail("could not encrypt the response: " + jwe.status().message());
          body = "response=" + common::percent_encode(*jwe);
        } else {
          return fail("response-mode '" + response_mode.substr(0, 64) + "' is not supported (direct_post, direct_post.jwt)");
        }
        EgressRequest req;
        req.method = "POST";
        req.url = uri;
        req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
        req.body = common::to_bytes(body);
        static const std::vector<std::string> kNone;
        auto out = egress->send(req, ctx.manifest != nullptr ? ctx.manifest->http_allow_list : kNone);
        ctx.egress_bytes += req.body.size() + (out.ok ? out.response.body.size() : 0);
        if (!out.ok) return fail(out.error.message);
        std::vector<std::pair<std::string_view, Val>> fields;
        fields.emplace_back("code", Val(out.response.code));
        fields.emplace_back("payload", runtime::bytes_to_val(out.response.body));
        return set_result(r, ok_val(Val(wc::Record(std::move(fields)))));
      }};
  iface.functions["verify"] = {
      std::string("func(request: ") + kVerifyRequest + ") -> result<" + kVerifyResponse + ", " + kVerifyError + ">",
      [trusted](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 1));
        T3N_ASSIGN_OR_RETURN(auto f, record_fields(args[0], "request"));
        T3N_ASSIGN_OR_RETURN(std::string token, string_field(f, "vp-token"));
        VpExpectations expect;
        T3N_ASSIGN_OR_RETURN(expect.audience, string_field(f, "audience"));
        T3N_ASSIGN_OR_RETURN(expect.nonce, string_field(f, "nonce"));
        T3N_ASSIGN_OR_RETURN(expect.issuer, string_field(f, "issuer"));
        expect.now_s = ctx.cluster_timestamp_ms / 1000;
        if (ctx.cluster_timestamp_ms == 0)
          return set_result(r, err_val(variant_case("malformed", "the call has no cluster timestamp")));
        static const std::vector<TrustedIssuer> kNone;
        auto verified = verify_presentation(token, expect, trusted != nullptr ? *trusted : kNone);
        if (auto* failure = std::get_if<VpFailure>(&verified)) {
          if (failure->kind == VpError::kMalformed) return set_result(r, err_val(variant_case("malformed", failure->detail)));
          return set_result(r, err_val(variant_case(vp_error_name(failure->kind))));
        }
        auto& ok = std::get<VerifiedPresentation>(verified);
        std::vector<std::pair<std::string_view, Val>> fields;
        fields.emplace_back("holder-did", Val::string(ok.holder_did));
        fields.emplace_back("claims", runtime::bytes_to_val(common::to_bytes(ok.claims.dump())));
        fields.emplace_back("issued-at", Val(ok.issued_at));
        fields.emplace_back("expires-at", ok.expires_at ? some(Val(*ok.expires_at)) : none());
        return set_result(r, ok_val(Val(wc::Record(std::move(fields)))));
      }};
  return iface;
}

}  // namespace t3n::host
