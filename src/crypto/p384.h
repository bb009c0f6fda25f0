// NIST P-384: ECDSA with SHA-384 (raw r‖s and DER signatures), as AMD SEV-SNP
// reports and AWS Nitro documents (COSE ES384) are signed.
#pragma once

#include <memory>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::crypto {

inline constexpr std::size_t kP384ScalarSize = 48;
inline constexpr std::size_t kP384UncompressedSize = 97;
inline constexpr std::size_t kP384RawSignatureSize = 96;

class P384PrivateKey {
 public:
  // Big-endian scalar, 0 < d < n.
  static Result<P384PrivateKey> from_scalar(ByteView scalar);
  static Result<P384PrivateKey> generate();

  P384PrivateKey(P384PrivateKey&&) noexcept;
  P384PrivateKey& operator=(P384PrivateKey&&) noexcept;
  ~P384PrivateKey();

  // SEC1 uncompressed point 0x04 ‖ X ‖ Y (97 bytes).
  const Bytes& public_key() const { return public_key_; }
  SecretBytes scalar() const;

  // ECDSA over SHA-384(message), r ‖ s (96 bytes).
  Result<Bytes> sign_raw(ByteView message) const;
  // Deterministic ECDSA (RFC 6979, HMAC-SHA-384 nonces), for reproducible
  // test PKIs; verifies like any other signature.
  Result<Bytes> sign_raw_deterministic(ByteView message) const;

 private:
  struct Impl;
  P384PrivateKey(std::unique_ptr<Impl> impl, Bytes pub);
  std::unique_ptr<Impl> impl_;
  Bytes public_key_;
};

// SEC1 compressed (49) or uncompressed (97) points on the curve → uncompressed;
// anything else is kInvalidArgument.
Result<Bytes> p384_parse_public_key(ByteView sec1);
// The uncompressed point of a DER SubjectPublicKeyInfo; kInvalidArgument
// "not an EC key" or "not a P-384 key" otherwise.
Result<Bytes> p384_public_key_from_spki(ByteView spki_der);

Status p384_verify_raw(ByteView public_key, ByteView message, ByteView signature_raw);
// DER must be canonical (re-encoding gives the same bytes).
Status p384_verify_der(ByteView public_key, ByteView message, ByteView signature_der);

Result<Bytes> p384_signature_der_to_raw(ByteView der);
Result<Bytes> p384_signature_raw_to_der(ByteView raw);

}  // namespace t3n::crypto
