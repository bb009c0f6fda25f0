// The session channel against a real t3nd dev, from C++ (api::SessionClient):
// one authentication model — a wallet is the same did:t3n user whether it
// signs OHTTP requests (did:pkh) or logs in to an SDK session (SIWE).
#include <gtest/gtest.h>
#include <httplib.h>

#include "api/client.h"
#include "api/session_client.h"
#include "common/encoding.h"
#include "crypto/random.h"
#include "dev_node.h"
#include "store/store_test_util.h"

namespace t3n {
namespace {

using common::Json;
using testing::DevNode;

class SessionChannelNode : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<store::testing::TempDir>();
    node_ = std::make_unique<DevNode>(dir_->path(), std::vector<std::string>{});
    ASSERT_FALSE(node_->url().empty()) << node_->output();
  }
  static void TearDownTestSuite() {
    node_.reset();
    dir_.reset();
  }
  static std::unique_ptr<store::testing::TempDir> dir_;
  static std::unique_ptr<DevNode> node_;
};
std::unique_ptr<store::testing::TempDir> SessionChannelNode::dir_;
std::unique_ptr<DevNode> SessionChannelNode::node_;

TEST_F(SessionChannelNode, AWalletIsOneUserOverOhttpAndSessions) {
  api::NodeClient ohttp(node_->url());
  // OHTTP first: a did:pkh-signed state change creates the user.
  auto wallet = crypto::random_secret(32);
  ASSERT_TRUE(wallet.ok());
  auto pkh = api::RequestSigner::from_secret(identity::KeyType::kEthereumAddress, *wallet);
  ASSERT_TRUE(pkh.ok()) << pkh.status().to_string();
  auto put = ohttp.rpc("data.put", {{"data", common::base64_encode(common::as_bytes("{\"n\":1}"))}}, &*pkh);
  ASSERT_TRUE(put.ok()) << put.status().to_string();
  auto who = ohttp.rpc("identity.whoami", Json::object(), &*pkh);
  ASSERT_TRUE(who.ok() && (*who)["did"].is_string()) << who.status().to_string();
  api::SessionClient session(node_->url());
  ASSERT_TRUE(session.handshake().ok());
  auto did = session.login_ethereum(*wallet);
  ASSERT_TRUE(did.ok()) << did.status().to_string();
  EXPECT_EQ(*did, (*who)["did"].get<std::string>());

  // Session first: the login creates the user the OHTTP path then finds.
  auto wallet2 = crypto::random_secret(32);
  api::SessionClient s2(node_->url());
  ASSERT_TRUE(s2.handshake().ok());
  auto did2 = s2.login_ethereum(*wallet2);
  ASSERT_TRUE(did2.ok()) << did2.status().to_string();
  auto pkh2 = api::RequestSigner::from_secret(identity::KeyType::kEthereumAddress, *wallet2);
  auto who2 = ohttp.rpc("identity.whoami", Json::object(), &*pkh2);
  ASSERT_TRUE(who2.ok());
  EXPECT_EQ((*who2)["did"], *did2);
  EXPECT_NE(*did, *did2);
}

TEST_F(SessionChannelNode, TheSameCallsRunOnBothChannels) {
  api::SessionClient session(node_->url());
  ASSERT_TRUE(session.handshake().ok());
  auto wallet = crypto::random_secret(32);
  ASSERT_TRUE(session.login_ethereum(*wallet).ok());
  // identity.whoami and data.put/data.get are the OHTTP methods, unchanged.
  auto put = session.call("data.put", {{"data", common::base64_encode(common::as_bytes("hello"))}});
  ASSERT_TRUE(put.ok()) << put.status().to_string();
  auto got = session.call("data.get", Json::object());
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_NE(got->dump().find(common::base64_encode(common::as_bytes("hello"))), std::string::npos) << got->dump();
  auto who = session.call("identity.whoami", Json::object());
  ASSERT_TRUE(who.ok());
  EXPECT_EQ((*who)["registered"], true);
  // Operator methods are not served on the session channel.
  auto reg = session.call("contract.register", {{"name", "x"}});
  EXPECT_FALSE(reg.ok());
}

TEST_F(SessionChannelNode, AHandshakeWithABadCiphertextIsATypedErrorAndTheNodeServesOn) {
  httplib::Client raw(node_->url());
  const Json bad = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "auth.handshake"},
                    {"params", Json{{"handshake_action", "SetCiphertext"}, {"ciphertext", Json::array({1, 2, 3})}}.dump()}};
  auto res = raw.Post("/api/rpc", bad.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(Json::parse(res->body)["error"]["code"], -32602) << res->body;
  EXPECT_TRUE(res->get_header_value("Session-Id").empty());
  api::SessionClient ok(node_->url());
  EXPECT_TRUE(ok.handshake().ok());
}

}  // namespace
}  // namespace t3n
