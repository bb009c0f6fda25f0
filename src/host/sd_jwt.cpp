#include "host/sd_jwt.h"

#include <algorithm>
#include <set>

#include "common/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace t3n::host {
namespace {

using common::Json;

std::string b64(std::string_view text) { return common::base64url_encode(common::as_bytes(text)); }

Result<Json> decode_part(std::string_view part, const char* what) {
  auto raw = common::base64url_decode(part);
  if (!raw.ok()) return common::invalid_argument(std::string(what) + " is not base64url");
  auto j = common::parse_json(std::string_view(reinterpret_cast<const char*>(raw->data()), raw->size()), 32);
  if (!j.ok() || !j->is_object()) return common::invalid_argument(std::string(what) + " is not a JSON object");
  return std::move(*j);
}

// Claims the host sets or the SD-JWT VC format reserves: never disclosable.
const std::set<std::string>& reserved_claims() {
  static const std::set<std::string> names{"iss", "iat", "nbf", "exp", "cnf", "vct", "status", "_sd", "_sd_alg", "..."};
  return names;
}

}  // namespace

Json p256_jwk(ByteView pub) {
  return Json{{"kty", "EC"},
              {"crv", "P-256"},
              {"x", common::base64url_encode(pub.subspan(1, 32))},
              {"y", common::base64url_encode(pub.subspan(33, 32))}};
}

Result<Bytes> p256_from_jwk(const Json& jwk) {
  if (!jwk.is_object() || jwk.value("kty", "") != "EC" || jwk.value("crv", "") != "P-256" || !jwk.contains("x") ||
      !jwk.contains("y") || !jwk["x"].is_string() || !jwk["y"].is_string())
    return common::invalid_argument("expected a P-256 EC JWK");
  auto x = common::base64url_decode(jwk["x"].get<std::string>());
  auto y = common::base64url_decode(jwk["y"].get<std::string>());
  if (!x.ok() || !y.ok() || x->size() != 32 || y->size() != 32) return common::invalid_argument("a JWK coordinate is not 32 bytes");
  Bytes point{0x04};
  point.insert(point.end(), x->begin(), x->end());
  point.insert(point.end(), y->begin(), y->end());
  return crypto::p256_parse_public_key(point);
}

std::string sd_digest(std::string_view text) {
  const auto d = crypto::sha256(common::as_bytes(text));
  return common::base64url_encode(d);
}

Result<std::string> sign_jwt_es256(const Json& header, const Json& payload,
                                   const std::function<Result<Bytes>(ByteView)>& sign_raw) {
  const std::string input = b64(header.dump()) + "." + b64(payload.dump());
  T3N_ASSIGN_OR_RETURN(Bytes sig, sign_raw(common::as_bytes(input)));
  if (sig.size() != 64) return common::internal_error("ES256 signature is not 64 bytes");
  return input + "." + common::base64url_encode(sig);
}

std::variant<std::string, SdJwtIssueFailure> issue_sd_jwt_vc(const SdJwtIssuer& issuer, Json payload,
                                                               const std::vector<std::string>& disclosable,
                                                               const std::optional<Json>& holder_jwk, std::uint64_t iat_s) {
  using F = SdJwtIssueFailure;
  if (!payload.is_object()) return F{SdJwtIssueError::kInvalidPayload, "the payload is not a JSON object"};
  if (!payload.contains("vct") || !payload["vct"].is_string() || payload["vct"].get<std::string>().empty())
    return F{SdJwtIssueError::kInvalidPayload, "the payload has no 'vct' (credential type)"};
  for (const char* host_owned : {"iss", "iat", "cnf", "_sd", "_sd_alg"})
    if (payload.contains(host_owned))
      return F{SdJwtIssueError::kInvalidPayload, std::string("'") + host_owned + "' is set by the host, not the payload"};
  if (disclosable.size() > 256) return F{SdJwtIssueError::kConcealFailed, "more than 256 disclosable claims"};
  std::vector<std::string> disclosures;
  std::set<std::string> seen;
  for (const std::string& path : disclosable) {
    if (!seen.insert(path).second) return F{SdJwtIssueError::kConcealFailed, "'" + path + "' is listed twice"};
    // Walk the dotted path to the object that holds the claim.
    Json* parent = &payload;
    std::string name = path;
    for (std::size_t dot; (dot = name.find('.')) != std::string::npos;) {
      const std::string seg = name.substr(0, dot);
      if (!parent->is_object() || !parent->contains(seg) || !(*parent)[seg].is_object())
        return F{SdJwtIssueError::kConcealFailed, "'" + path + "' does not name a claim of the payload"};
      parent = &(*parent)[seg];
      name = name.substr(dot + 1);
    }
    if (name.empty() || !parent->contains(name))
      return F{SdJwtIssueError::kConcealFailed, "'" + path + "' does not name a claim of the payload"};
    if (parent == &payload && reserved_claims().count(name) != 0)
      return F{SdJwtIssueError::kConcealFailed, "'" + name + "' cannot be made disclosable"};
    auto salt = crypto::random_vector(16);
    if (!salt.ok()) return F{SdJwtIssueError::kSignFailed, "no randomness"};
    const Json disclosure = Json::array({common::base64url_encode(*salt), name, (*parent)[name]});
    std::string encoded = b64(disclosure.dump());
    parent->erase(name);
    Json& sd = (*parent)["_sd"];
    if (!sd.is_array()) sd = Json::array();
    sd.push_back(sd_digest(encoded));
    disclosures.push_back(std::move(encoded));
  }
  // Digests sorted: their order must not reveal the claims' order.
  std::function<void(Json&)> sort_sd = [&](Json& obj) {
    if (!obj.is_object()) return;
    for (auto& [k, v] : obj.items()) {
      if (k == "_sd" && v.is_array()) {
        std::vector<std::string> d = v.get<std::vector<std::string>>();
        std::sort(d.begin(), d.end());
        v = d;
      } else {
        sort_sd(v);
      }
    }
  };
  sort_sd(payload);
  payload["iss"] = issuer.iss;
  payload["iat"] = iat_s;
  if (!disclosures.empty()) payload["_sd_alg"] = "sha-256";
  if (holder_jwk) payload["cnf"] = Json{{"jwk", *holder_jwk}};
  const Json header{{"alg", "ES256"}, {"typ", "dc+sd-jwt"}, {"kid", issuer.kid}};
  auto jwt = sign_jwt_es256(header, payload, [&](ByteView m) { return issuer.key->sign_raw(m); });
  if (!jwt.ok()) return F{SdJwtIssueError::kSignFailed, jwt.status().message()};
  std::string out = *jwt + "~";
  for (const auto& d : disclosures) out += d + "~";
  return out;
}

Result<ParsedJwt> parse_jwt(std::string_view compact) {
  const auto d1 = compact.find('.');
  const auto d2 = d1 == std::string_view::npos ? d1 : compact.find('.', d1 + 1);
  if (d2 == std::string_view::npos || compact.find('.', d2 + 1) != std::string_view::npos)
    return common::invalid_argument("not a compact JWS (three parts)");
  ParsedJwt p;
  T3N_ASSIGN_OR_RETURN(p.header, decode_part(compact.substr(0, d1), "the JWS header"));
  T3N_ASSIGN_OR_RETURN(p.payload, decode_part(compact.substr(d1 + 1, d2 - d1 - 1), "the JWS payload"));
  auto sig = common::base64url_decode(compact.substr(d2 + 1));
  if (!sig.ok()) return common::invalid_argument("the JWS signature is not base64url");
  p.signature = std::move(*sig);
  p.signing_input = std::string(compact.substr(0, d2));
  return p;
}

std::string SdJwt::without_kb() const {
  std::string out = issuer_jwt + "~";
  for (const auto& d : disclosures) out += d + "~";
  return out;
}

Result<SdJwt> split_sd_jwt(std::string_view text) {
  if (text.size() > 256 * 1024) return common::invalid_argument("an SD-JWT larger than 256 KiB");
  const auto first = text.find('~');
  if (first == std::string_view::npos) return common::invalid_argument("not an SD-JWT (no '~')");
  SdJwt out;
  out.issuer_jwt = std::string(text.substr(0, first));
  std::string_view rest = text.substr(first + 1);
  while (true) {
    const auto t = rest.find('~');
    if (t == std::string_view::npos) {
      if (!rest.empty()) out.kb_jwt = std::string(rest);
      break;
    }
    if (t == 0) return common::invalid_argument("an empty disclosure");
    out.disclosures.emplace_back(rest.substr(0, t));
    rest = rest.substr(t + 1);
  }
  return out;
}

Result<Json> disclose_claims(const Json& payload, const std::vector<std::string>& disclosures) {
  std::map<std::string, Json> by_digest;
  for (const auto& d : disclosures) {
    T3N_ASSIGN_OR_RETURN(Bytes raw, common::base64url_decode(d));
    auto j = common::parse_json(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()), 32);
    if (!j.ok() || !j->is_array() || j->size() != 3 || !(*j)[1].is_string())
      return common::invalid_argument("a disclosure is not [salt, name, value]");
    if (!by_digest.emplace(sd_digest(d), std::move(*j)).second) return common::invalid_argument("a disclosure appears twice");
  }
  std::set<std::string> used;
  std::function<Result<Json>(const Json&)> walk = [&](const Json& obj) -> Result<Json> {
    if (!obj.is_object()) return obj;
    Json out = Json::object();
    for (const auto& [k, v] : obj.items()) {
      if (k == "_sd" || k == "_sd_alg") continue;
      T3N_ASSIGN_OR_RETURN(out[k], walk(v));
    }
    if (obj.contains("_sd") && obj["_sd"].is_array()) {
      for (const auto& digest : obj["_sd"]) {
        if (!digest.is_string()) return common::invalid_argument("an _sd entry is not a string");
        auto it = by_digest.find(digest.get<std::string>());
        if (it == by_digest.end()) continue;  // not disclosed (or a decoy)
        const std::string name = it->second[1].get<std::string>();
        if (out.contains(name)) return common::invalid_argument("a disclosed claim '" + name + "' already exists");
        if (!used.insert(it->first).second) return common::invalid_argument("a digest is referenced twice");
        T3N_ASSIGN_OR_RETURN(out[name], walk(it->second[2]));
      }
    }
    return out;
  };
  T3N_ASSIGN_OR_RETURN(Json out, walk(payload));
  if (used.size() != by_digest.size()) return common::invalid_argument("a disclosure does not belong to this credential");
  return out;
}

Result<std::string> add_key_binding(std::string_view sd_jwt, const std::string& nonce, const std::string& audience,
                                    std::uint64_t iat_s, const std::function<Result<Bytes>(ByteView)>& sign_raw) {
  T3N_ASSIGN_OR_RETURN(SdJwt parts, split_sd_jwt(sd_jwt));
  if (parts.kb_jwt) return common::invalid_argument("the SD-JWT already carries a key binding JWT");
  const std::string presented = parts.without_kb();
  const Json header{{"alg", "ES256"}, {"typ", "kb+jwt"}};
  const Json payload{{"iat", iat_s}, {"aud", audience}, {"nonce", nonce}, {"sd_hash", sd_digest(presented)}};
  T3N_ASSIGN_OR_RETURN(std::string kb, sign_jwt_es256(header, payload, sign_raw));
  return presented + kb;
}

namespace {

using VpResult = std::variant<VerifiedPresentation, VpFailure>;
VpFailure vp_fail(VpError kind, std::string detail = {}) { return VpFailure{kind, std::move(detail)}; }
VpFailure malformed(std::string detail) { return vp_fail(VpError::kMalformed, std::move(detail)); }

// The presentation inside a vp_token: the SD-JWT itself, a JSON string of
// it, or OpenID4VP 1.0's object of one credential query → [presentation].
std::optional<std::string> presentation_of(std::string_view token, std::string& why) {
  std::size_t first = token.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    why = "the vp_token is empty";
    return std::nullopt;
  }
  if (token[first] != '{' && token[first] != '"') return std::string(token);
  auto j = common::parse_json(token, 8);
  if (!j.ok()) {
    why = "the vp_token is not JSON";
    return std::nullopt;
  }
  if (j->is_string()) return j->get<std::string>();
  if (!j->is_object() || j->size() != 1) {
    why = "the vp_token object must hold exactly one credential query";
    return std::nullopt;
  }
  const Json& v = j->begin().value();
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array() && v.size() == 1 && v[0].is_string()) return v[0].get<std::string>();
  why = "the vp_token's credential query must hold exactly one presentation";
  return std::nullopt;
}

std::optional<std::uint64_t> uint_claim(const Json& payload, const char* name, bool& bad) {
  if (!payload.contains(name)) return std::nullopt;
  const Json& v = payload[name];
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(v.get<std::int64_t>());
  bad = true;
  return std::nullopt;
}

}  // namespace

VpResult verify_presentation(std::string_view vp_token, const VpExpectations& expect, const std::vector<TrustedIssuer>& trusted) {
  std::string why;
  auto presentation = presentation_of(vp_token, why);
  if (!presentation) return malformed(why);
  auto parts = split_sd_jwt(*presentation);
  if (!parts.ok()) return malformed(parts.status().message());
  if (!parts->kb_jwt) return malformed("the presentation has no key binding JWT");
  auto jwt = parse_jwt(parts->issuer_jwt);
  if (!jwt.ok()) return malformed("issuer JWT: " + jwt.status().message());
  if (jwt->header.value("alg", "") != "ES256") return malformed("issuer JWT: only ES256 is accepted");
  const std::string typ = jwt->header.value("typ", "");
  if (typ != "dc+sd-jwt" && typ != "vc+sd-jwt") return malformed("issuer JWT: typ is not dc+sd-jwt");
  const Json& payload = jwt->payload;
  if (!payload.contains("iss") || !payload["iss"].is_string()) return malformed("the credential has no iss");
  const std::string iss = payload["iss"].get<std::string>();
  if (!expect.issuer.empty() && iss != expect.issuer) return vp_fail(VpError::kIssuerUntrusted);
  const TrustedIssuer* issuer = nullptr;
  for (const auto& t : trusted)
    if (t.iss == iss) issuer = &t;
  if (issuer == nullptr) return vp_fail(VpError::kIssuerUntrusted);
  // The issuer's key: by kid when the header names one, else any of its keys.
  const std::string kid = jwt->header.value("kid", "");
  bool verified = false;
  for (const auto& [key_id, point] : issuer->keys) {
    if (!kid.empty() && !key_id.empty() && key_id != kid) continue;
    if (crypto::p256_verify_raw(point, common::as_bytes(jwt->signing_input), jwt->signature).ok()) verified = true;
  }
  if (!verified) return vp_fail(VpError::kSignatureInvalid);
  bool bad_number = false;
  const auto iat = uint_claim(payload, "iat", bad_number);
  const auto exp = uint_claim(payload, "exp", bad_number);
  const auto nbf = uint_claim(payload, "nbf", bad_number);
  if (bad_number) return malformed("iat, exp and nbf must be non-negative integers");
  if (!iat) return malformed("the credential has no iat");
  if (exp && expect.now_s >= *exp + expect.skew_s) return vp_fail(VpError::kExpired);
  if (nbf && *nbf > expect.now_s + expect.skew_s) return vp_fail(VpError::kNotYetValid);
  if (*iat > expect.now_s + expect.skew_s) return vp_fail(VpError::kNotYetValid);
  if (payload.value("_sd_alg", "sha-256") != "sha-256") return malformed("only _sd_alg sha-256 is accepted");
  auto claims = disclose_claims(payload, parts->disclosures);
  if (!claims.ok()) return malformed(claims.status().message());
  // Key binding: signed by the key the issuer bound the credential to, over
  // exactly this presentation (sd_hash), for this verifier and nonce.
  if (!payload.contains("cnf") || !payload["cnf"].is_object() || !payload["cnf"].contains("jwk"))
    return malformed("the credential has no holder key (cnf.jwk)");
  auto holder = p256_from_jwk(payload["cnf"]["jwk"]);
  if (!holder.ok()) return malformed("cnf.jwk: " + holder.status().message());
  auto kb = parse_jwt(*parts->kb_jwt);
  if (!kb.ok()) return malformed("key binding JWT: " + kb.status().message());
  if (kb->header.value("typ", "") != "kb+jwt" || kb->header.value("alg", "") != "ES256")
    return malformed("key binding JWT: expected typ kb+jwt, alg ES256");
  if (!crypto::p256_verify_raw(*holder, common::as_bytes(kb->signing_input), kb->signature).ok())
    return vp_fail(VpError::kSignatureInvalid);
  if (kb->payload.value("sd_hash", "") != sd_digest(parts->without_kb())) return vp_fail(VpError::kSignatureInvalid);
  if (!kb->payload.contains("aud") || kb->payload["aud"] != Json(expect.audience)) return vp_fail(VpError::kAudienceMismatch);
  if (!kb->payload.contains("nonce") || kb->payload["nonce"] != Json(expect.nonce)) return vp_fail(VpError::kNonceMismatch);
  const auto kb_iat = uint_claim(kb->payload, "iat", bad_number);
  if (bad_number || !kb_iat) return malformed("key binding JWT: no iat");
  if (*kb_iat > expect.now_s + expect.skew_s) return vp_fail(VpError::kNotYetValid);
  if (expect.now_s > *kb_iat + expect.max_kb_age_s) return vp_fail(VpError::kExpired);
  VerifiedPresentation out;
  if (payload.contains("sub") && payload["sub"].is_string() && payload["sub"].get<std::string>().rfind("did:", 0) == 0) {
    out.holder_did = payload["sub"].get<std::string>();
  } else {
    // did:jwk of the holder key: the DID that needs no registry.
    out.holder_did = "did:jwk:" + common::base64url_encode(common::as_bytes(p256_jwk(*holder).dump()));
  }
  out.claims = std::move(*claims);
  out.issued_at = *iat;
  out.expires_at = exp;
  return out;
}

}  // namespace t3n::host
