// Ed25519 (RFC 8032, pure) via OpenSSL.
#pragma once

#include <memory>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::crypto {

inline constexpr std::size_t kEd25519SeedSize = 32;
inline constexpr std::size_t kEd25519PublicKeySize = 32;
inline constexpr std::size_t kEd25519SignatureSize = 64;

class Ed25519PrivateKey {
 public:
  static Result<Ed25519PrivateKey> from_seed(ByteView seed);
  static Result<Ed25519PrivateKey> generate();

  Ed25519PrivateKey(Ed25519PrivateKey&&) noexcept;
  Ed25519PrivateKey& operator=(Ed25519PrivateKey&&) noexcept;
  ~Ed25519PrivateKey();

  const Bytes& public_key() const { return public_key_; }
  SecretBytes seed() const;
  Result<Bytes> sign(ByteView message) const;

 private:
  struct Impl;
  Ed25519PrivateKey(std::unique_ptr<Impl> impl, Bytes pub);
  std::unique_ptr<Impl> impl_;
  Bytes public_key_;
};

// kVerificationFailed when the signature does not verify; kInvalidArgument
// for malformed keys or signatures.
Status ed25519_verify(ByteView public_key, ByteView message, ByteView signature);

}  // namespace t3n::crypto
