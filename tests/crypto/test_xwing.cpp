#include <gtest/gtest.h>

#include "crypto/xwing.h"
#include "test_util.h"

namespace t3n::crypto {
namespace {

using t3n::testing::hex;
using t3n::testing::load_vectors;
using t3n::testing::to_hex;

TEST(XWing, DraftVectors) {
  auto v = load_vectors("crypto/xwing/test-vectors.json");
  int n = 0;
  for (const auto& t : v) {
    T3N_ASSERT_OK_AND_ASSIGN(auto sk, XWingPrivateKey::from_seed(hex(t["seed"])));
    EXPECT_EQ(to_hex(sk.seed()), t["sk"].get<std::string>());
    EXPECT_EQ(to_hex(sk.public_key()), t["pk"].get<std::string>());
    T3N_ASSERT_OK_AND_ASSIGN(auto enc, xwing_encapsulate_derand(hex(t["pk"]), hex(t["eseed"])));
    EXPECT_EQ(to_hex(enc.ciphertext), t["ct"].get<std::string>());
    EXPECT_EQ(to_hex(enc.shared_secret), t["ss"].get<std::string>());
    T3N_ASSERT_OK_AND_ASSIGN(SecretBytes ss, sk.decapsulate(hex(t["ct"])));
    EXPECT_EQ(to_hex(ss), t["ss"].get<std::string>());
    ++n;
  }
  EXPECT_EQ(n, 3);
}

TEST(XWing, SizesAndRoundTrip) {
  T3N_ASSERT_OK_AND_ASSIGN(auto sk, XWingPrivateKey::generate());
  EXPECT_EQ(sk.public_key().size(), kXWingPublicKeySize);
  EXPECT_EQ(sk.seed().size(), kXWingSeedSize);
  T3N_ASSERT_OK_AND_ASSIGN(auto enc, xwing_encapsulate(sk.public_key()));
  EXPECT_EQ(enc.ciphertext.size(), kXWingCiphertextSize);
  T3N_ASSERT_OK_AND_ASSIGN(SecretBytes ss, sk.decapsulate(enc.ciphertext));
  EXPECT_EQ(to_hex(ss), to_hex(enc.shared_secret));
}

TEST(XWing, TamperedCiphertextGivesAnotherSecret) {
  T3N_ASSERT_OK_AND_ASSIGN(auto sk, XWingPrivateKey::generate());
  T3N_ASSERT_OK_AND_ASSIGN(auto enc, xwing_encapsulate(sk.public_key()));
  for (std::size_t i : {0ul, 500ul, 1087ul, 1088ul, 1119ul}) {
    Bytes bad = enc.ciphertext;
    bad[i] ^= 0x01;
    auto ss = sk.decapsulate(bad);
    // ML-KEM part: implicit rejection; X25519 part: a different point.
    if (ss.ok()) {
      EXPECT_NE(to_hex(*ss), to_hex(enc.shared_secret)) << i;
    }
  }
}

TEST(XWing, BadInputsAreClearErrors) {
  T3N_ASSERT_OK_AND_ASSIGN(auto sk, XWingPrivateKey::generate());
  EXPECT_EQ(XWingPrivateKey::from_seed(Bytes(31, 0)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(sk.decapsulate(Bytes(1119, 0)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(xwing_encapsulate(Bytes(1215, 0)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(xwing_encapsulate_derand(sk.public_key(), Bytes(63, 0)).status().code(), ErrorCode::kInvalidArgument);
  // An ML-KEM part whose coefficients are ≥ q fails the modulus check.
  Bytes bad_pk = sk.public_key();
  for (std::size_t i = 0; i < 384; ++i) bad_pk[i] = 0xff;
  EXPECT_EQ(xwing_encapsulate(bad_pk).status().code(), ErrorCode::kInvalidArgument);
  // A small-order X25519 part of the ciphertext is refused, not turned into a key.
  T3N_ASSERT_OK_AND_ASSIGN(auto enc, xwing_encapsulate(sk.public_key()));
  Bytes low_order = enc.ciphertext;
  std::fill(low_order.begin() + 1088, low_order.end(), 0);
  EXPECT_FALSE(sk.decapsulate(low_order).ok());
}

}  // namespace
}  // namespace t3n::crypto
