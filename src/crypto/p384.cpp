#include "crypto/p384.h"

#include <string_view>

#include "crypto/ec_internal.h"
#include "crypto/openssl_util.h"

namespace t3n::crypto {
namespace {

const detail::EcCurve& curve() { return detail::p384_curve(); }

}  // namespace

struct P384PrivateKey::Impl {
  detail::PkeyPtr key;
};

P384PrivateKey::P384PrivateKey(std::unique_ptr<Impl> impl, Bytes pub)
    : impl_(std::move(impl)), public_key_(std::move(pub)) {}
P384PrivateKey::P384PrivateKey(P384PrivateKey&&) noexcept = default;
P384PrivateKey& P384PrivateKey::operator=(P384PrivateKey&&) noexcept = default;
P384PrivateKey::~P384PrivateKey() = default;

Result<P384PrivateKey> P384PrivateKey::from_scalar(ByteView scalar) {
  Bytes pub;
  T3N_ASSIGN_OR_RETURN(detail::PkeyPtr key, detail::ec_key_from_scalar(curve(), scalar, pub));
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return P384PrivateKey(std::move(impl), std::move(pub));
}

Result<P384PrivateKey> P384PrivateKey::generate() {
  Bytes pub;
  T3N_ASSIGN_OR_RETURN(detail::PkeyPtr key, detail::ec_generate(curve(), pub));
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return P384PrivateKey(std::move(impl), std::move(pub));
}

SecretBytes P384PrivateKey::scalar() const { return detail::ec_scalar_of(curve(), impl_->key.get()); }

Result<Bytes> P384PrivateKey::sign_raw(ByteView message) const {
  T3N_ASSIGN_OR_RETURN(Bytes der, detail::ecdsa_sign_der(curve(), impl_->key.get(), message, false));
  return p384_signature_der_to_raw(der);
}

Result<Bytes> P384PrivateKey::sign_raw_deterministic(ByteView message) const {
  const SecretBytes x = scalar();
  return detail::ecdsa_sign_deterministic(curve(), x, message);
}

Result<Bytes> p384_parse_public_key(ByteView sec1) { return detail::ec_parse_public_key(curve(), sec1); }

Result<Bytes> p384_public_key_from_spki(ByteView spki_der) {
  const unsigned char* p = spki_der.data();
  detail::PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  if (!key || p != spki_der.data() + spki_der.size() || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC) {
    ERR_clear_error();
    return common::invalid_argument("not an EC key");
  }
  char group[64] = {};
  std::size_t group_len = 0;
  if (EVP_PKEY_get_group_name(key.get(), group, sizeof group, &group_len) != 1 ||
      std::string_view(group) != curve().group_name) {
    ERR_clear_error();
    return common::invalid_argument("not a P-384 key");
  }
  Bytes point(kP384UncompressedSize);
  std::size_t n = 0;
  if (EVP_PKEY_get_octet_string_param(key.get(), "encoded-pub-key", point.data(), point.size(), &n) != 1) {
    ERR_clear_error();
    return common::invalid_argument("not a P-384 key");
  }
  point.resize(n);
  return p384_parse_public_key(point);  // a compressed point comes back uncompressed
}

Status p384_verify_der(ByteView public_key, ByteView message, ByteView signature_der) {
  T3N_ASSIGN_OR_RETURN(Bytes raw, p384_signature_der_to_raw(signature_der));
  T3N_ASSIGN_OR_RETURN(Bytes again, p384_signature_raw_to_der(raw));
  if (again != Bytes(signature_der.begin(), signature_der.end()))
    return common::invalid_argument("P-384 signature is not canonical DER");
  return detail::ecdsa_verify_der(curve(), public_key, message, signature_der, false);
}

Status p384_verify_raw(ByteView public_key, ByteView message, ByteView signature_raw) {
  T3N_ASSIGN_OR_RETURN(Bytes der, p384_signature_raw_to_der(signature_raw));
  return detail::ecdsa_verify_der(curve(), public_key, message, der, false);
}

Result<Bytes> p384_signature_der_to_raw(ByteView der) { return detail::ecdsa_der_to_raw(curve(), der); }

Result<Bytes> p384_signature_raw_to_der(ByteView raw) { return detail::ecdsa_raw_to_der(curve(), raw); }

}  // namespace t3n::crypto
