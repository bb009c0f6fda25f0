// A tenant from an empty node to a running, metered contract with seeded
// secrets using only the `t3n` CLI (tenant, contract, map, usage), and an
// operator admitting a tenant on a node without self-admission (`t3n admin`).
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>

#include "common/encoding.h"
#include "common/json.h"
#include "dev_node.h"
#include "store/store_test_util.h"

namespace t3n {
namespace {

using common::Json;
using t3n::testing::DevNode;

std::string run(const std::string& cmd) { return t3n::testing::run_shell(cmd); }

// The last line of the output that parses as JSON.
Json json_of(const std::string& out) {
  const auto at = out.rfind("\n{");
  const auto start = at == std::string::npos ? out.find('{') : at + 1;
  if (start == std::string::npos) {
    ADD_FAILURE() << "no JSON in: " << out;
    return Json();
  }
  auto j = common::parse_json(out.substr(start));
  EXPECT_TRUE(j.ok()) << out;
  return j.ok() ? *j : Json();
}

std::string cli_for(const DevNode& node, const std::filesystem::path& key) {
  httplib::Client raw(node.url());
  const std::string root = Json::parse(raw.Get("/api/attestation")->body)["simulated_root_ca_sha256"];
  return "T3N_TRUST_SIMULATED_ROOT=" + root + " " + std::string(T3N_BIN_DIR) + "/t3n --node " + node.url() + " --key " + key.string();
}

TEST(TenantCli, FromAnEmptyNodeToAMeteredContractWithSeededSecrets) {
  store::testing::TempDir dir;
  DevNode node(dir.path());
  ASSERT_FALSE(node.url().empty()) << node.output();
  const std::string t3n = cli_for(node, dir.path() / "key.json");
  ASSERT_NE(run(t3n + " keygen").find("did:key:"), std::string::npos);
  const Json claim = json_of(run(t3n + " --json tenant claim"));
  ASSERT_EQ(claim["status"], "admitted") << claim.dump();
  const std::string tid = claim["tenant"].get<std::string>().substr(8);
  EXPECT_NE(run(t3n + " tenant claim").find("already-admitted"), std::string::npos);

  const std::string upload = run(t3n + " contract upload " + std::string(T3N_CONTRACTS_DIR) + "/tenant-app.wasm --name app --version 1.0.0");
  ASSERT_NE(upload.find("uploading"), std::string::npos) << upload;  // the progress line
  ASSERT_NE(upload.find("registered z:" + tid + ":app 1.0.0 (contract id "), std::string::npos) << upload;
  const Json reg = json_of(run(t3n + " --json contract upload " + std::string(T3N_CONTRACTS_DIR) +
                               "/tenant-app.wasm --name app --version 1.0.1"));
  const std::string id = reg["contract_id"].dump();
  EXPECT_NE(run(t3n + " map create secrets --writers " + id + " --readers " + id).find("z:" + tid + ":secrets"), std::string::npos);
  EXPECT_NE(run(t3n + " map create state --writers all --readers all").find("z:" + tid + ":state"), std::string::npos);
  EXPECT_NE(run(t3n + " map put secrets api_key sk-cli-secret").find("stored 13 bytes"), std::string::npos);
  const std::string quote = run(t3n + " call z:" + tid + ":app quote --input '\"Bern\"'");
  EXPECT_NE(quote.find("Bern: 42 (key ok, 13 bytes)"), std::string::npos) << quote;
  const std::string logs = run(t3n + " contract logs app --min-level info");
  EXPECT_NE(logs.find("info quote for Bern"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("api key is"), std::string::npos) << "debug lines are below --min-level info";
  EXPECT_NE(run(t3n + " map get secrets api_key").find("NotAdminReadable"), std::string::npos);
  EXPECT_NE(run(t3n + " contract disable app").find("disabled"), std::string::npos);
  EXPECT_NE(run(t3n + " call z:" + tid + ":app quote --input '\"Bern\"'").find("ContractDisabled"), std::string::npos);
  EXPECT_NE(run(t3n + " contract enable app").find("enabled"), std::string::npos);
  const Json usage = json_of(run(t3n + " --json usage --limit 200"));
  EXPECT_EQ(usage["metering"], "on");
  int registers = 0, invocations = 0;
  for (const auto& e : usage["entries"]) {
    if (e["kind"] == "charge" && e["reason"]["kind"] == "contract_register") ++registers;
    if (e["kind"] == "charge" && e["reason"]["kind"] == "invocation") ++invocations;
  }
  EXPECT_EQ(registers, 2);
  EXPECT_EQ(invocations, 1);
  EXPECT_NE(run(t3n + " usage --kind mint").find("mint 100000000"), std::string::npos);
  EXPECT_NE(run(t3n + " map list").find("\"secrets\""), std::string::npos);
  EXPECT_NE(run(t3n + " contract unregister app").find("unregistered"), std::string::npos);
}

TEST(TenantCli, AnOperatorAdmitsTenantsOnANodeWithoutSelfAdmission) {
  store::testing::TempDir dir;
  const std::string bin = std::string(T3N_BIN_DIR) + "/t3n";
  const std::string admin_key = (dir.path() / "admin.json").string();
  ASSERT_NE(run(bin + " keygen --type eth --key " + admin_key).find("did:pkh"), std::string::npos);
  const std::string address = json_of(run(bin + " --json admin --admin-key " + admin_key + " address"))["address"];
  ASSERT_EQ(address.size(), 42u);
  DevNode node(dir.path(), {"--no-self-admit", "--admin-address", address});
  ASSERT_FALSE(node.url().empty()) << node.output();
  const std::string t3n = cli_for(node, dir.path() / "key.json");
  ASSERT_NE(run(t3n + " keygen").find("did:key:"), std::string::npos);
  EXPECT_NE(run(t3n + " tenant claim").find("AdmissionClosed"), std::string::npos);
  // The user exists once it has changed state; whoami names its did:t3n.
  run(t3n + " data put --text hello");
  const std::string did = json_of(run(t3n + " --json whoami"))["did"];
  ASSERT_EQ(did.rfind("did:t3n:", 0), 0u) << did;
  const std::string admin = std::string(T3N_BIN_DIR) + "/t3n --node " + node.url() + " admin --admin-key " + admin_key;
  // Another key is not the operator's.
  const std::string other_key = (dir.path() / "other.json").string();
  run(bin + " keygen --type eth --key " + other_key);
  const std::string wrong = run(std::string(T3N_BIN_DIR) + "/t3n --node " + node.url() + " admin --admin-key " + other_key +
                                " tenant-admit " + did + "; echo exit=$?");
  EXPECT_NE(wrong.find("HTTP 401"), std::string::npos) << wrong;
  EXPECT_NE(wrong.find("exit=1"), std::string::npos);
  const Json admitted = json_of(run(admin + " --json tenant-admit " + did + " --label acme --credits 2000000"));
  EXPECT_EQ(admitted["result"]["status"], "admitted") << admitted.dump();
  EXPECT_NE(run(t3n + " tenant me").find("\"label\": \"acme\""), std::string::npos);
  EXPECT_NE(run(admin + " send cluster.destroy").find("unknown action"), std::string::npos);
  const std::string upload = run(t3n + " contract upload " + std::string(T3N_CONTRACTS_DIR) + "/tenant-app.wasm --name app --version 1.0.0");
  EXPECT_NE(upload.find("registered"), std::string::npos) << upload;
  const Json usage = json_of(run(t3n + " --json usage"));
  EXPECT_EQ(usage["balance"]["available"], 1000000) << usage.dump();  // 2 tokens granted, 1 paid for the upload
}

// With metering on, a call that wrote nothing still commits its charge —
// and only that: the caller (a stranger) is not made a user.
TEST(TenantCli, AMeteredReadOnlyCallCommitsItsChargeAndNoUser) {
  store::testing::TempDir dir;
  DevNode node(dir.path());
  ASSERT_FALSE(node.url().empty()) << node.output();
  const std::string owner = cli_for(node, dir.path() / "owner.json");
  const std::string stranger = cli_for(node, dir.path() / "stranger.json");
  run(owner + " keygen");
  run(stranger + " keygen");
  run(owner + " tenant claim");
  const Json reg = json_of(run(owner + " --json contract upload " + std::string(T3N_CONTRACTS_DIR) +
                               "/tenant-app.wasm --name app --version 1.0.0"));
  const std::string name = reg["name"];
  ASSERT_FALSE(name.empty()) << reg.dump();
  const std::string id = reg["contract_id"].dump();
  run(owner + " map create secrets --writers " + id + " --readers " + id);
  run(owner + " map put secrets api_key k");
  const Json call = json_of(run(stranger + " --json call " + name + " secret-matches --input '\"k\"'"));
  EXPECT_EQ(call["response"], true) << call.dump();
  EXPECT_TRUE(call["tx_seqno"].is_number()) << "the charge commits";
  EXPECT_GT(call["charged"].get<std::uint64_t>(), 0u);
  EXPECT_TRUE(json_of(run(stranger + " --json whoami"))["did"].is_null()) << "no user for the stranger";
  const Json usage = json_of(run(owner + " --json usage --kind charge --limit 1"));
  EXPECT_EQ(usage["entries"][0]["reason"]["function"], "secret-matches");
}

// HOST-API.md "Tiers": a tenant grants its contracts the tenant tier only;
// system-only interfaces (audit, contracts-call, …) need the operator.
TEST(TenantCli, ATenantCannotGrantASystemOnlyInterface) {
  store::testing::TempDir dir;
  DevNode node(dir.path());
  ASSERT_FALSE(node.url().empty()) << node.output();
  const std::string t3n = cli_for(node, dir.path() / "key.json");
  ASSERT_NE(run(t3n + " keygen").find("did:key:"), std::string::npos);
  ASSERT_EQ(json_of(run(t3n + " --json tenant claim"))["status"], "admitted");
  const auto write = [&](const char* name, const Json& m) {
    std::ofstream(dir.path() / name) << m.dump();
    return (dir.path() / name).string();
  };
  const std::string wasm = std::string(T3N_CONTRACTS_DIR) + "/ledger-reader.wasm";
  const std::string refused = run(t3n + " contract upload " + wasm + " --name reader --version 1.0.0 --manifest " +
                                  write("audit.json", {{"host_capabilities", {"audit", "analytics", "consensus_trigger"}}}));
  EXPECT_NE(refused.find("CapabilityNotAllowed: 'audit' is system-only"), std::string::npos) << refused;
  const std::string calls = run(t3n + " contract upload " + std::string(T3N_CONTRACTS_DIR) + "/caller.wasm --name c --version 1.0.0 --manifest " +
                                write("calls.json", {{"host_capabilities", {"contracts_call", "kv_store"}}}));
  EXPECT_NE(calls.find("CapabilityNotAllowed: 'contracts_call'"), std::string::npos) << calls;
  // The tenant tier is fine.
  const std::string ok = run(t3n + " contract upload " + std::string(T3N_CONTRACTS_DIR) + "/presenter.wasm --name p --version 1.0.0 --manifest " +
                             write("vp.json", {{"host_capabilities", {"vp", "profile_ref", "http_with_placeholders"}}}));
  EXPECT_NE(ok.find(":p 1.0.0 (contract id "), std::string::npos) << ok;
}

// The account commands: an e-mail verified by OTP (the code from the dev
// mailbox), the profile gate, wallets, the agent registry, removal.
TEST(AccountCli, OtpProfileWalletAgentAndRemoval) {
  store::testing::TempDir dir;
  DevNode node(dir.path());
  ASSERT_FALSE(node.url().empty()) << node.output();
  const std::string t3n = cli_for(node, dir.path() / "key.json");
  ASSERT_NE(run(t3n + " keygen").find("did:key:"), std::string::npos);
  EXPECT_NE(run(t3n + " profile set first_name=Ada").find("email_not_verified"), std::string::npos);
  EXPECT_NE(run(t3n + " otp request ada@example.com").find("code sent to ada@example.com"), std::string::npos);
  std::ifstream mailbox(dir.path() / "data" / "dev-mailbox.txt");
  const std::string mail((std::istreambuf_iterator<char>(mailbox)), std::istreambuf_iterator<char>());
  const auto at = mail.rfind("code is ");
  ASSERT_NE(at, std::string::npos) << mail;
  const std::string code = mail.substr(at + 8, 6);
  EXPECT_NE(run(t3n + " otp verify ada@example.com 000000" + (code == "000000" ? "1" : "")).find("not verified"), std::string::npos);
  EXPECT_NE(run(t3n + " otp verify ada@example.com " + code).find("verified ada@example.com for did:t3n:"), std::string::npos);
  EXPECT_NE(run(t3n + " profile set first_name=Ada phone_number=+4470").find("refused: [\"phone_number\"]"), std::string::npos);
  const std::string listed = run(t3n + " --json profile fields");
  auto parsed = common::parse_json(listed.substr(std::min(listed.rfind('['), listed.size())));
  ASSERT_TRUE(parsed.ok() && parsed->is_array()) << listed;
  const Json fields = *parsed;
  EXPECT_NE(std::find(fields.begin(), fields.end(), "first_name"), fields.end());
  const std::string address = run(t3n + " wallet address");
  EXPECT_NE(address.find("0x"), std::string::npos);
  EXPECT_NE(run(t3n + " wallet history " + address.substr(address.find("0x"), 42)).find("Created"), std::string::npos);
  EXPECT_NE(run(t3n + " agent register https://agents.example/ada").find("registered https://agents.example/ada"), std::string::npos);
  EXPECT_NE(run(t3n + " profile remove-me").find("--yes"), std::string::npos) << "removal asks for confirmation";
  EXPECT_NE(run(t3n + " profile remove-me --yes").find("data key destroyed"), std::string::npos);
  EXPECT_NE(run(t3n + " profile fields").find("(no profile)"), std::string::npos);
}

TEST(AccountCli, OrganisationsAndTheAuditTrail) {
  store::testing::TempDir dir;
  DevNode node(dir.path());
  ASSERT_FALSE(node.url().empty()) << node.output();
  const std::string t3n = cli_for(node, dir.path() / "key.json");
  ASSERT_NE(run(t3n + " keygen").find("did:key:"), std::string::npos);
  const std::string created = run(t3n + " --json org create 'Acme Pte'");
  const auto at = created.find("\"org_did\":\"did:t3n:");
  ASSERT_NE(at, std::string::npos) << created;
  const std::string org = created.substr(at + 11, 48);
  EXPECT_NE(run(t3n + " org list").find(org + "  Acme Pte"), std::string::npos);
  EXPECT_NE(run(t3n + " org show " + org).find("credentials up to 2592000 s"), std::string::npos);
  EXPECT_NE(run(t3n + " org call " + org + " org-data-write --input '{\"scope\":\"notes\",\"payload_hex\":\"0102\",\"client_seq_no\":1}'")
                .find("NotWriter"),
            std::string::npos)
      << "an admin is not a writer until named one";
  EXPECT_NE(run(t3n + " org call " + org + " org-data-list --input '{\"scope\":\"notes\"}'").find("\"total\": 0"), std::string::npos);
  EXPECT_NE(run(t3n + " org show did:t3n:" + std::string(40, 'e')).find("OrgNotFound"), std::string::npos);
  // The trail: the counter call below is one committed batch.
  const std::string manifest = (dir.path() / "manifest.json").string();
  std::ofstream(manifest) << R"({"host_capabilities": ["kv_store", "logging", "tenant_context"]})";
  const std::string deployed = run(t3n + " deploy " + std::string(T3N_CONTRACTS_DIR) + "/counter.wasm --name counter --version 1.0.0 --manifest " +
                                   manifest + " --map counter");
  const std::string called = run(t3n + " call counter increment --input 2");
  EXPECT_NE(called.find("2"), std::string::npos) << called;
  const std::string trail = run(t3n + " audit --limit 5");
  EXPECT_NE(trail.find("execute counter#increment → success"), std::string::npos) << trail << called << deployed;
  const std::string json_trail = run(t3n + " --json audit --limit 1");
  EXPECT_NE(json_trail.find("\"batches\""), std::string::npos) << json_trail;
}

}  // namespace
}  // namespace t3n
