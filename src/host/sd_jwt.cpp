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
  std::size_t used = 0;
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
        T3N_ASSIGN_OR_RETURN(out[name], walk(it->second[2]));
        ++used;
      }
    }
    return out;
  };
  T3N_ASSIGN_OR_RETURN(Json out, walk(payload));
  if (used != by_digest.size()) return common::invalid_argument("a disclosure does not belong to this credential");
  return out;
}

}  // namespace t3n::host
