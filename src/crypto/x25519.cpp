#include "crypto/x25519.h"

#include "crypto/openssl_util.h"
#include "crypto/random.h"

namespace t3n::crypto {

struct X25519PrivateKey::Impl {
  detail::PkeyPtr key;
};

X25519PrivateKey::X25519PrivateKey(std::unique_ptr<Impl> impl, Bytes pub)
    : impl_(std::move(impl)), public_key_(std::move(pub)) {}
X25519PrivateKey::X25519PrivateKey(X25519PrivateKey&&) noexcept = default;
X25519PrivateKey& X25519PrivateKey::operator=(X25519PrivateKey&&) noexcept = default;
X25519PrivateKey::~X25519PrivateKey() = default;

Result<X25519PrivateKey> X25519PrivateKey::from_bytes(ByteView private_key) {
  if (private_key.size() != kX25519KeySize)
    return common::invalid_argument("X25519 private key must be 32 bytes, got " + std::to_string(private_key.size()));
  auto impl = std::make_unique<Impl>();
  impl->key.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(), private_key.size()));
  if (!impl->key) return detail::openssl_error(ErrorCode::kInvalidArgument, "X25519 private key rejected");
  Bytes pub(kX25519KeySize);
  std::size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(impl->key.get(), pub.data(), &len) != 1 || len != kX25519KeySize)
    return detail::openssl_error(ErrorCode::kInternal, "X25519 public key");
  return X25519PrivateKey(std::move(impl), std::move(pub));
}

Result<X25519PrivateKey> X25519PrivateKey::generate() {
  T3N_ASSIGN_OR_RETURN(SecretBytes sk, random_secret(kX25519KeySize));
  return from_bytes(sk);
}

SecretBytes X25519PrivateKey::private_bytes() const {
  SecretBytes out(kX25519KeySize);
  std::size_t len = out.size();
  EVP_PKEY_get_raw_private_key(impl_->key.get(), out.data(), &len);
  return out;
}

Result<SecretBytes> X25519PrivateKey::agree(ByteView peer_public) const {
  if (peer_public.size() != kX25519KeySize)
    return common::invalid_argument("X25519 public key must be 32 bytes, got " + std::to_string(peer_public.size()));
  detail::PkeyPtr peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public.data(), peer_public.size()));
  if (!peer) return detail::openssl_error(ErrorCode::kInvalidArgument, "X25519 public key rejected");
  detail::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, impl_->key.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1)
    return detail::openssl_error(ErrorCode::kInternal, "X25519 derive init");
  SecretBytes out(kX25519KeySize);
  std::size_t len = out.size();
  // OpenSSL fails the derivation when the result is all zeros.
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != kX25519KeySize)
    return detail::openssl_error(ErrorCode::kInvalidArgument, "X25519: small-order public key");
  return out;
}

}  // namespace t3n::crypto
