// The system-only audit, analytics and consensus-trigger interfaces through
// the example `ledger-reader` component on real Wasmtime over a real store:
// transactions committed by the `counter` contract are found by seqno
// range, map and DID; aggregates count them; no key or value ever leaves;
// consensus-trigger refuses with its reason.
#include <gtest/gtest.h>

#include "host/host.h"
#include "runtime/runtime_fixture.h"

namespace t3n::host {
namespace {

using common::Json;

class LedgerReader : public runtime::testing::RuntimeFixture {
 protected:
  void SetUp() override {
    RuntimeFixture::SetUp();
    HostDeps deps;
    deps.ledger = store_.get();
    auto r = runtime::Runtime::create(runtime::RuntimeOptions{}, core_registry(deps));
    ASSERT_TRUE(r.ok());
    reader_rt_ = std::move(*r);
    auto c = reader_rt_->load(runtime::testing::read_contract("ledger-reader"),
                              runtime::testing::manifest_with({"audit", "analytics", "consensus_trigger"}));
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    reader_ = *c;
    counter_ = load("counter", runtime::testing::manifest_with({"kv_store", "logging", "tenant_context"}));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(call(*counter_, "increment", 1).ok);
    // A write keyed by a user id, as the identity tables are.
    auto tx = store_->begin(store::Principal::system());
    Bytes key(20, 0x42);
    key.push_back('!');
    ASSERT_TRUE(tx.put(store::testing::tenant_map("greetings"), key, common::to_bytes("secret-value")).ok());
    ASSERT_TRUE(store_->commit(tx).ok());
  }
  runtime::CallOutcome read(std::string_view fn, const Json& input) {
    runtime::CallContext ctx;
    auto out = reader_rt_->call(*reader_, fn, input, ctx);
    if (out.ok) seen_ += out.response.dump();
    return out;
  }
  Json json_of(const runtime::CallOutcome& out) {
    EXPECT_TRUE(out.ok) << out.message;
    return out.ok ? Json::parse(out.response.get<std::string>()) : Json();
  }

  std::unique_ptr<runtime::Runtime> reader_rt_;
  std::shared_ptr<const runtime::Contract> reader_, counter_;
  std::string seen_;
};

TEST_F(LedgerReader, AuditFindsTransactionsByMapDidAndRangeWithoutKeysOrValues) {
  const std::string counter_map = store::testing::tenant_map("counter");
  auto by_map = json_of(read("query", Json{{"map", counter_map}}.dump()));
  ASSERT_EQ(by_map["entries"].size(), 3u) << by_map.dump();
  for (const auto& e : by_map["entries"]) {
    EXPECT_GT(e["timestamp_ms"].get<std::uint64_t>(), 0u);
    ASSERT_EQ(e["writes"].size(), 1u);
    EXPECT_EQ(e["writes"][0]["map"], counter_map);
    EXPECT_EQ(e["writes"][0]["op"], "put");
  }
  // Pages: one at a time, next_seqno continues.
  auto first = json_of(read("query", Json{{"map", counter_map}, {"limit", 1}}.dump()));
  ASSERT_EQ(first["entries"].size(), 1u);
  ASSERT_TRUE(first["next_seqno"].is_number());
  auto second = json_of(read("query", Json{{"map", counter_map}, {"limit", 1}, {"from_seqno", first["next_seqno"]}}.dump()));
  ASSERT_EQ(second["entries"].size(), 1u);
  EXPECT_GT(second["entries"][0]["seqno"], first["entries"][0]["seqno"]);
  // A range that holds only the first counter write.
  const auto s1 = first["entries"][0]["seqno"].get<std::uint64_t>();
  auto ranged = json_of(read("query", Json{{"from_seqno", s1}, {"to_seqno", s1}}.dump()));
  ASSERT_EQ(ranged["entries"].size(), 1u);
  // By DID: the row keyed by that user's id.
  auto nobody = json_of(read("query", Json{{"did", std::string(40, '7')}}.dump()));
  EXPECT_TRUE(nobody["entries"].empty());
  auto mine = json_of(read("query", Json{{"did", "did:t3n:4242424242424242424242424242424242424242"}}.dump()));
  ASSERT_EQ(mine["entries"].size(), 1u);
  EXPECT_EQ(mine["entries"][0]["writes"][0]["map"], store::testing::tenant_map("greetings"));
  EXPECT_EQ(seen_.find("secret-value"), std::string::npos) << "values never leave";
  // Bad requests are errors, not traps.
  for (const char* bad : {"not json", R"({"limit":0})", R"({"limit":501})", R"({"from_seqno":-1})", R"({"did":"did:key:z6Mk"})",
                          R"({"from_seqno":9,"to_seqno":2})"}) {
    auto out = read("query", std::string(bad));
    EXPECT_FALSE(out.ok) << bad;
    EXPECT_EQ(out.error, runtime::CallErrorKind::kContractError) << bad << ": " << out.message;
  }
}

TEST_F(LedgerReader, AnalyticsCountsWritesPerMap) {
  const std::string counter_map = store::testing::tenant_map("counter");
  auto all = json_of(read("range", Json::object().dump()));
  EXPECT_EQ(all["writes_per_map"][counter_map], 3);
  EXPECT_GE(all["transactions"].get<int>(), 4);
  EXPECT_GT(all["bytes_written"].get<int>(), 0);
  auto snap = json_of(read("snapshot", nullptr));
  EXPECT_EQ(snap["writes_per_map"][counter_map], 3);
  // The snapshot is kept until a refresh.
  ASSERT_TRUE(call(*counter_, "increment", 1).ok);
  EXPECT_EQ(json_of(read("snapshot", nullptr))["writes_per_map"][counter_map], 3);
  EXPECT_EQ(json_of(read("refresh", nullptr))["writes_per_map"][counter_map], 4);
  EXPECT_EQ(json_of(read("snapshot", nullptr))["writes_per_map"][counter_map], 4);
  auto wide = read("range", Json{{"from_seqno", 1}, {"to_seqno", 20'000}}.dump());
  EXPECT_TRUE(wide.ok) << "clamped to the ledger's end: " << wide.message;
  EXPECT_EQ(seen_.find("secret-value"), std::string::npos);
}

TEST_F(LedgerReader, ConsensusTriggersRefuseWithTheirReason) {
  for (const char* which : {"indexing-backfill", "indexing-activate", "dkg-trigger"}) {
    auto out = read("trigger", Json{{"which", which}, {"request", "{}"}});
    ASSERT_FALSE(out.ok) << which;
    EXPECT_EQ(out.error, runtime::CallErrorKind::kContractError);
    EXPECT_NE(out.message.find(which), std::string::npos) << out.message;
  }
}

}  // namespace
}  // namespace t3n::host
