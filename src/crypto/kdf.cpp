#include "crypto/kdf.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "crypto/openssl_util.h"

namespace t3n::crypto {
namespace {

EVP_KDF* hkdf_algorithm() {
  static EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  return kdf;
}

const char* digest_name(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha256: return "SHA2-256";
    case HashAlg::kSha384: return "SHA2-384";
    case HashAlg::kSha512: return "SHA2-512";
  }
  return "SHA2-256";
}

}  // namespace

SecretBytes hkdf_extract(HashAlg alg, ByteView salt, ByteView ikm) {
  // Extract is one HMAC; doing it directly avoids the KDF context setup and
  // handles the empty-salt case exactly as RFC 5869 specifies.
  Bytes zero_salt;
  if (salt.empty()) {
    zero_salt.assign(hash_size(alg), 0);
    salt = zero_salt;
  }
  Bytes prk = hmac(alg, salt, ikm);
  SecretBytes out(prk);
  common::secure_zero(prk);
  return out;
}

Result<SecretBytes> hkdf_expand(HashAlg alg, ByteView prk, ByteView info, std::size_t length) {
  if (length == 0 || length > 255 * hash_size(alg))
    return common::invalid_argument("HKDF-Expand: output length " + std::to_string(length) + " out of range");
  if (prk.size() < hash_size(alg)) return common::invalid_argument("HKDF-Expand: PRK shorter than the hash");
  detail::KdfCtxPtr ctx(EVP_KDF_CTX_new(hkdf_algorithm()));
  if (!ctx) return detail::openssl_error(ErrorCode::kInternal, "HKDF context");
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest_name(alg)), 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(prk.data()), prk.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<std::uint8_t*>(info.data()), info.size()),
      OSSL_PARAM_construct_end(),
  };
  SecretBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), length, params) != 1)
    return detail::openssl_error(ErrorCode::kInternal, "HKDF-Expand failed");
  return out;
}

Result<SecretBytes> hkdf(HashAlg alg, ByteView salt, ByteView ikm, ByteView info, std::size_t length) {
  SecretBytes prk = hkdf_extract(alg, salt, ikm);
  return hkdf_expand(alg, prk, info, length);
}

Result<SecretBytes> derive_key(ByteView secret, std::string_view label, ByteView context, std::size_t length) {
  if (label.empty()) return common::invalid_argument("derive_key: empty label");
  Bytes info = common::to_bytes(label);
  info.push_back(0);
  common::append(info, context);
  return hkdf(HashAlg::kSha256, common::as_bytes("t3n/v1"), secret, info, length);
}

}  // namespace t3n::crypto
