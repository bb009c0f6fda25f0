// JWE (RFC 7516) compact serialisation with "alg":"ECDH-ES" — direct key
// agreement on P-256 (RFC 7518 §4.6) and A128GCM / A256GCM: what an
// OpenID4VP wallet uses for response_mode direct_post.jwt.
#pragma once

#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"

namespace t3n::host {

// RFC 7518 §4.6.2: the Concat KDF (NIST SP 800-56A, SHA-256) of the shared
// secret `z`, with AlgorithmID `alg_id` ("A128GCM" for direct agreement),
// PartyUInfo `apu`, PartyVInfo `apv`, for a key of `key_len` bytes (≤ 32).
Result<Bytes> concat_kdf_sha256(ByteView z, std::string_view alg_id, ByteView apu, ByteView apv, std::size_t key_len);

// Encrypts `plaintext` to `recipient_jwk` (an EC P-256 public JWK) with a
// fresh ephemeral key; `enc` is "A128GCM" or "A256GCM".
Result<std::string> jwe_encrypt_ecdh_es(const common::Json& recipient_jwk, const std::string& enc, std::string_view plaintext);

}  // namespace t3n::host
