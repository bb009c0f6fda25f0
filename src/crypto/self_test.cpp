#include "crypto/self_test.h"

#include "common/encoding.h"
#include "crypto/aead.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/hpke.h"
#include "crypto/mldsa.h"
#include "crypto/mlkem.h"
#include "crypto/secp256k1.h"
#include "crypto/xwing.h"

namespace t3n::crypto {
namespace {

Status expect_hex(std::string_view name, ByteView got, std::string_view want_hex) {
  if (common::hex_encode(got) != want_hex) return common::internal_error(std::string("self-test failed: ") + std::string(name));
  return {};
}

}  // namespace

Result<SelfTestReport> run_self_test() {
  SelfTestReport report;
  auto pass = [&](const char* name) { report.passed.emplace_back(name); };

  // FIPS 180-4 / FIPS 202 / Keccak known answers for "abc".
  auto abc = common::as_bytes("abc");
  T3N_RETURN_IF_ERROR(expect_hex("SHA-256", sha256(abc), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  pass("SHA-256");
  T3N_RETURN_IF_ERROR(expect_hex("SHA3-256", sha3_256(abc), "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"));
  pass("SHA3-256");
  T3N_RETURN_IF_ERROR(expect_hex("Keccak-256", keccak256(abc), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"));
  pass("Keccak-256");

  // AEAD round trip and tamper detection.
  Bytes key(32, 0x42), nonce(12, 0x24);
  T3N_ASSIGN_OR_RETURN(Bytes ct, aead_seal(AeadAlg::kAes256Gcm, key, nonce, abc, abc));
  T3N_ASSIGN_OR_RETURN(Bytes pt, aead_open(AeadAlg::kAes256Gcm, key, nonce, abc, ct));
  ct[0] ^= 1;
  if (pt != common::to_bytes("abc") || aead_open(AeadAlg::kAes256Gcm, key, nonce, abc, ct).ok())
    return common::internal_error("self-test failed: AES-256-GCM");
  pass("AES-256-GCM");

  // Signatures: sign, verify, reject a changed message.
  T3N_ASSIGN_OR_RETURN(auto ed, Ed25519PrivateKey::generate());
  T3N_ASSIGN_OR_RETURN(Bytes ed_sig, ed.sign(abc));
  if (!ed25519_verify(ed.public_key(), abc, ed_sig).ok() || ed25519_verify(ed.public_key(), key, ed_sig).ok())
    return common::internal_error("self-test failed: Ed25519");
  pass("Ed25519");
  T3N_ASSIGN_OR_RETURN(auto dsa, mldsa65_keygen());
  T3N_ASSIGN_OR_RETURN(Bytes dsa_sig, mldsa65_sign(dsa.secret_key, abc));
  if (!mldsa65_verify(dsa.public_key, abc, dsa_sig).ok() || mldsa65_verify(dsa.public_key, key, dsa_sig).ok())
    return common::internal_error("self-test failed: ML-DSA-65");
  pass("ML-DSA-65");
  T3N_ASSIGN_OR_RETURN(auto signer, Secp256k1Signer::create());
  Bytes eth_key(32, 0x11);
  T3N_ASSIGN_OR_RETURN(Bytes eth_sig, eth_personal_sign(signer, eth_key, abc));
  T3N_ASSIGN_OR_RETURN(Bytes pub, signer.public_key(eth_key));
  T3N_ASSIGN_OR_RETURN(Bytes addr, eth_address(pub));
  T3N_ASSIGN_OR_RETURN(Bytes recovered, eth_recover_personal_signer(abc, eth_sig));
  if (recovered != addr) return common::internal_error("self-test failed: secp256k1/EIP-191");
  pass("secp256k1 + EIP-191");

  // KEMs: both sides agree.
  T3N_ASSIGN_OR_RETURN(auto xw, XWingPrivateKey::generate());
  T3N_ASSIGN_OR_RETURN(auto enc, xwing_encapsulate(xw.public_key()));
  T3N_ASSIGN_OR_RETURN(SecretBytes ss, xw.decapsulate(enc.ciphertext));
  if (Bytes(ss.view().begin(), ss.view().end()) != Bytes(enc.shared_secret.view().begin(), enc.shared_secret.view().end()))
    return common::internal_error("self-test failed: X-Wing");
  pass("ML-KEM-768 + X25519 (X-Wing)");

  // HPKE X-Wing round trip.
  HpkeSuite suite{HpkeKem::kXWing, HpkeKdf::kHkdfSha256, HpkeAead::kChaCha20Poly1305};
  T3N_ASSIGN_OR_RETURN(auto hk, HpkePrivateKey::generate(HpkeKem::kXWing));
  T3N_ASSIGN_OR_RETURN(auto sealed, hpke_seal(suite, hk.public_key(), abc, abc, abc));
  T3N_ASSIGN_OR_RETURN(Bytes opened, hpke_open(suite, hk, sealed.enc, abc, abc, sealed.ciphertext));
  if (opened != common::to_bytes("abc")) return common::internal_error("self-test failed: HPKE");
  pass("HPKE X-Wing");
  return report;
}

}  // namespace t3n::crypto
