// The `t3n` CLI trusts a node only after verifying its attestation (issue 11,
// defect 1), pins what it verified (OHTTP key, audience, receipt keys),
// waits for pending receipts, writes its key file 0600 from creation on and
// takes --json/--node/--key anywhere (defect 9). Fake nodes here are
// cpp-httplib servers on 127.0.0.1 that count what they receive.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <thread>

#include "api/bhttp.h"
#include "api/ohttp.h"
#include "attest/policy.h"
#include "common/encoding.h"
#include "crypto/mlkem.h"
#include "common/files.h"
#include "crypto/ed25519.h"
#include "crypto/hpke.h"
#include "crypto/mldsa.h"
#include "crypto/random.h"
#include "dev_node.h"
#include "store/history_tree.h"
#include "store/ledger_entry.h"
#include "store/receipt.h"
#include "store/store_test_util.h"
#include "test_util.h"

namespace t3n {
namespace {

using common::Json;
using t3n::testing::DevNode;

constexpr std::string_view kMarker = "MarkerPII-TRUST-bob@example.com";
// Intel's SGX/TDX root CA (SHA-256 of its DER): not the dev node's root.
constexpr std::string_view kIntelRoot = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";

struct CliRun {
  std::string out;
  std::string err;
  int exit = -1;
};

// Runs the CLI with `args`; stdout and stderr apart. The caller's
// T3N_TRUST_SIMULATED_ROOT never leaks in unless `env` sets it.
CliRun t3n_cli(const std::filesystem::path& dir, const std::string& args, const std::string& env = "") {
  const std::string err_file = (dir / "cli-stderr.txt").string();
  const std::string cmd = "env -u T3N_TRUST_SIMULATED_ROOT " + env + " " + std::string(T3N_BIN_DIR) + "/t3n " + args + " 2>" + err_file;
  CliRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = t3n::testing::slurp(err_file);
  return r;
}

std::string b64url(ByteView b) { return common::base64url_encode(b); }

// A loopback HTTP server the test configures; stopped and joined on scope exit.
class FakeServer {
 public:
  FakeServer() = default;
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;
  ~FakeServer() {
    if (!thread_.joinable()) return;
    http.stop();
    thread_.join();
  }
  void start() {
    port_ = http.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { http.listen_after_bind(); });
    // stop() is a no-op until the server loop runs: wait for its flag.
    while (!http.is_running()) std::this_thread::yield();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  httplib::Server http;

 private:
  int port_ = 0;
  std::thread thread_;
};

// A node that is not in any TEE: its own OHTTP key and signing keys, an
// attestation document that binds them consistently (REPORTDATA = their
// binding) and evidence that is junk. Counts every OHTTP request; answers
// those it can decrypt, as a real node would, so a CLI that sends would
// also print success.
class SelfMadeNode {
 public:
  struct Options {
    bool claims_simulated = false;
    bool consistent_binding = true;
  };
  explicit SelfMadeNode(Options options) {
    auto ikm = crypto::random_secret(32);
    auto xwing = crypto::HpkePrivateKey::derive(crypto::HpkeKem::kXWing, *ikm);
    std::vector<api::OhttpGateway::Key> keys;
    keys.push_back({1, std::move(*xwing), {{crypto::HpkeKdf::kHkdfSha256, crypto::HpkeAead::kAes256Gcm}}});
    gateway_ = std::make_unique<api::OhttpGateway>(std::move(keys));
    // Only the public halves matter: the fake never signs.
    ed_pub_ = crypto::Ed25519PrivateKey::generate()->public_key();
    mldsa_pub_ = crypto::mldsa65_keygen()->public_key;
    const Bytes ohttp = api::encode_key_configs(gateway_->key_configs());
    const Bytes mlkem = crypto::mlkem768_keygen()->encapsulation_key;
    const std::vector<std::string> peers{attest::libp2p_peer_id(ed_pub_)};
    const Bytes message = attest::node_attestation_message(mlkem, peers, attest::node_key_binding(ed_pub_, mldsa_pub_, ohttp));
    auto rd = attest::report_data_of_message(message);
    if (!options.consistent_binding) rd[0] ^= 1;
    Bytes fake_root(32);
    (void)crypto::random_bytes(fake_root);
    root_ = common::hex_encode(fake_root);
    attestation = {{"provider", "IntelTdx"},
                   {"simulated", options.claims_simulated},
                   {"evidence", common::base64_encode(common::as_bytes("this is not a quote"))},
                   {"report_data", common::hex_encode(rd)},
                   {"binds", {{"ed25519_public_key", b64url(ed_pub_)},
                              {"mldsa65_public_key", b64url(mldsa_pub_)},
                              {"ohttp_keys", b64url(ohttp)},
                              {"mlkem768_encaps_key", b64url(mlkem)},
                              {"peer_ids", peers}}},
                   {"attestation_msg", common::base64_encode(message)},
                   {"simulated_root_ca_sha256", root_}};
    server_.http.Get("/api/attestation", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(attestation.dump(), "application/json");
    });
    server_.http.Get("/ohttp-keys", [this, ohttp](const httplib::Request&, httplib::Response& res) {
      res.set_content(common::to_string(ohttp), "application/ohttp-keys");
    });
    server_.http.Get("/api/trust-manifest", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(Json{{"ed25519_public_key", b64url(ed_pub_)}, {"mldsa65_public_key", b64url(mldsa_pub_)}}.dump(),
                      "application/json");
    });
    server_.http.Get("/api/receipt", [this](const httplib::Request&, httplib::Response& res) {
      ++receipt_gets;
      res.status = 404;
    });
    server_.http.Post("/api/ohttp", [this](const httplib::Request& req, httplib::Response& res) {
      ++ohttp_posts;
      auto dec = gateway_->decapsulate(common::as_bytes(req.body));
      if (!dec.ok()) {
        res.status = 400;
        return;
      }
      auto inner = api::decode_bhttp_request(dec->request);
      if (inner.ok()) {
        std::lock_guard lock(mu_);
        received_ += common::to_string(inner->content);
      }
      api::BhttpResponse reply;
      reply.content = common::to_bytes(R"({"jsonrpc":"2.0","id":1,"result":{"response":"stolen","tx_seqno":null,"cid":"bafkfake"}})");
      auto sealed = dec->responder.encapsulate(api::encode_bhttp_response(reply));
      res.set_content(common::to_string(*sealed), "message/ohttp-res");
    });
    server_.start();
  }
  std::string url() const { return server_.url(); }
  const std::string& claimed_root() const { return root_; }
  std::string received() {
    std::lock_guard lock(mu_);
    return received_;
  }

  Json attestation;
  std::atomic<int> ohttp_posts{0};
  std::atomic<int> receipt_gets{0};

 private:
  std::unique_ptr<api::OhttpGateway> gateway_;
  Bytes ed_pub_;
  Bytes mldsa_pub_;
  std::string root_;
  std::mutex mu_;
  std::string received_;
  FakeServer server_;  // last: stopped before the members its handlers use
};

class CliTrust : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = (dir_.path() / ".t3n" / "key.json").string();
    ASSERT_EQ(t3n_cli(dir_.path(), "--key " + key_ + " keygen").exit, 0);
  }
  CliRun cli(const std::string& node, const std::string& args, const std::string& env = "") {
    return t3n_cli(dir_.path(), "--node " + node + " --key " + key_ + " " + args, env);
  }
  std::filesystem::path cache_file() const { return dir_.path() / ".t3n" / "trusted-nodes.json"; }
  store::testing::TempDir dir_;
  std::string key_;
};

// Defect 1: a self-consistent attestation with junk evidence received and
// decrypted `t3n call` and `t3n data put` (private data included).
TEST_F(CliTrust, ANodeWithJunkEvidenceReceivesNothing) {
  SelfMadeNode fake({});
  const CliRun call = cli(fake.url(), "call counter get");
  EXPECT_EQ(call.exit, 4) << call.out << call.err;
  EXPECT_NE(call.err.find("refusing to send requests to " + fake.url()), std::string::npos) << call.err;
  EXPECT_NE(call.err.find("ships no root and PCK CRLs"), std::string::npos) << call.err;
  // With genuine collateral from elsewhere, the junk itself is judged.
  const std::string collateral = (t3n::testing::vectors_dir() / "attestation/tdx/dcap-qvl-v4-uptodate").string();
  const CliRun judged = cli(fake.url(), "call counter get --collateral " + collateral);
  EXPECT_EQ(judged.exit, 4);
  EXPECT_NE(judged.err.find("evidence does not verify"), std::string::npos) << judged.err;
  const CliRun put = cli(fake.url(), "data put --text '" + std::string(kMarker) + "'");
  EXPECT_EQ(put.exit, 4) << put.out << put.err;
  EXPECT_EQ(put.out.find("stored"), std::string::npos);
  for (const char* args : {"whoami", "deploy /dev/null --name x --version 1", "data get"}) EXPECT_EQ(cli(fake.url(), args).exit, 4) << args;
  // Receipts are judged by the attested keys: no attestation, no receipt.
  EXPECT_EQ(cli(fake.url(), "receipt 1").exit, 4);
  EXPECT_EQ(fake.ohttp_posts, 0);
  EXPECT_EQ(fake.receipt_gets, 0);
  EXPECT_EQ(fake.received().find(kMarker), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(cache_file()));
  // verify-node says the same, through the same path.
  const CliRun verify = cli(fake.url(), "--json attest verify-node");
  EXPECT_EQ(verify.exit, 4);
  auto j = common::parse_json(verify.out);
  ASSERT_TRUE(j.ok()) << verify.out;
  EXPECT_FALSE((*j)["valid"].get<bool>());
}

TEST_F(CliTrust, AFakeClaimingSimulatedEvidenceIsRefusedWithAndWithoutItsRoot) {
  SelfMadeNode fake({.claims_simulated = true});
  const CliRun bare = cli(fake.url(), "data put --text '" + std::string(kMarker) + "'");
  EXPECT_EQ(bare.exit, 4);
  // The refusal names the flag, the hash to copy and the alternatives.
  EXPECT_NE(bare.err.find("SIMULATED"), std::string::npos) << bare.err;
  EXPECT_NE(bare.err.find("--trust-simulated-root " + fake.claimed_root()), std::string::npos) << bare.err;
  EXPECT_NE(bare.err.find("T3N_TRUST_SIMULATED_ROOT=" + fake.claimed_root()), std::string::npos) << bare.err;
  EXPECT_NE(bare.err.find("--insecure-dev"), std::string::npos) << bare.err;
  // Trusting the root it names does not make junk evidence verify.
  const CliRun rooted = cli(fake.url(), "data put --text x --trust-simulated-root " + fake.claimed_root());
  EXPECT_EQ(rooted.exit, 4) << rooted.err;
  EXPECT_NE(cli(fake.url(), "attest verify-node --print-simulated-root").exit, 0);
  EXPECT_EQ(fake.ohttp_posts, 0);
}

TEST_F(CliTrust, InsecureDevStillChecksTheKeyBinding) {
  SelfMadeNode broken({.claims_simulated = true, .consistent_binding = false});
  const CliRun r = cli(broken.url(), "call counter get --insecure-dev");
  EXPECT_EQ(r.exit, 4) << r.err;
  EXPECT_NE(r.err.find("does not match the keys"), std::string::npos) << r.err;
  EXPECT_EQ(broken.ohttp_posts, 0);
  // Consistent: --insecure-dev sends (that is what it is for), and says so.
  SelfMadeNode fake({.claims_simulated = true});
  const CliRun sent = cli(fake.url(), "call counter get --insecure-dev");
  EXPECT_EQ(sent.exit, 0) << sent.err;
  EXPECT_NE(sent.err.find("warning: --insecure-dev"), std::string::npos) << sent.err;
  EXPECT_EQ(fake.ohttp_posts, 1);
  EXPECT_FALSE(std::filesystem::exists(cache_file())) << "nothing verified, nothing cached";
}

// A real `t3nd dev`: simulated TDX evidence from its test PKI.
class CliTrustDev : public CliTrust {
 protected:
  static void SetUpTestSuite() {
    node_dir_ = new store::testing::TempDir();  // NOLINT: suite-lifetime fixture
    node_ = new DevNode(node_dir_->path());     // NOLINT
    ASSERT_FALSE(node_->url().empty()) << node_->output();
    httplib::Client raw(node_->url());
    auto att = raw.Get("/api/attestation");
    ASSERT_TRUE(att);
    attestation_ = new Json(Json::parse(att->body));  // NOLINT
    root_ = new std::string((*attestation_)["simulated_root_ca_sha256"].get<std::string>());  // NOLINT
  }
  static void TearDownTestSuite() {
    delete root_;         // NOLINT
    delete attestation_;  // NOLINT
    delete node_;         // NOLINT
    delete node_dir_;     // NOLINT
  }
  CliRun dev(const std::string& args, const std::string& env = "") { return cli(node_->url(), args, env); }
  std::string trusted() const { return " --trust-simulated-root " + *root_; }
  // Deploys the counter contract (under this test's key) and returns the
  // seqno of an increment.
  std::uint64_t deploy_and_increment() {
    const std::string manifest = (dir_.path() / "manifest.json").string();
    std::ofstream(manifest) << R"({"host_capabilities": ["kv_store", "logging", "tenant_context"]})";
    Bytes suffix(4);
    (void)crypto::random_bytes(suffix);
    const std::string name = "counter-" + common::hex_encode(suffix);
    const CliRun d = dev("deploy " + std::string(T3N_CONTRACTS_DIR) + "/counter.wasm --name " + name + " --version 1.0.0 --manifest " +
                      manifest + " --map counter" + trusted());
    EXPECT_EQ(d.exit, 0) << d.out << d.err;
    const CliRun inc = dev("call " + name + " increment --input 3 --json" + trusted());
    EXPECT_EQ(inc.exit, 0) << inc.err;
    auto j = common::parse_json(inc.out);
    EXPECT_TRUE(j.ok()) << inc.out;
    return j.ok() && (*j)["tx_seqno"].is_number() ? (*j)["tx_seqno"].get<std::uint64_t>() : 0;
  }
  static store::testing::TempDir* node_dir_;
  static DevNode* node_;
  static Json* attestation_;
  static std::string* root_;
};
store::testing::TempDir* CliTrustDev::node_dir_ = nullptr;
DevNode* CliTrustDev::node_ = nullptr;
Json* CliTrustDev::attestation_ = nullptr;
std::string* CliTrustDev::root_ = nullptr;

TEST_F(CliTrustDev, RefusedWithoutTheRootWorksWithItOrInsecureDev) {
  const CliRun bare = dev("data put --text '" + std::string(kMarker) + "'");
  EXPECT_EQ(bare.exit, 4) << bare.out << bare.err;
  EXPECT_NE(bare.err.find("--trust-simulated-root " + *root_), std::string::npos) << bare.err;
  EXPECT_NE(bare.err.find("--insecure-dev"), std::string::npos) << bare.err;
  EXPECT_EQ(dev("data put --text x --trust-simulated-root " + std::string(kIntelRoot)).exit, 4) << "a wrong root";
  const CliRun put = dev("data put --text '" + std::string(kMarker) + "'" + trusted());
  EXPECT_EQ(put.exit, 0) << put.err;
  EXPECT_NE(put.out.find("stored"), std::string::npos);
  EXPECT_NE(put.err.find("SIMULATED TEE"), std::string::npos) << "the developer is told what they trusted";
  const CliRun get = dev("data get", "T3N_TRUST_SIMULATED_ROOT=" + *root_);
  EXPECT_EQ(get.exit, 0) << get.err;
  EXPECT_NE(get.out.find(kMarker), std::string::npos);
  const CliRun insecure = dev("data get --insecure-dev");
  EXPECT_EQ(insecure.exit, 0) << insecure.err;
  EXPECT_NE(insecure.err.find("warning: --insecure-dev"), std::string::npos);
  // Defect 9: --json after the subcommand.
  EXPECT_GT(deploy_and_increment(), 0u);
  // What `t3nd dev` tells a new user to run.
  const CliRun root = dev("attest verify-node --print-simulated-root");
  EXPECT_EQ(root.exit, 0) << root.err;
  EXPECT_EQ(root.out, *root_ + "\n");
  const CliRun pinned = dev("attest verify-node --json", "T3N_TRUST_SIMULATED_ROOT=" + *root_);
  EXPECT_EQ(pinned.exit, 0) << pinned.out;
  const CliRun wrong_env = dev("whoami", "T3N_TRUST_SIMULATED_ROOT=" + std::string(kIntelRoot));
  EXPECT_EQ(wrong_env.exit, 4) << wrong_env.err;
  EXPECT_EQ(t3n_cli(dir_.path(), "keygen --key " + (dir_.path() / "k2.json").string(), "T3N_TRUST_SIMULATED_ROOT=junk").exit, 0)
      << "commands that trust no node ignore the variable";
}

// The cache: what was verified, per node URL, under the key's directory.
TEST_F(CliTrustDev, CachesTheVerificationAndReverifiesWhenTheAttestationChanges) {
  ASSERT_EQ(dev("whoami" + trusted()).exit, 0);
  struct stat st {};
  ASSERT_EQ(::stat(cache_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto cache = common::parse_json(*common::read_file(cache_file()));
  ASSERT_TRUE(cache.ok());
  Json entry = (*cache)["nodes"][node_->url()];
  EXPECT_EQ(entry["basis"], "simulated-root");
  EXPECT_EQ(entry["simulated_root_ca_sha256"], *root_);
  EXPECT_EQ(entry["ed25519_public_key"], (*attestation_)["binds"]["ed25519_public_key"]);
  EXPECT_EQ(entry["ohttp_keys"], (*attestation_)["binds"]["ohttp_keys"]);
  // The entry is for that root only: without it (or with another) the node is refused again.
  EXPECT_EQ(dev("whoami").exit, 4);
  EXPECT_EQ(dev("whoami --trust-simulated-root " + std::string(kIntelRoot)).exit, 4);
  // Expired: verified again, and the entry renewed.
  (*cache)["nodes"][node_->url()]["expires_at"] = 1;
  (*cache)["nodes"][node_->url()]["verified_at"] = 0;
  ASSERT_TRUE(common::write_file_atomic(cache_file(), common::as_bytes(cache->dump())).ok());
  ASSERT_EQ(dev("whoami" + trusted()).exit, 0);
  auto renewed = common::parse_json(*common::read_file(cache_file()));
  EXPECT_GT((*renewed)["nodes"][node_->url()]["expires_at"].get<std::int64_t>(), 1'700'000'000);
  // Another attestation at a URL with a cached entry (a node restarted with
  // new keys, or an impostor on its address): verified afresh, and refused.
  SelfMadeNode impostor({.claims_simulated = true});
  (*renewed)["nodes"][impostor.url()] = (*renewed)["nodes"][node_->url()];
  ASSERT_TRUE(common::write_file_atomic(cache_file(), common::as_bytes(renewed->dump())).ok());
  const CliRun r = cli(impostor.url(), "data put --text '" + std::string(kMarker) + "'" + trusted());
  EXPECT_EQ(r.exit, 4) << r.err;
  EXPECT_EQ(impostor.ohttp_posts, 0);
}

// A proxy in front of the real dev node: genuine attestation, but it can
// rewrite what else the node says.
class Proxy {
 public:
  explicit Proxy(const std::string& upstream) : upstream_(upstream) {
    for (const char* path : {"/api/attestation", "/ohttp-keys", "/status"})
      server.http.Get(path, [this](const httplib::Request& req, httplib::Response& res) { forward(req, res); });
    server.http.Post("/api/ohttp", [this](const httplib::Request& req, httplib::Response& res) {
      httplib::Client up(upstream_);
      auto r = up.Post("/api/ohttp", req.body, "message/ohttp-req");
      if (!r) return;
      res.status = r->status;
      res.set_content(r->body, "message/ohttp-res");
    });
  }
  void forward(const httplib::Request& req, httplib::Response& res) {
    httplib::Client up(upstream_);
    auto r = up.Get(req.target);
    if (!r) return;
    res.status = r->status;
    res.set_content(r->body, r->get_header_value("content-type"));
  }
  FakeServer server;

 private:
  std::string upstream_;
};

// Receipts were checked against the keys the node asserts in
// /api/trust-manifest: a receipt forged with other keys, and a manifest
// naming them, verified.
TEST_F(CliTrustDev, ReceiptsAreCheckedAgainstTheAttestedKeys) {
  const std::uint64_t seqno = deploy_and_increment();
  ASSERT_GT(seqno, 0u);
  const CliRun genuine = dev("receipt " + std::to_string(seqno) + trusted());
  EXPECT_EQ(genuine.exit, 0) << genuine.out << genuine.err;
  EXPECT_NE(genuine.out.find("by the attested node keys"), std::string::npos) << genuine.out;

  auto ed = crypto::Ed25519PrivateKey::generate();
  auto pq = crypto::mldsa65_keygen();
  ASSERT_TRUE(ed.ok() && pq.ok());
  store::Receipt forged;
  forged.seqno = 1;
  forged.tree_size = 1;
  forged.signature_seqno = 2;
  forged.write_set_digest[0] = 7;
  forged.history_root = store::history_leaf_hash(store::history_leaf(forged.write_set_digest, forged.commit_evidence, forged.claims_digest));
  const Bytes payload = store::signature_payload(forged.signature_seqno, forged.tree_size, forged.history_root, forged.state_root);
  forged.ed25519_public_key = ed->public_key();
  forged.ed25519_signature = *ed->sign(payload);
  forged.mldsa_public_key = pq->public_key;
  forged.mldsa_signature = *crypto::mldsa65_sign(pq->secret_key, payload);
  ASSERT_TRUE(store::verify_receipt(forged).ok()) << "a well-formed receipt, by other keys";
  Proxy proxy(node_->url());
  proxy.server.http.Get("/api/trust-manifest", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(Json{{"ed25519_public_key", b64url(ed->public_key())}, {"mldsa65_public_key", b64url(pq->public_key)}}.dump(),
                    "application/json");
  });
  proxy.server.http.Get("/api/receipt", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(store::receipt_to_json(forged).dump(), "application/json");
  });
  proxy.server.start();
  const CliRun r = cli(proxy.server.url(), "receipt 1" + trusted());
  EXPECT_EQ(r.exit, 4) << r.out << r.err;
  EXPECT_NE(r.out.find("does NOT verify"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("other than the trusted node keys"), std::string::npos) << r.out;
}

// The node answers 202 {"status":"pending"} until a signature covers the
// entry; the CLI used to fail at once.
TEST_F(CliTrustDev, APendingReceiptIsWaitedFor) {
  const std::uint64_t seqno = deploy_and_increment();
  ASSERT_GT(seqno, 0u);
  Proxy proxy(node_->url());
  std::atomic<int> asked{0};
  proxy.server.http.Get("/api/receipt", [&](const httplib::Request& req, httplib::Response& res) {
    if (++asked <= 2) {
      res.status = 202;
      res.set_content(Json{{"status", "pending"}, {"seqno", seqno}}.dump(), "application/json");
      return;
    }
    proxy.forward(req, res);
  });
  proxy.server.start();
  const CliRun waited = cli(proxy.server.url(), "receipt " + std::to_string(seqno) + trusted());
  EXPECT_EQ(waited.exit, 0) << waited.out << waited.err;
  EXPECT_NE(waited.err.find("pending"), std::string::npos) << waited.err;
  EXPECT_NE(waited.out.find("verifies"), std::string::npos) << waited.out;
  EXPECT_GE(asked, 3) << "two pending answers, then the node's";

  Proxy never(node_->url());
  never.server.http.Get("/api/receipt", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 202;
    res.set_content(R"({"status":"pending"})", "application/json");
  });
  never.server.start();
  const CliRun gave_up = cli(never.server.url(), "receipt " + std::to_string(seqno) + " --wait 0.3" + trusted());
  EXPECT_EQ(gave_up.exit, 1) << gave_up.err;
  EXPECT_NE(gave_up.err.find("still pending after"), std::string::npos) << gave_up.err;
}

// Defect 9: the key file was created with the default mode, then chmod'ed.
TEST(CliKeygen, TheSecretKeyFileIsPrivateFromItsCreation) {
  store::testing::TempDir dir;
  const std::filesystem::path keys = dir.path() / "keys";
  std::filesystem::create_directories(keys);
  const int in = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ASSERT_GE(in, 0);
  ASSERT_GE(::inotify_add_watch(in, keys.c_str(), IN_CREATE | IN_ATTRIB | IN_MOVED_TO), 0);
  // umask 0: a file created with the default mode would be world-readable.
  const mode_t old_mask = ::umask(0);
  const CliRun r = t3n_cli(dir.path(), "--key " + (keys / "key.json").string() + " keygen --json");
  ::umask(old_mask);
  ASSERT_EQ(r.exit, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(::stat((keys / "key.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Every name that appeared was created private: no mode change afterwards.
  alignas(inotify_event) char buf[8192];
  int created = 0;
  for (ssize_t n; (n = ::read(in, buf, sizeof buf)) > 0;) {
    for (char* p = buf; p < buf + n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(p);  // NOLINT: the kernel's record layout
      const std::string name = ev->len > 0 ? ev->name : "";
      if ((ev->mask & IN_CREATE) != 0) ++created;
      EXPECT_EQ(ev->mask & IN_ATTRIB, 0u) << "mode changed after creation: " << name;
      p += sizeof(inotify_event) + ev->len;
    }
  }
  ::close(in);
  EXPECT_GE(created, 1);
  auto j = common::parse_json(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  const std::string did = (*j)["did"];
  // No overwrite without --force; with it, a new key, still 0600.
  const CliRun again = t3n_cli(dir.path(), "keygen --key " + (keys / "key.json").string());
  EXPECT_NE(again.exit, 0);
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;
  EXPECT_NE(common::read_file(keys / "key.json")->find(did), std::string::npos);
  const CliRun forced = t3n_cli(dir.path(), "keygen --force --json --key " + (keys / "key.json").string());
  ASSERT_EQ(forced.exit, 0) << forced.err;
  EXPECT_EQ(common::read_file(keys / "key.json")->find(did), std::string::npos);
  ASSERT_EQ(::stat((keys / "key.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (const auto& f : std::filesystem::directory_iterator(keys)) EXPECT_EQ(f.path().filename(), "key.json") << "no temp file left";
}

}  // namespace
}  // namespace t3n
