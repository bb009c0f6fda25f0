#include <gtest/gtest.h>

#include "crypto/mldsa.h"
#include "test_util.h"

namespace t3n::crypto {
namespace {

using t3n::testing::hex;
using t3n::testing::load_vectors;
using t3n::testing::to_hex;

Bytes field_or_empty(const common::Json& t, const char* name) {
  return t.contains(name) ? hex(t[name]) : Bytes{};
}

TEST(MlDsa65, AcvpKeyGen) {
  auto v = load_vectors("crypto/mldsa/acvp-ML-DSA-keyGen-FIPS204-ML-DSA-65.json");
  int n = 0;
  for (const auto& g : v["testGroups"]) {
    for (const auto& t : g["tests"]) {
      T3N_ASSERT_OK_AND_ASSIGN(auto kp, mldsa65_keygen_derand(hex(t["seed"])));
      EXPECT_EQ(kp.public_key, hex(t["pk"])) << t["tcId"];
      EXPECT_EQ(to_hex(kp.secret_key), to_hex(hex(t["sk"]))) << t["tcId"];
      ++n;
    }
  }
  EXPECT_EQ(n, 15);
}

TEST(MlDsa65, AcvpSigVer) {
  auto v = load_vectors("crypto/mldsa/acvp-ML-DSA-sigVer-FIPS204-ML-DSA-65.json");
  int checked = 0, external_mu = 0;
  for (const auto& g : v["testGroups"]) {
    const std::string iface = g.value("signatureInterface", "");
    for (const auto& t : g["tests"]) {
      const bool expected = t["testPassed"].get<bool>();
      Bytes pk = hex(t["pk"]), sig = hex(t["signature"]);
      Status s;
      if (iface == "internal") {
        if (g.value("externalMu", false)) {
          // libcrux takes M', not a precomputed µ: these cases cannot be run.
          ++external_mu;
          continue;
        }
        s = mldsa65_verify_internal(pk, hex(t["message"]), sig);
      } else if (g["preHash"] == "preHash") {
        s = mldsa65_verify_prehash(pk, t["hashAlg"].get<std::string>(), hex(t["message"]), sig,
                                   field_or_empty(t, "context"));
      } else {
        s = mldsa65_verify(pk, hex(t["message"]), sig, field_or_empty(t, "context"));
      }
      EXPECT_EQ(s.ok(), expected) << "tgId " << g["tgId"] << " tcId " << t["tcId"] << ": " << s.to_string();
      if (!expected) {
        EXPECT_TRUE(s.code() == ErrorCode::kVerificationFailed || s.code() == ErrorCode::kInvalidArgument);
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 45);
  EXPECT_EQ(external_mu, 15);
}

TEST(MlDsa65, AcvpSigGenLegacyInternal) {
  auto v = load_vectors("crypto/mldsa/acvp-ML-DSA-sigGen-FIPS204-ML-DSA-65.legacy-2024-08.json");
  int n = 0;
  for (const auto& g : v["testGroups"]) {
    for (const auto& t : g["tests"]) {
      Bytes rnd = g["deterministic"].get<bool>() ? Bytes(32, 0) : hex(t["rnd"]);
      T3N_ASSERT_OK_AND_ASSIGN(Bytes sig, mldsa65_sign_internal(hex(t["sk"]), hex(t["message"]), rnd));
      EXPECT_EQ(to_hex(sig), to_hex(hex(t["signature"]))) << t["tcId"];
      ++n;
    }
  }
  EXPECT_EQ(n, 20);
}

TEST(MlDsa65, AcvpSigGenCurrentFormatExternalPure) {
  auto v = load_vectors("crypto/mldsa/acvp-demo-ML-DSA-sigGen-FIPS204-ML-DSA-65.json");
  int n = 0;
  for (const auto& g : v["testGroups"]) {
    if (g.value("signatureInterface", "") != "external") continue;  // the others give µ only
    for (const auto& t : g["tests"]) {
      Bytes rnd = g["deterministic"].get<bool>() ? Bytes(32, 0) : hex(t["rnd"]);
      T3N_ASSERT_OK_AND_ASSIGN(Bytes sig, mldsa65_sign_derand(hex(t["sk"]), hex(t["message"]),
                                                               field_or_empty(t, "context"), rnd));
      EXPECT_EQ(to_hex(sig), to_hex(hex(t["signature"]))) << t["tcId"];
      ++n;
    }
  }
  EXPECT_EQ(n, 2);
}

TEST(MlDsa65, WycheproofSignFromSeed) {
  auto v = load_vectors("crypto/mldsa/wycheproof-mldsa_65_sign_seed_test.json");
  int signed_ok = 0, refused = 0, mu_only = 0;
  for (const auto& g : v["testGroups"]) {
    auto kp = mldsa65_keygen_derand(hex(g["privateSeed"]));
    for (const auto& t : g["tests"]) {
      const auto id = t["tcId"].get<int>();
      if (t["result"] == "invalid") {
        bool rejected = !kp.ok() || !mldsa65_sign_derand(kp->secret_key, hex(t["msg"]), field_or_empty(t, "ctx"),
                                                         Bytes(32, 0)).ok();
        EXPECT_TRUE(rejected) << id << " " << t["comment"];
        ++refused;
        continue;
      }
      ASSERT_TRUE(kp.ok()) << id;
      EXPECT_EQ(kp->public_key, hex(g["publicKey"])) << id;
      if (!t.contains("msg")) {
        ++mu_only;  // internal interface from µ: not exposed by libcrux
        continue;
      }
      Bytes rnd = t.contains("rnd") ? hex(t["rnd"]) : Bytes(32, 0);
      T3N_ASSERT_OK_AND_ASSIGN(Bytes sig,
                               mldsa65_sign_derand(kp->secret_key, hex(t["msg"]), field_or_empty(t, "ctx"), rnd));
      EXPECT_EQ(to_hex(sig), to_hex(hex(t["sig"]))) << id << " " << t["comment"];
      EXPECT_TRUE(mldsa65_verify(kp->public_key, hex(t["msg"]), sig, field_or_empty(t, "ctx")).ok()) << id;
      ++signed_ok;
    }
  }
  EXPECT_EQ(signed_ok + refused + mu_only, 105);
  EXPECT_EQ(refused, 4);
  EXPECT_GT(signed_ok, 80);
}

TEST(MlDsa65, PreHashSignVerifyRoundTripEveryHash) {
  T3N_ASSERT_OK_AND_ASSIGN(auto kp, mldsa65_keygen());
  Bytes msg = common::to_bytes("receipt"), ctx = common::to_bytes("t3n");
  for (const char* h : {"SHA2-224", "SHA2-256", "SHA2-384", "SHA2-512", "SHA2-512/224", "SHA2-512/256", "SHA3-224",
                        "SHA3-256", "SHA3-384", "SHA3-512", "SHAKE-128", "SHAKE-256"}) {
    T3N_ASSERT_OK_AND_ASSIGN(Bytes sig, mldsa65_sign_prehash_derand(kp.secret_key, h, msg, ctx, Bytes(32, 1)));
    EXPECT_TRUE(mldsa65_verify_prehash(kp.public_key, h, msg, sig, ctx).ok()) << h;
    // A pure-mode verifier must not accept a HashML-DSA signature.
    EXPECT_FALSE(mldsa65_verify(kp.public_key, msg, sig, ctx).ok()) << h;
  }
  EXPECT_FALSE(mldsa65_sign_prehash_derand(kp.secret_key, "MD5", msg, ctx, Bytes(32, 1)).ok());
}

TEST(MlDsa65, TamperAndBadInputs) {
  T3N_ASSERT_OK_AND_ASSIGN(auto kp, mldsa65_keygen());
  Bytes msg = common::to_bytes("history root");
  T3N_ASSERT_OK_AND_ASSIGN(Bytes sig, mldsa65_sign(kp.secret_key, msg, common::as_bytes("ctx")));
  EXPECT_TRUE(mldsa65_verify(kp.public_key, msg, sig, common::as_bytes("ctx")).ok());
  EXPECT_EQ(mldsa65_verify(kp.public_key, msg, sig, common::as_bytes("ctz")).code(), ErrorCode::kVerificationFailed);
  for (std::size_t i : {0ul, 100ul, 2000ul, sig.size() - 1}) {
    Bytes bad = sig;
    bad[i] ^= 1;
    EXPECT_FALSE(mldsa65_verify(kp.public_key, msg, bad, common::as_bytes("ctx")).ok()) << i;
  }
  EXPECT_FALSE(mldsa65_verify(kp.public_key, msg, Bytes(100, 0)).ok());
  EXPECT_EQ(mldsa65_verify(Bytes(10, 0), msg, sig).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(mldsa65_sign(kp.secret_key, msg, Bytes(256, 0)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(mldsa65_sign(Bytes(4031, 0), msg).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(mldsa65_keygen_derand(Bytes(31, 0)).ok());
}

}  // namespace
}  // namespace t3n::crypto
