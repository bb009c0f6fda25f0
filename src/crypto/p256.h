// NIST P-256: ECDSA with SHA-256 (raw r‖s and DER signatures) and ECDH.
#pragma once

#include <memory>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::crypto {

inline constexpr std::size_t kP256ScalarSize = 32;
inline constexpr std::size_t kP256UncompressedSize = 65;
inline constexpr std::size_t kP256RawSignatureSize = 64;

class P256PrivateKey {
 public:
  // Big-endian scalar, 0 < d < n.
  static Result<P256PrivateKey> from_scalar(ByteView scalar);
  static Result<P256PrivateKey> generate();

  P256PrivateKey(P256PrivateKey&&) noexcept;
  P256PrivateKey& operator=(P256PrivateKey&&) noexcept;
  ~P256PrivateKey();

  // SEC1 uncompressed point 0x04 ‖ X ‖ Y.
  const Bytes& public_key() const { return public_key_; }
  SecretBytes scalar() const;

  // ECDSA over SHA-256(message).
  Result<Bytes> sign_raw(ByteView message) const;  // r ‖ s, 64 bytes
  Result<Bytes> sign_der(ByteView message) const;
  // Deterministic ECDSA (RFC 6979, HMAC-SHA-256 nonces): the same key and
  // message always give the same r ‖ s. For reproducible test PKIs and
  // simulated evidence; signatures verify like any other.
  Result<Bytes> sign_raw_deterministic(ByteView message) const;
  // ECDSA over a caller-computed 32-byte digest.
  Result<Bytes> sign_digest_raw(ByteView digest) const;
  // ECDH: the x-coordinate of d·Q (32 bytes). The peer point is checked.
  Result<SecretBytes> ecdh(ByteView peer_public) const;

 private:
  struct Impl;
  P256PrivateKey(std::unique_ptr<Impl> impl, Bytes pub);
  std::unique_ptr<Impl> impl_;
  Bytes public_key_;
};

// Accepts SEC1 compressed (33) or uncompressed (65) points on the curve and
// returns the uncompressed form; anything else is kInvalidArgument.
Result<Bytes> p256_parse_public_key(ByteView sec1);
// The uncompressed public key of a scalar.
Result<Bytes> p256_public_from_scalar(ByteView scalar);

Status p256_verify_raw(ByteView public_key, ByteView message, ByteView signature_raw);
// DER must be canonical (re-encoding gives the same bytes).
Status p256_verify_der(ByteView public_key, ByteView message, ByteView signature_der);
Status p256_verify_digest_raw(ByteView public_key, ByteView digest, ByteView signature_raw);

Result<Bytes> p256_signature_der_to_raw(ByteView der);
Result<Bytes> p256_signature_raw_to_der(ByteView raw);

}  // namespace t3n::crypto
