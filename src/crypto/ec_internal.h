// ECDSA over the NIST curves, parameterised by curve: what p256.cpp and
// p384.cpp share (key import, point checks, RFC 6979, signature encodings).
// Internal to src/crypto.
#pragma once

#include <cstddef>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/hash.h"
#include "crypto/openssl_util.h"

namespace t3n::crypto::detail {

struct EcCurve {
  const char* label;       // "P-256": the prefix of every error text
  const char* group_name;  // OpenSSL's name ("prime256v1", "secp384r1")
  int nid;
  std::size_t size;        // bytes of a scalar or coordinate
  HashAlg hash;            // the ECDSA hash (SHA-256 / SHA-384; qlen = hlen)
  const char* digest_name; // its OpenSSL name
};

const EcCurve& p256_curve();
const EcCurve& p384_curve();
const EC_GROUP* ec_group(const EcCurve& curve);

// Uncompressed SEC1 point size.
inline std::size_t ec_point_size(const EcCurve& c) { return 2 * c.size + 1; }

Result<PkeyPtr> ec_pkey_from(const EcCurve& c, const BIGNUM* priv, ByteView pub_uncompressed);
Result<Bytes> ec_point_of_scalar(const EcCurve& c, const BIGNUM* d);
// Big-endian scalar, 0 < d < n.
Result<BnPtr> ec_scalar_bn(const EcCurve& c, ByteView scalar);
// The private scalar of `key` (zero-filled if OpenSSL cannot read it).
SecretBytes ec_scalar_of(const EcCurve& c, EVP_PKEY* key);
Result<PkeyPtr> ec_key_from_scalar(const EcCurve& c, ByteView scalar, Bytes& pub_out);
Result<PkeyPtr> ec_generate(const EcCurve& c, Bytes& pub_out);
// SEC1 compressed or uncompressed point on the curve → uncompressed.
Result<Bytes> ec_parse_public_key(const EcCurve& c, ByteView sec1);

// DER ECDSA signature over c.hash(message), or over a caller's digest.
Result<Bytes> ecdsa_sign_der(const EcCurve& c, EVP_PKEY* key, ByteView message, bool prehashed);
// RFC 6979 deterministic ECDSA (HMAC_DRBG with c.hash) over c.hash(message): r ‖ s.
Result<Bytes> ecdsa_sign_deterministic(const EcCurve& c, ByteView scalar, ByteView message);
Status ecdsa_verify_der(const EcCurve& c, ByteView public_key, ByteView message, ByteView der, bool prehashed);

Result<Bytes> ecdsa_der_to_raw(const EcCurve& c, ByteView der);
Result<Bytes> ecdsa_raw_to_der(const EcCurve& c, ByteView raw);

}  // namespace t3n::crypto::detail
