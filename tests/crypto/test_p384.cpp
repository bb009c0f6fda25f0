// ECDSA P-384 with SHA-384: RFC 6979 A.2.6 known answers, verification of
// raw and DER signatures, and what must be refused.
#include <gtest/gtest.h>

#include "crypto/p256.h"
#include "crypto/p384.h"
#include "crypto/x509.h"
#include "test_util.h"

namespace t3n::crypto {
namespace {

using t3n::testing::hex;
using t3n::testing::to_hex;

// RFC 6979 A.2.6: the key, and (r, s) for "sample" and "test" with SHA-384.
constexpr const char* kX =
    "6b9d3dad2e1b8c1c05b19875b6659f4de23c3b667bf297ba9aa47740787137d896d5724e4c70a825f872c9ea60d2edf5";
constexpr const char* kUx =
    "ec3a4e415b4e19a4568618029f427fa5da9a8bc4ae92e02e06aae5286b300c64def8f0ea9055866064a254515480bc13";
constexpr const char* kUy =
    "8015d9b72d7d57244ea8ef9ac0c621896708a59367f9dfb9f54ca84b3f1c9db1288b231c3ae0d4fe7344fd2533264720";
constexpr const char* kSampleSig =
    "94edbb92a5ecb8aad4736e56c691916b3f88140666ce9fa73d64c4ea95ad133c81a648152e44acf96e36dd1e80fabe46"
    "99ef4aeb15f178cea1fe40db2603138f130e740a19624526203b6351d0a3a94fa329c145786e679e7b82c71a38628ac8";
constexpr const char* kTestSig =
    "8203b63d3c853e8d77227fb377bcf7b7b772e97892a80f36ab775d509d7a5feb0542a7f0812998da8f1dd3ca3cf023db"
    "ddd0760448d42d8a43af45af836fce4de8be06b485e9b61b827c2f13173923e06a739f040649a667bf3b828246baa5a5";

Bytes public_key() { return hex(std::string("04") + kUx + kUy); }

TEST(P384, DeterministicSignaturesMatchRfc6979) {
  T3N_ASSERT_OK_AND_ASSIGN(auto k, P384PrivateKey::from_scalar(hex(kX)));
  EXPECT_EQ(to_hex(k.public_key()), to_hex(public_key()));
  EXPECT_EQ(to_hex(k.scalar()), kX);
  T3N_ASSERT_OK_AND_ASSIGN(Bytes sample, k.sign_raw_deterministic(common::to_bytes("sample")));
  EXPECT_EQ(to_hex(sample), kSampleSig);
  T3N_ASSERT_OK_AND_ASSIGN(Bytes test, k.sign_raw_deterministic(common::to_bytes("test")));
  EXPECT_EQ(to_hex(test), kTestSig);
}

TEST(P384, VerifiesTheRfcSignaturesRawAndDer) {
  const Bytes pub = public_key();
  EXPECT_TRUE(p384_verify_raw(pub, common::to_bytes("sample"), hex(kSampleSig)).ok());
  EXPECT_TRUE(p384_verify_raw(pub, common::to_bytes("test"), hex(kTestSig)).ok());
  T3N_ASSERT_OK_AND_ASSIGN(Bytes der, p384_signature_raw_to_der(hex(kSampleSig)));
  EXPECT_TRUE(p384_verify_der(pub, common::to_bytes("sample"), der).ok());
  T3N_ASSERT_OK_AND_ASSIGN(Bytes back, p384_signature_der_to_raw(der));
  EXPECT_EQ(to_hex(back), kSampleSig);
  // The compressed form of the same key verifies too.
  Bytes compressed(pub.begin(), pub.begin() + 49);
  compressed[0] = static_cast<std::uint8_t>(0x02 | (pub.back() & 1));
  T3N_ASSERT_OK_AND_ASSIGN(Bytes uncompressed, p384_parse_public_key(compressed));
  EXPECT_EQ(uncompressed, pub);
  EXPECT_TRUE(p384_verify_raw(compressed, common::to_bytes("sample"), hex(kSampleSig)).ok());
}

TEST(P384, RefusesWrongMessagesSignaturesKeysAndEncodings) {
  const Bytes pub = public_key();
  const Bytes sig = hex(kSampleSig);
  auto refused = [](const Status& s) { return !s.ok() && s.code() == ErrorCode::kVerificationFailed; };
  EXPECT_TRUE(refused(p384_verify_raw(pub, common::to_bytes("samplE"), sig)));
  EXPECT_TRUE(refused(p384_verify_raw(pub, common::to_bytes("test"), sig)));
  for (std::size_t i : {std::size_t{0}, std::size_t{47}, std::size_t{48}, std::size_t{95}}) {
    Bytes bad = sig;
    bad[i] ^= 0x01;
    EXPECT_TRUE(refused(p384_verify_raw(pub, common::to_bytes("sample"), bad))) << i;
  }
  T3N_ASSERT_OK_AND_ASSIGN(auto other, P384PrivateKey::generate());
  EXPECT_TRUE(refused(p384_verify_raw(other.public_key(), common::to_bytes("sample"), sig)));
  // Randomized signatures verify under their key only.
  T3N_ASSERT_OK_AND_ASSIGN(Bytes fresh, other.sign_raw(common::to_bytes("sample")));
  EXPECT_TRUE(p384_verify_raw(other.public_key(), common::to_bytes("sample"), fresh).ok());
  EXPECT_TRUE(refused(p384_verify_raw(pub, common::to_bytes("sample"), fresh)));

  EXPECT_EQ(p384_verify_raw(pub, common::to_bytes("sample"), Bytes(95, 1)).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(p384_verify_raw(Bytes(97, 4), common::to_bytes("sample"), sig).code(), ErrorCode::kInvalidArgument);
  Bytes off_curve = pub;
  off_curve[96] ^= 0x01;
  EXPECT_EQ(p384_parse_public_key(off_curve).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(p384_parse_public_key(Bytes(65, 4)).status().code(), ErrorCode::kInvalidArgument);
  // A P-256 key is not a P-384 key.
  T3N_ASSERT_OK_AND_ASSIGN(auto p256, P256PrivateKey::generate());
  EXPECT_FALSE(p384_verify_raw(p256.public_key(), common::to_bytes("sample"), sig).ok());
  // Non-canonical DER (a long-form length) is refused before verifying.
  T3N_ASSERT_OK_AND_ASSIGN(Bytes der, p384_signature_raw_to_der(sig));
  Bytes long_form = der;
  long_form[0] = 0x30;
  long_form.insert(long_form.begin() + 1, std::uint8_t{0x81});
  EXPECT_FALSE(p384_verify_der(pub, common::to_bytes("sample"), long_form).ok());
  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_EQ(p384_verify_der(pub, common::to_bytes("sample"), trailing).code(), ErrorCode::kInvalidArgument);
}

TEST(P384, PrivateScalarsOutOfRangeAreRefused) {
  EXPECT_EQ(P384PrivateKey::from_scalar(Bytes(48, 0)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(P384PrivateKey::from_scalar(Bytes(48, 0xff)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(P384PrivateKey::from_scalar(Bytes(32, 1)).status().code(), ErrorCode::kInvalidArgument);
}

TEST(P384, PublicKeyFromSpki) {
  T3N_ASSERT_OK_AND_ASSIGN(auto k, P384PrivateKey::from_scalar(hex(kX)));
  CertificateSpec spec;
  spec.subject = {{"CN", "p384"}};
  spec.not_before = 1700000000;
  spec.not_after = 1800000000;
  T3N_ASSERT_OK_AND_ASSIGN(Certificate cert, issue_certificate(spec, k.public_key(), nullptr, k));
  T3N_ASSERT_OK_AND_ASSIGN(Bytes spki, cert.public_key_spki());
  T3N_ASSERT_OK_AND_ASSIGN(Bytes point, p384_public_key_from_spki(spki));
  EXPECT_EQ(point, public_key());
  EXPECT_FALSE(cert.p256_public_key().ok()) << "a P-384 key is not a P-256 key";

  T3N_ASSERT_OK_AND_ASSIGN(auto p256, P256PrivateKey::generate());
  T3N_ASSERT_OK_AND_ASSIGN(Certificate p256_cert, issue_certificate(spec, p256.public_key(), nullptr, p256));
  T3N_ASSERT_OK_AND_ASSIGN(Bytes p256_spki, p256_cert.public_key_spki());
  auto wrong_curve = p384_public_key_from_spki(p256_spki);
  ASSERT_FALSE(wrong_curve.ok());
  EXPECT_EQ(wrong_curve.status().message(), "not a P-384 key");
  // AMD's ASK holds an RSA key.
  T3N_ASSERT_OK_AND_ASSIGN(
      Certificate ask, Certificate::from_pem(common::to_string(t3n::testing::read_bytes(
                           t3n::testing::vectors_dir() / "attestation/sev-snp/go-sev-guest-milan/ask.pem"))));
  T3N_ASSERT_OK_AND_ASSIGN(Bytes rsa_spki, ask.public_key_spki());
  auto rsa = p384_public_key_from_spki(rsa_spki);
  ASSERT_FALSE(rsa.ok());
  EXPECT_EQ(rsa.status().message(), "not an EC key");
  EXPECT_EQ(p384_public_key_from_spki(Bytes{0x30, 0x00}).status().code(), ErrorCode::kInvalidArgument);
  Bytes trailing = spki;
  trailing.push_back(0);
  EXPECT_EQ(p384_public_key_from_spki(trailing).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace t3n::crypto
