// host:interfaces/contracts-call through a real t3nd dev: the example
// `caller` component deployed as call-a, call-b and call-c (three tenants,
// each with its own "calls" map) calls itself across deployments. Inner
// writes commit with the outer call; an inner failure or trap discards only
// the inner writes; the per-pair allowlist, max_depth and reentrancy are
// enforced; the caller's identity passes through unchanged. And
// authorisation under a user's delegation.
#include <gtest/gtest.h>

#include "api/client.h"
#include "common/encoding.h"
#include "dev_node.h"
#include "store/store_test_util.h"
#include "test_util.h"

namespace t3n {
namespace {

using common::Json;
using testing::DevNode;

class ContractsCallNode : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<DevNode>(dir_.path());
    ASSERT_FALSE(node_->url().empty()) << node_->output();
    auto owner = api::RequestSigner::generate(identity::KeyType::kEd25519);
    ASSERT_TRUE(owner.ok());
    owner_.emplace(std::move(*owner));
    const Json all = {"write", "write-then-fail", "write-then-trap", "relay", "whoami"};
    deploy("call-a", 'a', {{{"target", "call-b"}, {"allowed_functions", all}, {"max_depth", 2}},
                           {{"target", "call-missing"}, {"allowed_functions", {"write"}}, {"max_depth", 1}}});
    deploy("call-b", 'b', {{{"target", "call-a"}, {"allowed_functions", {"write", "relay"}}, {"max_depth", 4}},
                           {{"target", "call-c"}, {"allowed_functions", {"write", "relay"}}, {"max_depth", 2}}});
    deploy("call-c", 'c', {{{"target", "call-a"}, {"allowed_functions", {"write"}}, {"max_depth", 4}},
                           {{"target", "call-d"}, {"allowed_functions", {"write"}}, {"max_depth", 2}}});
    deploy("call-d", 'd', Json::array());
  }
  void deploy(const std::string& name, char tenant, const Json& grants) {
    api::NodeClient client(node_->url());
    auto r = client.rpc("contract.register",
                        {{"name", name},
                         {"version", "1.0.0"},
                         {"maps", {"calls"}},
                         {"tenant", std::string(40, tenant)},
                         {"manifest", {{"host_capabilities", {"contracts_call", "kv_store", "tenant_context"}}, {"contracts_call", grants}}},
                         {"component", common::base64_encode(testing::read_bytes(std::string(T3N_CONTRACTS_DIR) + "/caller.wasm"))}},
                        &*owner_);
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().to_string();
  }
  Result<Json> call(const std::string& contract, const std::string& fn, const Json& input) {
    api::NodeClient client(node_->url());
    auto r = client.rpc("action.execute", {{"script_name", contract}, {"function_name", fn}, {"input", input}}, &*owner_);
    if (!r.ok()) return r.status();
    return (*r)["response"];
  }
  // A relays to target#function with `input` (JSON) and answers what came back.
  std::string relay(const std::string& from, const std::string& target, const std::string& fn, const Json& input) {
    auto r = call(from, "relay", {{"target", target}, {"function", fn}, {"input", input.dump()}});
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() && r->is_string() ? r->get<std::string>() : std::string("<call failed>");
  }
  Json read(const std::string& contract, const std::string& key) {
    auto r = call(contract, "read", key);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : Json();
  }

  store::testing::TempDir dir_;
  std::unique_ptr<DevNode> node_;
  std::optional<api::RequestSigner> owner_;
};

TEST_F(ContractsCallNode, InnerWritesCommitWithTheOuterCallAndIdentityPassesThrough) {
  EXPECT_EQ(relay("call-a", "call-b", "write", {{"key", "k1"}, {"value", "v1"}}), "\"written\"");
  EXPECT_EQ(read("call-b", "k1"), "v1") << "the inner write is B's, in B's map";
  EXPECT_EQ(read("call-a", "outer"), "call-b");
  EXPECT_TRUE(read("call-a", "k1").is_null()) << "and not in A's";
  auto direct = call("call-a", "whoami", nullptr);
  ASSERT_TRUE(direct.ok());
  ASSERT_NE(*direct, "none");
  EXPECT_EQ(relay("call-a", "call-b", "whoami", nullptr), Json(*direct).dump()) << "the caller's identity, unchanged";
}

TEST_F(ContractsCallNode, AnInnerFailureOrTrapDiscardsOnlyTheInnerWrites) {
  const std::string trapped = relay("call-a", "call-b", "write-then-trap", "t");
  EXPECT_EQ(trapped.rfind("err:inner-trapped", 0), 0u) << trapped;
  EXPECT_TRUE(read("call-b", "t").is_null()) << "the trapped call's write is gone";
  EXPECT_EQ(read("call-a", "outer"), "call-b") << "the outer call continued and committed";

  const std::string failed = relay("call-a", "call-b", "write-then-fail", "f");
  EXPECT_EQ(failed, "err:inner-failed: failing on purpose after a write");
  EXPECT_TRUE(read("call-b", "f").is_null());

  // Two levels: A → B → C; C's write stays when everything succeeds.
  const std::string nested = relay("call-a", "call-b", "relay",
                                   {{"target", "call-c"}, {"function", "write"}, {"input", Json{{"key", "deep"}, {"value", "1"}}.dump()}});
  EXPECT_EQ(nested, "\"\\\"written\\\"\"") << nested;
  EXPECT_EQ(read("call-c", "deep"), "1");
  EXPECT_EQ(read("call-b", "outer"), "call-c");
}

TEST_F(ContractsCallNode, AllowlistDepthReentrancyAndBadInputAreTypedErrors) {
  EXPECT_EQ(relay("call-a", "call-c", "write", {{"key", "x"}, {"value", "y"}}), "err:not-allowlisted: call-c");
  EXPECT_EQ(relay("call-a", "call-b", "read", "x"), "err:not-allowlisted: call-b#read") << "function not on the row";
  EXPECT_EQ(relay("call-a", "call-missing", "write", {{"key", "x"}, {"value", "y"}}), "err:target-unknown: call-missing");
  EXPECT_EQ(relay("call-a", "call-b", "write", Json("not an object")).rfind("err:encoding-failed", 0), 0u);
  {
    auto r = call("call-a", "relay", {{"target", "call-b"}, {"function", "write"}, {"input", "{not json"}});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, "err:encoding-failed: the input is not JSON");
  }
  // A → B → A: A is already on the stack.
  const std::string reentrant = relay("call-a", "call-b", "relay",
                                      {{"target", "call-a"}, {"function", "write"}, {"input", Json{{"key", "r"}, {"value", "1"}}.dump()}});
  EXPECT_EQ(reentrant, "\"err:reentrant: call-a\"") << reentrant;
  EXPECT_TRUE(read("call-a", "r").is_null());
  // C's row for D allows two levels: B → C → D is fine (C's stack is [B, C]),
  // A → B → C → D is not ([A, B, C]); the refusal reaches A through B and C.
  const Json write_d = {{"target", "call-d"}, {"function", "write"}, {"input", Json{{"key", "d"}, {"value", "1"}}.dump()}};
  EXPECT_EQ(relay("call-b", "call-c", "relay", write_d), "\"\\\"written\\\"\"");
  EXPECT_EQ(read("call-d", "d"), "1");
  const std::string too_deep = relay("call-a", "call-b", "relay", {{"target", "call-c"}, {"function", "relay"}, {"input", write_d.dump()}});
  EXPECT_NE(too_deep.find("err:depth-exceeded"), std::string::npos) << too_deep;
}

// authorisation for an agent acting on a user's data: the user's grant is
// re-read in the call, and its allowedHosts narrow the contract's allow list.
TEST(AuthorisationNode, AGrantsAllowedHostsNarrowTheContractsAllowList) {
  store::testing::TempDir dir;
  DevNode node(dir.path());
  ASSERT_FALSE(node.url().empty()) << node.output();
  api::NodeClient client(node.url());
  auto owner = api::RequestSigner::generate(identity::KeyType::kEd25519);
  auto agent = api::RequestSigner::generate(identity::KeyType::kEthereumAddress);
  ASSERT_TRUE(owner.ok() && agent.ok());
  auto reg = client.rpc("contract.register",
                        {{"name", "signer"}, {"version", "1.0.0"}, {"tenant", std::string(40, 'e')},
                         {"manifest", {{"host_capabilities", {"signing", "authorisation", "provider_config", "config"}}, {"http_allow_list", {"api.example.com", "*.kyc.example"}}}},
                         {"component", common::base64_encode(testing::read_bytes(std::string(T3N_CONTRACTS_DIR) + "/signer.wasm"))}},
                        &*owner);
  ASSERT_TRUE(reg.ok()) << reg.status().to_string();
  auto who = client.rpc("identity.whoami", Json::object(), &*owner);
  ASSERT_TRUE(who.ok());
  const std::string owner_did = (*who)["did"];
  auto may_reach = [&](const api::RequestSigner& as, const Json& hosts, bool on_behalf) -> std::string {
    Json call = {{"script_name", "signer"}, {"function_name", "may-reach"}, {"input", hosts}};
    if (on_behalf) call["pii_did"] = owner_did;
    auto r = client.rpc("action.execute", call, &as);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? (*r)["response"].get<std::string>() : std::string();
  };
  EXPECT_EQ(may_reach(*owner, {"a.kyc.example"}, false), "ok") << "a direct call: the allow list decides";
  ASSERT_TRUE(client.rpc("delegation.set",
                         {{"payload", {{"agents", {{{"agentDid", agent->did()},
                                                    {"scripts", {{{"scriptName", "signer"}, {"functions", {"may-reach"}},
                                                                  {"allowedHosts", {"api.example.com"}}}}}}}}}}},
                         &*owner).ok());
  EXPECT_EQ(may_reach(*agent, {"api.example.com"}, true), "ok");
  EXPECT_EQ(may_reach(*agent, {"a.kyc.example"}, true), "denied-scope: a.kyc.example") << "allowed for the contract, not by the grant";
  EXPECT_EQ(may_reach(*agent, {"evil.test"}, true), "denied-unauthorized: evil.test");
  // The grant withdrawn: the agent's call is refused before it runs.
  ASSERT_TRUE(client.rpc("delegation.set", {{"payload", {{"agents", Json::array()}}}}, &*owner).ok());
  Json call = {{"script_name", "signer"}, {"function_name", "may-reach"}, {"input", {"api.example.com"}}, {"pii_did", owner_did}};
  EXPECT_FALSE(client.rpc("action.execute", call, &*agent).ok());
}

}  // namespace
}  // namespace t3n
