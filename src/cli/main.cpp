// t3n — the T3N command-line client: keys and DIDs, contract deploy and
// calls over Oblivious HTTP (X-Wing), private data, receipts and proofs.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "api/client.h"
#include "cli/account_commands.h"
#include "cli/admin_client.h"
#include "cli/node_trust.h"
#include "cli/private_file.h"
#include "cli/tenant_commands.h"
#include "attest/detect.h"
#include "attest/evidence.h"
#include "attest/pcs.h"
#include "attest/snp_report.h"
#include "attest/verify_evidence.h"
#include "common/encoding.h"
#include "common/files.h"
#include "common/json.h"
#include "store/receipt.h"
#include "store/state_tree.h"

namespace {

using namespace t3n;
using common::Json;
using identity::KeyType;

struct Options {
  std::string node = "http://127.0.0.1:8080";
  std::string key_file = ".t3n/key.json";
  bool json = false;
};

int fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.message().c_str());
  return 1;
}

using common::read_file;

Result<KeyType> key_type(const std::string& name) {
  if (name == "ed25519") return KeyType::kEd25519;
  if (name == "secp256k1") return KeyType::kSecp256k1;
  if (name == "p256") return KeyType::kP256;
  if (name == "eth") return KeyType::kEthereumAddress;
  return common::invalid_argument("key type must be ed25519, secp256k1, p256 or eth");
}

std::string key_type_name(KeyType t) {
  switch (t) {
    case KeyType::kEd25519: return "ed25519";
    case KeyType::kSecp256k1: return "secp256k1";
    case KeyType::kP256: return "p256";
    case KeyType::kEthereumAddress: return "eth";
  }
  return "?";
}

Result<api::RequestSigner> load_key(const Options& o) {
  auto text = read_file(o.key_file);
  if (!text.ok()) return common::not_found("no key at " + o.key_file + " (run `t3n keygen` first)");
  T3N_ASSIGN_OR_RETURN(Json j, common::parse_json(*text));
  T3N_ASSIGN_OR_RETURN(std::string type, common::json_string(j, "type"));
  T3N_ASSIGN_OR_RETURN(std::string secret, common::json_string(j, "secret"));
  T3N_ASSIGN_OR_RETURN(KeyType t, key_type(type));
  T3N_ASSIGN_OR_RETURN(Bytes s, common::base64url_decode(secret));
  return api::RequestSigner::from_secret(t, s);
}

void print(const Options& o, const Json& j, const std::string& human) {
  if (o.json) std::printf("%s\n", j.dump().c_str());
  else std::printf("%s\n", human.c_str());
}

// A path beside the key file: what this user has verified about nodes.
std::filesystem::path trust_cache_file(const Options& o) {
  const std::filesystem::path dir = std::filesystem::path(o.key_file).parent_path();
  return (dir.empty() ? std::filesystem::path(".") : dir) / "trusted-nodes.json";
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The options every command that trusts a node takes (as verify-node).
void add_trust_options(CLI::App* cmd, cli::TrustOptions& t, bool sends_requests) {
  cmd->add_option("--trust-simulated-root", t.simulated_root,
                  "Trust a dev node's SIMULATED TDX evidence signed by this root (SHA-256 hex, the node's "
                  "simulated_root_ca_sha256); for your own dev node only")
      ->envname("T3N_TRUST_SIMULATED_ROOT");
  cmd->add_option("--collateral", t.collateral_dir, "Collateral directory for the node's evidence (as for attest verify)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--policy", t.policy_file, "Policy TOML for the node's evidence (REPORTDATA is always bound)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--pcs", t.pcs_url, "TDX: fetch collateral and CRLs from this PCS/PCCS instead of trusting the node's choice");
  if (sends_requests)
    cmd->add_flag("--insecure-dev", t.insecure_dev,
                  "Dev only: do NOT verify the node's TEE evidence (its attestation must still bind the keys used)");
}

Status normalize_root(std::string& root, const char* flag) {
  if (root.empty()) return {};
  auto bytes = common::hex_decode(root);
  if (!bytes.ok() || bytes->size() != 32)
    return common::invalid_argument(std::string(flag) + " must be a SHA-256 in hex (64 digits)");
  root = common::hex_encode(*bytes);
  return {};
}

// A node that is not trusted is refused with exit code 4 (as verify-node).
int fail_trust(const Status& s) {
  fail(s);
  return s.code() == ErrorCode::kVerificationFailed ? 4 : 1;
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"t3n — client for T3N nodes"};
  app.set_version_flag("--version", std::string("t3n ") + T3N_VERSION);
  Options o;
  // --node, --key and --json (and a parent command's options) are accepted
  // after the subcommand too: `t3n call counter get --json`.
  app.fallthrough();
  cli::TrustOptions trust;
  app.add_option("--node", o.node, "Node URL")->capture_default_str();
  app.add_option("--key", o.key_file, "Key file")->capture_default_str();
  app.add_flag("--json", o.json, "Machine-readable output");
  app.require_subcommand(1);

  auto* keygen = app.add_subcommand("keygen", "Create a key and print its DID");
  std::string type = "ed25519";
  bool force = false;
  keygen->add_option("--type", type, "ed25519, secp256k1, p256 or eth")->capture_default_str();
  keygen->add_flag("--force", force, "Overwrite an existing key file");

  auto* status = app.add_subcommand("status", "Show the node's status");
  auto* cluster = app.add_subcommand("cluster", "The node's cluster");
  cluster->require_subcommand(1);
  auto* cluster_status = cluster->add_subcommand("status", "Members, roles, term and leader as the node sees them");
  // Membership changes: operator API actions, sent to the leader (--node).
  std::string cluster_admin_key = ".t3n/admin-key.json", member_address;
  std::uint64_t member_id = 0;
  auto* cluster_add = cluster->add_subcommand("add", "Add a running member (started without cluster.bootstrap); on the leader");
  cluster_add->add_option("id", member_id, "Its member id (cluster.member_id)")->required();
  cluster_add->add_option("peer_address", member_address, "Its peer links' host:port")->required();
  auto* cluster_remove = cluster->add_subcommand("remove", "Remove a member from the configuration; on the leader");
  cluster_remove->add_option("id", member_id, "Its member id")->required();
  auto* cluster_transfer = cluster->add_subcommand("transfer", "Hand leadership to a voter (default: the most up-to-date)");
  cluster_transfer->add_option("id", member_id, "The voter to lead (0: any)");
  for (auto* sub : {cluster_add, cluster_remove, cluster_transfer})
    sub->add_option("--admin-key", cluster_admin_key, "Operator key file (t3n keygen --type eth --key FILE)")
        ->envname("T3N_ADMIN_KEY")
        ->capture_default_str();
  auto* whoami = app.add_subcommand("whoami", "Show your T3N identity (a user exists once you have changed state)");
  add_trust_options(whoami, trust, true);

  auto* call = app.add_subcommand("call", "Call a contract function over OHTTP (attestation checked first)");
  std::string script, function, input = "null", version;
  call->add_option("script", script)->required();
  call->add_option("function", function)->required();
  call->add_option("--input", input, "JSON input")->capture_default_str();
  call->add_option("--version", version, "Contract version (default: latest)");
  add_trust_options(call, trust, true);

  auto* deploy = app.add_subcommand("deploy", "Register a contract component");
  std::string file, name, manifest_file;
  std::vector<std::string> maps;
  deploy->add_option("file", file)->required()->check(CLI::ExistingFile);
  deploy->add_option("--name", name)->required();
  deploy->add_option("--version", version)->required();
  deploy->add_option("--manifest", manifest_file)->check(CLI::ExistingFile);
  deploy->add_option("--map", maps, "Create tenant map z:<tid>:NAME for the contract (repeatable)");
  add_trust_options(deploy, trust, true);
  cli::TenantCommands tenancy;
  tenancy.add(app, [&trust](CLI::App* c) { add_trust_options(c, trust, true); });
  cli::AccountCommands account;
  account.add(app, [&trust](CLI::App* c) { add_trust_options(c, trust, true); });

  auto* data = app.add_subcommand("data", "Your private data blob");
  data->require_subcommand(1);
  add_trust_options(data, trust, true);
  auto* data_put = data->add_subcommand("put", "Store your private data (encrypted under your data key)");
  std::string data_file, data_text;
  data_put->add_option("--file", data_file)->check(CLI::ExistingFile);
  data_put->add_option("--text", data_text);
  auto* data_get = data->add_subcommand("get", "Read your private data");

  auto* receipt = app.add_subcommand("receipt", "Fetch and verify a receipt");
  std::uint64_t seqno = 0;
  receipt->add_option("seqno", seqno)->required();
  double receipt_wait = 10;
  receipt->add_option("--wait", receipt_wait, "Seconds to wait while no signature covers the entry yet")->capture_default_str();
  add_trust_options(receipt, trust, true);
  auto* proof = app.add_subcommand("proof", "Fetch and verify a state proof (public maps)");
  std::string map, key;
  proof->add_option("map", map)->required();
  proof->add_option("key", key)->required();
  auto* attest_cmd = app.add_subcommand("attest", "TEE detection and attestation evidence verification");
  attest_cmd->require_subcommand(1);
  auto* detect = attest_cmd->add_subcommand("detect", "Report the TEE hardware of this machine");
  auto* verify = attest_cmd->add_subcommand("verify", "Verify attestation evidence offline");
  std::string evidence, provider = "IntelTdx", collateral_dir, at;
  verify->add_option("--evidence", evidence, "Evidence file: a TDX quote, an SEV-SNP report or a Nitro document")->required()->check(CLI::ExistingFile);
  verify->add_option("--provider", provider, "IntelTdx, AmdSevSnp or AwsNitro")
      ->check(CLI::IsMember({"IntelTdx", "AmdSevSnp", "AwsNitro"}))
      ->capture_default_str();
  verify->add_option("--collateral", collateral_dir,
                     "TDX: tcb_info.json, qe_identity.json, tcb_signing_chain.pem, root_ca_crl.der, pck_crl.der; "
                     "SEV-SNP: vcek.der, ask.pem, ark.pem; Nitro: root.pem (optional)")
      ->check(CLI::ExistingDirectory);
  std::string pcs_url;
  verify->add_option("--pcs", pcs_url,
                     "Fetch the collateral from this PCS/PCCS base URL instead (e.g. https://api.trustedservices.intel.com)");
  verify->add_option("--at", at, "Verification time, RFC 3339 (default: now)");
  std::string simulated_root;
  const char* simulated_root_help =
      "Trust this SHA-256 (hex, DER) as the TDX root instead of Intel's: for evidence from a simulated platform only";
  verify->add_option("--trust-simulated-root", simulated_root, simulated_root_help);
  std::string policy_file;
  verify->add_option("--policy", policy_file, "Policy TOML: [tdx], [snp] and [nitro] tables (see src/attest/README.md)")
      ->check(CLI::ExistingFile);
  auto* produce = attest_cmd->add_subcommand("evidence", "Produce evidence on this machine's TEE (configfs-tsm, /dev/nsm)");
  std::string report_data_hex, evidence_out;
  produce->add_option("--provider", provider, "IntelTdx, AmdSevSnp or AwsNitro (default: the detected TEE)");
  produce->add_option("--report-data", report_data_hex, "Up to 64 bytes of hex to bind (zero-padded)");
  produce->add_option("--out", evidence_out, "File to write the evidence to")->required();
  auto* fetch = attest_cmd->add_subcommand(
      "fetch-collateral", "Fetch TDX collateral (PCS/PCCS) or SEV-SNP VCEK + chain (AMD KDS) into a --collateral directory");
  std::string fmspc_hex, out_dir, root_crl_url = "auto";
  fetch->add_option("--evidence", evidence, "A TDX quote: its FMSPC and PCK CA say what to fetch")->check(CLI::ExistingFile);
  fetch->add_option("--fmspc", fmspc_hex, "FMSPC (12 hex digits), instead of --evidence");
  fetch->add_option("--pcs", pcs_url, "PCS/PCCS base URL (default: Intel's PCS)");
  fetch->add_option("--root-crl-url", root_crl_url,
                    "Root CA CRL URL (auto: Intel's for Intel's PCS, else the PCCS path under --pcs)")->capture_default_str();
  fetch->add_option("--out", out_dir, "Directory to write")->required();
  std::string product, kds_url = attest::KdsOptions{}.base_url;
  fetch->add_option("--provider", provider, "IntelTdx (from PCS/PCCS) or AmdSevSnp (VCEK and chain from AMD KDS)")
      ->check(CLI::IsMember({"IntelTdx", "AmdSevSnp"}))
      ->capture_default_str();
  fetch->add_option("--product", product, "SEV-SNP: Milan, Genoa or Turin (version 2 reports do not say)");
  fetch->add_option("--kds", kds_url, "SEV-SNP: KDS base URL")->capture_default_str();
  auto* verify_node = attest_cmd->add_subcommand(
      "verify-node", "Fetch a node's /api/attestation, check that it binds the node's keys, verify its evidence");
  std::string node_url;
  verify_node->add_option("url", node_url, "Node URL (default: --node)");
  add_trust_options(verify_node, trust, false);
  bool print_root = false;
  verify_node->add_flag("--print-simulated-root", print_root,
                        "Dev nodes: print only the simulated root the node names, after checking its evidence verifies "
                        "under it (for export T3N_TRUST_SIMULATED_ROOT=$(...); trust on first use: your own node only)");
  CLI11_PARSE(app, argc, argv);
  if (Status s = normalize_root(simulated_root, "--trust-simulated-root"); !s.ok()) return fail(s);
  // The environment variable reaches every subcommand's option; only the
  // commands that trust a node read it.
  const bool trusts_node =
      verify_node->parsed() || whoami->parsed() || call->parsed() || deploy->parsed() || data->parsed() || receipt->parsed() ||
      tenancy.parsed_signed() || account.parsed();
  if (!trusts_node) trust = cli::TrustOptions{};
  if (Status s = normalize_root(trust.simulated_root, "--trust-simulated-root (or T3N_TRUST_SIMULATED_ROOT)"); !s.ok())
    return fail(s);

  if (detect->parsed()) {
    auto tees = attest::detect_tees();
    Json j = attest::detected_to_json(tees);
    std::string human = tees.empty() ? "none: no TEE hardware found on this machine" : "";
    for (const auto& t : tees) human += t.kind + (t.can_attest ? " (can attest): " : " (cannot attest): ") + t.detail + "\n";
    print(o, j, human);
    return 0;
  }
  if (verify->parsed()) {
    auto blob = read_file(evidence);
    if (!blob.ok()) return fail(blob.status());
    attest::EvidenceCollateral col;
    attest::CertCheckOptions opt;
    if (!collateral_dir.empty()) {
      if (Status loaded = attest::load_collateral_dir(provider, collateral_dir, col, opt); !loaded.ok()) return fail(loaded);
    } else if (!pcs_url.empty() && provider == attest::kProviderTdx) {
      auto fetched = cli::fetch_for_quote(common::as_bytes(*blob), pcs_url, "auto");
      if (!fetched.ok()) return fail(fetched.status());
      col.tdx = fetched->collateral;
      opt.crls_der = {fetched->root_ca_crl_der, fetched->pck_crl_der};
    } else if (provider != attest::kProviderNitro) {
      return fail(common::invalid_argument(provider == attest::kProviderTdx ? "give --collateral DIR or --pcs URL"
                                                                          : "give --collateral DIR (vcek.der, ask.pem, ark.pem)"));
    }
    if (!simulated_root.empty()) opt.root_ca_sha256 = simulated_root;
    if (!at.empty()) {
      auto when = common::parse_utc_timestamp(at);
      if (!when.ok()) return fail(common::invalid_argument("--at must be RFC 3339 UTC, like 2025-06-19T22:32:27Z"));
      opt.at = *when;
    }
    auto policy = cli::load_policy(policy_file);
    if (!policy.ok()) return fail(policy.status());
    auto report = attest::verify_evidence(provider, common::as_bytes(*blob), col, opt, *policy);
    if (!report.ok()) return fail(report.status());
    const Json& j = *report;
    if (j.contains("policy") && !o.json)
      for (const auto& why : j["policy"]["violations"]) std::fprintf(stderr, "policy: %s\n", why.get<std::string>().c_str());
    std::string human = j.contains("error") ? "NOT verified: " + j["error"].get<std::string>()
                                            : provider + ": " + (j["tcb_status"].is_string() ? j["tcb_status"].get<std::string>() : "verified") +
                                                  (j["valid"].get<bool>() ? " (valid)" : " (not acceptable)");
    if (!j.contains("error") && provider == attest::kProviderTdx) human += "\nMRTD " + j["measurements"]["mrtd"].get<std::string>();
    if (!j.contains("error") && provider == attest::kProviderSnp) human += "\nMEASUREMENT " + j["measurements"]["measurement"].get<std::string>();
    if (!j.contains("error") && provider == attest::kProviderNitro)
      human += "\nPCR0 " + j["measurements"]["pcrs"].value("0", std::string("(absent)"));
    print(o, j, human);
    return j["valid"].get<bool>() ? 0 : 4;
  }

  if (produce->parsed()) {
    attest::ReportData rd{};
    auto bytes = common::hex_decode(report_data_hex);
    if (!bytes.ok() || bytes->size() > rd.size()) return fail(common::invalid_argument("--report-data must be at most 64 bytes of hex"));
    std::copy(bytes->begin(), bytes->end(), rd.begin());
    std::string kind = produce->count("--provider") > 0 ? provider : "";
    if (kind.empty()) {
      for (const auto& t : attest::detect_tees())
        if (t.can_attest && t.kind != "NvidiaCc") kind = t.kind;
      if (kind.empty()) return fail(Status(ErrorCode::kUnavailable, "no TEE that can attest on this machine (see t3n attest detect)"));
    }
    Result<Bytes> blob = common::invalid_argument("unknown provider " + kind);
    if (kind == attest::kProviderNitro) {
      attest::NitroNsmProvider nsm;
      blob = nsm.evidence(rd);
    } else {
      auto tsm = attest::ConfigfsTsmProvider::create(kind);
      blob = tsm.ok() ? (*tsm)->evidence(rd) : Result<Bytes>(tsm.status());
    }
    if (!blob.ok()) return fail(blob.status());
    if (Status written = common::write_file_atomic(evidence_out, *blob); !written.ok()) return fail(written);
    print(o, {{"provider", kind}, {"bytes", blob->size()}, {"written", evidence_out}},
          kind + " evidence (" + std::to_string(blob->size()) + " bytes) written to " + evidence_out);
    return 0;
  }

  if (fetch->parsed() && provider == attest::kProviderSnp) {
    if (evidence.empty()) return fail(common::invalid_argument("SEV-SNP collateral is per chip and TCB: give --evidence REPORT"));
    auto blob = read_file(evidence);
    if (!blob.ok()) return fail(blob.status());
    auto report = attest::parse_snp_report(common::as_bytes(*blob));
    if (!report.ok()) return fail(report.status());
    auto chip = product.empty() ? attest::snp_product_of_report(*report) : attest::amd_product_from_name(product);
    if (!chip.ok()) return fail(chip.status());
    attest::KdsOptions kds;
    kds.base_url = kds_url;
    auto fetched = attest::fetch_snp_collateral(kds, *report, *chip);
    if (!fetched.ok()) return fail(fetched.status());
    if (Status written = attest::write_snp_collateral_dir(out_dir, *fetched); !written.ok()) return fail(written);
    print(o, {{"written", out_dir}, {"kds", kds_url}}, "VCEK and chain from " + kds_url + " written to " + out_dir +
                                                        " (use: t3n attest verify --provider AmdSevSnp --collateral " + out_dir + ")");
    return 0;
  }
  if (fetch->parsed()) {
    Result<attest::FetchedTdxCollateral> fetched = common::invalid_argument("give --evidence FILE or --fmspc HEX");
    const std::string base = pcs_url.empty() ? attest::PcsOptions{}.base_url : pcs_url;
    if (!evidence.empty()) {
      auto quote = read_file(evidence);
      if (!quote.ok()) return fail(quote.status());
      fetched = cli::fetch_for_quote(common::as_bytes(*quote), base, root_crl_url);
    } else if (!fmspc_hex.empty()) {
      auto bytes = common::hex_decode(fmspc_hex);
      if (!bytes.ok() || bytes->size() != 6) return fail(common::invalid_argument("--fmspc must be 12 hex digits"));
      std::array<std::uint8_t, 6> fmspc{};
      std::copy(bytes->begin(), bytes->end(), fmspc.begin());
      attest::PcsOptions po = attest::pcs_options_for(base);
      if (root_crl_url != "auto") po.root_ca_crl_url = root_crl_url;
      fetched = attest::fetch_tdx_collateral(po, fmspc);
    }
    if (!fetched.ok()) return fail(fetched.status());
    if (Status written = attest::write_tdx_collateral_dir(out_dir, *fetched); !written.ok()) return fail(written);
    print(o, {{"written", out_dir}, {"pcs", base}}, "collateral from " + base + " written to " + out_dir +
                                                      " (use: t3n attest verify --collateral " + out_dir + ")");
    return 0;
  }

  if (verify_node->parsed()) {
    api::NodeClient target(node_url.empty() ? o.node : node_url);
    auto att = target.get_json("/api/attestation");
    if (!att.ok()) {
      print(o, {{"valid", false}, {"key_binding_valid", false}, {"error", att.status().message()}},
            "NOT verified: " + att.status().message());
      return 4;
    }
    if (print_root) {
      // Trust on first use, for the developer's own dev node: the root is the
      // one the node names, so this proves only that its simulated evidence
      // is well formed and binds its keys.
      const bool simulated = att->contains("simulated") && (*att)["simulated"] == true;
      const std::string root = att->value("simulated_root_ca_sha256", Json()).is_string()
                                   ? (*att)["simulated_root_ca_sha256"].get<std::string>() : "";
      cli::TrustOptions own = trust;
      own.simulated_root = root;
      if (!simulated || root.empty() || !normalize_root(own.simulated_root, "simulated_root_ca_sha256").ok())
        return fail_trust(common::verification_failed("the node presents no simulated evidence: no simulated root to trust"));
      auto checked = cli::verify_attestation(*att, own);
      if (!checked.ok()) return fail(checked.status());
      if (!checked->trusted) return fail_trust(common::verification_failed("the node's simulated evidence does not verify under the "
                                                                           "root it names: " + checked->reason));
      std::printf("%s\n", own.simulated_root.c_str());
      return 0;
    }
    auto verdict = cli::verify_attestation(*att, trust);
    if (!verdict.ok()) return fail(verdict.status());
    Json j = verdict->report;
    std::string human = verdict->human;
    bool trusted = verdict->trusted.has_value();
    // What a client fetching /ohttp-keys would encrypt to must be bound too
    // (the CLI itself encrypts to the bound configuration).
    if (j.value("key_binding_valid", false)) {
      auto served = target.key_config();
      auto bound = common::base64url_decode((*att)["binds"]["ohttp_keys"].get<std::string>());
      auto configs = bound.ok() ? api::decode_key_configs(*bound) : Result<std::vector<api::OhttpKeyConfig>>(bound.status());
      bool found = false;
      if (served.ok() && configs.ok())
        for (const auto& c : *configs) found = found || (c.key_id == served->key_id && c.public_key == served->public_key);
      if (!found) {
        const std::string why = "the OHTTP key the node serves is not the one its attestation binds";
        j = {{"valid", false}, {"key_binding_valid", false}, {"error", why}};
        human = "NOT verified: " + why;
        trusted = false;
      }
    }
    print(o, j, human);
    return trusted ? 0 : 4;
  }

  api::NodeClient client(o.node);

  if (keygen->parsed()) {
    auto t = key_type(type);
    if (!t.ok()) return fail(t.status());
    auto signer = api::RequestSigner::generate(*t);
    if (!signer.ok()) return fail(signer.status());
    const std::string content =
        Json{{"type", key_type_name(*t)}, {"secret", common::base64url_encode(signer->secret())}, {"did", signer->did()}}.dump();
    // Mode 0600 from creation on, and no existence check racing the write.
    if (Status written = cli::write_private_file(o.key_file, common::as_bytes(content), force); !written.ok())
      return fail(written.code() == ErrorCode::kAlreadyExists
                      ? common::failed_precondition(o.key_file + " exists (use --force to replace it)")
                      : written);
    print(o, {{"did", signer->did()}, {"key_file", o.key_file}}, signer->did());
    return 0;
  }
  if (status->parsed()) {
    auto s = client.get_json("/status");
    if (!s.ok()) return fail(s.status());
    print(o, *s, s->dump(2));
    return 0;
  }
  if (cluster_status->parsed()) {
    auto s = client.get_json("/status");
    if (!s.ok()) return fail(s.status());
    const Json& st = *s;
    if (!st.value("replicated", false)) {
      Json j{{"replicated", false}, {"raft_role", st.value("raft_role", "standalone")}, {"node_id", st.value("node_id", "")}};
      print(o, j, "standalone node " + st.value("node_id", std::string()) + ": not a cluster member (no [cluster] in its configuration)");
      return 0;
    }
    Json j{{"replicated", true}};
    for (const char* k : {"node_id", "member_id", "raft_role", "term", "leader_id", "commit_index", "last_applied", "members", "snapshot"})
      if (st.contains(k)) j[k] = st[k];
    std::string human = "member " + st.value("member_id", Json(0)).dump() + " (" + st.value("node_id", std::string()) + "): " +
                        st.value("raft_role", std::string("?")) + ", term " + st.value("term", Json(0)).dump() + ", commit index " +
                        st.value("commit_index", Json(0)).dump() + "\n";
    for (const auto& m : st.value("members", Json::array()))
      human += "  " + m.value("id", Json(0)).dump() + "  " + m.value("peer_address", std::string()) + "  " + m.value("role", std::string()) +
               (m.value("leader", false) ? "  leader" : "") + "\n";
    if (human.back() == '\n') human.pop_back();
    print(o, j, human);
    return 0;
  }
  if (cluster_add->parsed() || cluster_remove->parsed() || cluster_transfer->parsed()) {
    auto admin_key = cli::load_admin_key(cluster_admin_key);
    if (!admin_key.ok()) return fail(admin_key.status());
    const std::string action = cluster_add->parsed() ? "cluster.add" : cluster_remove->parsed() ? "cluster.remove" : "cluster.transfer";
    Json body = Json::object();
    if (member_id != 0) body["member_id"] = member_id;
    if (cluster_add->parsed()) body["peer_address"] = member_address;
    auto r = cli::send_admin(client, *admin_key, action, body);
    if (!r.ok()) return fail(r.status());
    const Json& result = (*r)["result"];
    const std::string human = cluster_add->parsed()      ? "added member " + std::to_string(member_id) + " (" + member_address + "): it votes"
                              : cluster_remove->parsed() ? "removed member " + std::to_string(member_id)
                                                         : "member " + result.value("leader_id", Json(0)).dump() + " leads";
    print(o, result, human);
    return 0;
  }
  if (receipt->parsed()) {
    // The receipt must be signed by the keys the node's verified attestation
    // binds, not by whatever keys it asserts elsewhere (/api/trust-manifest).
    auto node = cli::establish_trust(client, o.node, trust, trust_cache_file(o), unix_now());
    if (!node.ok()) return fail_trust(node.status());
    const std::string path = "/api/receipt?seqno=" + std::to_string(seqno);
    // The node signs at least once a second and never on demand: until a
    // signature covers the entry it answers 202 pending.
    const auto deadline =
        std::chrono::steady_clock::now() +
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(std::max(0.0, receipt_wait)));
    auto backoff = std::chrono::milliseconds(100);
    Result<api::JsonReply> r = client.get_json_reply(path);
    while (r.ok() && r->http_status == 202) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline)
        return fail(Status(ErrorCode::kDeadlineExceeded, "the receipt for seqno " + std::to_string(seqno) + " is still pending after " +
                                                              std::to_string(static_cast<int>(receipt_wait)) +
                                                              " s: no signature covers it yet (is the node signing?)"));
      if (!o.json) std::fprintf(stderr, "pending: no signature covers seqno %llu yet, retrying…\n", static_cast<unsigned long long>(seqno));
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(backoff, deadline - now));
      backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
      r = client.get_json_reply(path);
    }
    if (!r.ok()) return fail(r.status());
    if (r->http_status != 200)
      return fail(Status(ErrorCode::kUnavailable, "GET " + path + ": HTTP " + std::to_string(r->http_status) + " " +
                                                      r->body.value("error", r->body.dump())));
    auto parsed = store::receipt_from_json(r->body);
    if (!parsed.ok()) return fail(parsed.status());
    Status v = store::verify_receipt(*parsed, store::TrustedNodeKeys{node->ed25519_public_key, node->mldsa65_public_key});
    Json out = {{"seqno", seqno}, {"verified", v.ok()}, {"receipt", r->body}};
    if (!v.ok()) out["error"] = v.message();
    print(o, out, v.ok() ? "receipt for seqno " + std::to_string(seqno) + " verifies (Ed25519 + ML-DSA-65, signed at seqno " +
                               std::to_string(parsed->signature_seqno) + ", by the attested node keys)"
                         : "receipt does NOT verify: " + v.message());
    return v.ok() ? 0 : 4;
  }
  if (proof->parsed()) {
    auto r = client.get_json("/api/proof?map=" + map + "&key=" + key);
    if (!r.ok()) return fail(r.status());
    auto p = store::state_proof_from_json((*r)["proof"]);
    auto root = common::hex_decode((*r)["state_root"].get<std::string>());
    if (!p.ok() || !root.ok() || root->size() != 32) return fail(common::invalid_argument("malformed proof"));
    crypto::Digest32 d{};
    std::copy(root->begin(), root->end(), d.begin());
    Status v = store::verify_state_proof(*p, d);
    if (v.ok() && p->proves_inclusion() && r->contains("value")) {
      const auto expected = store::state_value_hash((*r)["version"].get<std::uint64_t>(), common::as_bytes((*r)["value"].get<std::string>()));
      if (expected != *p->value_hash) v = common::verification_failed("the value does not match the proof");
    }
    Json out = {{"verified", v.ok()}, {"inclusion", p->proves_inclusion()}, {"response", *r}};
    print(o, out, v.ok() ? (p->proves_inclusion() ? "proof verifies: " + map + "[" + key + "] = " + (*r)["value"].get<std::string>()
                                                  : "proof verifies: " + key + " is absent from " + map)
                         : "proof does NOT verify: " + v.message());
    return v.ok() ? 0 : 4;
  }

  const cli::PrintFn printer = [&o](const Json& j, const std::string& human) { print(o, j, human); };
  if (tenancy.parsed_admin()) return tenancy.run_admin(client, o.json, printer);

  auto signer = load_key(o);
  if (!signer.ok()) return fail(signer.status());
  // Nothing is sent before the node's attestation verified; then requests go
  // to the attested OHTTP key, signed for the attested node.
  if (auto node = cli::establish_trust(client, o.node, trust, trust_cache_file(o), unix_now()); !node.ok())
    return fail_trust(node.status());

  if (tenancy.parsed_signed()) return tenancy.run_signed(client, *signer, o.json, printer);
  if (account.parsed()) return account.run(client, *signer, printer);
  if (whoami->parsed()) {
    auto r = client.rpc("identity.whoami", Json::object(), &*signer);
    if (!r.ok()) return fail(r.status());
    const std::string authenticator = r->value("authenticator", std::string());
    const Json did = r->value("did", Json(nullptr));
    print(o, *r, did.is_string() ? did.get<std::string>() + " (authenticated as " + authenticator + ")"
                                 : "no T3N user yet for " + authenticator + " (one is created by your first state-changing call)");
    return 0;
  }
  if (call->parsed()) {
    auto in = common::parse_json(input);
    if (!in.ok()) return fail(in.status().with_context("--input"));
    Json params = {{"script_name", script}, {"function_name", function}, {"input", *in}};
    if (!version.empty()) params["script_version"] = version;
    auto r = client.rpc("action.execute", params, &*signer);
    if (!r.ok()) return fail(r.status());
    const Json& tx = (*r)["tx_seqno"];
    print(o, *r, (*r)["response"].dump() + (tx.is_null() ? "" : "   (committed at seqno " + tx.dump() + ")"));
    return 0;
  }
  if (deploy->parsed()) {
    auto wasm = read_file(file);
    if (!wasm.ok()) return fail(wasm.status());
    Json manifest = Json::object();
    if (!manifest_file.empty()) {
      auto m = read_file(manifest_file);
      if (!m.ok()) return fail(m.status());
      auto j = common::parse_json(*m);
      if (!j.ok()) return fail(j.status().with_context(manifest_file));
      manifest = *j;
    }
    if (!o.json) std::fprintf(stderr, "uploading %s (%zu KiB, encrypted with OHTTP)…\n", file.c_str(), wasm->size() / 1024);
    auto r = client.rpc("contract.register", {{"name", name}, {"version", version}, {"manifest", manifest}, {"maps", maps},
                                              {"component", common::base64_encode(common::as_bytes(*wasm))}},
                        &*signer);
    if (!r.ok()) return fail(r.status());
    print(o, *r, "deployed " + name + " " + version + " as " + (*r)["cid"].get<std::string>());
    return 0;
  }
  if (data_put->parsed()) {
    std::string content = data_text;
    if (!data_file.empty()) {
      auto f = read_file(data_file);
      if (!f.ok()) return fail(f.status());
      content = *f;
    }
    auto r = client.rpc("data.put", {{"data", common::base64_encode(common::as_bytes(content))}}, &*signer);
    if (!r.ok()) return fail(r.status());
    print(o, *r, "stored " + std::to_string(content.size()) + " bytes as " + (*r)["cid"].get<std::string>());
    return 0;
  }
  if (data_get->parsed()) {
    auto r = client.rpc("data.get", Json::object(), &*signer);
    if (!r.ok()) return fail(r.status());
    auto bytes = common::base64_decode((*r)["data"].get<std::string>());
    if (!bytes.ok()) return fail(bytes.status());
    if (o.json) print(o, *r, "");
    else std::fwrite(bytes->data(), 1, bytes->size(), stdout);
    return 0;
  }
  return 0;
}

int main(int argc, char** argv) {
  // What a node sends is untrusted JSON: a field of the wrong type must end in
  // a clear error, not std::terminate.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: unexpected data: %s\n", e.what());
    return 1;
  }
}
