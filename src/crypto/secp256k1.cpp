#include "crypto/secp256k1.h"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <cctype>

#include "common/encoding.h"
#include "crypto/random.h"

namespace t3n::crypto {
namespace {

struct ContextDeleter { void operator()(secp256k1_context* c) const { secp256k1_context_destroy(c); } };

Status check_digest(ByteView digest32) {
  if (digest32.size() != 32) return common::invalid_argument("secp256k1: digest must be 32 bytes, got " + std::to_string(digest32.size()));
  return {};
}

Result<secp256k1_pubkey> parse_pubkey(ByteView public_key) {
  secp256k1_pubkey pk;
  if (public_key.size() != 33 && public_key.size() != 65)
    return common::invalid_argument("secp256k1 public key must be 33 or 65 bytes, got " + std::to_string(public_key.size()));
  if (secp256k1_ec_pubkey_parse(secp256k1_context_static, &pk, public_key.data(), public_key.size()) != 1)
    return common::invalid_argument("secp256k1 public key is not a valid curve point");
  return pk;
}

Bytes serialize(const secp256k1_pubkey& pk, bool compressed) {
  Bytes out(compressed ? 33 : 65);
  std::size_t len = out.size();
  secp256k1_ec_pubkey_serialize(secp256k1_context_static, out.data(), &len, &pk,
                                compressed ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED);
  return out;
}

}  // namespace

struct Secp256k1Signer::Impl {
  std::unique_ptr<secp256k1_context, ContextDeleter> ctx;
};

Secp256k1Signer::Secp256k1Signer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Secp256k1Signer::Secp256k1Signer(Secp256k1Signer&&) noexcept = default;
Secp256k1Signer& Secp256k1Signer::operator=(Secp256k1Signer&&) noexcept = default;
Secp256k1Signer::~Secp256k1Signer() = default;

Result<Secp256k1Signer> Secp256k1Signer::create() {
  auto impl = std::make_unique<Impl>();
  impl->ctx.reset(secp256k1_context_create(SECP256K1_CONTEXT_NONE));
  if (!impl->ctx) return common::internal_error("secp256k1 context");
  SecretArray<32> seed;
  T3N_RETURN_IF_ERROR(random_bytes(seed.mutable_view()));
  if (secp256k1_context_randomize(impl->ctx.get(), seed.data()) != 1)
    return common::internal_error("secp256k1 context randomization");
  return Secp256k1Signer(std::move(impl));
}

Result<Bytes> Secp256k1Signer::public_key(ByteView secret, bool compressed) const {
  if (secret.size() != kSecp256k1SecretSize) return common::invalid_argument("secp256k1 secret key must be 32 bytes");
  secp256k1_pubkey pk;
  if (secp256k1_ec_pubkey_create(impl_->ctx.get(), &pk, secret.data()) != 1)
    return common::invalid_argument("secp256k1 secret key out of range");
  return serialize(pk, compressed);
}

Result<Bytes> Secp256k1Signer::sign_recoverable(ByteView secret, ByteView digest32) const {
  T3N_RETURN_IF_ERROR(check_digest(digest32));
  if (secret.size() != kSecp256k1SecretSize) return common::invalid_argument("secp256k1 secret key must be 32 bytes");
  secp256k1_ecdsa_recoverable_signature sig;
  if (secp256k1_ecdsa_sign_recoverable(impl_->ctx.get(), &sig, digest32.data(), secret.data(), nullptr, nullptr) != 1)
    return common::invalid_argument("secp256k1 secret key out of range");
  Bytes out(kRecoverableSignatureSize);
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(secp256k1_context_static, out.data(), &recid, &sig);
  out[64] = static_cast<std::uint8_t>(recid);
  return out;
}

Result<Bytes> secp256k1_recover(ByteView digest32, ByteView signature65) {
  T3N_RETURN_IF_ERROR(check_digest(digest32));
  if (signature65.size() != kRecoverableSignatureSize)
    return common::invalid_argument("recoverable signature must be 65 bytes, got " + std::to_string(signature65.size()));
  const int recid = signature65[64];
  if (recid > 3) return common::invalid_argument("recovery id must be 0..3");
  secp256k1_ecdsa_recoverable_signature sig;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(secp256k1_context_static, &sig, signature65.data(), recid) != 1)
    return common::invalid_argument("malformed recoverable signature");
  secp256k1_pubkey pk;
  if (secp256k1_ecdsa_recover(secp256k1_context_static, &pk, &sig, digest32.data()) != 1)
    return common::verification_failed("no public key recovers from this signature");
  return serialize(pk, false);
}

Status secp256k1_verify(ByteView public_key, ByteView digest32, ByteView signature64) {
  T3N_RETURN_IF_ERROR(check_digest(digest32));
  if (signature64.size() != 64) return common::invalid_argument("secp256k1 signature must be 64 bytes (r ‖ s)");
  T3N_ASSIGN_OR_RETURN(secp256k1_pubkey pk, parse_pubkey(public_key));
  secp256k1_ecdsa_signature sig;
  if (secp256k1_ecdsa_signature_parse_compact(secp256k1_context_static, &sig, signature64.data()) != 1)
    return common::invalid_argument("malformed secp256k1 signature");
  if (secp256k1_ecdsa_verify(secp256k1_context_static, &sig, digest32.data(), &pk) != 1)
    return common::verification_failed("secp256k1 signature does not verify");
  return {};
}

Result<Bytes> eth_address(ByteView public_key) {
  T3N_ASSIGN_OR_RETURN(secp256k1_pubkey pk, parse_pubkey(public_key));
  Bytes uncompressed = serialize(pk, false);
  Digest32 h = keccak256(ByteView(uncompressed).subspan(1));
  return Bytes(h.begin() + 12, h.end());
}

std::string eth_checksum_address(ByteView address20) {
  std::string hex = common::hex_encode(address20);
  Digest32 h = keccak256(common::as_bytes(hex));
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const int nibble = (i % 2 == 0) ? (h[i / 2] >> 4) : (h[i / 2] & 0xF);
    if (std::isalpha(static_cast<unsigned char>(hex[i])) && nibble >= 8)
      hex[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i])));
  }
  return "0x" + hex;
}

Digest32 eip191_hash(ByteView message) {
  std::string prefix = "\x19" "Ethereum Signed Message:\n" + std::to_string(message.size());
  Bytes data = common::to_bytes(prefix);
  common::append(data, message);
  return keccak256(data);
}

Result<Bytes> eth_personal_sign(const Secp256k1Signer& signer, ByteView secret, ByteView message) {
  Digest32 h = eip191_hash(message);
  T3N_ASSIGN_OR_RETURN(Bytes sig, signer.sign_recoverable(secret, h));
  sig[64] = static_cast<std::uint8_t>(sig[64] + 27);
  return sig;
}

Result<Bytes> eth_recover_personal_signer(ByteView message, ByteView signature65) {
  if (signature65.size() != kRecoverableSignatureSize)
    return common::invalid_argument("Ethereum signature must be 65 bytes, got " + std::to_string(signature65.size()));
  Bytes sig(signature65.begin(), signature65.end());
  if (sig[64] == 27 || sig[64] == 28) sig[64] = static_cast<std::uint8_t>(sig[64] - 27);
  if (sig[64] > 1) return common::invalid_argument("Ethereum signature v must be 27 or 28");
  Digest32 h = eip191_hash(message);
  T3N_ASSIGN_OR_RETURN(Bytes pub, secp256k1_recover(h, sig));
  return eth_address(pub);
}

}  // namespace t3n::crypto
