// Delegation credentials and organisations below the SDK: RFC 8785 JCS
// (key order by UTF-16 code units, escapes), every credential body
// invariant, canonical bytes only, revocations that merge per function, org
// grants that expire, and org data that never reaches disk in plaintext.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/encoding.h"
#include "identity/did.h"
#include "store/store_test_util.h"
#include "system/delegation.h"
#include "system/organisations.h"

namespace t3n::system {
namespace {

using common::Json;

TEST(Jcs, SortsKeysByUtf16CodeUnitsAndEscapesAsRfc8785) {
  // RFC 8785 §3.2.3's sorting example: U+1F600 (a surrogate pair, D83D…)
  // sorts before U+FB33 although its UTF-8 bytes sort after.
  const auto j = common::parse_json(R"({"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh",
    "1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"})");
  ASSERT_TRUE(j.ok());
  auto out = jcs(*j);
  ASSERT_TRUE(out.ok());
  const std::vector<std::string> order = {"Carriage Return", "One", "Control", "Latin Small", "Euro Sign", "Emoji", "Hebrew"};
  std::size_t at = 0;
  for (const auto& v : order) {
    const auto p = out->find(v, at);
    ASSERT_NE(p, std::string::npos) << v << " out of order in " << *out;
    at = p;
  }
  EXPECT_EQ(*jcs(Json::parse(R"({"b":[1,"a/b","\n\u000f"],"a":true})")), "{\"a\":true,\"b\":[1,\"a/b\",\"\\n\\u000f\"]}");
  EXPECT_EQ(jcs(Json::parse(R"({"x":1.5})")).status().code(), ErrorCode::kInvalidArgument) << "fractions are refused";
}

Json body() {
  return Json{{"v", "ot3.delegation/1"},
              {"user_did", "did:t3n:" + std::string(40, 'a')},
              {"agent_pubkey", common::base64url_encode(Bytes(33, 2))},
              {"org_did", "did:t3n:" + std::string(40, 'b')},
              {"contract", "z:" + std::string(40, 'c') + ":payroll"},
              {"functions", {"compute-payroll", "execute-disbursement"}},
              {"scopes", {"payroll"}},
              {"metadata", {{"region", "sg"}}},
              {"not_before_secs", "1700000000"},
              {"not_after_secs", "1700086400"},
              {"vc_id", common::base64url_encode(Bytes(16, 7))}};
}

TEST(DelegationCredential, EveryBodyInvariantIsChecked) {
  auto ok = parse_credential_body(body());
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->functions.size(), 2u);
  EXPECT_EQ(ok->not_after_secs, 1700086400u);
  auto refused = [](Json b, const char* why) {
    auto r = parse_credential_body(b);
    EXPECT_FALSE(r.ok()) << why;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("InvalidCredential"), std::string::npos) << r.status().message();
    }
  };
  Json b = body();
  b["v"] = "ot3.delegation/2";
  refused(b, "domain");
  b = body();
  b["functions"] = {"b", "a"};
  refused(b, "unsorted functions");
  b = body();
  b["functions"] = {"a", "a"};
  refused(b, "duplicate functions");
  b = body();
  b["functions"] = Json::array();
  refused(b, "no function");
  b = body();
  b["functions"] = {"Compute"};
  refused(b, "upper case");
  b = body();
  b["not_after_secs"] = "1700000000";
  refused(b, "empty window");
  b = body();
  b["not_before_secs"] = 1700000000;
  refused(b, "a number instead of a decimal string");
  b = body();
  b["vc_id"] = common::base64url_encode(Bytes(15, 7));
  refused(b, "short vc_id");
  b = body();
  b["agent_pubkey"] = common::base64_encode(Bytes(33, 0xfb));
  refused(b, "standard base64 alphabet / padding");
  b = body();
  b["user_did"] = "did:t3n:" + std::string(40, 'A');
  refused(b, "upper-case DID");
  b = body();
  b["extra"] = 1;
  refused(b, "unknown field");
}

TEST(DelegationCredential, OnlyCanonicalBytesAreAccepted) {
  const std::string canonical = *jcs(body());
  EXPECT_TRUE(parse_credential_jcs(common::as_bytes(canonical)).ok());
  const std::string spaced = body().dump(1);
  auto r = parse_credential_jcs(common::as_bytes(spaced));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("NotCanonical"), std::string::npos);
}

struct OrgStore : ::testing::Test {
  void SetUp() override {
    auto opened = store::Store::open(store::testing::options_for(dir.path() / "store"));
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    db = std::move(*opened);
    ASSERT_TRUE(ensure_organisation_tables(*db).ok());
    ASSERT_TRUE(ensure_delegation_tables(*db).ok());
  }
  template <class F>
  auto in_tx(F&& fn) {
    auto tx = db->begin(store::Principal::system());
    auto out = fn(tx);
    EXPECT_TRUE(db->commit(tx).ok());
    return out;
  }
  Result<Json> org_call(const std::string& fn, const Bytes& caller, Json in, std::uint64_t now_ms = 1'700'000'000'000) {
    return in_tx([&](store::Transaction& tx) {
      OrgDataCall c{tx, caller, in, now_ms, defaults};
      return org_data_function(fn, c);
    });
  }
  store::testing::TempDir dir;
  std::unique_ptr<store::Store> db;
  OrgPolicyDefaults defaults;
  Bytes admin = Bytes(20, 0x11), writer = Bytes(20, 0x22), reader = Bytes(20, 0x33);
};

TEST_F(OrgStore, RevocationsMergePerFunctionUntilTheWholeCredential) {
  auto cred = parse_credential_body(body());
  ASSERT_TRUE(cred.ok());
  auto first = in_tx([&](store::Transaction& tx) {
    return revoke_credential(tx, *cred, std::vector<std::string>{"execute-disbursement"}, 1);
  });
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ(**first, std::vector<std::string>{"execute-disbursement"});
  EXPECT_TRUE(in_tx([&](store::Transaction& tx) { return is_revoked(tx, *cred, "execute-disbursement"); }).value());
  EXPECT_FALSE(in_tx([&](store::Transaction& tx) { return is_revoked(tx, *cred, "compute-payroll"); }).value());
  auto second = in_tx([&](store::Transaction& tx) { return revoke_credential(tx, *cred, std::vector<std::string>{"compute-payroll"}, 2); });
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->has_value()) << "every function revoked is the whole credential";
  // Another user's credential with the same vc_id is untouched.
  Json other = body();
  other["user_did"] = "did:t3n:" + std::string(40, 'd');
  auto theirs = parse_credential_body(other);
  EXPECT_FALSE(in_tx([&](store::Transaction& tx) { return is_revoked(tx, *theirs, "compute-payroll"); }).value());
}

TEST_F(OrgStore, GrantsExpireAndOrgDataNeverReachesDiskInPlaintext) {
  auto org = in_tx([&](store::Transaction& tx) { return create_organisation(tx, admin, "Acme", 1'700'000'000'000); });
  ASSERT_TRUE(org.ok()) << org.status().to_string();
  const std::string org_did = identity::t3n_did(*org);
  ASSERT_TRUE(org_call("org-policy-set-writers", admin, {{"org_did", org_did}, {"scope", "HR"}, {"writers", {identity::t3n_did(writer)}}}).ok());
  const std::string marker = "5365637265742d73616c6172792d4d41524b4552";  // "Secret-salary-MARKER"
  auto w = org_call("org-data-write", writer, {{"org_did", org_did}, {"scope", "hr"}, {"payload_hex", marker}, {"client_seq_no", 7}});
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  // A reader with a grant until t reads the scope until t, and not after.
  const std::uint64_t t = 1'700'000'100;
  ASSERT_TRUE(org_call("org-policy-set-grants", admin,
                       {{"org_did", org_did}, {"contract_id", "z:x:payroll"},
                        {"grants", {{{"user_did", identity::t3n_did(reader)}, {"functions", {"run"}}, {"scopes", {"hr"}}, {"expires_at_secs", t}}}}})
                  .ok());
  EXPECT_TRUE(org_call("org-data-get", reader, {{"org_did", org_did}, {"scope", "hr"}, {"entry_id", (*w)["entry_id"]}}, t * 1000).ok());
  auto late = org_call("org-data-get", reader, {{"org_did", org_did}, {"scope", "hr"}, {"entry_id", (*w)["entry_id"]}}, (t + 1) * 1000);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), ErrorCode::kPermissionDenied);
  auto live = in_tx([&](store::Transaction& tx) { return live_grant(tx, *org, "z:x:payroll", reader, t + 1); });
  EXPECT_FALSE(live->has_value()) << "an expired grant is no grant";

  db.reset();  // flushed and closed
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(marker), std::string::npos) << f.path();
    EXPECT_EQ(bytes.find("Secret-salary-MARKER"), std::string::npos) << f.path();
  }
}

}  // namespace
// Used nonces go once their credential is long over, in bounded passes
// that resume where the last stopped; live credentials' nonces stay.
TEST_F(OrgStore, UsedNoncesOfExpiredCredentialsArePrunedInBoundedPasses) {
  constexpr std::uint64_t kNow = 1'000'000;
  in_tx([&](store::Transaction& tx) {
    for (std::uint8_t i = 0; i < 10; ++i) {
      // Even rows: ended long ago; odd rows: still valid, or ended too recently.
      const std::uint64_t not_after = i % 2 == 0 ? kNow - kNonceKeepAfterExpirySecs - 1 - i : kNow - kNonceKeepAfterExpirySecs + i;
      EXPECT_TRUE(kInvocationNonces.in(tx).put(Bytes(36, i), not_after).ok());
    }
    return 0;
  });
  Bytes cursor;
  std::size_t removed = 0;
  int passes = 0;
  do {
    auto pass = in_tx([&](store::Transaction& tx) { return prune_invocation_nonces(tx, kNow, cursor, 3); });
    ASSERT_TRUE(pass.ok()) << pass.status().to_string();
    removed += pass->removed;
    cursor = pass->resume_after;
    ++passes;
  } while (!cursor.empty() && passes < 10);
  EXPECT_EQ(removed, 5u);
  EXPECT_EQ(passes, 4);  // 3 + 3 + 3 + 1 rows
  auto tx = db->begin(store::Principal::system());
  for (std::uint8_t i = 0; i < 10; ++i) EXPECT_EQ(kInvocationNonces.in(tx).get(Bytes(36, i))->has_value(), i % 2 == 1) << int(i);
}

}  // namespace t3n::system
