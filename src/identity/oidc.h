// OpenID Connect logins (T3N-CLIENT-PROTOCOL.md §4): ID tokens (JWS
// compact, RS256 or ES256) checked against the issuer's JSON Web Key Set.
// Signatures and key import are cjose's (Debian libcjose: the JOSE library
// behind Apache's mod_auth_openidc); the rules around it are ours and
// strict — only RS256/ES256, the key's type and curve must match the alg,
// no `crit`, exact `iss`, `aud` among the provider's client ids (`azp` when
// several audiences), `exp`/`nbf`/`iat` with a small skew, `iat` not before
// the login started, and `nonce` equal to the session's.
// The key set is fetched over HTTPS (libcurl) from the operator-configured
// URL, cached, and fetched again when a token names an unknown `kid` (at
// most once per refetch interval, so forged kids cannot hammer the issuer).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace t3n::identity {

struct OidcProvider {
  std::string name;       // what the SDK sends as `provider` ("google", …)
  std::string issuer;     // the exact `iss`
  std::string jwks_url;   // https:// only
  std::vector<std::string> client_ids;  // accepted audiences
  std::string ca_file;    // trust this CA bundle for the JWKS fetch instead of the system's
};

// Checks a provider's configuration: https JWKS URL, an issuer, a client id.
Status validate_provider(const OidcProvider& p);

struct IdTokenClaims {
  std::string issuer;
  std::string subject;
  std::optional<std::string> verified_email;  // canonical, only when email_verified
};

struct IdTokenExpectations {
  std::string issuer;
  std::vector<std::string> audiences;
  std::string nonce;
  std::int64_t now_unix = 0;
  std::int64_t issued_not_before_unix = 0;  // when the login started
  std::int64_t skew_s = 60;
};

// A parsed JWKS: the RSA (≥ 2048 bits) and EC P-256 signing keys of a
// `{"keys":[…]}` document; other keys are skipped.
class JsonWebKeySet {
 public:
  struct Key;
  static Result<JsonWebKeySet> parse(std::string_view json);
  std::size_t size() const { return keys_.size(); }
  bool has_kid(std::string_view kid) const;
  const std::vector<std::shared_ptr<const Key>>& keys() const { return keys_; }

 private:
  std::vector<std::shared_ptr<const Key>> keys_;
};

inline constexpr std::size_t kMaxIdTokenBytes = 16 * 1024;

// The claims of `jwt` if it is signed by one of `keys` and meets `expect`.
// kNotFound "unknown_kid" when its key id is not in the set (fetch the set
// again); kUnauthenticated for every other failure (the reason, never a
// claim value, in the message); kInvalidArgument when it is not a JWS.
Result<IdTokenClaims> verify_id_token(std::string_view jwt, const JsonWebKeySet& keys, const IdTokenExpectations& expect);

// GET `url` over HTTPS (libcurl: no redirects, timeouts, 1 MiB cap).
Result<std::string> fetch_jwks_document(const std::string& url, const std::string& ca_file);

struct OidcCachePolicy {
  std::uint64_t ttl_ms = 60 * 60 * 1000;        // a cached key set is used this long
  std::uint64_t min_refetch_ms = 30 * 1000;     // unknown kid: no more often than this
};

// The configured providers and their cached key sets.
class OidcVerifier {
 public:
  OidcVerifier(std::vector<OidcProvider> providers, common::ClockMs clock, OidcCachePolicy policy = {});
  const OidcProvider* provider(std::string_view name) const;
  std::vector<std::string> provider_names() const;
  Result<IdTokenClaims> verify(const OidcProvider& p, std::string_view jwt, const std::string& nonce,
                               std::int64_t issued_not_before_unix);
  std::uint64_t fetches() const;

 private:
  struct Cached {
    std::shared_ptr<const JsonWebKeySet> keys;
    std::uint64_t fetched_ms = 0;
    bool fetched = false;
  };
  Result<std::shared_ptr<const JsonWebKeySet>> keys_for(const OidcProvider& p, bool refetch);

  std::vector<OidcProvider> providers_;
  common::ClockMs clock_;
  OidcCachePolicy policy_;
  mutable std::mutex mu_;  // guards cache_ and fetches_; held across a fetch so one provider is fetched once
  std::map<std::string, Cached> cache_;
  std::uint64_t fetches_ = 0;
};

}  // namespace t3n::identity
