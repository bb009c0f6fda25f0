#include "crypto/p256.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "crypto/hash.h"
#include "crypto/openssl_util.h"
#include "crypto/random.h"

namespace t3n::crypto {
namespace {

struct ParamBldDeleter { void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); } };
struct ParamDeleter { void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); } };
struct EcdsaSigDeleter { void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); } };

const EC_GROUP* group() {
  static const EC_GROUP* g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  return g;
}

Result<detail::PkeyPtr> pkey_from(const BIGNUM* priv, ByteView pub_uncompressed) {
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub_uncompressed.data(),
                                       pub_uncompressed.size()) != 1 ||
      (priv != nullptr && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1))
    return detail::openssl_error(ErrorCode::kInternal, "P-256 parameters");
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld.get()));
  detail::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, priv != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return detail::openssl_error(ErrorCode::kInvalidArgument, "P-256 key rejected");
  return detail::PkeyPtr(raw);
}

Result<Bytes> point_of_scalar(const BIGNUM* d) {
  detail::BnCtxPtr bn_ctx(BN_CTX_new());
  detail::EcPointPtr q(EC_POINT_new(group()));
  if (!bn_ctx || !q || EC_POINT_mul(group(), q.get(), d, nullptr, nullptr, bn_ctx.get()) != 1)
    return detail::openssl_error(ErrorCode::kInternal, "P-256 scalar multiplication");
  Bytes pub(kP256UncompressedSize);
  if (EC_POINT_point2oct(group(), q.get(), POINT_CONVERSION_UNCOMPRESSED, pub.data(), pub.size(), bn_ctx.get()) !=
      pub.size())
    return detail::openssl_error(ErrorCode::kInternal, "P-256 point encoding");
  return pub;
}

Result<detail::BnPtr> scalar_bn(ByteView scalar) {
  if (scalar.size() != kP256ScalarSize)
    return common::invalid_argument("P-256 private key must be 32 bytes, got " + std::to_string(scalar.size()));
  detail::BnPtr d(BN_secure_new());
  if (!d || BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), d.get()) == nullptr)
    return detail::openssl_error(ErrorCode::kInternal, "P-256 scalar");
  BN_set_flags(d.get(), BN_FLG_CONSTTIME);
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group())) >= 0)
    return common::invalid_argument("P-256 private key out of range (must be 0 < d < n)");
  return d;
}

Result<Bytes> der_sign(EVP_PKEY* key, ByteView message, bool prehashed) {
  Bytes der(80);
  std::size_t len = der.size();
  if (prehashed) {
    detail::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_sign(ctx.get(), der.data(), &len, message.data(), message.size()) != 1)
      return detail::openssl_error(ErrorCode::kInternal, "P-256 sign");
  } else {
    detail::MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA2-256", nullptr, nullptr, key, nullptr) != 1 ||
        EVP_DigestSign(ctx.get(), der.data(), &len, message.data(), message.size()) != 1)
      return detail::openssl_error(ErrorCode::kInternal, "P-256 sign");
  }
  der.resize(len);
  return der;
}

Status der_verify(ByteView public_key, ByteView message, ByteView der, bool prehashed) {
  T3N_ASSIGN_OR_RETURN(Bytes pub, p256_parse_public_key(public_key));
  T3N_ASSIGN_OR_RETURN(detail::PkeyPtr key, pkey_from(nullptr, pub));
  int rc = 0;
  if (prehashed) {
    detail::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1)
      return detail::openssl_error(ErrorCode::kInternal, "P-256 verify init");
    rc = EVP_PKEY_verify(ctx.get(), der.data(), der.size(), message.data(), message.size());
  } else {
    detail::MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA2-256", nullptr, nullptr, key.get(), nullptr) != 1)
      return detail::openssl_error(ErrorCode::kInternal, "P-256 verify init");
    rc = EVP_DigestVerify(ctx.get(), der.data(), der.size(), message.data(), message.size());
  }
  ERR_clear_error();
  if (rc != 1) return common::verification_failed("P-256 ECDSA signature does not verify");
  return {};
}

}  // namespace

struct P256PrivateKey::Impl {
  detail::PkeyPtr key;
};

P256PrivateKey::P256PrivateKey(std::unique_ptr<Impl> impl, Bytes pub)
    : impl_(std::move(impl)), public_key_(std::move(pub)) {}
P256PrivateKey::P256PrivateKey(P256PrivateKey&&) noexcept = default;
P256PrivateKey& P256PrivateKey::operator=(P256PrivateKey&&) noexcept = default;
P256PrivateKey::~P256PrivateKey() = default;

Result<P256PrivateKey> P256PrivateKey::from_scalar(ByteView scalar) {
  T3N_ASSIGN_OR_RETURN(detail::BnPtr d, scalar_bn(scalar));
  T3N_ASSIGN_OR_RETURN(Bytes pub, point_of_scalar(d.get()));
  T3N_ASSIGN_OR_RETURN(detail::PkeyPtr key, pkey_from(d.get(), pub));
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return P256PrivateKey(std::move(impl), std::move(pub));
}

Result<P256PrivateKey> P256PrivateKey::generate() {
  // Rejection sampling; the chance of a retry is about 2^-32.
  for (int attempt = 0; attempt < 64; ++attempt) {
    T3N_ASSIGN_OR_RETURN(SecretBytes d, random_secret(kP256ScalarSize));
    auto key = from_scalar(d);
    if (key.ok()) return key;
  }
  return common::internal_error("P-256 key generation failed");
}

SecretBytes P256PrivateKey::scalar() const {
  BIGNUM* d = nullptr;
  SecretBytes out(kP256ScalarSize);
  if (EVP_PKEY_get_bn_param(impl_->key.get(), OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1) {
    BN_bn2binpad(d, out.data(), static_cast<int>(out.size()));
    BN_clear_free(d);
  }
  return out;
}

Result<Bytes> P256PrivateKey::sign_der(ByteView message) const { return der_sign(impl_->key.get(), message, false); }

Result<Bytes> P256PrivateKey::sign_raw(ByteView message) const {
  T3N_ASSIGN_OR_RETURN(Bytes der, der_sign(impl_->key.get(), message, false));
  return p256_signature_der_to_raw(der);
}

Result<Bytes> P256PrivateKey::sign_raw_deterministic(ByteView message) const {
  const BIGNUM* n = EC_GROUP_get0_order(group());
  const SecretBytes x = scalar();
  detail::BnCtxPtr bn_ctx(BN_CTX_new());
  detail::BnPtr d(BN_secure_new()), e(BN_new()), k(BN_secure_new()), r(BN_new()), s(BN_new()), t(BN_new());
  detail::EcPointPtr kg(EC_POINT_new(group()));
  if (!bn_ctx || !d || !e || !k || !r || !s || !t || !kg || BN_bin2bn(x.data(), 32, d.get()) == nullptr)
    return detail::openssl_error(ErrorCode::kInternal, "P-256 deterministic signature");
  if (BN_is_zero(d.get())) return common::internal_error("P-256: the private scalar could not be read");
  BN_set_flags(d.get(), BN_FLG_CONSTTIME);
  BN_set_flags(k.get(), BN_FLG_CONSTTIME);
  const auto h = sha256(message);
  // bits2octets(h): h mod n (qlen = hlen = 256, so no shift).
  BN_bin2bn(h.data(), 32, e.get());
  if (BN_cmp(e.get(), n) >= 0) BN_sub(e.get(), e.get(), n);
  Bytes h_octets(32);
  BN_bn2binpad(e.get(), h_octets.data(), 32);
  // RFC 6979 §3.2, HMAC_DRBG with SHA-256.
  Bytes v(32, 0x01), key(32, 0x00);
  auto update = [&](std::uint8_t marker) {
    Bytes in = v;
    in.push_back(marker);
    common::append(in, x);
    common::append(in, h_octets);
    const auto next_key = hmac_sha256(key, in);
    key.assign(next_key.begin(), next_key.end());
    const auto next_v = hmac_sha256(key, v);
    v.assign(next_v.begin(), next_v.end());
  };
  update(0x00);
  update(0x01);
  for (int attempt = 0; attempt < 64; ++attempt) {
    const auto next_v = hmac_sha256(key, v);
    v.assign(next_v.begin(), next_v.end());
    BN_bin2bn(v.data(), 32, k.get());
    if (!BN_is_zero(k.get()) && BN_cmp(k.get(), n) < 0 &&
        EC_POINT_mul(group(), kg.get(), k.get(), nullptr, nullptr, bn_ctx.get()) == 1 &&
        EC_POINT_get_affine_coordinates(group(), kg.get(), r.get(), nullptr, bn_ctx.get()) == 1 &&
        BN_nnmod(r.get(), r.get(), n, bn_ctx.get()) == 1 && !BN_is_zero(r.get()) &&
        // s = k⁻¹ (e + r·d) mod n
        BN_mod_mul(t.get(), r.get(), d.get(), n, bn_ctx.get()) == 1 &&
        BN_mod_add(t.get(), t.get(), e.get(), n, bn_ctx.get()) == 1 &&
        BN_mod_inverse(s.get(), k.get(), n, bn_ctx.get()) != nullptr &&
        BN_mod_mul(s.get(), s.get(), t.get(), n, bn_ctx.get()) == 1 && !BN_is_zero(s.get())) {
      Bytes out(kP256RawSignatureSize);
      BN_bn2binpad(r.get(), out.data(), 32);
      BN_bn2binpad(s.get(), out.data() + 32, 32);
      return out;
    }
    Bytes in = v;
    in.push_back(0x00);
    const auto next_key = hmac_sha256(key, in);
    key.assign(next_key.begin(), next_key.end());
    const auto again = hmac_sha256(key, v);
    v.assign(again.begin(), again.end());
  }
  return detail::openssl_error(ErrorCode::kInternal, "P-256 deterministic signature: no nonce found");
}

Result<Bytes> P256PrivateKey::sign_digest_raw(ByteView digest) const {
  if (digest.size() != 32) return common::invalid_argument("P-256: digest must be 32 bytes");
  T3N_ASSIGN_OR_RETURN(Bytes der, der_sign(impl_->key.get(), digest, true));
  return p256_signature_der_to_raw(der);
}

Result<SecretBytes> P256PrivateKey::ecdh(ByteView peer_public) const {
  T3N_ASSIGN_OR_RETURN(Bytes pub, p256_parse_public_key(peer_public));
  T3N_ASSIGN_OR_RETURN(detail::PkeyPtr peer, pkey_from(nullptr, pub));
  detail::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, impl_->key.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1)
    return detail::openssl_error(ErrorCode::kInvalidArgument, "P-256 ECDH init");
  SecretBytes out(32);
  std::size_t len = out.size();
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != 32)
    return detail::openssl_error(ErrorCode::kInvalidArgument, "P-256 ECDH failed");
  return out;
}

Result<Bytes> p256_parse_public_key(ByteView sec1) {
  if (sec1.size() != 33 && sec1.size() != 65)
    return common::invalid_argument("P-256 public key must be 33 or 65 bytes (SEC1), got " +
                                    std::to_string(sec1.size()));
  detail::BnCtxPtr bn_ctx(BN_CTX_new());
  detail::EcPointPtr q(EC_POINT_new(group()));
  // oct2point checks that the point is on the curve.
  if (!bn_ctx || !q || EC_POINT_oct2point(group(), q.get(), sec1.data(), sec1.size(), bn_ctx.get()) != 1) {
    ERR_clear_error();
    return common::invalid_argument("P-256 public key is not a valid curve point");
  }
  if (EC_POINT_is_at_infinity(group(), q.get()) == 1) return common::invalid_argument("P-256 public key is infinity");
  Bytes out(kP256UncompressedSize);
  if (EC_POINT_point2oct(group(), q.get(), POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(), bn_ctx.get()) !=
      out.size())
    return detail::openssl_error(ErrorCode::kInternal, "P-256 point encoding");
  return out;
}

Result<Bytes> p256_public_from_scalar(ByteView scalar) {
  T3N_ASSIGN_OR_RETURN(detail::BnPtr d, scalar_bn(scalar));
  return point_of_scalar(d.get());
}

Status p256_verify_der(ByteView public_key, ByteView message, ByteView signature_der) {
  // Canonical DER only: decode and re-encode must round-trip.
  T3N_ASSIGN_OR_RETURN(Bytes raw, p256_signature_der_to_raw(signature_der));
  T3N_ASSIGN_OR_RETURN(Bytes again, p256_signature_raw_to_der(raw));
  if (again != Bytes(signature_der.begin(), signature_der.end()))
    return common::invalid_argument("P-256 signature is not canonical DER");
  return der_verify(public_key, message, signature_der, false);
}

Status p256_verify_raw(ByteView public_key, ByteView message, ByteView signature_raw) {
  T3N_ASSIGN_OR_RETURN(Bytes der, p256_signature_raw_to_der(signature_raw));
  return der_verify(public_key, message, der, false);
}

Status p256_verify_digest_raw(ByteView public_key, ByteView digest, ByteView signature_raw) {
  if (digest.size() != 32) return common::invalid_argument("P-256: digest must be 32 bytes");
  T3N_ASSIGN_OR_RETURN(Bytes der, p256_signature_raw_to_der(signature_raw));
  return der_verify(public_key, digest, der, true);
}

Result<Bytes> p256_signature_der_to_raw(ByteView der) {
  const unsigned char* p = der.data();
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != der.data() + der.size()) {
    ERR_clear_error();
    return common::invalid_argument("malformed DER ECDSA signature");
  }
  const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
  if (BN_num_bytes(r) > 32 || BN_num_bytes(s) > 32) return common::invalid_argument("ECDSA signature value too large");
  Bytes raw(64);
  BN_bn2binpad(r, raw.data(), 32);
  BN_bn2binpad(s, raw.data() + 32, 32);
  return raw;
}

Result<Bytes> p256_signature_raw_to_der(ByteView raw) {
  if (raw.size() != kP256RawSignatureSize)
    return common::invalid_argument("raw P-256 signature must be 64 bytes, got " + std::to_string(raw.size()));
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw.data(), 32, nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + 32, 32, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return detail::openssl_error(ErrorCode::kInternal, "ECDSA signature");
  }
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return detail::openssl_error(ErrorCode::kInternal, "ECDSA DER length");
  Bytes der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  i2d_ECDSA_SIG(sig.get(), &p);
  return der;
}

}  // namespace t3n::crypto
