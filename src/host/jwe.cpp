#include "host/jwe.h"

#include "common/encoding.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/p256.h"
#include "crypto/random.h"
#include "host/sd_jwt.h"

namespace t3n::host {
namespace {

void be32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void with_length(Bytes& out, ByteView data) {
  be32(out, static_cast<std::uint32_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
}

}  // namespace

Result<Bytes> concat_kdf_sha256(ByteView z, std::string_view alg_id, ByteView apu, ByteView apv, std::size_t key_len) {
  if (key_len == 0 || key_len > 32) return common::invalid_argument("Concat KDF: one SHA-256 round gives 1..32 bytes");
  // One round: counter 1 ‖ Z ‖ AlgorithmID ‖ PartyUInfo ‖ PartyVInfo ‖ SuppPubInfo (key bits).
  Bytes tmp;
  be32(tmp, 1);
  tmp.insert(tmp.end(), z.begin(), z.end());
  with_length(tmp, common::as_bytes(alg_id));
  with_length(tmp, apu);
  with_length(tmp, apv);
  be32(tmp, static_cast<std::uint32_t>(key_len * 8));
  const auto digest = crypto::sha256(tmp);
  common::secure_zero(tmp.data(), tmp.size());  // it holds Z
  return Bytes(digest.begin(), digest.begin() + static_cast<std::ptrdiff_t>(key_len));
}

Result<std::string> jwe_encrypt_ecdh_es(const common::Json& recipient_jwk, const std::string& enc, std::string_view plaintext) {
  if (enc != "A128GCM" && enc != "A256GCM") return common::invalid_argument("enc must be A128GCM or A256GCM");
  const crypto::AeadAlg alg = enc == "A256GCM" ? crypto::AeadAlg::kAes256Gcm : crypto::AeadAlg::kAes128Gcm;
  T3N_ASSIGN_OR_RETURN(Bytes peer, p256_from_jwk(recipient_jwk));
  T3N_ASSIGN_OR_RETURN(auto ephemeral, crypto::P256PrivateKey::generate());
  T3N_ASSIGN_OR_RETURN(SecretBytes z, ephemeral.ecdh(peer));
  T3N_ASSIGN_OR_RETURN(Bytes key, concat_kdf_sha256(z, enc, {}, {}, crypto::aead_key_size(alg)));
  common::Json header{{"alg", "ECDH-ES"}, {"enc", enc}, {"epk", p256_jwk(ephemeral.public_key())}};
  if (recipient_jwk.contains("kid") && recipient_jwk["kid"].is_string()) header["kid"] = recipient_jwk["kid"];
  T3N_ASSIGN_OR_RETURN(Bytes iv, crypto::random_vector(crypto::kAeadNonceSize));
  // The AAD is the ASCII of the encoded protected header (RFC 7516 §5.1).
  const std::string protected_b64 = common::base64url_encode(common::as_bytes(header.dump()));
  auto sealed = crypto::aead_seal(alg, key, iv, common::as_bytes(protected_b64), common::as_bytes(plaintext));
  common::secure_zero(key.data(), key.size());
  if (!sealed.ok()) return sealed.status();
  const ByteView all(*sealed);
  return protected_b64 + ".." + common::base64url_encode(iv) + "." +
         common::base64url_encode(all.first(all.size() - crypto::kAeadTagSize)) + "." +
         common::base64url_encode(all.last(crypto::kAeadTagSize));
}

}  // namespace t3n::host
