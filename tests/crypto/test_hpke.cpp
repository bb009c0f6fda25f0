#include <gtest/gtest.h>

#include <cstdio>
#include <optional>

#include "crypto/hpke.h"
#include "test_util.h"

namespace t3n::crypto {
namespace {

using t3n::testing::hex;
using t3n::testing::load_vectors;
using t3n::testing::to_hex;

// Runs one official vector end to end: DeriveKeyPair, deterministic sender
// setup, receiver setup, every encryption in order, every export.
void run_vector(const common::Json& t) {
  auto suite = hpke_suite_from_ids(t["kem_id"].get<std::uint16_t>(), t["kdf_id"].get<std::uint16_t>(),
                                   t["aead_id"].get<std::uint16_t>());
  ASSERT_TRUE(suite.ok()) << suite.status().to_string();
  const std::string where = "kem " + std::to_string(t["kem_id"].get<int>()) + " kdf " +
                            std::to_string(t["kdf_id"].get<int>()) + " aead " +
                            std::to_string(t["aead_id"].get<int>()) + " mode " + std::to_string(t["mode"].get<int>());
  SCOPED_TRACE(where);

  T3N_ASSERT_OK_AND_ASSIGN(auto sk_r, HpkePrivateKey::derive(suite->kem, hex(t["ikmR"])));
  EXPECT_EQ(to_hex(sk_r.serialize()), t["skRm"].get<std::string>());
  EXPECT_EQ(to_hex(sk_r.public_key()), t["pkRm"].get<std::string>());

  Bytes psk, psk_id;
  std::optional<HpkePsk> psk_opt;
  if (t["mode"].get<int>() == 1) {
    psk = hex(t["psk"]);
    psk_id = hex(t["psk_id"]);
    psk_opt = HpkePsk{psk, psk_id};
  }
  Bytes info = hex(t["info"]);
  T3N_ASSERT_OK_AND_ASSIGN(auto sender, hpke_setup_sender_derand(*suite, hex(t["pkRm"]), info, hex(t["ikmE"]), psk_opt));
  EXPECT_EQ(to_hex(sender.enc), t["enc"].get<std::string>());
  T3N_ASSERT_OK_AND_ASSIGN(auto receiver, hpke_setup_receiver(*suite, sk_r, sender.enc, info, psk_opt));

  for (const auto& e : t["encryptions"]) {
    T3N_ASSERT_OK_AND_ASSIGN(Bytes ct, sender.context.seal(hex(e["aad"]), hex(e["pt"])));
    ASSERT_EQ(to_hex(ct), e["ct"].get<std::string>());
    T3N_ASSERT_OK_AND_ASSIGN(Bytes pt, receiver.open(hex(e["aad"]), ct));
    ASSERT_EQ(to_hex(pt), e["pt"].get<std::string>());
  }
  for (const auto& x : t["exports"]) {
    const auto len = x["L"].get<std::size_t>();
    T3N_ASSERT_OK_AND_ASSIGN(SecretBytes a, sender.context.export_secret(hex(x["exporter_context"]), len));
    T3N_ASSERT_OK_AND_ASSIGN(SecretBytes b, receiver.export_secret(hex(x["exporter_context"]), len));
    EXPECT_EQ(to_hex(a), x["exported_value"].get<std::string>());
    EXPECT_EQ(to_hex(b), x["exported_value"].get<std::string>());
  }
}

bool supported(const common::Json& t) {
  return hpke_suite_from_ids(t["kem_id"].get<std::uint16_t>(), t["kdf_id"].get<std::uint16_t>(),
                             t["aead_id"].get<std::uint16_t>())
      .ok();
}

TEST(Hpke, Rfc9180VectorsForEverySuiteWeImplement) {
  auto v = load_vectors("crypto/hpke/rfc9180-test-vectors.json");
  int ran = 0;
  for (const auto& t : v) {
    if (!supported(t)) continue;
    run_vector(t);
    ++ran;
  }
  // DHKEM(P-256) and DHKEM(X25519) × HKDF-SHA256/512 × 4 AEADs × base/psk.
  EXPECT_EQ(ran, 32);
}

TEST(Hpke, HpkePqVectorsXWingAndMlKem768) {
  auto v = load_vectors("crypto/hpke/hpke-pq-test-vectors.json");
  int xwing = 0, mlkem = 0;
  for (const auto& t : v) {
    if (!supported(t)) continue;  // other KEMs, and the one-stage SHAKE KDFs
    run_vector(t);
    if (t["kem_id"] == 0x647A) ++xwing;
    if (t["kem_id"] == 0x0041) ++mlkem;
  }
  EXPECT_EQ(xwing, 1);
  EXPECT_EQ(mlkem, 1);
}

class HpkeSuites : public ::testing::TestWithParam<HpkeSuite> {};

TEST_P(HpkeSuites, SealOpenAndTamperDetection) {
  const HpkeSuite suite = GetParam();
  T3N_ASSERT_OK_AND_ASSIGN(auto sk, HpkePrivateKey::generate(suite.kem));
  Bytes info = common::to_bytes("t3n ohttp"), aad = common::to_bytes("hdr");
  Bytes pt = common::to_bytes("{\"jsonrpc\":\"2.0\"}");
  T3N_ASSERT_OK_AND_ASSIGN(auto sealed, hpke_seal(suite, sk.public_key(), info, aad, pt));
  EXPECT_EQ(*hpke_open(suite, sk, sealed.enc, info, aad, sealed.ciphertext), pt);

  Bytes bad_ct = sealed.ciphertext;
  bad_ct.back() ^= 1;
  EXPECT_EQ(hpke_open(suite, sk, sealed.enc, info, aad, bad_ct).status().code(), ErrorCode::kVerificationFailed);
  EXPECT_FALSE(hpke_open(suite, sk, sealed.enc, common::as_bytes("other info"), aad, sealed.ciphertext).ok());
  EXPECT_FALSE(hpke_open(suite, sk, sealed.enc, info, common::as_bytes("other"), sealed.ciphertext).ok());
  Bytes bad_enc = sealed.enc;
  bad_enc[bad_enc.size() / 2] ^= 1;
  EXPECT_FALSE(hpke_open(suite, sk, bad_enc, info, aad, sealed.ciphertext).ok());
  Bytes short_enc(sealed.enc.begin(), sealed.enc.end() - 1);
  EXPECT_EQ(hpke_open(suite, sk, short_enc, info, aad, sealed.ciphertext).status().code(), ErrorCode::kInvalidArgument);
  // A key for another recipient cannot open.
  T3N_ASSERT_OK_AND_ASSIGN(auto other, HpkePrivateKey::generate(suite.kem));
  EXPECT_FALSE(hpke_open(suite, other, sealed.enc, info, aad, sealed.ciphertext).ok());
  // Private keys survive serialization.
  T3N_ASSERT_OK_AND_ASSIGN(auto again, HpkePrivateKey::deserialize(suite.kem, sk.serialize()));
  EXPECT_EQ(again.public_key(), sk.public_key());
}

TEST_P(HpkeSuites, SequenceNumbersMustMatch) {
  const HpkeSuite suite = GetParam();
  T3N_ASSERT_OK_AND_ASSIGN(auto sk, HpkePrivateKey::generate(suite.kem));
  T3N_ASSERT_OK_AND_ASSIGN(auto sender, hpke_setup_sender(suite, sk.public_key(), {}));
  T3N_ASSERT_OK_AND_ASSIGN(auto receiver, hpke_setup_receiver(suite, sk, sender.enc, {}));
  T3N_ASSERT_OK_AND_ASSIGN(Bytes c0, sender.context.seal({}, common::as_bytes("first")));
  T3N_ASSERT_OK_AND_ASSIGN(Bytes c1, sender.context.seal({}, common::as_bytes("second")));
  EXPECT_FALSE(receiver.open({}, c1).ok());  // out of order
  EXPECT_EQ(common::to_string(*receiver.open({}, c0)), "first");  // a failed open did not advance
  EXPECT_EQ(common::to_string(*receiver.open({}, c1)), "second");
  EXPECT_FALSE(receiver.open({}, c1).ok());  // replay
  EXPECT_EQ(receiver.seal({}, {}).status().code(), ErrorCode::kFailedPrecondition);
}

INSTANTIATE_TEST_SUITE_P(
    AllKems, HpkeSuites,
    ::testing::Values(HpkeSuite{HpkeKem::kXWing, HpkeKdf::kHkdfSha256, HpkeAead::kAes256Gcm},
                      HpkeSuite{HpkeKem::kXWing, HpkeKdf::kHkdfSha256, HpkeAead::kChaCha20Poly1305},
                      HpkeSuite{HpkeKem::kX25519HkdfSha256, HpkeKdf::kHkdfSha256, HpkeAead::kAes128Gcm},
                      HpkeSuite{HpkeKem::kP256HkdfSha256, HpkeKdf::kHkdfSha256, HpkeAead::kAes128Gcm},
                      HpkeSuite{HpkeKem::kMlKem768, HpkeKdf::kHkdfSha256, HpkeAead::kAes256Gcm}),
    [](const ::testing::TestParamInfo<HpkeSuite>& param_info) {
      char name[32];
      std::snprintf(name, sizeof name, "kem%04x_kdf%u_aead%04x", static_cast<unsigned>(param_info.param.kem),
                    static_cast<unsigned>(param_info.param.kdf), static_cast<unsigned>(param_info.param.aead));
      return std::string(name);
    });

TEST(Hpke, PskModeNeedsBothPskAndId) {
  HpkeSuite suite{HpkeKem::kX25519HkdfSha256, HpkeKdf::kHkdfSha256, HpkeAead::kAes128Gcm};
  T3N_ASSERT_OK_AND_ASSIGN(auto sk, HpkePrivateKey::generate(suite.kem));
  Bytes psk(32, 7), id = common::to_bytes("id");
  EXPECT_EQ(hpke_setup_sender(suite, sk.public_key(), {}, HpkePsk{psk, {}}).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(hpke_setup_sender(suite, sk.public_key(), {}, HpkePsk{{}, id}).status().code(),
            ErrorCode::kInvalidArgument);
  T3N_ASSERT_OK_AND_ASSIGN(auto sender, hpke_setup_sender(suite, sk.public_key(), {}, HpkePsk{psk, id}));
  T3N_ASSERT_OK_AND_ASSIGN(Bytes ct, sender.context.seal({}, common::as_bytes("x")));
  Bytes wrong_psk(32, 8);
  T3N_ASSERT_OK_AND_ASSIGN(auto wrong, hpke_setup_receiver(suite, sk, sender.enc, {}, HpkePsk{wrong_psk, id}));
  EXPECT_FALSE(wrong.open({}, ct).ok());
}

TEST(Hpke, ExportOnlyAndUnknownIds) {
  HpkeSuite suite{HpkeKem::kXWing, HpkeKdf::kHkdfSha256, HpkeAead::kExportOnly};
  T3N_ASSERT_OK_AND_ASSIGN(auto sk, HpkePrivateKey::generate(suite.kem));
  T3N_ASSERT_OK_AND_ASSIGN(auto sender, hpke_setup_sender(suite, sk.public_key(), {}));
  EXPECT_EQ(sender.context.seal({}, {}).status().code(), ErrorCode::kFailedPrecondition);
  T3N_ASSERT_OK_AND_ASSIGN(auto receiver, hpke_setup_receiver(suite, sk, sender.enc, {}));
  EXPECT_EQ(to_hex(*sender.context.export_secret(common::as_bytes("c"), 32)),
            to_hex(*receiver.export_secret(common::as_bytes("c"), 32)));
  EXPECT_FALSE(hpke_suite_from_ids(0x0012, 1, 1).ok());
  EXPECT_FALSE(hpke_suite_from_ids(0x0020, 0x0010, 1).ok());
  EXPECT_FALSE(hpke_suite_from_ids(0x0020, 1, 4).ok());
  EXPECT_FALSE(HpkePrivateKey::deserialize(HpkeKem::kXWing, Bytes(33, 0)).ok());
  // A key for one KEM cannot be used with a suite of another.
  HpkeSuite x25519{HpkeKem::kX25519HkdfSha256, HpkeKdf::kHkdfSha256, HpkeAead::kAes128Gcm};
  EXPECT_FALSE(hpke_setup_receiver(x25519, sk, Bytes(32, 9), {}).ok());
}

}  // namespace
}  // namespace t3n::crypto
