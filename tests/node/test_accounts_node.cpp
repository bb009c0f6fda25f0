// The account host interfaces (user-profile, did-registry, agent-auth,
// user-removal) through a real t3nd dev: the example `account` component
// acts for its caller, whose profile then reads back through data.get;
// acting for another user, binding a taken authenticator, a bad grant and
// a contract's own verified_contacts are refused; removal shreds.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <iterator>

#include "api/client.h"
#include "common/encoding.h"
#include "dev_node.h"
#include "store/store_test_util.h"
#include "test_util.h"

namespace t3n {
namespace {

using common::Json;
using testing::DevNode;

class AccountsNode : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<DevNode>(dir_.path());
    ASSERT_FALSE(node_->url().empty()) << node_->output();
    alice_.emplace(api::RequestSigner::generate(identity::KeyType::kEd25519).value());
    bob_.emplace(api::RequestSigner::generate(identity::KeyType::kEd25519).value());
    api::NodeClient client(node_->url());
    auto r = client.rpc("contract.register",
                        {{"name", "account"},
                         {"version", "1.0.0"},
                         {"tenant", std::string(40, 'f')},
                         {"manifest", {{"host_capabilities", {"tenant_context", "user_profile", "user_removal", "did_registry", "agent_auth", "agent_registry"}}}},
                         {"component", common::base64_encode(testing::read_bytes(std::string(T3N_CONTRACTS_DIR) + "/account.wasm"))}},
                        &*alice_);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
  }
  // The contract's answer: "ok:<value>" or "err:<message>".
  std::string call(const api::RequestSigner& who, const std::string& fn, const Json& input) {
    api::NodeClient client(node_->url());
    auto r = client.rpc("action.execute", {{"script_name", "account"}, {"function_name", fn}, {"input", input}}, &who);
    if (!r.ok()) return "err:" + r.status().message();
    const Json& resp = (*r)["response"];
    return "ok:" + (resp.is_string() ? resp.get<std::string>() : resp.dump());
  }
  std::optional<Json> data_of(const api::RequestSigner& who) {
    api::NodeClient client(node_->url());
    auto r = client.rpc("data.get", Json::object(), &who);
    if (!r.ok()) return std::nullopt;
    return Json::parse(common::to_string(common::base64_decode((*r)["data"].get<std::string>()).value()));
  }

  store::testing::TempDir dir_;
  std::unique_ptr<DevNode> node_;
  std::optional<api::RequestSigner> alice_, bob_;
};

TEST_F(AccountsNode, AContractActsForItsCallerOnly) {
  const std::string saved = call(*alice_, "save-profile", Json{{"first_name", "Ada"}, {"email_address", "ada@example.com"}}.dump());
  ASSERT_EQ(saved.rfind("ok:bafkrei", 0), 0u) << saved;
  auto data = data_of(*alice_);
  ASSERT_TRUE(data);
  EXPECT_EQ((*data)["first_name"], "Ada");
  const std::string forged = call(*alice_, "save-profile", Json{{"verified_contacts", {{"email", {{"value", "x@y.z"}}}}}}.dump());
  EXPECT_NE(forged.find("verified_contacts are set by the host"), std::string::npos) << forged;
  const std::string other = call(*alice_, "save-profile-for", {{"user", Json::array({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})}, {"profile", "{}"}});
  EXPECT_NE(other.find("not-authorized"), std::string::npos) << other;
  EXPECT_NE(call(*alice_, "save-profile", "[1,2]").find("not a JSON object"), std::string::npos);

  EXPECT_EQ(call(*alice_, "link", "email:Ada@Example.com"), "ok:linked");
  EXPECT_EQ(call(*alice_, "link", "email:ada@example.com"), "ok:linked") << "the same address again is a no-op";
  EXPECT_NE(call(*bob_, "link", "email:ada@example.com").find("authenticator-taken"), std::string::npos);
  EXPECT_NE(call(*alice_, "link", "phone:+4412345").find("expected email:"), std::string::npos);

  EXPECT_EQ(call(*alice_, "grant", Json{{"agents", {{{"agentDid", "did:key:z6MkagentExample"}, {"scripts", {{{"scriptName", "signer"}}}}}}}}.dump()),
            "ok:{\"agents\":1}");
  EXPECT_EQ(call(*alice_, "grant", "{\"agents\":[{\"agentDid\":1}]}").rfind("err:", 0), 0u);
}

TEST_F(AccountsNode, AnAgentIsRegisteredAndItsDidDocumentListsIt) {
  const Json owner = Json::array({0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd});
  const std::string out = call(*alice_, "agent", {{"uri", "https://agents.example/ada"}, {"owner", owner}});
  ASSERT_EQ(out.rfind("ok:", 0), 0u) << out;
  const std::string did = Json::parse(out.substr(3))["did"];
  httplib::Client http(node_->url());
  auto doc = http.Get("/api/did/" + did);
  ASSERT_TRUE(doc && doc->status == 200);
  const Json d = Json::parse(doc->body);
  ASSERT_EQ(d["service"].size(), 1u) << d.dump();
  EXPECT_EQ(d["service"][0]["type"], "AgentService");
  EXPECT_EQ(d["service"][0]["serviceEndpoint"], "https://agents.example/ada");
  EXPECT_EQ(d["service"][0]["ownerEthAddress"], "0xaabbccddeeff00112233445566778899aabbccdd");
  EXPECT_NE(call(*alice_, "agent", {{"uri", "not a uri"}, {"owner", owner}}).find("InvalidAgentUri"), std::string::npos);
  EXPECT_NE(call(*alice_, "agent", {{"uri", std::string(3000, 'a')}, {"owner", owner}}).find("InvalidAgentUri"), std::string::npos);
  EXPECT_NE(call(*alice_, "agent", {{"uri", "https://a.example"}, {"owner", Json::array({1, 2})}}).find("InvalidOwner"), std::string::npos);
}

TEST_F(AccountsNode, RemovalShredsTheCallersData) {
  ASSERT_EQ(call(*alice_, "save-profile", Json{{"first_name", "Ada"}}.dump()).rfind("ok:", 0), 0u);
  ASSERT_EQ(call(*alice_, "link", "email:ada@example.com"), "ok:linked");
  const std::string removed = call(*alice_, "remove-me", nullptr);
  ASSERT_EQ(removed.rfind("ok:", 0), 0u) << removed;
  auto report = Json::parse(removed.substr(3));
  EXPECT_EQ(report["authenticators_removed"], 2) << "the signing key's DID and the e-mail";
  EXPECT_EQ(report["data_key_destroyed"], true);
  EXPECT_FALSE(data_of(*alice_)) << "no data for the caller any more";
  EXPECT_EQ(call(*bob_, "link", "email:ada@example.com"), "ok:linked") << "the address is free again";
}

// The otp interface through a contract: a code to the dev mailbox, a wrong
// one fails, the right one returns the profile with the verified contact,
// a used one fails; SMS-free, mock-free.
TEST_F(AccountsNode, TheOtpInterfaceSendsAndChecksACode) {
  api::NodeClient client(node_->url());
  auto r = client.rpc("contract.register",
                      {{"name", "otp-check"},
                       {"version", "1.0.0"},
                       {"tenant", std::string(40, 'e')},
                       {"manifest", {{"host_capabilities", {"tenant_context", "otp"}}}},
                       {"component", common::base64_encode(testing::read_bytes(std::string(T3N_CONTRACTS_DIR) + "/otp-check.wasm"))}},
                      &*alice_);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto run = [&](const std::string& fn, const Json& in) {
    auto out = client.rpc("action.execute", {{"script_name", "otp-check"}, {"function_name", fn}, {"input", in}}, &*alice_);
    return out.ok() ? (*out)["response"].get<std::string>() : "err:" + out.status().message();
  };
  EXPECT_EQ(run("send", "Ada@Example.com"), "pending");
  std::ifstream mailbox(dir_.path() / "data" / "dev-mailbox.txt");
  const std::string mail((std::istreambuf_iterator<char>(mailbox)), std::istreambuf_iterator<char>());
  const auto at = mail.rfind("code is ");
  ASSERT_NE(at, std::string::npos) << mail;
  const std::string code = mail.substr(at + 8, 6);
  EXPECT_EQ(run("check", {{"email", "ada@example.com"}, {"code", code == "000000" ? "111111" : "000000"}}), "failed");
  const std::string ok = run("check", {{"email", "ada@example.com"}, {"code", code}});
  ASSERT_EQ(ok.rfind("{", 0), 0u) << ok;
  EXPECT_EQ(Json::parse(ok)["verified_contacts"]["email"]["value"], "ada@example.com");
  EXPECT_EQ(run("check", {{"email", "ada@example.com"}, {"code", code}}), "failed") << "single use";
}

}  // namespace
}  // namespace t3n
