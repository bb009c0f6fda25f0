// SD-JWT (RFC 9901) and SD-JWT VC for the signing and vp interfaces:
// issuing with selectively disclosable claims (ES256 over P-256), key
// binding JWTs, and verification of presentations. JSON is serialised by
// nlohmann (compact, no whitespace); digests are SHA-256 over the
// disclosure's base64url text, as the RFC specifies.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"
#include "crypto/p256.h"

namespace t3n::host {

// An issuer of the operator's registry: its `iss` and the P-256 key (derived
// inside the node; only its public JWK is published).
struct SdJwtIssuer {
  std::string id;
  std::string iss;
  std::string kid;
  std::shared_ptr<const crypto::P256PrivateKey> key;
};

// {"kty":"EC","crv":"P-256","x":…,"y":…} of a SEC1 uncompressed point.
common::Json p256_jwk(ByteView public_key65);
// The SEC1 point of such a JWK; kInvalidArgument otherwise.
Result<Bytes> p256_from_jwk(const common::Json& jwk);

enum class SdJwtIssueError { kInvalidPayload, kConcealFailed, kSignFailed };
struct SdJwtIssueFailure {
  SdJwtIssueError kind;
  std::string detail;
};

// Issues `payload` (an object with `vct`) as an SD-JWT VC: `iss`, `iat` and
// `_sd_alg` set by the host, optional `cnf.jwk`, each of `disclosable` (a
// top-level claim or a dotted path into objects) replaced by a digest.
// Returns "<jwt>~<disclosure>~…~".
std::variant<std::string, SdJwtIssueFailure> issue_sd_jwt_vc(const SdJwtIssuer& issuer, common::Json payload,
                                                               const std::vector<std::string>& disclosable,
                                                               const std::optional<common::Json>& holder_jwk,
                                                               std::uint64_t iat_s);

struct ParsedJwt {
  common::Json header;
  common::Json payload;
  std::string signing_input;  // "<b64 header>.<b64 payload>"
  Bytes signature;            // raw r ‖ s
};
Result<ParsedJwt> parse_jwt(std::string_view compact);
// ES256 JWS "<header>.<payload>.<sig>" over compact JSON.
Result<std::string> sign_jwt_es256(const common::Json& header, const common::Json& payload,
                                   const std::function<Result<Bytes>(ByteView)>& sign_raw);

struct SdJwt {
  std::string issuer_jwt;
  std::vector<std::string> disclosures;
  std::optional<std::string> kb_jwt;  // present in a presentation with key binding
  // The issuer-signed part with its disclosures, "<jwt>~<d>~…~" (what sd_hash covers).
  std::string without_kb() const;
};
Result<SdJwt> split_sd_jwt(std::string_view text);
// SHA-256 of the ASCII text, base64url (disclosure digests and sd_hash).
std::string sd_digest(std::string_view text);

// The claims an SD-JWT discloses: every disclosure's digest must appear in
// the payload exactly once; returns the payload with disclosed values put
// back and `_sd` / `_sd_alg` removed.
Result<common::Json> disclose_claims(const common::Json& payload, const std::vector<std::string>& disclosures);

// A presentation's key binding JWT (typ kb+jwt, ES256): `sd_jwt` must be
// "<jwt>~<disclosure>~…~" without one; returns it with the KB-JWT appended.
// `sign_raw` signs with the holder's key.
Result<std::string> add_key_binding(std::string_view sd_jwt, const std::string& nonce, const std::string& audience,
                                    std::uint64_t iat_s, const std::function<Result<Bytes>(ByteView)>& sign_raw);

// An issuer a verifier trusts (the operator's registry): its `iss` and its
// P-256 keys by kid (SEC1 uncompressed points).
struct TrustedIssuer {
  std::string iss;
  std::vector<std::pair<std::string, Bytes>> keys;
};

enum class VpError { kSignatureInvalid, kAudienceMismatch, kNonceMismatch, kExpired, kNotYetValid, kIssuerUntrusted, kMalformed };
struct VpFailure {
  VpError kind;
  std::string detail;  // for kMalformed; never a claim value
};
struct VerifiedPresentation {
  std::string holder_did;
  common::Json claims;  // the payload with the disclosed claims put back
  std::uint64_t issued_at = 0;
  std::optional<std::uint64_t> expires_at;
};
struct VpExpectations {
  std::string audience;
  std::string nonce;
  std::string issuer;        // empty: any trusted issuer
  std::uint64_t now_s = 0;   // the call's cluster time
  std::uint64_t skew_s = 60;            // tolerated clock difference
  std::uint64_t max_kb_age_s = 300;     // a key binding older than this is expired
};
// Verifies an SD-JWT VC presentation with key binding: the vp_token is the
// presentation itself or OpenID4VP's {"<query id>": ["<presentation>"]}.
std::variant<VerifiedPresentation, VpFailure> verify_presentation(std::string_view vp_token, const VpExpectations& expect,
                                                                  const std::vector<TrustedIssuer>& trusted);

}  // namespace t3n::host
