// Regression tests (issue 10) for the request path, against a real t3nd:
// replay across restarts, audience, read-only calls that committed, receipts
// that forced signatures, contract-name ownership, and bad requests that
// ended as plaintext 500s.
#include <gtest/gtest.h>
#include <httplib.h>

#include "api/client.h"
#include "common/encoding.h"
#include "dev_node.h"
#include "identity/request_auth.h"
#include "store/store_test_util.h"

namespace t3n {
namespace {

using common::Json;
using t3n::testing::DevNode;

Bytes counter() { return common::to_bytes(t3n::testing::slurp(std::string(T3N_CONTRACTS_DIR) + "/counter.wasm")); }

Json register_params(const std::string& name, const std::string& version, std::optional<std::string> tenant = std::nullopt) {
  Json p = {{"name", name}, {"version", version}, {"maps", {"counter"}},
            {"manifest", {{"host_capabilities", {"kv_store", "logging", "tenant_context"}}}},
            {"component", common::base64_encode(counter())}};
  if (tenant) p["tenant"] = *tenant;
  return p;
}

std::uint64_t seqno_of(const std::string& url) {
  httplib::Client raw(url);
  auto r = raw.Get("/status");
  EXPECT_TRUE(r);
  return r ? Json::parse(r->body)["seqno"].get<std::uint64_t>() : 0;
}

// A signed inner request, OHTTP-encapsulated: exactly what goes on the wire.
struct Captured {
  Bytes wire;
  std::optional<api::OhttpClientContext> context;
};
Captured capture(api::NodeClient& client, const api::RequestSigner& signer, const std::string& audience, const Json& request) {
  const std::string body = request.dump();
  auto headers = signer.sign("POST", "/api/rpc", common::as_bytes(body), api::unix_ms_now(), audience);
  EXPECT_TRUE(headers.ok());
  api::BhttpRequest inner{"POST", "https", "t3n", "/api/rpc", *headers, common::to_bytes(body), {}};
  auto config = client.key_config();
  EXPECT_TRUE(config.ok());
  auto enc = api::ohttp_encapsulate_request(*config, crypto::HpkeKdf::kHkdfSha256, crypto::HpkeAead::kAes256Gcm,
                                            api::encode_bhttp_request(inner));
  EXPECT_TRUE(enc.ok());
  return {enc->first, std::move(enc->second)};
}

// POSTs wire bytes to /api/ohttp; the decapsulated JSON-RPC reply.
Json post_wire(const std::string& url, const Captured& c) {
  httplib::Client raw(url);
  auto r = raw.Post("/api/ohttp", common::to_string(c.wire), "message/ohttp-req");
  EXPECT_TRUE(r);
  if (!r || r->status != 200) return Json{{"http_status", r ? r->status : 0}};
  auto plain = c.context->decapsulate_response(common::as_bytes(r->body));
  EXPECT_TRUE(plain.ok());
  auto inner = api::decode_bhttp_response(*plain);
  EXPECT_TRUE(inner.ok());
  return Json::parse(common::to_string(inner->content));
}

// Defect 3: an OHTTP request captured on the wire and resent after a
// restart ran again (the nonce set was in memory only).
TEST(ApiDefects, AReplayedRequestDoesNotRunAgainAfterARestart) {
  store::testing::TempDir dir;
  auto alice = api::RequestSigner::generate(identity::KeyType::kEd25519);
  ASSERT_TRUE(alice.ok());
  Captured wire;
  {
    DevNode node(dir.path());
    ASSERT_FALSE(node.url().empty()) << node.output();
    api::NodeClient client(node.url());
    ASSERT_TRUE(client.rpc("contract.register", register_params("counter", "1"), &*alice).ok());
    auto audience = client.audience();
    ASSERT_TRUE(audience.ok());
    wire = capture(client, *alice, *audience,
                   {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "action.execute"},
                    {"params", {{"script_name", "counter"}, {"function_name", "increment"}, {"input", 1000}}}});
    Json first = post_wire(node.url(), wire);
    ASSERT_TRUE(first.contains("result")) << first.dump();
    EXPECT_EQ(first["result"]["response"], 1000);
    // On the same node: refused by the in-memory window already.
    Json again = post_wire(node.url(), wire);
    EXPECT_NE(again.dump().find("replayed"), std::string::npos) << again.dump();
  }
  DevNode restarted(dir.path());
  ASSERT_FALSE(restarted.url().empty()) << restarted.output();
  Json after = post_wire(restarted.url(), wire);
  ASSERT_TRUE(after.contains("error")) << after.dump();
  EXPECT_NE(after["error"]["message"].get<std::string>().find("replayed"), std::string::npos) << after.dump();
  api::NodeClient client(restarted.url());
  auto value = client.rpc("action.execute", {{"script_name", "counter"}, {"function_name", "get"}}, &*alice);
  ASSERT_TRUE(value.ok()) << value.status().to_string();
  EXPECT_EQ((*value)["response"], 1000);
}

class ApiDefectsNode : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<store::testing::TempDir>();
    // No periodic signatures: the tests count ledger entries.
    // Metering off: a metered call commits its charge even when it wrote
    // nothing (test_tenant_cli covers that case).
    node_ = std::make_unique<DevNode>(dir_->path(), std::vector<std::string>{"--signature-interval-ms", "0", "--metering", "off"});
    ASSERT_FALSE(node_->url().empty()) << node_->output();
  }
  static void TearDownTestSuite() {
    node_.reset();
    dir_.reset();
  }
  static std::unique_ptr<store::testing::TempDir> dir_;
  static std::unique_ptr<DevNode> node_;
};
std::unique_ptr<store::testing::TempDir> ApiDefectsNode::dir_;
std::unique_ptr<DevNode> ApiDefectsNode::node_;

// Defect 3: the signature named no audience — a request for one node ran on any.
TEST_F(ApiDefectsNode, ARequestSignedForAnotherNodeIsRefused) {
  api::NodeClient client(node_->url());
  auto alice = api::RequestSigner::generate(identity::KeyType::kEd25519);
  Captured c = capture(client, *alice, identity::audience_of(Bytes(32, 0x42)),
                       {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "identity.whoami"}, {"params", Json::object()}});
  Json reply = post_wire(node_->url(), c);
  EXPECT_EQ(reply["error"]["data"]["code"], "unauthenticated") << reply.dump();
}

// Defect 4: every fresh did:key committed a user, even for identity.whoami;
// GET /api/receipt forced a signature entry.
TEST_F(ApiDefectsNode, ReadOnlyRequestsCommitNothing) {
  api::NodeClient client(node_->url());
  auto owner = api::RequestSigner::generate(identity::KeyType::kEd25519);
  ASSERT_TRUE(client.rpc("contract.register", register_params("readonly", "1"), &*owner).ok());
  const std::uint64_t before = seqno_of(node_->url());
  for (int i = 0; i < 5; ++i) {
    auto stranger = api::RequestSigner::generate(identity::KeyType::kSecp256k1);
    auto who = client.rpc("identity.whoami", Json::object(), &*stranger);
    ASSERT_TRUE(who.ok()) << who.status().to_string();
    EXPECT_TRUE((*who)["did"].is_null());
    EXPECT_FALSE(client.rpc("data.get", Json::object(), &*stranger).ok());
    EXPECT_TRUE(client.rpc("contract.current", {{"name", "readonly"}}, &*stranger).ok());
    auto get = client.rpc("action.execute", {{"script_name", "readonly"}, {"function_name", "get"}}, &*stranger);
    ASSERT_TRUE(get.ok()) << get.status().to_string();
    EXPECT_TRUE((*get)["tx_seqno"].is_null());
  }
  EXPECT_EQ(seqno_of(node_->url()), before);
  // A receipt nobody has signed yet is pending; asking does not sign.
  httplib::Client raw(node_->url());
  auto pending = raw.Get("/api/receipt?seqno=" + std::to_string(before));
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->status, 202) << pending->body;
  EXPECT_EQ(Json::parse(pending->body)["status"], "pending");
  EXPECT_EQ(seqno_of(node_->url()), before);
  // The first state change creates the stranger's user.
  auto newcomer = api::RequestSigner::generate(identity::KeyType::kEd25519);
  auto inc = client.rpc("action.execute", {{"script_name", "readonly"}, {"function_name", "increment"}, {"input", 1}}, &*newcomer);
  ASSERT_TRUE(inc.ok()) << inc.status().to_string();
  EXPECT_FALSE((*inc)["tx_seqno"].is_null());
  auto who = client.rpc("identity.whoami", Json::object(), &*newcomer);
  EXPECT_TRUE((*who)["did"].is_string()) << who->dump();
}

// Defect 5: any caller naming a tenant could publish a new latest version.
TEST_F(ApiDefectsNode, ContractNamesBelongToTheirTenant) {
  api::NodeClient client(node_->url());
  auto alice = api::RequestSigner::generate(identity::KeyType::kEd25519);
  auto bob = api::RequestSigner::generate(identity::KeyType::kEd25519);
  auto first = client.rpc("contract.register", register_params("owned", "1.0.0"), &*alice);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  const std::string tenant = (*first)["tenant"];
  auto hijack = client.rpc("contract.register", register_params("owned", "9.0.0", tenant), &*bob);
  ASSERT_FALSE(hijack.ok());
  EXPECT_NE(hijack.status().message().find("permission_denied"), std::string::npos) << hijack.status().to_string();
  auto current = client.rpc("contract.current", {{"name", "owned"}}, &*bob);
  ASSERT_TRUE(current.ok());
  EXPECT_EQ((*current)["version"], "1.0.0");
  EXPECT_TRUE(client.rpc("contract.register", register_params("owned", "1.1.0"), &*alice).ok());
}

// Defect 7: these ended as plaintext 500s (the nonce spent, the client blind).
TEST_F(ApiDefectsNode, BadRequestsAreJsonRpcErrors) {
  api::NodeClient client(node_->url());
  auto alice = api::RequestSigner::generate(identity::KeyType::kEd25519);
  auto audience = client.audience();
  ASSERT_TRUE(audience.ok());
  auto send_raw = [&](const std::string& body) {
    auto headers = alice->sign("POST", "/api/rpc", common::as_bytes(body), api::unix_ms_now(), *audience);
    api::BhttpRequest inner{"POST", "https", "t3n", "/api/rpc", *headers, common::to_bytes(body), {}};
    auto r = client.ohttp(inner);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? common::parse_json(common::to_string(r->content)) : Result<Json>(r.status());
  };
  auto non_string_version = send_raw(R"({"jsonrpc":2,"id":1,"method":"identity.whoami"})");
  ASSERT_TRUE(non_string_version.ok());
  EXPECT_EQ((*non_string_version)["error"]["code"], -32600);
  const std::string bad_utf8 = std::string(R"({"jsonrpc":"2.0","id":1,"method":"x)") + "\xff\xfe" + R"("})";
  auto utf8 = send_raw(bad_utf8);
  ASSERT_TRUE(utf8.ok()) << "the reply itself must be valid JSON";
  EXPECT_EQ((*utf8)["error"]["code"], -32700);
  EXPECT_EQ(utf8->dump().find("\xff"), std::string::npos);
  Json wrong = register_params("typed", "1");
  wrong["name"] = 5;
  auto typed = send_raw(Json{{"jsonrpc", "2.0"}, {"id", 2}, {"method", "contract.register"}, {"params", wrong}}.dump());
  ASSERT_TRUE(typed.ok());
  EXPECT_EQ((*typed)["error"]["code"], -32602);
  EXPECT_NE((*typed)["error"]["message"].get<std::string>().find("'name'"), std::string::npos) << typed->dump();
  wrong = register_params("typed", "1");
  wrong["maps"] = {1, 2};
  auto maps = send_raw(Json{{"jsonrpc", "2.0"}, {"id", 3}, {"method", "contract.register"}, {"params", wrong}}.dump());
  EXPECT_EQ((*maps)["error"]["code"], -32602) << maps->dump();
  auto array_params = send_raw(R"({"jsonrpc":"2.0","id":4,"method":"identity.whoami","params":[1]})");
  EXPECT_EQ((*array_params)["error"]["code"], -32602);
  auto object_id = send_raw(R"({"jsonrpc":"2.0","id":{"a":1},"method":"identity.whoami"})");
  EXPECT_EQ((*object_id)["error"]["code"], -32600);

  httplib::Client raw(node_->url());
  auto kv = raw.Get("/api/public-kv?map=%FF&key=a");
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->status, 404);
  EXPECT_TRUE(common::parse_json(kv->body).ok()) << kv->body;
  EXPECT_EQ(raw.Get("/api/public-kv?map=%F&key=a")->status, 400);
  // Defect 9: seqno was parsed with stoull.
  for (const char* bad : {"-1", "1e3", "3abc", "", "0", "99999999999999999999999"}) {
    auto r = raw.Get(std::string("/api/receipt?seqno=") + bad);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad << ": " << r->body;
  }
  EXPECT_EQ(raw.Get("/api/receipt?seqno=999999")->status, 404);
  EXPECT_EQ(raw.Get("/no/such/route")->status, 404);
  EXPECT_EQ(raw.Post("/status", "", "text/plain")->status, 405);
  // Still serving.
  EXPECT_TRUE(client.rpc("identity.whoami", Json::object(), &*alice).ok());
}

// Defect 6: a chunked body bypassed the 16 MiB limit and was buffered
// before authentication.
TEST_F(ApiDefectsNode, AChunkedBodyOverTheLimitIsRefused) {
  httplib::Client raw(node_->url());
  const std::string chunk(1 << 20, 'x');
  std::size_t sent = 0;
  auto r = raw.Post(
      "/api/ohttp",
      [&](std::size_t, httplib::DataSink& sink) {
        if (sent >= 64 * chunk.size()) {
          sink.done();
          return true;
        }
        sent += chunk.size();
        return sink.write(chunk.data(), chunk.size());
      },
      "message/ohttp-req");
  // Either the 413 arrives, or the connection is closed under the client's
  // writes (cpp-httplib's client then reports no response); in both cases
  // the node stopped reading long before the 64 MiB were sent.
  if (r) {
    EXPECT_EQ(r->status, 413);
  }
  EXPECT_LT(sent, 32 * chunk.size()) << "the server read the whole body";
  EXPECT_EQ(raw.Get("/status")->status, 200);
}

}  // namespace
}  // namespace t3n
