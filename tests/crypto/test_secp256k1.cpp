#include <gtest/gtest.h>

#include "crypto/secp256k1.h"
#include "test_util.h"

namespace t3n::crypto {
namespace {

using t3n::testing::hex;
using t3n::testing::to_hex;

class Secp256k1Vectors : public ::testing::Test {
 protected:
  void SetUp() override {
    v_ = t3n::testing::load_vectors("crypto/keccak-eth/known-answers.json");
    auto s = Secp256k1Signer::create();
    ASSERT_TRUE(s.ok());
    signer_ = std::make_unique<Secp256k1Signer>(std::move(s).value());
  }
  common::Json v_;
  std::unique_ptr<Secp256k1Signer> signer_;
};

TEST_F(Secp256k1Vectors, KeyToAddress) {
  const auto& c = v_["secp256k1_key_to_address"];
  Bytes sk = hex(c["private_key"]);
  EXPECT_EQ("0x" + to_hex(*signer_->public_key(sk)), c["public_key_uncompressed"].get<std::string>());
  EXPECT_EQ("0x" + to_hex(*signer_->public_key(sk, true)), c["public_key_compressed"].get<std::string>());
  T3N_ASSERT_OK_AND_ASSIGN(Bytes addr, eth_address(hex(c["public_key_compressed"])));
  EXPECT_EQ("0x" + to_hex(addr), c["address_lower"].get<std::string>());
  EXPECT_EQ(eth_checksum_address(addr), c["address_checksummed"].get<std::string>());
}

TEST_F(Secp256k1Vectors, Rfc6979RecoverableSignature) {
  const auto& c = v_["recoverable_signature"];
  Bytes digest = hex(c["digest_keccak256"]);
  EXPECT_EQ("0x" + to_hex(keccak256(common::as_bytes(c["message_utf8"].get<std::string>()))),
            c["digest_keccak256"].get<std::string>());
  T3N_ASSERT_OK_AND_ASSIGN(Bytes sig, signer_->sign_recoverable(hex(c["private_key"]), digest));
  EXPECT_EQ("0x" + to_hex(ByteView(sig).first(32)), c["r"].get<std::string>());
  EXPECT_EQ("0x" + to_hex(ByteView(sig).subspan(32, 32)), c["s"].get<std::string>());
  EXPECT_EQ(sig[64], c["recovery_id"].get<int>());
  T3N_ASSERT_OK_AND_ASSIGN(Bytes pub, secp256k1_recover(digest, sig));
  EXPECT_EQ(eth_checksum_address(*eth_address(pub)), c["recovered_address"].get<std::string>());
  EXPECT_TRUE(secp256k1_verify(pub, digest, ByteView(sig).first(64)).ok());
}

TEST_F(Secp256k1Vectors, Eip191PersonalSign) {
  const auto& h = v_["eip191_personal_message_hash"];
  EXPECT_EQ("0x" + to_hex(eip191_hash(common::as_bytes(h["message_utf8"].get<std::string>()))),
            h["hash"].get<std::string>());
  const auto& c = v_["eip191_personal_sign"];
  Bytes msg = common::to_bytes(c["message_utf8"].get<std::string>());
  T3N_ASSERT_OK_AND_ASSIGN(Bytes sig, eth_personal_sign(*signer_, hex(c["private_key"]), msg));
  EXPECT_EQ("0x" + to_hex(sig), c["serialized_65"].get<std::string>());
  EXPECT_EQ(sig[64], c["v"].get<int>());
  T3N_ASSERT_OK_AND_ASSIGN(Bytes signer_addr, eth_recover_personal_signer(msg, sig));
  EXPECT_EQ(eth_checksum_address(signer_addr), c["recovered_address"].get<std::string>());
}

TEST_F(Secp256k1Vectors, ForgedAndMalformedSignatures) {
  const auto& c = v_["eip191_personal_sign"];
  Bytes msg = common::to_bytes(c["message_utf8"].get<std::string>());
  Bytes sig = hex(c["serialized_65"]);
  Bytes expected = hex(v_["secp256k1_key_to_address"]["address_lower"]);
  // Another message recovers another address: the signature does not transfer.
  auto other = eth_recover_personal_signer(common::as_bytes("hello world!"), sig);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, expected);
  Bytes flipped = sig;
  flipped[5] ^= 1;
  auto r = eth_recover_personal_signer(msg, flipped);
  EXPECT_TRUE(!r.ok() || *r != expected);
  Bytes bad_v = sig;
  bad_v[64] = 30;
  EXPECT_EQ(eth_recover_personal_signer(msg, bad_v).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(eth_recover_personal_signer(msg, Bytes(64, 1)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(secp256k1_recover(Bytes(31, 0), sig).ok());
  EXPECT_FALSE(eth_address(Bytes(65, 4)).ok());  // not on the curve
  EXPECT_FALSE(signer_->public_key(Bytes(32, 0)).ok());  // zero secret
  EXPECT_FALSE(signer_->sign_recoverable(Bytes(32, 0xff), Bytes(32, 1)).ok());  // secret ≥ n
}

}  // namespace
}  // namespace t3n::crypto
