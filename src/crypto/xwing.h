// X-Wing hybrid KEM (draft-connolly-cfrg-xwing-kem-10): ML-KEM-768 + X25519
// combined with SHA3-256. 32-byte seed private keys, 1216-byte public keys,
// 1120-byte ciphertexts, 32-byte shared secrets.
#pragma once

#include <memory>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/mlkem.h"

namespace t3n::crypto {

inline constexpr std::size_t kXWingSeedSize = 32;
inline constexpr std::size_t kXWingPublicKeySize = 1216;
inline constexpr std::size_t kXWingCiphertextSize = 1120;
inline constexpr std::size_t kXWingEncapsSeedSize = 64;
inline constexpr std::size_t kXWingSharedSecretSize = 32;

// The private key is its 32-byte seed; the expanded ML-KEM and X25519 keys
// are derived once at construction so decapsulation does not re-derive them.
class XWingPrivateKey {
 public:
  static Result<XWingPrivateKey> from_seed(ByteView seed);
  static Result<XWingPrivateKey> generate();

  XWingPrivateKey(XWingPrivateKey&&) noexcept;
  XWingPrivateKey& operator=(XWingPrivateKey&&) noexcept;
  ~XWingPrivateKey();

  const Bytes& public_key() const;
  const SecretBytes& seed() const;
  Result<SecretBytes> decapsulate(ByteView ciphertext) const;

 private:
  struct Impl;
  explicit XWingPrivateKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// eseed (64 bytes) = ML-KEM encapsulation randomness ‖ X25519 ephemeral key.
Result<KemEncapsulation> xwing_encapsulate_derand(ByteView public_key, ByteView eseed);
Result<KemEncapsulation> xwing_encapsulate(ByteView public_key);

}  // namespace t3n::crypto
