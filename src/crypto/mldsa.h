// ML-DSA-65 (FIPS 204) from the formally verified libcrux (native/):
// pure signing with a context string, HashML-DSA (pre-hash) for the
// FIPS 204 hash list, and the internal interface for vectors.
#pragma once

#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::crypto {

inline constexpr std::size_t kMlDsa65PublicKeySize = 1952;
inline constexpr std::size_t kMlDsa65SecretKeySize = 4032;
inline constexpr std::size_t kMlDsa65SignatureSize = 3309;
inline constexpr std::size_t kMlDsaSeedSize = 32;

struct MlDsa65KeyPair {
  Bytes public_key;
  SecretBytes secret_key;
};

Result<MlDsa65KeyPair> mldsa65_keygen_derand(ByteView seed);  // ML-DSA.KeyGen_internal(ξ)
Result<MlDsa65KeyPair> mldsa65_keygen();

// Hedged signing (fresh randomness), the default. `context` ≤ 255 bytes.
Result<Bytes> mldsa65_sign(ByteView secret_key, ByteView message, ByteView context = {});
// Signing with explicit `rnd` (32 zero bytes = the deterministic variant).
Result<Bytes> mldsa65_sign_derand(ByteView secret_key, ByteView message, ByteView context, ByteView rnd);
Status mldsa65_verify(ByteView public_key, ByteView message, ByteView signature, ByteView context = {});

// HashML-DSA: `hash_name` is one of SHA2-224, SHA2-256, SHA2-384, SHA2-512,
// SHA2-512/224, SHA2-512/256, SHA3-224, SHA3-256, SHA3-384, SHA3-512,
// SHAKE-128, SHAKE-256 (FIPS 204 §5.4).
Result<Bytes> mldsa65_sign_prehash_derand(ByteView secret_key, std::string_view hash_name, ByteView message,
                                          ByteView context, ByteView rnd);
Status mldsa65_verify_prehash(ByteView public_key, std::string_view hash_name, ByteView message, ByteView signature,
                              ByteView context);

// Algorithms 7 and 8 on an already domain-separated M'.
Result<Bytes> mldsa65_sign_internal(ByteView secret_key, ByteView message_prime, ByteView rnd);
Status mldsa65_verify_internal(ByteView public_key, ByteView message_prime, ByteView signature);

}  // namespace t3n::crypto
