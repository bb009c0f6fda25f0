// The node's commit rule and conflict-retry loop (api/execution.h), over a
// real store, CAS, registry and Wasmtime: writes commit only when the
// contract returns ok; an OCC conflict re-runs the call; the caller's
// replay entry commits with the writes.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "api/execution.h"
#include "cas/blob_store.h"
#include "common/encoding.h"
#include "host/host.h"
#include "identity/delegation.h"
#include "store/store_test_util.h"

namespace t3n::api {
namespace {

Bytes counter_component() {
  std::ifstream in(std::string(T3N_CONTRACTS_DIR) + "/counter.wasm", std::ios::binary);
  EXPECT_TRUE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return common::to_bytes(ss.str());
}

class ExecutionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::Store::open(store::testing::options_for(dir_.path() / "store")).value());
    cas_ = std::move(cas::open_local_blob_store(dir_.path() / "cas").value());
    runtime_ = std::move(runtime::Runtime::create(runtime::RuntimeOptions{}, host::core_registry()).value());
    ASSERT_TRUE(store::ensure_tables(*store_, identity::kUsersTable, identity::kAuthenticatorIndex, identity::kUserKeysTable,
                                     identity::kUserDataTable, identity::kDelegationsTable)
                    .ok());
    ASSERT_TRUE(registry::ensure_registry_tables(*store_).ok());
    ASSERT_TRUE(ensure_api_tables(*store_).ok());
    registry_ = std::make_unique<registry::ContractRegistry>(*store_, *cas_, *runtime_, SecretBytes(Bytes(32, 1)), log());
    collateral_ = std::make_unique<attest::TdxCollateralCache>(dir_.path() / "collateral", "", log());
    services_.reset(new NodeServices{NodeInfo{}, *store_, *cas_, *runtime_, *registry_, users_, keys_, replay_, *collateral_,  // NOLINT
                                     attestation_cache_, *signing_, *gateway_, attestation_doc_, node_config_, metrics_, {},
                                     [this] { return now_ms_; }, log(), nullptr, {}, nullptr});
    auto prepared = registry_->prepare({"counter", "1.0.0", counter_component(),
                                        {{"host_capabilities", {"kv_store", "logging", "tenant_context"}}}, {"counter"}, tenant_, {}});
    ASSERT_TRUE(prepared.ok()) << prepared.status().to_string();
    auto tx = store_->begin(store::Principal::system());
    ASSERT_TRUE(registry_->record(tx, *prepared, registry::Registrant{true, {}}).ok());
    ASSERT_TRUE(store_->commit(tx).ok());
  }

  common::Logger log() { return common::Logger::to_memory(log_lines_); }

  Caller caller(const std::string& nonce) {
    Caller c;
    c.request.did = *identity::parse_did("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK");
    c.request.nonce = nonce;
    c.request.timestamp_ms = now_ms_;
    c.request.replay_expiry_ms = now_ms_ + 300'000;
    common::append_u64_be(c.request.replay_key, c.request.replay_expiry_ms);
    common::append(c.request.replay_key, common::as_bytes(nonce));
    return c;
  }

  Result<common::Json> call(const Caller& c, const std::string& fn, common::Json input = nullptr, const BeforeCommit& hook = {}) {
    ExecuteParams p{"counter", std::nullopt, fn, std::move(input), std::nullopt, std::nullopt};
    return execute_contract(*services_, c, p, "req", hook);
  }

  std::uint64_t counter_value() {
    auto r = call(caller("read-" + std::to_string(++reads_)), "get");
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? (*r)["response"].get<std::uint64_t>() : 0;
  }

  // A commit by someone else to the counter key, as if it landed mid-call.
  void conflicting_write(std::uint64_t value) {
    auto tx = store_->begin(store::Principal::system());
    std::string encoded = std::to_string(value);
    ASSERT_TRUE(tx.put("z:" + tenant_ + ":counter", common::as_bytes("count"), common::as_bytes(encoded)).ok());
    ASSERT_TRUE(store_->commit(tx).ok());
  }

  store::testing::TempDir dir_;
  std::shared_ptr<std::vector<std::string>> log_lines_ = std::make_shared<std::vector<std::string>>();
  std::string tenant_ = std::string(40, 'a');
  std::uint64_t now_ms_ = 1'700'000'000'000;
  int reads_ = 0;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<cas::BlobStore> cas_;
  std::unique_ptr<runtime::Runtime> runtime_;
  std::unique_ptr<registry::ContractRegistry> registry_;
  std::unique_ptr<attest::TdxCollateralCache> collateral_;
  identity::UserDirectory users_{SecretBytes(Bytes(32, 2)), [this] { return now_ms_; }};
  identity::UserDataKeys keys_{SecretBytes(Bytes(32, 3))};
  identity::ReplayGuard replay_;
  attest::VerificationCache attestation_cache_;
  std::shared_ptr<const store::NodeSigningKeys> signing_ = store::testing::test_signing_keys();
  std::unique_ptr<OhttpGateway> gateway_ = std::make_unique<OhttpGateway>(std::vector<OhttpGateway::Key>{});
  common::Json attestation_doc_ = common::Json::object();
  std::map<std::string, std::string> node_config_;
  Metrics metrics_;
  std::unique_ptr<NodeServices> services_;
};

TEST_F(ExecutionTest, WritesCommitOnlyWhenTheContractReturnsOk) {
  const auto seqno = store_->last_seqno();
  auto err = call(caller("fail-0000000000001"), "fail-after-write");
  EXPECT_EQ(err.status().code(), ErrorCode::kFailedPrecondition) << err.status().to_string();
  auto trap = call(caller("trap-0000000000001"), "trap-after-write");
  EXPECT_FALSE(trap.ok());
  EXPECT_EQ(store_->last_seqno(), seqno) << "a failed call committed";
  EXPECT_EQ(counter_value(), 0u);
  auto ok = call(caller("incr-0000000000001"), "increment", 5);
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ((*ok)["tx_seqno"], seqno + 1);
  EXPECT_EQ(counter_value(), 5u);
}

TEST_F(ExecutionTest, AConflictReRunsTheCallOnTheNewState) {
  ASSERT_TRUE(call(caller("incr-0000000000001"), "increment", 1).ok());
  int attempts = 0;
  auto r = call(caller("incr-0000000000002"), "increment", 10, [&](int attempt) {
    attempts = attempt + 1;
    if (attempt == 0) conflicting_write(100);  // lands between the call's read and its commit
  });
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ((*r)["response"], 110);  // re-run on 100, not committed on the stale 1
  EXPECT_EQ(counter_value(), 110u);
  EXPECT_EQ(metrics_.conflicts_retried.load(), 1u);
}

TEST_F(ExecutionTest, EndlessConflictsGiveUpWithoutCommitting) {
  const auto before = counter_value();
  auto r = call(caller("incr-0000000000003"), "increment", 1, [&](int attempt) { conflicting_write(1000 + attempt); });
  EXPECT_EQ(r.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(counter_value(), 1000u + kMaxConflictRetries - 1);
  EXPECT_NE(before, 1u);
}

TEST_F(ExecutionTest, TheReplayEntryCommitsWithTheWrites) {
  const Caller once = caller("once-0000000000001");
  ASSERT_TRUE(call(once, "increment", 7).ok());
  // The same signed request again (as after a restart: the in-memory window is empty).
  auto again = call(once, "increment", 7);
  EXPECT_EQ(again.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(again.status().message().find("replayed"), std::string::npos);
  EXPECT_EQ(counter_value(), 7u);
  // Expired entries are pruned; unexpired ones stay.
  EXPECT_EQ(*prune_replay_entries(*services_), 0u);
  now_ms_ += 300'001;
  EXPECT_EQ(*prune_replay_entries(*services_), 1u);
}

TEST_F(ExecutionTest, AFirstCallCreatesTheUserOnlyIfItCommits) {
  const Caller c = caller("user-0000000000001");
  ASSERT_TRUE(call(c, "get").ok());
  EXPECT_FALSE(find_user(*services_, c)->has_value()) << "a read-only call created a user";
  ASSERT_TRUE(call(caller("user-0000000000002"), "increment", 1).ok());
  EXPECT_TRUE(find_user(*services_, c)->has_value());
}

}  // namespace
}  // namespace t3n::api
