#include "crypto/ed25519.h"

#include "crypto/openssl_util.h"
#include "crypto/random.h"

namespace t3n::crypto {

struct Ed25519PrivateKey::Impl {
  detail::PkeyPtr key;
};

Ed25519PrivateKey::Ed25519PrivateKey(std::unique_ptr<Impl> impl, Bytes pub)
    : impl_(std::move(impl)), public_key_(std::move(pub)) {}
Ed25519PrivateKey::Ed25519PrivateKey(Ed25519PrivateKey&&) noexcept = default;
Ed25519PrivateKey& Ed25519PrivateKey::operator=(Ed25519PrivateKey&&) noexcept = default;
Ed25519PrivateKey::~Ed25519PrivateKey() = default;

Result<Ed25519PrivateKey> Ed25519PrivateKey::from_seed(ByteView seed) {
  if (seed.size() != kEd25519SeedSize)
    return common::invalid_argument("Ed25519 seed must be 32 bytes, got " + std::to_string(seed.size()));
  auto impl = std::make_unique<Impl>();
  impl->key.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!impl->key) return detail::openssl_error(ErrorCode::kInvalidArgument, "Ed25519 seed rejected");
  Bytes pub(kEd25519PublicKeySize);
  std::size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(impl->key.get(), pub.data(), &len) != 1)
    return detail::openssl_error(ErrorCode::kInternal, "Ed25519 public key");
  return Ed25519PrivateKey(std::move(impl), std::move(pub));
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::generate() {
  T3N_ASSIGN_OR_RETURN(SecretBytes seed, random_secret(kEd25519SeedSize));
  return from_seed(seed);
}

SecretBytes Ed25519PrivateKey::seed() const {
  SecretBytes out(kEd25519SeedSize);
  std::size_t len = out.size();
  EVP_PKEY_get_raw_private_key(impl_->key.get(), out.data(), &len);
  return out;
}

Result<Bytes> Ed25519PrivateKey::sign(ByteView message) const {
  detail::MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, impl_->key.get(), nullptr) != 1)
    return detail::openssl_error(ErrorCode::kInternal, "Ed25519 sign init");
  Bytes sig(kEd25519SignatureSize);
  std::size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1)
    return detail::openssl_error(ErrorCode::kInternal, "Ed25519 sign");
  return sig;
}

Status ed25519_verify(ByteView public_key, ByteView message, ByteView signature) {
  if (public_key.size() != kEd25519PublicKeySize)
    return common::invalid_argument("Ed25519 public key must be 32 bytes, got " + std::to_string(public_key.size()));
  if (signature.size() != kEd25519SignatureSize)
    return common::invalid_argument("Ed25519 signature must be 64 bytes, got " + std::to_string(signature.size()));
  detail::PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  if (!key) return detail::openssl_error(ErrorCode::kInvalidArgument, "Ed25519 public key rejected");
  detail::MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key.get(), nullptr) != 1)
    return detail::openssl_error(ErrorCode::kInternal, "Ed25519 verify init");
  if (EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size()) != 1) {
    ERR_clear_error();
    return common::verification_failed("Ed25519 signature does not verify");
  }
  return {};
}

}  // namespace t3n::crypto
