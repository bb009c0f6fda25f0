#include "crypto/kdf.h"

#include <algorithm>

namespace t3n::crypto {

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
  const std::size_t hash_len = hash_size(alg);
  if (length == 0 || length > 255 * hash_len)
    return common::invalid_argument("HKDF-Expand: output length " + std::to_string(length) + " out of range");
  if (prk.size() < hash_len) return common::invalid_argument("HKDF-Expand: PRK shorter than the hash");
  // T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i). Done over OpenSSL's HMAC rather than
  // EVP_KDF: HPKE runs ~10 expands per message and the KDF object's
  // per-call setup (parameter parsing, digest fetch) cost more than the HMACs.
  SecretBytes out(length);
  Bytes block;
  block.reserve(hash_len + info.size() + 1);
  Bytes t;
  std::size_t done = 0;
  for (std::uint8_t i = 1; done < length; ++i) {
    block.assign(t.begin(), t.end());
    common::append(block, info);
    block.push_back(i);
    common::secure_zero(t);
    t = hmac(alg, prk, block);
    const std::size_t n = std::min(hash_len, length - done);
    std::copy_n(t.begin(), n, out.data() + done);
    done += n;
  }
  common::secure_zero(t);
  common::secure_zero(block);
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
