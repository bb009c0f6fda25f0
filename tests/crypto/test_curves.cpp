#include <gtest/gtest.h>

#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/p256.h"
#include "crypto/x25519.h"
#include "test_util.h"

namespace t3n::crypto {
namespace {

using t3n::testing::hex;
using t3n::testing::to_hex;

TEST(X25519, Rfc7748Section6_1) {
  T3N_ASSERT_OK_AND_ASSIGN(auto alice,
                           X25519PrivateKey::from_bytes(hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")));
  T3N_ASSERT_OK_AND_ASSIGN(auto bob,
                           X25519PrivateKey::from_bytes(hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")));
  EXPECT_EQ(to_hex(alice.public_key()), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(to_hex(bob.public_key()), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  T3N_ASSERT_OK_AND_ASSIGN(SecretBytes k1, alice.agree(bob.public_key()));
  T3N_ASSERT_OK_AND_ASSIGN(SecretBytes k2, bob.agree(alice.public_key()));
  EXPECT_EQ(to_hex(k1), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_EQ(to_hex(k2), to_hex(k1));
}

TEST(X25519, RejectsSmallOrderPointsAndBadLengths) {
  T3N_ASSERT_OK_AND_ASSIGN(auto k, X25519PrivateKey::generate());
  // The all-zero point and the order-8 point give an all-zero shared secret.
  auto zero = k.agree(Bytes(32, 0));
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(k.agree(hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")).ok());
  EXPECT_EQ(k.agree(Bytes(31, 9)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(X25519PrivateKey::from_bytes(Bytes(33, 1)).status().code(), ErrorCode::kInvalidArgument);
}

TEST(Ed25519, Rfc8032Test1And2) {
  T3N_ASSERT_OK_AND_ASSIGN(auto k1, Ed25519PrivateKey::from_seed(
                                        hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")));
  EXPECT_EQ(to_hex(k1.public_key()), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  T3N_ASSERT_OK_AND_ASSIGN(Bytes sig1, k1.sign({}));
  EXPECT_EQ(to_hex(sig1),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(ed25519_verify(k1.public_key(), {}, sig1).ok());

  T3N_ASSERT_OK_AND_ASSIGN(auto k2, Ed25519PrivateKey::from_seed(
                                        hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")));
  Bytes msg{0x72};
  T3N_ASSERT_OK_AND_ASSIGN(Bytes sig2, k2.sign(msg));
  EXPECT_EQ(to_hex(sig2),
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
}

TEST(Ed25519, TamperedSignatureMessageOrKeyFails) {
  T3N_ASSERT_OK_AND_ASSIGN(auto k, Ed25519PrivateKey::generate());
  Bytes msg = common::to_bytes("transfer 10");
  T3N_ASSERT_OK_AND_ASSIGN(Bytes sig, k.sign(msg));
  for (std::size_t i = 0; i < sig.size(); i += 7) {
    Bytes bad = sig;
    bad[i] ^= 1;
    EXPECT_FALSE(ed25519_verify(k.public_key(), msg, bad).ok()) << i;
  }
  EXPECT_EQ(ed25519_verify(k.public_key(), common::as_bytes("transfer 11"), sig).code(),
            ErrorCode::kVerificationFailed);
  EXPECT_EQ(ed25519_verify(Bytes(31, 0), msg, sig).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ed25519_verify(k.public_key(), msg, Bytes(63, 0)).code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(Ed25519PrivateKey::from_seed(Bytes(16, 0)).ok());
}

TEST(P256, SignVerifyRawAndDer) {
  T3N_ASSERT_OK_AND_ASSIGN(auto k, P256PrivateKey::generate());
  ASSERT_EQ(k.public_key().size(), 65u);
  Bytes msg = common::to_bytes("sd-jwt payload");
  T3N_ASSERT_OK_AND_ASSIGN(Bytes raw, k.sign_raw(msg));
  ASSERT_EQ(raw.size(), 64u);
  EXPECT_TRUE(p256_verify_raw(k.public_key(), msg, raw).ok());
  T3N_ASSERT_OK_AND_ASSIGN(Bytes der, k.sign_der(msg));
  EXPECT_TRUE(p256_verify_der(k.public_key(), msg, der).ok());
  T3N_ASSERT_OK_AND_ASSIGN(Bytes der_as_raw, p256_signature_der_to_raw(der));
  EXPECT_TRUE(p256_verify_raw(k.public_key(), msg, der_as_raw).ok());
  auto digest = sha256(msg);
  T3N_ASSERT_OK_AND_ASSIGN(Bytes over_digest, k.sign_digest_raw(digest));
  EXPECT_TRUE(p256_verify_digest_raw(k.public_key(), digest, over_digest).ok());
  EXPECT_TRUE(p256_verify_raw(k.public_key(), msg, over_digest).ok());
  raw[10] ^= 1;
  EXPECT_EQ(p256_verify_raw(k.public_key(), msg, raw).code(), ErrorCode::kVerificationFailed);
}

// RFC 6979 A.2.5 (P-256, SHA-256): deterministic nonces give these exact signatures.
TEST(P256, DeterministicSignaturesMatchRfc6979) {
  T3N_ASSERT_OK_AND_ASSIGN(
      auto k, P256PrivateKey::from_scalar(t3n::testing::hex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721")));
  EXPECT_EQ(to_hex(k.public_key()),
            "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
            "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299");
  T3N_ASSERT_OK_AND_ASSIGN(Bytes sample, k.sign_raw_deterministic(common::to_bytes("sample")));
  EXPECT_EQ(to_hex(sample),
            "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
            "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
  T3N_ASSERT_OK_AND_ASSIGN(Bytes test, k.sign_raw_deterministic(common::to_bytes("test")));
  EXPECT_EQ(to_hex(test),
            "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367"
            "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083");
  EXPECT_TRUE(p256_verify_raw(k.public_key(), common::to_bytes("test"), test).ok());
}

TEST(P256, KnownPublicKeyOfScalarOne) {
  Bytes one(32, 0);
  one[31] = 1;
  T3N_ASSERT_OK_AND_ASSIGN(Bytes g, p256_public_from_scalar(one));
  EXPECT_EQ(to_hex(g),
            "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
}

TEST(P256, RejectsInvalidKeysPointsAndEncodings) {
  EXPECT_EQ(P256PrivateKey::from_scalar(Bytes(32, 0)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(P256PrivateKey::from_scalar(Bytes(32, 0xff)).ok());  // ≥ n
  EXPECT_FALSE(P256PrivateKey::from_scalar(Bytes(31, 1)).ok());
  // A point not on the curve: G with y + 1.
  Bytes off = hex(
      "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f6");
  auto parsed = p256_parse_public_key(off);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("not a valid curve point"), std::string::npos);
  T3N_ASSERT_OK_AND_ASSIGN(auto k, P256PrivateKey::generate());
  EXPECT_FALSE(k.ecdh(off).ok());
  EXPECT_FALSE(p256_parse_public_key(Bytes(64, 4)).ok());
  EXPECT_FALSE(p256_signature_der_to_raw(Bytes{0x30, 0x02, 0x02}).ok());  // truncated DER
  EXPECT_FALSE(p256_signature_raw_to_der(Bytes(63, 1)).ok());
  // Non-canonical DER (trailing byte) is refused even though r, s are fine.
  T3N_ASSERT_OK_AND_ASSIGN(Bytes der, k.sign_der(common::as_bytes("m")));
  der.push_back(0);
  EXPECT_FALSE(p256_verify_der(k.public_key(), common::as_bytes("m"), der).ok());
}

TEST(P256, EcdhAgreesAndCompressedKeysParse) {
  T3N_ASSERT_OK_AND_ASSIGN(auto a, P256PrivateKey::generate());
  T3N_ASSERT_OK_AND_ASSIGN(auto b, P256PrivateKey::generate());
  T3N_ASSERT_OK_AND_ASSIGN(SecretBytes s1, a.ecdh(b.public_key()));
  T3N_ASSERT_OK_AND_ASSIGN(SecretBytes s2, b.ecdh(a.public_key()));
  EXPECT_EQ(to_hex(s1), to_hex(s2));
  Bytes compressed(a.public_key().begin(), a.public_key().begin() + 33);
  compressed[0] = (a.public_key()[64] & 1) ? 0x03 : 0x02;
  EXPECT_EQ(*p256_parse_public_key(compressed), a.public_key());
}

}  // namespace
}  // namespace t3n::crypto
