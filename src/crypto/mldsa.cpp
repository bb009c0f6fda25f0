#include "crypto/mldsa.h"

#include <array>

#include "crypto/hash.h"
#include "crypto/native.h"
#include "crypto/random.h"

namespace t3n::crypto {
namespace {

Status check_size(ByteView v, std::size_t expected, const char* what) {
  if (v.size() != expected)
    return common::invalid_argument(std::string("ML-DSA-65 ") + what + " must be " + std::to_string(expected) +
                                    " bytes, got " + std::to_string(v.size()));
  return {};
}

Status check_context(ByteView context) {
  if (context.size() > 255) return common::invalid_argument("ML-DSA context longer than 255 bytes");
  return {};
}

struct PreHash {
  std::string_view name;
  std::uint8_t oid_last;  // 2.16.840.1.101.3.4.2.<oid_last>
  std::size_t xof_len;
};

constexpr std::array<PreHash, 12> kPreHashes{{
    {"SHA2-256", 0x01, 0},     {"SHA2-384", 0x02, 0},     {"SHA2-512", 0x03, 0},
    {"SHA2-224", 0x04, 0},     {"SHA2-512/224", 0x05, 0}, {"SHA2-512/256", 0x06, 0},
    {"SHA3-224", 0x07, 0},     {"SHA3-256", 0x08, 0},     {"SHA3-384", 0x09, 0},
    {"SHA3-512", 0x0A, 0},     {"SHAKE-128", 0x0B, 32},   {"SHAKE-256", 0x0C, 64},
}};

// M' = 0x01 ‖ |ctx| ‖ ctx ‖ OID ‖ PH(M)   (FIPS 204 Algorithm 4)
Result<Bytes> prehash_message(std::string_view hash_name, ByteView message, ByteView context) {
  T3N_RETURN_IF_ERROR(check_context(context));
  for (const auto& ph : kPreHashes) {
    if (ph.name != hash_name) continue;
    T3N_ASSIGN_OR_RETURN(Bytes digest, digest_by_name(ph.name, message, ph.xof_len));
    Bytes m{0x01, static_cast<std::uint8_t>(context.size())};
    common::append(m, context);
    const std::uint8_t oid[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, ph.oid_last};
    common::append(m, oid);
    common::append(m, digest);
    return m;
  }
  return common::invalid_argument("HashML-DSA: unsupported pre-hash '" + std::string(hash_name) + "'");
}

}  // namespace

Result<MlDsa65KeyPair> mldsa65_keygen_derand(ByteView seed) {
  T3N_RETURN_IF_ERROR(check_size(seed, kMlDsaSeedSize, "seed"));
  MlDsa65KeyPair kp{Bytes(kMlDsa65PublicKeySize), SecretBytes(kMlDsa65SecretKeySize)};
  if (t3n_mldsa65_keygen(seed.data(), kp.public_key.data(), kp.secret_key.data()) != 0)
    return common::internal_error("ML-DSA-65 key generation failed");
  return kp;
}

Result<MlDsa65KeyPair> mldsa65_keygen() {
  T3N_ASSIGN_OR_RETURN(SecretBytes seed, random_secret(kMlDsaSeedSize));
  return mldsa65_keygen_derand(seed);
}

Result<Bytes> mldsa65_sign_derand(ByteView secret_key, ByteView message, ByteView context, ByteView rnd) {
  T3N_RETURN_IF_ERROR(check_size(secret_key, kMlDsa65SecretKeySize, "secret key"));
  T3N_RETURN_IF_ERROR(check_size(rnd, 32, "signing randomness"));
  T3N_RETURN_IF_ERROR(check_context(context));
  Bytes sig(kMlDsa65SignatureSize);
  int rc = t3n_mldsa65_sign(secret_key.data(), message.data(), message.size(), context.data(), context.size(),
                            rnd.data(), sig.data());
  if (rc != 0) return common::internal_error("ML-DSA-65 signing failed");
  return sig;
}

Result<Bytes> mldsa65_sign(ByteView secret_key, ByteView message, ByteView context) {
  SecretArray<32> rnd;
  T3N_RETURN_IF_ERROR(random_bytes(rnd.mutable_view()));
  return mldsa65_sign_derand(secret_key, message, context, rnd);
}

Status mldsa65_verify(ByteView public_key, ByteView message, ByteView signature, ByteView context) {
  T3N_RETURN_IF_ERROR(check_size(public_key, kMlDsa65PublicKeySize, "public key"));
  T3N_RETURN_IF_ERROR(check_context(context));
  if (signature.size() != kMlDsa65SignatureSize) return common::verification_failed("ML-DSA-65 signature has the wrong length");
  if (t3n_mldsa65_verify(public_key.data(), message.data(), message.size(), context.data(), context.size(),
                         signature.data()) != 0)
    return common::verification_failed("ML-DSA-65 signature does not verify");
  return {};
}

Result<Bytes> mldsa65_sign_internal(ByteView secret_key, ByteView message_prime, ByteView rnd) {
  T3N_RETURN_IF_ERROR(check_size(secret_key, kMlDsa65SecretKeySize, "secret key"));
  T3N_RETURN_IF_ERROR(check_size(rnd, 32, "signing randomness"));
  Bytes sig(kMlDsa65SignatureSize);
  if (t3n_mldsa65_sign_internal(secret_key.data(), message_prime.data(), message_prime.size(), rnd.data(),
                                sig.data()) != 0)
    return common::internal_error("ML-DSA-65 signing failed");
  return sig;
}

Status mldsa65_verify_internal(ByteView public_key, ByteView message_prime, ByteView signature) {
  T3N_RETURN_IF_ERROR(check_size(public_key, kMlDsa65PublicKeySize, "public key"));
  if (signature.size() != kMlDsa65SignatureSize) return common::verification_failed("ML-DSA-65 signature has the wrong length");
  if (t3n_mldsa65_verify_internal(public_key.data(), message_prime.data(), message_prime.size(), signature.data()) != 0)
    return common::verification_failed("ML-DSA-65 signature does not verify");
  return {};
}

Result<Bytes> mldsa65_sign_prehash_derand(ByteView secret_key, std::string_view hash_name, ByteView message,
                                          ByteView context, ByteView rnd) {
  T3N_ASSIGN_OR_RETURN(Bytes m, prehash_message(hash_name, message, context));
  return mldsa65_sign_internal(secret_key, m, rnd);
}

Status mldsa65_verify_prehash(ByteView public_key, std::string_view hash_name, ByteView message, ByteView signature,
                              ByteView context) {
  T3N_ASSIGN_OR_RETURN(Bytes m, prehash_message(hash_name, message, context));
  return mldsa65_verify_internal(public_key, m, signature);
}

}  // namespace t3n::crypto
