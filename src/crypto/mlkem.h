// ML-KEM-768 (FIPS 203) from the formally verified libcrux (native/).
#pragma once

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::crypto {

inline constexpr std::size_t kMlKem768EncapsulationKeySize = 1184;
inline constexpr std::size_t kMlKem768DecapsulationKeySize = 2400;
inline constexpr std::size_t kMlKem768CiphertextSize = 1088;
inline constexpr std::size_t kMlKemSharedSecretSize = 32;
inline constexpr std::size_t kMlKemKeygenSeedSize = 64;  // d ‖ z

struct MlKem768KeyPair {
  Bytes encapsulation_key;
  SecretBytes decapsulation_key;  // expanded FIPS 203 form (2400 bytes)
};

struct KemEncapsulation {
  Bytes ciphertext;
  SecretBytes shared_secret;
};

// ML-KEM.KeyGen_internal(d, z) from a 64-byte seed d ‖ z.
Result<MlKem768KeyPair> mlkem768_keygen_derand(ByteView seed);
Result<MlKem768KeyPair> mlkem768_keygen();
// ML-KEM.Encaps_internal(ek, m): refuses keys failing the FIPS 203 modulus check.
Result<KemEncapsulation> mlkem768_encapsulate_derand(ByteView encapsulation_key, ByteView m);
Result<KemEncapsulation> mlkem768_encapsulate(ByteView encapsulation_key);
// ML-KEM.Decaps: a wrong ciphertext of the right length yields the
// implicit-rejection key (as the standard requires), not an error.
Result<SecretBytes> mlkem768_decapsulate(ByteView decapsulation_key, ByteView ciphertext);

// FIPS 203 §7.2 / §7.3 input checks.
Status mlkem768_check_encapsulation_key(ByteView encapsulation_key);
Status mlkem768_check_decapsulation_key(ByteView decapsulation_key);

}  // namespace t3n::crypto
