// The outbox through a real t3nd dev: a contract's enqueue is sent after
// commit with an Idempotency-Key, a rolled-back enqueue is never sent, and a
// node killed (SIGKILL) between send and ack does not send again after its
// restart — the upstream sees exactly one request per key.
#include <gtest/gtest.h>

#include "api/client.h"
#include "common/encoding.h"
#include "crypto/hash.h"
#include "dev_node.h"
#include "https_upstream.h"
#include "store/store_test_util.h"
#include "test_util.h"

namespace t3n {
namespace {

using common::Json;
using testing::DevNode;
using testing::Upstream;

Bytes contract(const std::string& name) { return testing::read_bytes(std::string(T3N_CONTRACTS_DIR) + "/" + name + ".wasm"); }

class OutboxNode : public ::testing::Test {
 protected:
  std::vector<std::string> flags() const {
    return {"--egress-allow-private-for-tests", "--egress-ca-file", up_.ca(), "--egress-resolve", "upstream.test=127.0.0.1"};
  }
  void start() {
    node_ = std::make_unique<DevNode>(dir_.path(), flags());
    ASSERT_FALSE(node_->url().empty()) << node_->output();
  }
  Result<Json> call(const api::RequestSigner& who, const std::string& fn, const Json& input) {
    api::NodeClient client(node_->url());
    return client.rpc("action.execute", {{"script_name", "egress"}, {"function_name", fn}, {"input", input}}, &who);
  }
  void deploy(const api::RequestSigner& owner) {
    api::NodeClient client(node_->url());
    auto r = client.rpc("contract.register",
                        {{"name", "egress"},
                         {"version", "1.0.0"},
                         {"maps", {"responses"}},
                         {"tenant", std::string(40, 'e')},
                         {"manifest", {{"host_capabilities", {"http", "http_with_placeholders", "logging", "outbox", "kv_store", "tenant_context"}},
                                       {"http_allow_list", {"upstream.test"}},
                                       {"outbox_hosts", {"upstream.test"}}}},
                         {"component", common::base64_encode(contract("egress"))}},
                        &owner);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
  }
  std::string url(const std::string& path) const { return up_.url("upstream.test", path); }

  Upstream up_;
  store::testing::TempDir dir_;
  std::unique_ptr<DevNode> node_;
};

// The done-when of the egress issue: a contract importing http,
// http-with-placeholders, kv-store, logging and tenant-context under their
// real package names deploys on a dev node and runs with the egress it is
// granted, keeping state under a bare map name.
TEST_F(OutboxNode, AnEgressContractDeploysAndRunsOnADevNode) {
  start();
  auto owner = api::RequestSigner::generate(identity::KeyType::kEd25519);
  ASSERT_TRUE(owner.ok());
  deploy(*owner);
  auto fetched = call(*owner, "fetch-and-keep", url("/hello"));
  ASSERT_TRUE(fetched.ok()) << fetched.status().to_string();
  EXPECT_EQ((*fetched)["response"], "200 hello from upstream");
  auto kept = call(*owner, "last", nullptr);
  ASSERT_TRUE(kept.ok()) << kept.status().to_string();
  EXPECT_EQ((*kept)["response"], "200 hello from upstream");
  auto refused = call(*owner, "fetch", "https://not-granted.test/");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("egress-denied"), std::string::npos) << refused.status().message();
}

TEST_F(OutboxNode, SentOnceAfterCommitNeverOnRollbackNotAgainAfterACrash) {
  start();
  auto owner = api::RequestSigner::generate(identity::KeyType::kEd25519);
  ASSERT_TRUE(owner.ok());
  deploy(*owner);

  // Rolled back: the enqueue and the failure are one transaction.
  auto failed = call(*owner, "send-then-fail", {{"idk", "k-rollback"}, {"url", url("/notify")}});
  ASSERT_FALSE(failed.ok());
  // Committed: delivered with its Idempotency-Key, the ack carries the digest.
  ASSERT_TRUE(call(*owner, "send-later", {{"idk", "k-1"}, {"url", url("/notify")}, {"body", "hello"}}).ok());
  ASSERT_TRUE(up_.wait_for_hits(1));
  EXPECT_EQ(up_.last().get_header_value("Idempotency-Key"), "k-1");
  EXPECT_EQ(up_.last().body, "hello");
  // The same enqueue again is idempotent; another request under the key is refused.
  ASSERT_TRUE(call(*owner, "send-later", {{"idk", "k-1"}, {"url", url("/notify")}, {"body", "hello"}}).ok());
  auto collision = call(*owner, "send-later", {{"idk", "k-1"}, {"url", url("/notify")}, {"body", "other"}});
  ASSERT_FALSE(collision.ok());
  EXPECT_NE(collision.status().message().find("idk-collision"), std::string::npos) << collision.status().message();
  auto denied = call(*owner, "send-later", {{"idk", "k-x"}, {"url", "https://elsewhere.test/x"}, {"body", "x"}});
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.status().message().find("host-not-allowed"), std::string::npos);

  // A request the upstream holds: the node dies between send and ack.
  ASSERT_TRUE(call(*owner, "send-later", {{"idk", "k-crash"}, {"url", url("/hold")}, {"body", "once"}}).ok());
  ASSERT_TRUE(up_.wait_for_hits(2));
  node_->kill_hard();
  up_.release();
  start();

  // Statuses, read after the restart; the worker has had its recovery pass.
  auto st1 = call(*owner, "outbox-status", "k-1");
  ASSERT_TRUE(st1.ok()) << st1.status().to_string();
  const std::string digest = common::hex_encode(crypto::sha256(common::as_bytes("received")));
  EXPECT_EQ((*st1)["response"], "committed " + digest);
  auto st2 = call(*owner, "outbox-status", "k-crash");
  ASSERT_TRUE(st2.ok());
  EXPECT_EQ((*st2)["response"], "failed interrupted");
  auto st3 = call(*owner, "outbox-status", "k-rollback");
  ASSERT_TRUE(st3.ok());
  EXPECT_EQ((*st3)["response"], "none");

  // One more committed send proves the worker runs after the restart; by
  // then the upstream has seen exactly one request per key.
  ASSERT_TRUE(call(*owner, "send-later", {{"idk", "k-2"}, {"url", url("/notify")}, {"body", "after"}}).ok());
  ASSERT_TRUE(up_.wait_for_hits(3));
  std::map<std::string, int> per_key;
  for (const auto& r : up_.all()) ++per_key[r.get_header_value("Idempotency-Key")];
  EXPECT_EQ(per_key, (std::map<std::string, int>{{"k-1", 1}, {"k-crash", 1}, {"k-2", 1}}));
}

}  // namespace
}  // namespace t3n
