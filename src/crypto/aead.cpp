#include "crypto/aead.h"

#include <openssl/evp.h>

#include <climits>

#include "crypto/openssl_util.h"
#include "crypto/random.h"

namespace t3n::crypto {
namespace {

const EVP_CIPHER* cipher_for(AeadAlg alg) {
  static const EVP_CIPHER* aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static const EVP_CIPHER* aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  static const EVP_CIPHER* chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  switch (alg) {
    case AeadAlg::kAes128Gcm: return aes128;
    case AeadAlg::kAes256Gcm: return aes256;
    case AeadAlg::kChaCha20Poly1305: return chacha;
  }
  return nullptr;
}

Status check_params(AeadAlg alg, ByteView key, ByteView nonce, std::size_t data_size) {
  if (cipher_for(alg) == nullptr) return common::invalid_argument("unsupported AEAD");
  if (key.size() != aead_key_size(alg))
    return common::invalid_argument(std::string(aead_name(alg)) + ": key must be " +
                                    std::to_string(aead_key_size(alg)) + " bytes, got " + std::to_string(key.size()));
  if (nonce.size() != kAeadNonceSize)
    return common::invalid_argument(std::string(aead_name(alg)) + ": nonce must be 12 bytes, got " +
                                    std::to_string(nonce.size()));
  if (data_size > static_cast<std::size_t>(INT_MAX) - 64) return common::invalid_argument("AEAD input too large");
  return {};
}

}  // namespace

std::size_t aead_key_size(AeadAlg alg) {
  switch (alg) {
    case AeadAlg::kAes128Gcm: return 16;
    case AeadAlg::kAes256Gcm: return 32;
    case AeadAlg::kChaCha20Poly1305: return 32;
  }
  return 0;
}

std::string_view aead_name(AeadAlg alg) {
  switch (alg) {
    case AeadAlg::kAes128Gcm: return "AES-128-GCM";
    case AeadAlg::kAes256Gcm: return "AES-256-GCM";
    case AeadAlg::kChaCha20Poly1305: return "ChaCha20-Poly1305";
  }
  return "unknown AEAD";
}

Result<Bytes> aead_seal(AeadAlg alg, ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) {
  T3N_RETURN_IF_ERROR(check_params(alg, key, nonce, plaintext.size() + aad.size()));
  detail::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), cipher_for(alg), key.data(), nonce.data(), nullptr) != 1)
    return detail::openssl_error(ErrorCode::kInternal, "AEAD init");
  int len = 0;
  if (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return detail::openssl_error(ErrorCode::kInternal, "AEAD aad");
  Bytes out(plaintext.size() + kAeadTagSize);
  int written = 0;
  if (!plaintext.empty() &&
      EVP_EncryptUpdate(ctx.get(), out.data(), &written, plaintext.data(), static_cast<int>(plaintext.size())) != 1)
    return detail::openssl_error(ErrorCode::kInternal, "AEAD encrypt");
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + written, &len) != 1)
    return detail::openssl_error(ErrorCode::kInternal, "AEAD final");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kAeadTagSize, out.data() + plaintext.size()) != 1)
    return detail::openssl_error(ErrorCode::kInternal, "AEAD tag");
  return out;
}

Result<Bytes> aead_open(AeadAlg alg, ByteView key, ByteView nonce, ByteView aad, ByteView ciphertext_and_tag) {
  T3N_RETURN_IF_ERROR(check_params(alg, key, nonce, ciphertext_and_tag.size() + aad.size()));
  if (ciphertext_and_tag.size() < kAeadTagSize)
    return common::invalid_argument(std::string(aead_name(alg)) + ": ciphertext shorter than the 16-byte tag");
  const std::size_t ct_size = ciphertext_and_tag.size() - kAeadTagSize;
  detail::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_DecryptInit_ex2(ctx.get(), cipher_for(alg), key.data(), nonce.data(), nullptr) != 1)
    return detail::openssl_error(ErrorCode::kInternal, "AEAD init");
  int len = 0;
  if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return detail::openssl_error(ErrorCode::kInternal, "AEAD aad");
  Bytes out(ct_size);
  int written = 0;
  if (ct_size > 0 && EVP_DecryptUpdate(ctx.get(), out.data(), &written, ciphertext_and_tag.data(),
                                       static_cast<int>(ct_size)) != 1)
    return detail::openssl_error(ErrorCode::kInternal, "AEAD decrypt");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kAeadTagSize,
                          const_cast<std::uint8_t*>(ciphertext_and_tag.data() + ct_size)) != 1)
    return detail::openssl_error(ErrorCode::kInternal, "AEAD tag");
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + written, &len) != 1) {
    ERR_clear_error();
    common::secure_zero(out);  // never hand out unauthenticated plaintext
    return common::verification_failed(std::string(aead_name(alg)) + ": authentication failed");
  }
  return out;
}

Result<Bytes> seal_box(AeadAlg alg, ByteView key, ByteView aad, ByteView plaintext) {
  std::uint8_t nonce[kAeadNonceSize];
  T3N_RETURN_IF_ERROR(random_bytes(nonce));
  T3N_ASSIGN_OR_RETURN(Bytes ct, aead_seal(alg, key, nonce, aad, plaintext));
  // Prepend the nonce in place: one allocation, no copy of the ciphertext.
  ct.insert(ct.begin(), std::begin(nonce), std::end(nonce));
  return ct;
}

Result<Bytes> open_box(AeadAlg alg, ByteView key, ByteView aad, ByteView box) {
  if (box.size() < kAeadNonceSize + kAeadTagSize)
    return common::invalid_argument("sealed box shorter than nonce and tag (" + std::to_string(box.size()) + " bytes)");
  return aead_open(alg, key, box.first(kAeadNonceSize), aad, box.subspan(kAeadNonceSize));
}

}  // namespace t3n::crypto
