#include "identity/oidc.h"

#include <cjose/cjose.h>
#include <curl/curl.h>

#include <algorithm>

#include "common/encoding.h"
#include "common/json.h"
#include "crypto/ct.h"
#include "identity/email_otp.h"

namespace t3n::identity {

struct JsonWebKeySet::Key {
  std::string kid;
  std::string alg;  // "RS256" or "ES256": what this key may verify
  std::unique_ptr<cjose_jwk_t, bool (*)(cjose_jwk_t*)> jwk{nullptr, cjose_jwk_release};
};

namespace {

using common::Json;

constexpr std::size_t kMaxJwksBytes = 1024 * 1024;
constexpr std::size_t kMaxKeys = 64;

Status unauthenticated(std::string why) { return Status(ErrorCode::kUnauthenticated, "id_token refused: " + std::move(why)); }

std::string string_field(const Json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool is_base64url_text(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// Seconds since the epoch as JWT numeric dates are: a JSON number, whole.
std::optional<std::int64_t> numeric_date(const Json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_number_float()) return static_cast<std::int64_t>(it->get<double>());
  return std::int64_t{-1};  // present but not a number: fails every comparison below
}

struct JwsDeleter {
  void operator()(cjose_jws_t* j) const { cjose_jws_release(j); }
};

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

std::size_t write_cb(char* data, std::size_t size, std::size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  const std::size_t k = size * n;
  if (out->size() + k > kMaxJwksBytes) return 0;  // aborts the transfer
  out->append(data, k);
  return k;
}

}  // namespace

Status validate_provider(const OidcProvider& p) {
  if (p.name.empty()) return common::invalid_argument("an OIDC provider needs a name");
  if (p.issuer.empty()) return common::invalid_argument("OIDC provider '" + p.name + "' needs an issuer");
  if (p.jwks_url.rfind("https://", 0) != 0)
    return common::invalid_argument("OIDC provider '" + p.name + "': jwks_url must be https://");
  if (p.client_ids.empty() || std::any_of(p.client_ids.begin(), p.client_ids.end(), [](auto& c) { return c.empty(); }))
    return common::invalid_argument("OIDC provider '" + p.name + "' needs at least one client id");
  return {};
}

Result<JsonWebKeySet> JsonWebKeySet::parse(std::string_view json) {
  if (json.size() > kMaxJwksBytes) return common::invalid_argument("JWKS document too large");
  auto doc = common::parse_json(json, 8);
  if (!doc.ok() || !doc->is_object()) return common::invalid_argument("JWKS is not a JSON object");
  auto keys = doc->find("keys");
  if (keys == doc->end() || !keys->is_array()) return common::invalid_argument("JWKS has no 'keys' array");
  JsonWebKeySet set;
  for (const Json& k : *keys) {
    if (set.keys_.size() >= kMaxKeys) break;
    if (!k.is_object()) continue;
    const std::string kty = string_field(k, "kty");
    if (kty != "RSA" && kty != "EC") continue;
    if (auto use = k.find("use"); use != k.end() && *use != "sig") continue;
    if (k.contains("d")) continue;  // a private key has no business in a published set
    const std::string text = k.dump();
    cjose_err err{};
    auto key = std::make_shared<Key>();
    key->jwk.reset(cjose_jwk_import(text.data(), text.size(), &err));
    if (!key->jwk) continue;
    key->kid = string_field(k, "kid");
    if (kty == "RSA") {
      if (cjose_jwk_get_kty(key->jwk.get(), &err) != CJOSE_JWK_KTY_RSA || cjose_jwk_get_keysize(key->jwk.get(), &err) < 2048)
        continue;
      key->alg = "RS256";
    } else {
      if (cjose_jwk_get_kty(key->jwk.get(), &err) != CJOSE_JWK_KTY_EC ||
          cjose_jwk_EC_get_curve(key->jwk.get(), &err) != CJOSE_JWK_EC_P_256)
        continue;
      key->alg = "ES256";
    }
    if (auto alg = k.find("alg"); alg != k.end() && *alg != key->alg) continue;
    set.keys_.push_back(std::move(key));
  }
  return set;
}

bool JsonWebKeySet::has_kid(std::string_view kid) const {
  return std::any_of(keys_.begin(), keys_.end(), [&](const auto& k) { return k->kid == kid; });
}

Result<IdTokenClaims> verify_id_token(std::string_view jwt, const JsonWebKeySet& keys, const IdTokenExpectations& expect) {
  if (jwt.size() > kMaxIdTokenBytes) return common::invalid_argument("id_token too large");
  const auto d1 = jwt.find('.');
  const auto d2 = d1 == std::string_view::npos ? d1 : jwt.find('.', d1 + 1);
  if (d2 == std::string_view::npos || jwt.find('.', d2 + 1) != std::string_view::npos ||
      !is_base64url_text(jwt.substr(0, d1)) || !is_base64url_text(jwt.substr(d1 + 1, d2 - d1 - 1)) ||
      !is_base64url_text(jwt.substr(d2 + 1)))
    return common::invalid_argument("id_token is not a signed JWT (three base64url parts)");

  // The header as we read it decides the key; cjose then verifies with it.
  auto header_bytes = common::base64url_decode(jwt.substr(0, d1));
  if (!header_bytes.ok()) return common::invalid_argument("id_token header is not base64url");
  auto header = common::parse_json(common::to_string(*header_bytes), 4);
  if (!header.ok() || !header->is_object()) return common::invalid_argument("id_token header is not a JSON object");
  const auto alg_it = header->find("alg");
  if (alg_it == header->end() || !alg_it->is_string()) return unauthenticated("no alg");
  const std::string alg = alg_it->get<std::string>();
  if (alg != "RS256" && alg != "ES256") return unauthenticated("alg '" + (alg.size() > 16 ? alg.substr(0, 16) : alg) + "' is not accepted");
  if (header->contains("crit")) return unauthenticated("critical header extensions are not supported");
  std::string kid;
  if (auto k = header->find("kid"); k != header->end()) {
    if (!k->is_string()) return unauthenticated("kid is not a string");
    kid = k->get<std::string>();
  }

  const JsonWebKeySet::Key* key = nullptr;
  if (!kid.empty()) {
    for (const auto& k : keys.keys())
      if (k->kid == kid) key = k.get();
    if (key == nullptr) return Status(ErrorCode::kNotFound, "unknown_kid: the issuer's key set has no such key");
    if (key->alg != alg) return unauthenticated("the key named by kid is not a " + alg + " key");
  } else {
    // No kid: only unambiguous when the set has exactly one key for this alg.
    for (const auto& k : keys.keys()) {
      if (k->alg != alg) continue;
      if (key != nullptr) return unauthenticated("no kid and several candidate keys");
      key = k.get();
    }
    if (key == nullptr) return Status(ErrorCode::kNotFound, "unknown_kid: the issuer's key set has no " + alg + " key");
  }

  cjose_err err{};
  std::unique_ptr<cjose_jws_t, JwsDeleter> jws(cjose_jws_import(jwt.data(), jwt.size(), &err));
  if (!jws) return common::invalid_argument("id_token is not a valid JWS");
  if (!cjose_jws_verify(jws.get(), key->jwk.get(), &err)) return unauthenticated("bad signature");
  std::uint8_t* plain = nullptr;
  std::size_t plain_len = 0;
  if (!cjose_jws_get_plaintext(jws.get(), &plain, &plain_len, &err)) return unauthenticated("no payload");
  auto claims = common::parse_json(std::string_view(reinterpret_cast<const char*>(plain), plain_len), 8);
  if (!claims.ok() || !claims->is_object()) return unauthenticated("claims are not a JSON object");

  if (string_field(*claims, "iss") != expect.issuer) return unauthenticated("wrong issuer");
  // aud: one string or a list; one of our client ids; azp names it when several.
  const auto aud = claims->find("aud");
  std::vector<std::string> audiences;
  if (aud != claims->end() && aud->is_string()) audiences.push_back(aud->get<std::string>());
  if (aud != claims->end() && aud->is_array())
    for (const auto& a : *aud)
      if (a.is_string()) audiences.push_back(a.get<std::string>());
  auto ours = [&](const std::string& a) { return std::find(expect.audiences.begin(), expect.audiences.end(), a) != expect.audiences.end(); };
  if (std::none_of(audiences.begin(), audiences.end(), ours)) return unauthenticated("wrong audience");
  if (audiences.size() > 1 && !ours(string_field(*claims, "azp"))) return unauthenticated("azp is not one of this node's client ids");

  const auto exp = numeric_date(*claims, "exp");
  if (!exp || *exp < 0 || *exp + expect.skew_s <= expect.now_unix) return unauthenticated("expired (or no exp)");
  const auto iat = numeric_date(*claims, "iat");
  if (!iat || *iat < 0 || *iat > expect.now_unix + expect.skew_s) return unauthenticated("issued in the future (or no iat)");
  if (*iat + expect.skew_s < expect.issued_not_before_unix) return unauthenticated("issued before this login started");
  if (const auto nbf = numeric_date(*claims, "nbf"); nbf && (*nbf < 0 || *nbf > expect.now_unix + expect.skew_s))
    return unauthenticated("not valid yet");
  const std::string nonce = string_field(*claims, "nonce");
  if (expect.nonce.empty() || !crypto::constant_time_equal(common::as_bytes(nonce), common::as_bytes(expect.nonce)))
    return unauthenticated("nonce does not match this session");

  IdTokenClaims out;
  out.issuer = expect.issuer;
  out.subject = string_field(*claims, "sub");
  if (out.subject.empty() || out.subject.size() > 255) return unauthenticated("no subject");
  const auto ev = claims->find("email_verified");
  // Some issuers (Apple) send the flag as a string.
  const bool verified = ev != claims->end() && ((ev->is_boolean() && ev->get<bool>()) || (ev->is_string() && *ev == "true"));
  if (verified) {
    auto email = canonical_email(string_field(*claims, "email"));
    if (email.ok()) out.verified_email = std::move(*email);
  }
  return out;
}

Result<std::string> fetch_jwks_document(const std::string& url, const std::string& ca_file) {
  if (url.rfind("https://", 0) != 0) return common::invalid_argument("JWKS URL must be https://");
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return common::internal_error("libcurl init failed");
  std::string body;
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxJwksBytes));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  if (!ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, ca_file.c_str());
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK)
    return Status(ErrorCode::kUnavailable, std::string("fetching the issuer's keys failed: ") + curl_easy_strerror(rc));
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  if (code != 200) return Status(ErrorCode::kUnavailable, "fetching the issuer's keys failed: HTTP " + std::to_string(code));
  return body;
}

OidcVerifier::OidcVerifier(std::vector<OidcProvider> providers, common::ClockMs clock, OidcCachePolicy policy)
    : providers_(std::move(providers)), clock_(std::move(clock)), policy_(policy) {}

const OidcProvider* OidcVerifier::provider(std::string_view name) const {
  for (const auto& p : providers_)
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<std::string> OidcVerifier::provider_names() const {
  std::vector<std::string> names;
  for (const auto& p : providers_) names.push_back(p.name);
  return names;
}

std::uint64_t OidcVerifier::fetches() const {
  std::lock_guard lock(mu_);
  return fetches_;
}

Result<std::shared_ptr<const JsonWebKeySet>> OidcVerifier::keys_for(const OidcProvider& p, bool refetch) {
  std::lock_guard lock(mu_);
  Cached& c = cache_[p.name];
  const std::uint64_t now = clock_();
  const bool stale = !c.fetched || now >= c.fetched_ms + policy_.ttl_ms;
  const bool may_refetch = !c.fetched || now >= c.fetched_ms + policy_.min_refetch_ms;
  if (c.keys && !stale && !(refetch && may_refetch)) return c.keys;
  if (!may_refetch) {
    if (c.keys) return c.keys;
    return Status(ErrorCode::kUnavailable, "the issuer's keys could not be fetched; try again shortly");
  }
  ++fetches_;
  c.fetched = true;
  c.fetched_ms = now;
  auto doc = fetch_jwks_document(p.jwks_url, p.ca_file);
  if (!doc.ok()) {
    if (c.keys) return c.keys;  // keep serving the last good set through an outage
    return doc.status();
  }
  auto set = JsonWebKeySet::parse(*doc);
  if (!set.ok()) {
    if (c.keys) return c.keys;
    return Status(ErrorCode::kUnavailable, "the issuer's key set is malformed: " + set.status().message());
  }
  c.keys = std::make_shared<const JsonWebKeySet>(std::move(*set));
  return c.keys;
}

Result<IdTokenClaims> OidcVerifier::verify(const OidcProvider& p, std::string_view jwt, const std::string& nonce,
                                           std::int64_t issued_not_before_unix) {
  IdTokenExpectations expect;
  expect.issuer = p.issuer;
  expect.audiences = p.client_ids;
  expect.nonce = nonce;
  expect.now_unix = static_cast<std::int64_t>(clock_() / 1000);
  expect.issued_not_before_unix = issued_not_before_unix;
  T3N_ASSIGN_OR_RETURN(auto keys, keys_for(p, false));
  auto claims = verify_id_token(jwt, *keys, expect);
  if (claims.ok() || claims.status().code() != ErrorCode::kNotFound) return claims;
  // The issuer may have rotated its keys: fetch once more.
  T3N_ASSIGN_OR_RETURN(keys, keys_for(p, true));
  claims = verify_id_token(jwt, *keys, expect);
  if (!claims.ok() && claims.status().code() == ErrorCode::kNotFound) return unauthenticated("signed by a key the issuer does not publish");
  return claims;
}

}  // namespace t3n::identity
