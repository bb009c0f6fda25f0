// X25519 (RFC 7748) via OpenSSL.
#pragma once

#include <memory>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::crypto {

inline constexpr std::size_t kX25519KeySize = 32;

// A private key with its public key precomputed (one scalar multiplication
// at construction, none per agreement).
class X25519PrivateKey {
 public:
  static Result<X25519PrivateKey> from_bytes(ByteView private_key);
  static Result<X25519PrivateKey> generate();

  X25519PrivateKey(X25519PrivateKey&&) noexcept;
  X25519PrivateKey& operator=(X25519PrivateKey&&) noexcept;
  ~X25519PrivateKey();

  const Bytes& public_key() const { return public_key_; }
  SecretBytes private_bytes() const;
  // DH(sk, peer). Refuses a peer key of the wrong length and an all-zero
  // result (a small-order peer point), as RFC 7748 §6.1 allows and HPKE requires.
  Result<SecretBytes> agree(ByteView peer_public) const;

 private:
  struct Impl;
  explicit X25519PrivateKey(std::unique_ptr<Impl> impl, Bytes pub);
  std::unique_ptr<Impl> impl_;
  Bytes public_key_;
};

}  // namespace t3n::crypto
