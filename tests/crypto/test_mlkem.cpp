#include <gtest/gtest.h>

#include "crypto/mlkem.h"
#include "test_util.h"

namespace t3n::crypto {
namespace {

using t3n::testing::hex;
using t3n::testing::load_vectors;
using t3n::testing::to_hex;

TEST(MlKem768, AcvpKeyGen) {
  auto v = load_vectors("crypto/mlkem/acvp-ML-KEM-keyGen-FIPS203-ML-KEM-768.json");
  int n = 0;
  for (const auto& g : v["testGroups"]) {
    for (const auto& t : g["tests"]) {
      Bytes seed = common::concat({hex(t["d"]), hex(t["z"])});
      T3N_ASSERT_OK_AND_ASSIGN(auto kp, mlkem768_keygen_derand(seed));
      EXPECT_EQ(kp.encapsulation_key, hex(t["ek"])) << "tcId " << t["tcId"];
      EXPECT_EQ(to_hex(kp.decapsulation_key), to_hex(hex(t["dk"]))) << "tcId " << t["tcId"];
      ++n;
    }
  }
  EXPECT_EQ(n, 25);
}

TEST(MlKem768, AcvpEncapDecapAndKeyChecks) {
  auto v = load_vectors("crypto/mlkem/acvp-ML-KEM-encapDecap-FIPS203-ML-KEM-768.json");
  int encaps = 0, decaps = 0, checks = 0;
  for (const auto& g : v["testGroups"]) {
    const std::string fn = g["function"];
    for (const auto& t : g["tests"]) {
      const auto id = t["tcId"].get<int>();
      if (fn == "encapsulation") {
        T3N_ASSERT_OK_AND_ASSIGN(auto e, mlkem768_encapsulate_derand(hex(t["ek"]), hex(t["m"])));
        EXPECT_EQ(e.ciphertext, hex(t["c"])) << id;
        EXPECT_EQ(to_hex(e.shared_secret), to_hex(hex(t["k"]))) << id;
        ++encaps;
      } else if (fn == "decapsulation") {
        // Includes modified ciphertexts: implicit rejection gives the listed k.
        T3N_ASSERT_OK_AND_ASSIGN(SecretBytes k, mlkem768_decapsulate(hex(t["dk"]), hex(t["c"])));
        EXPECT_EQ(to_hex(k), to_hex(hex(t["k"]))) << id << " " << t.value("reason", "");
        ++decaps;
      } else if (fn == "encapsulationKeyCheck") {
        EXPECT_EQ(mlkem768_check_encapsulation_key(hex(t["ek"])).ok(), t["testPassed"].get<bool>())
            << id << " " << t.value("reason", "");
        ++checks;
      } else if (fn == "decapsulationKeyCheck") {
        EXPECT_EQ(mlkem768_check_decapsulation_key(hex(t["dk"])).ok(), t["testPassed"].get<bool>())
            << id << " " << t.value("reason", "");
        ++checks;
      }
    }
  }
  EXPECT_EQ(encaps, 25);
  EXPECT_EQ(decaps, 10);
  EXPECT_EQ(checks, 20);
}

TEST(MlKem768, EncapsulationRefusesKeysFailingTheModulusCheck) {
  auto v = load_vectors("crypto/mlkem/acvp-ML-KEM-encapDecap-FIPS203-ML-KEM-768.json");
  int refused = 0;
  for (const auto& g : v["testGroups"]) {
    if (g["function"] != "encapsulationKeyCheck") continue;
    for (const auto& t : g["tests"]) {
      if (t["testPassed"].get<bool>()) continue;
      auto e = mlkem768_encapsulate(hex(t["ek"]));
      ASSERT_FALSE(e.ok());
      EXPECT_EQ(e.status().code(), ErrorCode::kInvalidArgument);
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
}

TEST(MlKem768, Wycheproof) {
  auto v = load_vectors("crypto/mlkem/wycheproof-mlkem_768_test.json");
  int valid = 0, invalid = 0;
  for (const auto& g : v["testGroups"]) {
    for (const auto& t : g["tests"]) {
      const auto id = t["tcId"].get<int>();
      auto kp = mlkem768_keygen_derand(hex(t["seed"]));
      if (t["result"] == "valid") {
        ASSERT_TRUE(kp.ok()) << id;
        if (t.contains("ek")) {
          EXPECT_EQ(kp->encapsulation_key, hex(t["ek"])) << id;
        }
        T3N_ASSERT_OK_AND_ASSIGN(SecretBytes k, mlkem768_decapsulate(kp->decapsulation_key, hex(t["c"])));
        EXPECT_EQ(to_hex(k), to_hex(hex(t["K"]))) << id;
        ++valid;
      } else {
        // Wrong seed or ciphertext lengths: a clear error, never a key.
        bool refused = !kp.ok() || !mlkem768_decapsulate(kp->decapsulation_key, hex(t["c"])).ok();
        EXPECT_TRUE(refused) << id << " " << t["comment"];
        ++invalid;
      }
    }
  }
  EXPECT_EQ(valid, 153);
  EXPECT_EQ(invalid, 40);
}

TEST(MlKem768, RoundTripAndBadLengths) {
  T3N_ASSERT_OK_AND_ASSIGN(auto kp, mlkem768_keygen());
  T3N_ASSERT_OK_AND_ASSIGN(auto e, mlkem768_encapsulate(kp.encapsulation_key));
  T3N_ASSERT_OK_AND_ASSIGN(SecretBytes k, mlkem768_decapsulate(kp.decapsulation_key, e.ciphertext));
  EXPECT_EQ(to_hex(k), to_hex(e.shared_secret));
  EXPECT_FALSE(mlkem768_encapsulate(Bytes(1183, 0)).ok());
  EXPECT_FALSE(mlkem768_decapsulate(Bytes(2399, 0), e.ciphertext).ok());
  EXPECT_FALSE(mlkem768_encapsulate_derand(kp.encapsulation_key, Bytes(31, 0)).ok());
  auto bad = mlkem768_decapsulate(kp.decapsulation_key, Bytes(1087, 0));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ciphertext must be 1088 bytes"), std::string::npos);
}

}  // namespace
}  // namespace t3n::crypto
