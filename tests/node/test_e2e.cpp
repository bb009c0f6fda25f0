// End to end: a real `t3nd dev` process on a free loopback port, driven only
// through the `t3n` CLI and raw HTTP (the client library the CLI uses).
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "api/client.h"
#include "common/encoding.h"
#include "common/files.h"
#include "identity/request_auth.h"
#include "store/receipt.h"
#include "store/state_tree.h"
#include "store/store_test_util.h"
#include "dev_node.h"
#include "test_util.h"

namespace t3n {
namespace {

using common::Json;

constexpr std::string_view kMarker = "MarkerPII-Q7Z9-alice@example.com";

using t3n::testing::DevNode;
using t3n::testing::slurp;

std::string run(const std::string& cmd) { return t3n::testing::run_shell(cmd); }

Bytes contract(const std::string& name) { return common::to_bytes(slurp(std::string(T3N_CONTRACTS_DIR) + "/" + name + ".wasm")); }

class NodeE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new store::testing::TempDir();  // NOLINT: suite-lifetime fixture
    node_ = new DevNode(dir_->path());     // NOLINT
    ASSERT_FALSE(node_->url().empty()) << node_->output();
  }
  static void TearDownTestSuite() {
    delete node_;  // NOLINT
    delete dir_;   // NOLINT
  }
  static store::testing::TempDir* dir_;
  static DevNode* node_;
};
store::testing::TempDir* NodeE2E::dir_ = nullptr;
DevNode* NodeE2E::node_ = nullptr;

TEST_F(NodeE2E, TheWholeLoopThroughTheCli) {
  const std::string t3n = std::string(T3N_BIN_DIR) + "/t3n --node " + node_->url() + " --key " +
                          (dir_->path() / "cli-key.json").string();
  // The CLI refuses a dev node's simulated evidence unless its root is trusted.
  httplib::Client raw(node_->url());
  const std::string dev_root = Json::parse(raw.Get("/api/attestation")->body)["simulated_root_ca_sha256"];
  const std::string t3n_dev = "T3N_TRUST_SIMULATED_ROOT=" + dev_root + " " + t3n;
  EXPECT_NE(run(t3n + " keygen --type eth").find("did:pkh:eip155:1:0x"), std::string::npos);
  const std::string manifest = (dir_->path() / "manifest.json").string();
  std::ofstream(manifest) << R"({"host_capabilities": ["kv_store", "logging", "tenant_context"]})";
  const std::string deploy = " deploy " + std::string(T3N_CONTRACTS_DIR) + "/counter.wasm --name counter --manifest " + manifest +
                             " --map counter --map public:board --version ";
  const std::string deployed = run(t3n_dev + deploy + "1.0.0");
  ASSERT_NE(deployed.find("deployed counter 1.0.0 as bafkrei"), std::string::npos) << deployed;
  // The contract lives in the deployer's own tenant (its user id).
  const std::string second_version = run(t3n_dev + " --json" + deploy + "1.0.1");
  auto dj = common::parse_json(second_version.substr(second_version.find('{')));
  ASSERT_TRUE(dj.ok()) << second_version;
  const std::string tenant = (*dj)["tenant"].get<std::string>();
  ASSERT_EQ(tenant.size(), 40u);
  EXPECT_NE(run(t3n_dev + " call counter increment --input 5").find("5   (committed at seqno"), std::string::npos);
  const std::string second = run(t3n_dev + " --json call counter increment --input 2");
  auto j = common::parse_json(second.substr(second.find('{')));
  ASSERT_TRUE(j.ok()) << second;
  EXPECT_EQ((*j)["response"], 7);
  const auto seqno = (*j)["tx_seqno"].get<std::uint64_t>();
  EXPECT_NE(run(t3n_dev + " receipt " + std::to_string(seqno)).find("verifies (Ed25519 + ML-DSA-65"), std::string::npos);
  EXPECT_NE(run(t3n_dev + " data put --text '" + std::string(kMarker) + "'").find("stored"), std::string::npos);
  EXPECT_NE(run(t3n_dev + " data get").find(kMarker), std::string::npos);
  const std::string z = "z:" + tenant + ":public:board";
  EXPECT_NE(run(t3n_dev + " proof " + z + " nobody").find("proof verifies: nobody is absent"), std::string::npos);
  EXPECT_NE(run(t3n_dev + " call counter transfer").find("unknown_function"), std::string::npos);
  // A dev node's keys are consistently bound, but nothing vouches for them: not trusted, exit 4.
  const std::string node_check = run(t3n + " --json attest verify-node; echo exit=$?");
  auto nj = common::parse_json(node_check.substr(0, node_check.find('\n')));
  ASSERT_TRUE(nj.ok()) << node_check;
  EXPECT_FALSE((*nj)["valid"].get<bool>());
  EXPECT_TRUE((*nj)["key_binding_valid"].get<bool>());
  EXPECT_FALSE((*nj)["hardware_verified"].get<bool>());
  EXPECT_TRUE((*nj)["simulated"].get<bool>());
  EXPECT_NE(node_check.find("exit=4"), std::string::npos) << node_check;
  // Pinning the simulated root explicitly runs the full DCAP path over the
  // node's simulated quote, REPORTDATA bound to its keys.
  const std::string root = (*nj)["simulated_root_ca_sha256"].get<std::string>();
  ASSERT_EQ(root.size(), 64u);
  const std::string pinned = run(t3n + " --json attest verify-node --trust-simulated-root " + root + "; echo exit=$?");
  auto pj = common::parse_json(pinned.substr(0, pinned.find('\n')));
  ASSERT_TRUE(pj.ok()) << pinned;
  EXPECT_TRUE((*pj)["valid"].get<bool>()) << pinned;
  EXPECT_EQ((*pj)["tcb_status"], "UpToDate");
  EXPECT_EQ((*pj)["policy"]["report_data_bound"], true);
  EXPECT_FALSE((*pj)["hardware_verified"].get<bool>());
  EXPECT_NE(pinned.find("exit=0"), std::string::npos) << pinned;
  // Another root (Intel's, say) does not trust it.
  const std::string intel = run(t3n + " --json attest verify-node --trust-simulated-root "
                                "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3; echo exit=$?");
  EXPECT_NE(intel.find("pinned root"), std::string::npos) << intel;
  EXPECT_NE(intel.find("exit=4"), std::string::npos) << intel;
  EXPECT_NE(run(std::string(T3N_BIN_DIR) + "/t3n attest verify-node http://127.0.0.1:1; echo exit=$?").find("exit=4"),
            std::string::npos);
}

TEST_F(NodeE2E, AuthenticationReplayAndTampering) {
  api::NodeClient client(node_->url());
  auto alice = api::RequestSigner::generate(identity::KeyType::kEd25519);
  auto mallory = api::RequestSigner::generate(identity::KeyType::kP256);
  ASSERT_TRUE(alice.ok() && mallory.ok());
  auto audience = client.audience();
  ASSERT_TRUE(audience.ok()) << audience.status().to_string();
  // The counter may not be deployed by the other test yet when run alone.
  (void)client.rpc("contract.register", {{"name", "counter2"}, {"version", "1"}, {"maps", {"counter"}}, {"tenant", std::string(40, 'b')},
                                         {"manifest", {{"host_capabilities", {"kv_store", "logging", "tenant_context"}}}},
                                         {"component", common::base64_encode(contract("counter"))}},
                   &*alice);
  auto ok = client.rpc("action.execute", {{"script_name", "counter2"}, {"function_name", "get"}}, &*alice);
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();

  // Unauthenticated.
  auto anon = client.rpc("action.execute", {{"script_name", "counter2"}, {"function_name", "get"}}, nullptr);
  ASSERT_FALSE(anon.ok());
  EXPECT_NE(anon.status().message().find("unauthenticated"), std::string::npos);

  // Forged: Mallory signs but claims Alice's DID.
  const std::string body = R"({"jsonrpc":"2.0","id":1,"method":"identity.whoami","params":{}})";
  auto headers = mallory->sign("POST", "/api/rpc", common::as_bytes(body), api::unix_ms_now(), *audience);
  ASSERT_TRUE(headers.ok());
  for (auto& [k, v] : *headers)
    if (k == "t3n-did") v = alice->did();
  api::BhttpRequest forged{"POST", "https", "t3n", "/api/rpc", *headers, common::to_bytes(body), {}};
  auto forged_reply = client.ohttp(forged);
  ASSERT_TRUE(forged_reply.ok());
  EXPECT_NE(common::to_string(forged_reply->content).find("signature does not verify"), std::string::npos);

  // Replay: the same signed inner request twice is refused the second time.
  auto signed_headers = alice->sign("POST", "/api/rpc", common::as_bytes(body), api::unix_ms_now(), *audience);
  api::BhttpRequest once{"POST", "https", "t3n", "/api/rpc", *signed_headers, common::to_bytes(body), {}};
  auto first = client.ohttp(once);
  auto again = client.ohttp(once);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_NE(common::to_string(first->content).find("did:t3n:"), std::string::npos);
  EXPECT_NE(common::to_string(again->content).find("replayed request"), std::string::npos);

  // A stale timestamp.
  auto stale = alice->sign("POST", "/api/rpc", common::as_bytes(body), api::unix_ms_now() - 3'600'000, *audience);
  auto stale_reply = client.ohttp({"POST", "https", "t3n", "/api/rpc", *stale, common::to_bytes(body), {}});
  EXPECT_NE(common::to_string(stale_reply->content).find("too old"), std::string::npos);

  // Tampered OHTTP ciphertext: 400, and the node keeps serving.
  auto config = client.key_config();
  ASSERT_TRUE(config.ok());
  auto enc = api::ohttp_encapsulate_request(*config, crypto::HpkeKdf::kHkdfSha256, crypto::HpkeAead::kAes256Gcm,
                                            api::encode_bhttp_request(once));
  ASSERT_TRUE(enc.ok());
  Bytes tampered = enc->first;
  tampered.back() ^= 1;
  httplib::Client raw(node_->url());
  auto r1 = raw.Post("/api/ohttp", std::string(tampered.begin(), tampered.end()), "message/ohttp-req");
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->status, 400);
  auto r2 = raw.Post("/api/ohttp", "not an ohttp message", "message/ohttp-req");
  EXPECT_EQ(r2->status, 400);
  auto r3 = raw.Post("/api/ohttp", std::string(17 * 1024 * 1024, 'x'), "message/ohttp-req");
  // 413, or the connection closed under the client's writes (no response).
  if (r3) {
    EXPECT_EQ(r3->status, 413);
  }
  auto r4 = raw.Post("/api/rpc", body, "application/json");
  // Plaintext RPC is off outside --dev-plaintext: /api/rpc is the session
  // channel, which wants a Session-Id (the SDK's "Unauthorized").
  EXPECT_EQ(r4->status, 401);
  EXPECT_NE(r4->body.find("Unauthorized: no Session-Id"), std::string::npos);
  EXPECT_NE(r4->body.find("OHTTP gateway"), std::string::npos);
  // Malformed JSON-RPC inside a valid envelope gets a JSON-RPC parse error.
  auto bad_json_headers = alice->sign("POST", "/api/rpc", common::as_bytes("{oops"), api::unix_ms_now(), *audience);
  auto bad = client.ohttp({"POST", "https", "t3n", "/api/rpc", *bad_json_headers, common::to_bytes("{oops"), {}});
  EXPECT_NE(common::to_string(bad->content).find("-32700"), std::string::npos);
  auto still = client.rpc("action.execute", {{"script_name", "counter2"}, {"function_name", "increment"}, {"input", 1}}, &*alice);
  EXPECT_TRUE(still.ok()) << still.status().to_string();
  auto status = raw.Get("/status");
  EXPECT_EQ(status->status, 200);
  auto metrics = raw.Get("/metrics");
  EXPECT_NE(metrics->body.find("t3n_ohttp_requests_total"), std::string::npos);
}

TEST_F(NodeE2E, AgentsNeedADelegationGrant) {
  api::NodeClient client(node_->url());
  auto owner = api::RequestSigner::generate(identity::KeyType::kEd25519);
  auto agent = api::RequestSigner::generate(identity::KeyType::kEthereumAddress);
  ASSERT_TRUE(owner.ok() && agent.ok());
  ASSERT_TRUE(client.rpc("contract.register", {{"name", "counter4"}, {"version", "1.2.0"}, {"maps", {"counter"}},
                                               {"tenant", std::string(40, 'd')},
                                               {"manifest", {{"host_capabilities", {"kv_store", "logging", "tenant_context"}}}},
                                               {"component", common::base64_encode(contract("counter"))}},
                         &*owner).ok());
  auto who = client.rpc("identity.whoami", Json::object(), &*owner);
  ASSERT_TRUE(who.ok());
  const std::string owner_did = (*who)["did"];
  const Json call = {{"script_name", "counter4"}, {"function_name", "get"}, {"pii_did", owner_did}};
  auto denied = client.rpc("action.execute", call, &*agent);
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.status().message().find("permission_denied"), std::string::npos);
  ASSERT_TRUE(client.rpc("delegation.set",
                         {{"payload", {{"agents", {{{"agentDid", agent->did()},
                                                    {"scripts", {{{"scriptName", "counter4"}, {"versionReq", "^1.0"},
                                                                  {"functions", {"get"}}}}}}}}}}},
                         &*owner).ok());
  auto allowed = client.rpc("action.execute", call, &*agent);
  ASSERT_TRUE(allowed.ok()) << allowed.status().to_string();
  Json wrong_fn = call;
  wrong_fn["function_name"] = "increment";
  wrong_fn["input"] = 1;
  EXPECT_FALSE(client.rpc("action.execute", wrong_fn, &*agent).ok());
}

TEST_F(NodeE2E, VerifiesTdxEvidenceOverRest) {
  const std::filesystem::path d = t3n::testing::vectors_dir() / "attestation/tdx/dcap-qvl-v4-uptodate";
  Json body = {{"provider", "IntelTdx"},
               {"evidence", common::base64_encode(common::as_bytes(slurp(d / "quote.bin")))},
               {"at_unix", 1750372347},  // 2025-06-19T22:32:27Z
               {"collateral", {{"tcb_info", slurp(d / "tcb_info.json")}, {"qe_identity", slurp(d / "qe_identity.json")},
                               {"tcb_signing_chain", slurp(d / "tcb_signing_chain.pem")},
                               {"crls", {common::base64_encode(common::as_bytes(slurp(d / "root_ca_crl.der"))),
                                         common::base64_encode(common::as_bytes(slurp(d / "pck_crl.der")))}}}}};
  httplib::Client raw(node_->url());
  auto r = raw.Post("/api/verify/tee-attestation", body.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = Json::parse(r->body);
  EXPECT_TRUE(j["valid"].get<bool>());
  EXPECT_EQ(j["tcb_status"], "UpToDate");
  EXPECT_TRUE(j["certificate_chain_valid"].get<bool>());
  EXPECT_TRUE(j["measurements_valid"].get<bool>());
  EXPECT_TRUE(j["revocation_checked"].get<bool>());
  // A policy naming another MRTD: the quote is genuine but not acceptable.
  body["policy"] = "[tdx]\nmrtd = [\"" + std::string(96, '0') + "\"]\n";
  auto pol = Json::parse(raw.Post("/api/verify/tee-attestation", body.dump(), "application/json")->body);
  EXPECT_FALSE(pol["valid"].get<bool>());
  EXPECT_TRUE(pol["hardware_verified"].get<bool>());
  EXPECT_FALSE(pol["measurements_valid"].get<bool>());
  body["policy"] = "[tdx]\nmrtd = 3\n";
  EXPECT_EQ(raw.Post("/api/verify/tee-attestation", body.dump(), "application/json")->status, 400);
  body.erase("policy");
  // Without collateral in the request: the node's own collateral directory, per FMSPC.
  const Json collateral = body["collateral"];
  body.erase("collateral");
  auto missing = raw.Post("/api/verify/tee-attestation", body.dump(), "application/json");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 422) << missing->body;
  const std::string fmspc = t3n::testing::load_vectors("attestation/tdx/dcap-qvl-v4-uptodate/case.json")["fmspc"].get<std::string>();
  const auto local = dir_->path() / "data" / "collateral" / fmspc;
  std::filesystem::create_directories(local);
  for (const char* f : {"tcb_info.json", "qe_identity.json", "tcb_signing_chain.pem", "root_ca_crl.der", "pck_crl.der"})
    std::filesystem::copy_file(d / f, local / f, std::filesystem::copy_options::overwrite_existing);
  auto from_disk = raw.Post("/api/verify/tee-attestation", body.dump(), "application/json");
  ASSERT_TRUE(from_disk);
  ASSERT_EQ(from_disk->status, 200) << from_disk->body;
  EXPECT_TRUE(Json::parse(from_disk->body)["valid"].get<bool>()) << from_disk->body;
  body["collateral"] = collateral;
  body["evidence"] = common::base64_encode(Bytes(100, 1));
  auto bad = raw.Post("/api/verify/tee-attestation", body.dump(), "application/json");
  EXPECT_FALSE(Json::parse(bad->body)["valid"].get<bool>());
  body["provider"] = "SomethingElse";
  EXPECT_EQ(raw.Post("/api/verify/tee-attestation", body.dump(), "application/json")->status, 400);

  // SEV-SNP: the real Milan report with its VCEK, ASK and ARK in the request.
  const std::filesystem::path snp = t3n::testing::vectors_dir() / "attestation/sev-snp/go-sev-guest-milan";
  auto snp_meta = t3n::testing::load_vectors("attestation/sev-snp/go-sev-guest-milan/case.json");
  Json snp_body = {{"provider", "AmdSevSnp"},
                   {"evidence", common::base64_encode(common::to_bytes(*common::read_file(snp / "report.bin")))},
                   {"at_unix", *common::parse_utc_timestamp(snp_meta["verify_at"].get<std::string>())}};
  EXPECT_EQ(raw.Post("/api/verify/tee-attestation", snp_body.dump(), "application/json")->status, 422) << "no VCEK";
  snp_body["collateral"] = {{"vcek", common::base64_encode(common::to_bytes(*common::read_file(snp / "vcek.der")))},
                            {"ask", *common::read_file(snp / "ask.pem")},
                            {"ark", *common::read_file(snp / "ark.pem")}};
  // The guest's policy allows debugging: genuine, but not acceptable unless the policy says so.
  auto snp_default = Json::parse(raw.Post("/api/verify/tee-attestation", snp_body.dump(), "application/json")->body);
  EXPECT_TRUE(snp_default["hardware_verified"].get<bool>()) << snp_default.dump();
  EXPECT_FALSE(snp_default["valid"].get<bool>());
  snp_body["policy"] = "[snp]\nallow_debug = true\n";
  auto snp_ok = Json::parse(raw.Post("/api/verify/tee-attestation", snp_body.dump(), "application/json")->body);
  EXPECT_TRUE(snp_ok["valid"].get<bool>()) << snp_ok.dump();
  EXPECT_EQ(snp_ok["provider"], "AmdSevSnp");
  EXPECT_FALSE(snp_ok["revocation_checked"].get<bool>()) << "no ARK CRL was given";

  // Nitro: the document carries its chain; the AWS root is pinned.
  const std::filesystem::path nitro = t3n::testing::vectors_dir() / "attestation/nitro/nitrite-prod";
  auto nitro_meta = t3n::testing::load_vectors("attestation/nitro/nitrite-prod/case.json");
  Json nitro_body = {{"provider", "AwsNitro"},
                     {"evidence", common::base64_encode(common::to_bytes(*common::read_file(nitro / "document.cbor")))},
                     {"at_unix", *common::parse_utc_timestamp(nitro_meta["verify_at"].get<std::string>())}};
  auto nitro_ok = Json::parse(raw.Post("/api/verify/tee-attestation", nitro_body.dump(), "application/json")->body);
  EXPECT_TRUE(nitro_ok["valid"].get<bool>()) << nitro_ok.dump();
  EXPECT_EQ(nitro_ok["measurements"]["pcrs"]["0"], nitro_meta["pcr0"]);
  nitro_body["at_unix"] = nitro_body["at_unix"].get<long long>() + 4 * 3600;  // the leaf has expired
  EXPECT_FALSE(Json::parse(raw.Post("/api/verify/tee-attestation", nitro_body.dump(), "application/json")->body)["valid"].get<bool>());
}

using t3n::testing::percent_encode;

// A node with attestation.pcs_url fetches collateral it lacks — only for a
// quote whose PCK chain is genuine — verifies it, stores it, and uses it.
TEST(NodePcs, FetchesVerifiesAndStoresMissingCollateral) {
  const std::filesystem::path d = t3n::testing::vectors_dir() / "attestation/tdx/dcap-qvl-v4-uptodate";
  httplib::Server pcs;
  int requests = 0;
  pcs.Get("/tdx/certification/v4/tcb", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.set_header("TCB-Info-Issuer-Chain", percent_encode(slurp(d / "tcb_signing_chain.pem")));
    res.set_content(slurp(d / "tcb_info.json"), "application/json");
  });
  pcs.Get("/tdx/certification/v4/qe/identity", [&](const httplib::Request&, httplib::Response& res) {
    res.set_header("SGX-Enclave-Identity-Issuer-Chain", percent_encode(slurp(d / "tcb_signing_chain.pem")));
    res.set_content(slurp(d / "qe_identity.json"), "application/json");
  });
  pcs.Get("/sgx/certification/v4/pckcrl", [&](const httplib::Request&, httplib::Response& res) {
    res.set_header("SGX-PCK-CRL-Issuer-Chain", percent_encode(slurp(d / "pck_crl_issuer_chain.pem")));
    res.set_content(slurp(d / "pck_crl.der"), "application/pkix-crl");
  });
  pcs.Get("/sgx/certification/v4/rootcacrl", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(slurp(d / "root_ca_crl.der"), "application/pkix-crl");
  });
  const int port = pcs.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { pcs.listen_after_bind(); });
  {
    store::testing::TempDir dir;
    DevNode node(dir.path(), {"--pcs", "http://127.0.0.1:" + std::to_string(port)});
    ASSERT_FALSE(node.url().empty()) << node.output();
    httplib::Client raw(node.url());
    const std::string quote = slurp(d / "quote.bin");
    Json body = {{"provider", "IntelTdx"}, {"evidence", common::base64_encode(common::as_bytes(quote))}, {"at_unix", 1750372347}};
    // A quote whose PCK leaf is not genuine triggers no fetch.
    std::string forged = quote;
    const auto leaf = forged.find("-----BEGIN CERTIFICATE-----") + 200;
    forged[leaf] = forged[leaf] == 'A' ? 'B' : 'A';
    Json bad = body;
    bad["evidence"] = common::base64_encode(common::as_bytes(forged));
    auto refused = raw.Post("/api/verify/tee-attestation", bad.dump(), "application/json");
    ASSERT_TRUE(refused);
    EXPECT_NE(refused->status, 200) << refused->body;
    EXPECT_EQ(requests, 0);
    auto r = raw.Post("/api/verify/tee-attestation", body.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body << node.output();
    auto j = Json::parse(r->body);
    EXPECT_TRUE(j["valid"].get<bool>()) << r->body;
    EXPECT_TRUE(j["revocation_checked"].get<bool>());
    EXPECT_EQ(requests, 1);
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "data/collateral/b0c06f000000/tcb_info.json"));
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "data/collateral/b0c06f000000/pck_crl.der"));
  }
  pcs.stop();
  serving.join();
}

// `t3n attest verify` offline, for each provider's real evidence at its case time.
TEST(CliAttest, VerifiesEvidenceOfEveryProvider) {
  const std::string t3n = std::string(T3N_BIN_DIR) + "/t3n";
  const std::string v = (t3n::testing::vectors_dir() / "attestation").string();
  const std::string tdx = run(t3n + " --json attest verify --evidence " + v + "/tdx/go-tdx-guest-v5-uptodate/quote.bin --collateral " +
                              v + "/tdx/go-tdx-guest-v5-uptodate --at 2026-02-18T22:58:51Z; echo exit=$?");
  EXPECT_NE(tdx.find("\"tcb_status\":\"UpToDate\""), std::string::npos) << tdx;
  EXPECT_NE(tdx.find("exit=0"), std::string::npos) << tdx;
  const std::string snp_dir = v + "/sev-snp/go-sev-guest-milan";
  const std::string snp = t3n + " attest verify --provider AmdSevSnp --evidence " + snp_dir + "/report.bin --collateral " + snp_dir;
  const std::string strict = run(snp + " --at 2022-10-24T00:55:28Z; echo exit=$?");
  EXPECT_NE(strict.find("allows debugging"), std::string::npos) << strict;
  EXPECT_NE(strict.find("exit=4"), std::string::npos) << strict;
  const std::string policy = (std::filesystem::temp_directory_path() / ("t3n-snp-policy-" + std::to_string(::getpid()) + ".toml")).string();
  std::ofstream(policy) << "[snp]\nallow_debug = true\n[tdx]\nminimum_tcb_status = \"UpToDate\"\n";
  const std::string lenient = run(snp + " --at 2022-10-24T00:55:28Z --policy " + policy + "; echo exit=$?");
  EXPECT_NE(lenient.find("(valid)"), std::string::npos) << lenient;
  EXPECT_NE(lenient.find("exit=0"), std::string::npos) << lenient;
  EXPECT_NE(run(snp + " --at 2030-01-01T00:00:00Z; echo exit=$?").find("exit=4"), std::string::npos);
  std::filesystem::remove(policy);
  const std::string nitro = t3n + " attest verify --provider AwsNitro --evidence " + v + "/nitro/nitrite-prod/document.cbor";
  EXPECT_NE(run(nitro + " --at 2024-09-07T14:37:40Z; echo exit=$?").find("exit=0"), std::string::npos);
  const std::string expired = run(nitro + "; echo exit=$?");
  EXPECT_NE(expired.find("expired"), std::string::npos) << expired;
  EXPECT_NE(expired.find("exit=4"), std::string::npos) << expired;
  EXPECT_NE(run(t3n + " attest verify --provider AmdSevSnp --evidence " + snp_dir + "/report.bin; echo exit=$?").find("vcek.der"),
            std::string::npos);
}

TEST_F(NodeE2E, NoPlaintextInLogsOrOnDisk) {
  api::NodeClient client(node_->url());
  auto bob = api::RequestSigner::generate(identity::KeyType::kSecp256k1);
  ASSERT_TRUE(bob.ok());
  (void)client.rpc("contract.register", {{"name", "counter3"}, {"version", "1"}, {"maps", {"counter"}}, {"tenant", std::string(40, 'c')},
                                         {"manifest", {{"host_capabilities", {"kv_store", "logging", "tenant_context"}}}},
                                         {"component", common::base64_encode(contract("counter"))}},
                   &*bob);
  auto r = client.rpc("action.execute",
                      {{"script_name", "counter3"}, {"function_name", "remember"}, {"input", {{"secret", kMarker}}}}, &*bob);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_TRUE(client.rpc("data.put", {{"data", common::base64_encode(common::as_bytes(kMarker))}}, &*bob).ok());
  EXPECT_EQ(node_->output().find(kMarker), std::string::npos);
  std::size_t scanned = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir_->path() / "data")) {
    if (!f.is_regular_file()) continue;
    const std::string content = slurp(f.path());
    scanned += content.size();
    EXPECT_EQ(content.find(kMarker), std::string::npos) << f.path();
    EXPECT_EQ(content.find("alice@example.com"), std::string::npos) << f.path();
  }
  EXPECT_GT(scanned, 10'000u);
}

}  // namespace
}  // namespace t3n
