#include "crypto/p256.h"

#include "crypto/ec_internal.h"
#include "crypto/openssl_util.h"

namespace t3n::crypto {
namespace {

const detail::EcCurve& curve() { return detail::p256_curve(); }

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
  Bytes pub;
  T3N_ASSIGN_OR_RETURN(detail::PkeyPtr key, detail::ec_key_from_scalar(curve(), scalar, pub));
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return P256PrivateKey(std::move(impl), std::move(pub));
}

Result<P256PrivateKey> P256PrivateKey::generate() {
  Bytes pub;
  T3N_ASSIGN_OR_RETURN(detail::PkeyPtr key, detail::ec_generate(curve(), pub));
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return P256PrivateKey(std::move(impl), std::move(pub));
}

SecretBytes P256PrivateKey::scalar() const { return detail::ec_scalar_of(curve(), impl_->key.get()); }

Result<Bytes> P256PrivateKey::sign_der(ByteView message) const {
  return detail::ecdsa_sign_der(curve(), impl_->key.get(), message, false);
}

Result<Bytes> P256PrivateKey::sign_raw(ByteView message) const {
  T3N_ASSIGN_OR_RETURN(Bytes der, detail::ecdsa_sign_der(curve(), impl_->key.get(), message, false));
  return p256_signature_der_to_raw(der);
}

Result<Bytes> P256PrivateKey::sign_raw_deterministic(ByteView message) const {
  const SecretBytes x = scalar();
  return detail::ecdsa_sign_deterministic(curve(), x, message);
}

Result<Bytes> P256PrivateKey::sign_digest_raw(ByteView digest) const {
  if (digest.size() != 32) return common::invalid_argument("P-256: digest must be 32 bytes");
  T3N_ASSIGN_OR_RETURN(Bytes der, detail::ecdsa_sign_der(curve(), impl_->key.get(), digest, true));
  return p256_signature_der_to_raw(der);
}

Result<SecretBytes> P256PrivateKey::ecdh(ByteView peer_public) const {
  T3N_ASSIGN_OR_RETURN(Bytes pub, p256_parse_public_key(peer_public));
  T3N_ASSIGN_OR_RETURN(detail::PkeyPtr peer, detail::ec_pkey_from(curve(), nullptr, pub));
  detail::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, impl_->key.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1)
    return detail::openssl_error(ErrorCode::kInvalidArgument, "P-256 ECDH init");
  SecretBytes out(32);
  std::size_t len = out.size();
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != 32)
    return detail::openssl_error(ErrorCode::kInvalidArgument, "P-256 ECDH failed");
  return out;
}

Result<Bytes> p256_parse_public_key(ByteView sec1) { return detail::ec_parse_public_key(curve(), sec1); }

Result<Bytes> p256_public_from_scalar(ByteView scalar) {
  T3N_ASSIGN_OR_RETURN(detail::BnPtr d, detail::ec_scalar_bn(curve(), scalar));
  return detail::ec_point_of_scalar(curve(), d.get());
}

Status p256_verify_der(ByteView public_key, ByteView message, ByteView signature_der) {
  // Canonical DER only: decode and re-encode must round-trip.
  T3N_ASSIGN_OR_RETURN(Bytes raw, p256_signature_der_to_raw(signature_der));
  T3N_ASSIGN_OR_RETURN(Bytes again, p256_signature_raw_to_der(raw));
  if (again != Bytes(signature_der.begin(), signature_der.end()))
    return common::invalid_argument("P-256 signature is not canonical DER");
  return detail::ecdsa_verify_der(curve(), public_key, message, signature_der, false);
}

Status p256_verify_raw(ByteView public_key, ByteView message, ByteView signature_raw) {
  T3N_ASSIGN_OR_RETURN(Bytes der, p256_signature_raw_to_der(signature_raw));
  return detail::ecdsa_verify_der(curve(), public_key, message, der, false);
}

Status p256_verify_digest_raw(ByteView public_key, ByteView digest, ByteView signature_raw) {
  if (digest.size() != 32) return common::invalid_argument("P-256: digest must be 32 bytes");
  T3N_ASSIGN_OR_RETURN(Bytes der, p256_signature_raw_to_der(signature_raw));
  return detail::ecdsa_verify_der(curve(), public_key, digest, der, true);
}

Result<Bytes> p256_signature_der_to_raw(ByteView der) { return detail::ecdsa_der_to_raw(curve(), der); }

Result<Bytes> p256_signature_raw_to_der(ByteView raw) { return detail::ecdsa_raw_to_der(curve(), raw); }

}  // namespace t3n::crypto
