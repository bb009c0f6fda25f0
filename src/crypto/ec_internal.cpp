#include "crypto/ec_internal.h"

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>

#include <string>

#include "crypto/random.h"

namespace t3n::crypto::detail {

const EcCurve& p256_curve() {
  static const EcCurve c{"P-256", "prime256v1", NID_X9_62_prime256v1, 32, HashAlg::kSha256, "SHA2-256"};
  return c;
}

const EcCurve& p384_curve() {
  static const EcCurve c{"P-384", "secp384r1", NID_secp384r1, 48, HashAlg::kSha384, "SHA2-384"};
  return c;
}

const EC_GROUP* ec_group(const EcCurve& c) {
  // Immutable once built; one per curve for the life of the process.
  static const EC_GROUP* p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  static const EC_GROUP* p384 = EC_GROUP_new_by_curve_name(NID_secp384r1);
  return c.nid == NID_secp384r1 ? p384 : p256;
}

namespace {
std::string label(const EcCurve& c, const char* what) { return std::string(c.label) + what; }
}  // namespace

Result<PkeyPtr> ec_pkey_from(const EcCurve& c, const BIGNUM* priv, ByteView pub_uncompressed) {
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, c.group_name, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub_uncompressed.data(),
                                       pub_uncompressed.size()) != 1 ||
      (priv != nullptr && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1))
    return openssl_error(ErrorCode::kInternal, label(c, " parameters"));
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, priv != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return openssl_error(ErrorCode::kInvalidArgument, label(c, " key rejected"));
  return PkeyPtr(raw);
}

Result<Bytes> ec_point_of_scalar(const EcCurve& c, const BIGNUM* d) {
  BnCtxPtr bn_ctx(BN_CTX_new());
  EcPointPtr q(EC_POINT_new(ec_group(c)));
  if (!bn_ctx || !q || EC_POINT_mul(ec_group(c), q.get(), d, nullptr, nullptr, bn_ctx.get()) != 1)
    return openssl_error(ErrorCode::kInternal, label(c, " scalar multiplication"));
  Bytes pub(ec_point_size(c));
  if (EC_POINT_point2oct(ec_group(c), q.get(), POINT_CONVERSION_UNCOMPRESSED, pub.data(), pub.size(), bn_ctx.get()) !=
      pub.size())
    return openssl_error(ErrorCode::kInternal, label(c, " point encoding"));
  return pub;
}

Result<BnPtr> ec_scalar_bn(const EcCurve& c, ByteView scalar) {
  if (scalar.size() != c.size)
    return common::invalid_argument(label(c, " private key must be ") + std::to_string(c.size) + " bytes, got " +
                                    std::to_string(scalar.size()));
  BnPtr d(BN_secure_new());
  if (!d || BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), d.get()) == nullptr)
    return openssl_error(ErrorCode::kInternal, label(c, " scalar"));
  BN_set_flags(d.get(), BN_FLG_CONSTTIME);
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(ec_group(c))) >= 0)
    return common::invalid_argument(label(c, " private key out of range (must be 0 < d < n)"));
  return d;
}

SecretBytes ec_scalar_of(const EcCurve& c, EVP_PKEY* key) {
  BIGNUM* d = nullptr;
  SecretBytes out(c.size);
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1) {
    BN_bn2binpad(d, out.data(), static_cast<int>(out.size()));
    BN_clear_free(d);
  }
  return out;
}

Result<PkeyPtr> ec_key_from_scalar(const EcCurve& c, ByteView scalar, Bytes& pub_out) {
  T3N_ASSIGN_OR_RETURN(BnPtr d, ec_scalar_bn(c, scalar));
  T3N_ASSIGN_OR_RETURN(Bytes pub, ec_point_of_scalar(c, d.get()));
  T3N_ASSIGN_OR_RETURN(PkeyPtr key, ec_pkey_from(c, d.get(), pub));
  pub_out = std::move(pub);
  return key;
}

Result<PkeyPtr> ec_generate(const EcCurve& c, Bytes& pub_out) {
  // Rejection sampling; for P-256 the chance of a retry is about 2^-32.
  for (int attempt = 0; attempt < 64; ++attempt) {
    T3N_ASSIGN_OR_RETURN(SecretBytes d, random_secret(c.size));
    auto key = ec_key_from_scalar(c, d, pub_out);
    if (key.ok()) return key;
  }
  return common::internal_error(label(c, " key generation failed"));
}

Result<Bytes> ec_parse_public_key(const EcCurve& c, ByteView sec1) {
  if (sec1.size() != c.size + 1 && sec1.size() != ec_point_size(c))
    return common::invalid_argument(label(c, " public key must be ") + std::to_string(c.size + 1) + " or " +
                                    std::to_string(ec_point_size(c)) + " bytes (SEC1), got " +
                                    std::to_string(sec1.size()));
  BnCtxPtr bn_ctx(BN_CTX_new());
  EcPointPtr q(EC_POINT_new(ec_group(c)));
  // oct2point checks that the point is on the curve.
  if (!bn_ctx || !q || EC_POINT_oct2point(ec_group(c), q.get(), sec1.data(), sec1.size(), bn_ctx.get()) != 1) {
    ERR_clear_error();
    return common::invalid_argument(label(c, " public key is not a valid curve point"));
  }
  if (EC_POINT_is_at_infinity(ec_group(c), q.get()) == 1)
    return common::invalid_argument(label(c, " public key is infinity"));
  Bytes out(ec_point_size(c));
  if (EC_POINT_point2oct(ec_group(c), q.get(), POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(), bn_ctx.get()) !=
      out.size())
    return openssl_error(ErrorCode::kInternal, label(c, " point encoding"));
  return out;
}

Result<Bytes> ecdsa_sign_der(const EcCurve& c, EVP_PKEY* key, ByteView message, bool prehashed) {
  Bytes der(2 * c.size + 16);
  std::size_t len = der.size();
  if (prehashed) {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_sign(ctx.get(), der.data(), &len, message.data(), message.size()) != 1)
      return openssl_error(ErrorCode::kInternal, label(c, " sign"));
  } else {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, c.digest_name, nullptr, nullptr, key, nullptr) != 1 ||
        EVP_DigestSign(ctx.get(), der.data(), &len, message.data(), message.size()) != 1)
      return openssl_error(ErrorCode::kInternal, label(c, " sign"));
  }
  der.resize(len);
  return der;
}

Result<Bytes> ecdsa_sign_deterministic(const EcCurve& c, ByteView scalar, ByteView message) {
  const EC_GROUP* g = ec_group(c);
  const BIGNUM* n = EC_GROUP_get0_order(g);
  const std::size_t len = c.size;
  const int ilen = static_cast<int>(len);
  BnCtxPtr bn_ctx(BN_CTX_new());
  BnPtr d(BN_secure_new()), e(BN_new()), k(BN_secure_new()), r(BN_new()), s(BN_new()), t(BN_new());
  EcPointPtr kg(EC_POINT_new(g));
  if (scalar.size() != len || !bn_ctx || !d || !e || !k || !r || !s || !t || !kg ||
      BN_bin2bn(scalar.data(), ilen, d.get()) == nullptr)
    return openssl_error(ErrorCode::kInternal, label(c, " deterministic signature"));
  if (BN_is_zero(d.get())) return common::internal_error(label(c, ": the private scalar could not be read"));
  BN_set_flags(d.get(), BN_FLG_CONSTTIME);
  BN_set_flags(k.get(), BN_FLG_CONSTTIME);
  const Bytes h = hash(c.hash, message);
  // bits2octets(h): h mod n (qlen = hlen for both curves, so no shift).
  BN_bin2bn(h.data(), ilen, e.get());
  if (BN_cmp(e.get(), n) >= 0) BN_sub(e.get(), e.get(), n);
  Bytes h_octets(len);
  BN_bn2binpad(e.get(), h_octets.data(), ilen);
  // RFC 6979 §3.2, HMAC_DRBG with the curve's hash.
  Bytes v(len, 0x01), key(len, 0x00);
  auto update = [&](std::uint8_t marker) {
    Bytes in = v;
    in.push_back(marker);
    common::append(in, scalar);
    common::append(in, h_octets);
    key = hmac(c.hash, key, in);
    v = hmac(c.hash, key, v);
  };
  update(0x00);
  update(0x01);
  for (int attempt = 0; attempt < 64; ++attempt) {
    v = hmac(c.hash, key, v);
    BN_bin2bn(v.data(), ilen, k.get());
    if (!BN_is_zero(k.get()) && BN_cmp(k.get(), n) < 0 &&
        EC_POINT_mul(g, kg.get(), k.get(), nullptr, nullptr, bn_ctx.get()) == 1 &&
        EC_POINT_get_affine_coordinates(g, kg.get(), r.get(), nullptr, bn_ctx.get()) == 1 &&
        BN_nnmod(r.get(), r.get(), n, bn_ctx.get()) == 1 && !BN_is_zero(r.get()) &&
        // s = k⁻¹ (e + r·d) mod n
        BN_mod_mul(t.get(), r.get(), d.get(), n, bn_ctx.get()) == 1 &&
        BN_mod_add(t.get(), t.get(), e.get(), n, bn_ctx.get()) == 1 &&
        BN_mod_inverse(s.get(), k.get(), n, bn_ctx.get()) != nullptr &&
        BN_mod_mul(s.get(), s.get(), t.get(), n, bn_ctx.get()) == 1 && !BN_is_zero(s.get())) {
      Bytes out(2 * len);
      BN_bn2binpad(r.get(), out.data(), ilen);
      BN_bn2binpad(s.get(), out.data() + len, ilen);
      return out;
    }
    Bytes in = v;
    in.push_back(0x00);
    key = hmac(c.hash, key, in);
    v = hmac(c.hash, key, v);
  }
  return openssl_error(ErrorCode::kInternal, label(c, " deterministic signature: no nonce found"));
}

Status ecdsa_verify_der(const EcCurve& c, ByteView public_key, ByteView message, ByteView der, bool prehashed) {
  T3N_ASSIGN_OR_RETURN(Bytes pub, ec_parse_public_key(c, public_key));
  T3N_ASSIGN_OR_RETURN(PkeyPtr key, ec_pkey_from(c, nullptr, pub));
  int rc = 0;
  if (prehashed) {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1)
      return openssl_error(ErrorCode::kInternal, label(c, " verify init"));
    rc = EVP_PKEY_verify(ctx.get(), der.data(), der.size(), message.data(), message.size());
  } else {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, c.digest_name, nullptr, nullptr, key.get(), nullptr) != 1)
      return openssl_error(ErrorCode::kInternal, label(c, " verify init"));
    rc = EVP_DigestVerify(ctx.get(), der.data(), der.size(), message.data(), message.size());
  }
  ERR_clear_error();
  if (rc != 1) return common::verification_failed(label(c, " ECDSA signature does not verify"));
  return {};
}

Result<Bytes> ecdsa_der_to_raw(const EcCurve& c, ByteView der) {
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != der.data() + der.size()) {
    ERR_clear_error();
    return common::invalid_argument("malformed DER ECDSA signature");
  }
  const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
  const int len = static_cast<int>(c.size);
  if (BN_num_bytes(r) > len || BN_num_bytes(s) > len) return common::invalid_argument("ECDSA signature value too large");
  Bytes raw(2 * c.size);
  BN_bn2binpad(r, raw.data(), len);
  BN_bn2binpad(s, raw.data() + c.size, len);
  return raw;
}

Result<Bytes> ecdsa_raw_to_der(const EcCurve& c, ByteView raw) {
  if (raw.size() != 2 * c.size)
    return common::invalid_argument(std::string("raw ") + c.label + " signature must be " + std::to_string(2 * c.size) +
                                    " bytes, got " + std::to_string(raw.size()));
  const int len = static_cast<int>(c.size);
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw.data(), len, nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + c.size, len, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return openssl_error(ErrorCode::kInternal, "ECDSA signature");
  }
  const int der_len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (der_len <= 0) return openssl_error(ErrorCode::kInternal, "ECDSA DER length");
  Bytes der(static_cast<std::size_t>(der_len));
  unsigned char* p = der.data();
  i2d_ECDSA_SIG(sig.get(), &p);
  return der;
}

}  // namespace t3n::crypto::detail
