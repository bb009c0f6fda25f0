#include "cli/node_trust.h"

#include <algorithm>

#include <cstdio>

#include "attest/policy.h"
#include "attest/tdx_verify.h"
#include "cli/private_file.h"
#include "common/encoding.h"
#include "crypto/mlkem.h"
#include "common/files.h"
#include "crypto/hash.h"
#include "crypto/mldsa.h"

namespace t3n::cli {

using common::Json;

namespace {

struct BoundKeys {
  Bytes ed25519;
  Bytes mldsa65;
  Bytes ohttp_keys;
  Bytes mlkem768;  // the session key the T3N SDK encrypts to
  std::vector<api::OhttpKeyConfig> configs;
};

std::string string_field(const Json& j, const char* name) {
  return j.is_object() && j.contains(name) && j[name].is_string() ? j[name].get<std::string>() : std::string();
}

Result<std::vector<api::OhttpKeyConfig>> usable_configs(ByteView ohttp_keys) {
  auto configs = api::decode_key_configs(ohttp_keys);
  if (!configs.ok() || configs->empty()) return common::verification_failed("binds.ohttp_keys holds no OHTTP key configuration");
  for (const auto& c : *configs)
    if (c.algorithms.empty()) return common::verification_failed("a bound OHTTP key configuration names no algorithms");
  return configs;
}

// The keys the attestation binds, and the check that its REPORTDATA is
// their binding. Says nothing about who made the document.
Result<BoundKeys> bound_keys(const Json& att) {
  if (!att.is_object() || !att.contains("binds") || !att["binds"].is_object())
    return common::verification_failed("the node's attestation binds no keys");
  const Json& binds = att["binds"];
  auto field = [&](const char* name) -> Result<Bytes> {
    const std::string text = string_field(binds, name);
    if (text.empty()) return common::verification_failed(std::string("the node's attestation lacks binds.") + name);
    auto b = common::base64url_decode(text);
    if (!b.ok()) return common::verification_failed(std::string("the node's binds.") + name + " is not base64url");
    return b;
  };
  BoundKeys k;
  T3N_ASSIGN_OR_RETURN(k.ohttp_keys, field("ohttp_keys"));
  T3N_ASSIGN_OR_RETURN(k.ed25519, field("ed25519_public_key"));
  T3N_ASSIGN_OR_RETURN(k.mldsa65, field("mldsa65_public_key"));
  if (k.ed25519.size() != 32) return common::verification_failed("the bound Ed25519 key is not 32 bytes");
  if (k.mldsa65.size() != crypto::kMlDsa65PublicKeySize) return common::verification_failed("the bound ML-DSA-65 key has the wrong size");
  T3N_ASSIGN_OR_RETURN(k.mlkem768, field("mlkem768_encaps_key"));
  if (k.mlkem768.size() != crypto::kMlKem768EncapsulationKeySize)
    return common::verification_failed("the bound ML-KEM-768 session key has the wrong size");
  T3N_ASSIGN_OR_RETURN(k.configs, usable_configs(k.ohttp_keys));
  // REPORTDATA = Keccak-512(attestation_msg), and attestation_msg is
  // exactly session key ‖ sorted peer ids ‖ binding of the other keys.
  std::vector<std::string> peers;
  if (!binds.contains("peer_ids") || !binds["peer_ids"].is_array() || binds["peer_ids"].empty())
    return common::verification_failed("the node's attestation lacks binds.peer_ids");
  for (const auto& p : binds["peer_ids"]) {
    if (!p.is_string() || p.get<std::string>().empty() || p.get<std::string>().size() > 128)
      return common::verification_failed("the node's binds.peer_ids holds a malformed peer id");
    peers.push_back(p.get<std::string>());
  }
  if (!std::is_sorted(peers.begin(), peers.end())) return common::verification_failed("binds.peer_ids is not sorted");
  const Bytes message =
      attest::node_attestation_message(k.mlkem768, peers, attest::node_key_binding(k.ed25519, k.mldsa65, k.ohttp_keys));
  auto claimed = common::base64_decode(string_field(att, "attestation_msg"));
  if (!claimed.ok() || *claimed != message)
    return common::verification_failed("the attestation message does not match the keys it claims to bind");
  if (common::hex_encode(attest::report_data_of_message(message)) != string_field(att, "report_data"))
    return common::verification_failed("attestation report data does not match the keys it claims to bind");
  return k;
}

api::OhttpKeyConfig preferred(const std::vector<api::OhttpKeyConfig>& configs) {
  for (const auto& c : configs)
    if (c.kem == crypto::HpkeKem::kXWing) return c;
  return configs.front();
}

TrustedNode trusted_from(const BoundKeys& k, std::string provider, std::string basis) {
  return TrustedNode{k.ed25519, k.mldsa65, k.ohttp_keys, preferred(k.configs), std::move(provider), std::move(basis)};
}

void pin(api::NodeClient& client, const TrustedNode& node) {
  client.set_trusted(node.ohttp_config, api::node_audience(node.ed25519_public_key));
}

std::string hex_sha256(std::string_view text) { return common::hex_encode(crypto::sha256(common::as_bytes(text))); }

// --- the cache: {"version": 1, "nodes": {URL: entry}} ---------------------
//
// An entry records that the attestation document with hash
// `attestation_sha256` verified on `basis` (under the policy file with hash
// `policy_sha256`), the keys it bound, and until when it may be reused.

Json read_cache(const std::filesystem::path& file) {
  auto text = common::read_file(file);
  if (!text.ok()) return Json::object();
  auto j = common::parse_json(*text);
  if (!j.ok() || !j->is_object() || j->value("version", 0) != 1 || !j->contains("nodes") || !(*j)["nodes"].is_object())
    return Json::object();  // unreadable: verify again, then overwrite
  return *j;
}

std::optional<TrustedNode> cached(const std::filesystem::path& file, const std::string& url, const std::string& doc_hash,
                                  const TrustOptions& t, const std::string& policy_hash, std::int64_t now) {
  const Json cache = read_cache(file);
  if (!cache.contains("nodes") || !cache["nodes"].contains(url)) return std::nullopt;
  const Json& e = cache["nodes"][url];
  if (!e.is_object() || string_field(e, "attestation_sha256") != doc_hash || string_field(e, "policy_sha256") != policy_hash)
    return std::nullopt;
  if (!e.contains("expires_at") || !e["expires_at"].is_number_integer() || e["expires_at"].get<std::int64_t>() <= now ||
      !e.contains("verified_at") || !e["verified_at"].is_number_integer() || e["verified_at"].get<std::int64_t>() > now)
    return std::nullopt;
  const std::string basis = string_field(e, "basis");
  if (basis == "simulated-root") {
    if (t.simulated_root.empty() || string_field(e, "simulated_root_ca_sha256") != t.simulated_root) return std::nullopt;
  } else if (basis != "hardware") {
    return std::nullopt;
  }
  auto ed = common::base64url_decode(string_field(e, "ed25519_public_key"));
  auto pq = common::base64url_decode(string_field(e, "mldsa65_public_key"));
  auto keys = common::base64url_decode(string_field(e, "ohttp_keys"));
  if (!ed.ok() || !pq.ok() || !keys.ok()) return std::nullopt;
  auto configs = usable_configs(*keys);
  if (!configs.ok()) return std::nullopt;
  return TrustedNode{*ed, *pq, *keys, preferred(*configs), string_field(e, "provider"), basis};
}

Status remember(const std::filesystem::path& file, const std::string& url, const std::string& doc_hash, const TrustedNode& node,
                const TrustOptions& t, const std::string& policy_hash, std::int64_t now) {
  Json cache = read_cache(file);
  if (!cache.contains("nodes")) cache = {{"version", 1}, {"nodes", Json::object()}};
  Json kept = Json::object();
  for (const auto& [u, e] : cache["nodes"].items())
    if (e.is_object() && e.contains("expires_at") && e["expires_at"].is_number_integer() && e["expires_at"].get<std::int64_t>() > now)
      kept[u] = e;
  kept[url] = {{"attestation_sha256", doc_hash},
               {"provider", node.provider},
               {"basis", node.basis},
               {"simulated_root_ca_sha256", node.basis == "simulated-root" ? t.simulated_root : ""},
               {"policy_sha256", policy_hash},
               {"ed25519_public_key", common::base64url_encode(node.ed25519_public_key)},
               {"mldsa65_public_key", common::base64url_encode(node.mldsa65_public_key)},
               {"ohttp_keys", common::base64url_encode(node.ohttp_keys)},
               {"verified_at", now},
               {"expires_at", now + kTrustCacheSeconds}};
  cache["nodes"] = std::move(kept);
  return write_private_file(file, common::as_bytes(cache.dump(2) + "\n"), /*replace=*/true);
}

void warn_simulated(const std::string& url, const TrustedNode& node) {
  if (node.basis == "simulated-root")
    std::fprintf(stderr, "warning: %s runs a SIMULATED TEE (dev mode), trusted on the simulated root you gave: "
                         "what you send it is not confidential\n", url.c_str());
}

}  // namespace

Result<attest::AttestationPolicy> load_policy(const std::string& file) {
  if (file.empty()) return attest::AttestationPolicy{};
  T3N_ASSIGN_OR_RETURN(std::string text, common::read_file(file));
  return attest::attestation_policy_from_toml(text, file);
}

Result<attest::FetchedTdxCollateral> fetch_for_quote(ByteView quote, const std::string& base_url, const std::string& root_crl_url) {
  T3N_ASSIGN_OR_RETURN(auto parsed, attest::parse_tdx_quote(quote));
  T3N_ASSIGN_OR_RETURN(auto pck, attest::pck_extensions(parsed.pck_chain_pem.front()));
  T3N_ASSIGN_OR_RETURN(std::string ca, attest::pck_ca_of_quote(parsed));
  attest::PcsOptions options = attest::pcs_options_for(base_url);
  if (root_crl_url != "auto") options.root_ca_crl_url = root_crl_url;
  return attest::fetch_tdx_collateral(options, pck.fmspc, ca);
}

Result<NodeVerdict> verify_attestation(const Json& att, const TrustOptions& t) {
  NodeVerdict v;
  auto refuse = [&v](Json report, std::string human, std::string reason, std::string hint = {}) {
    v.report = std::move(report);
    v.human = std::move(human);
    v.reason = std::move(reason);
    v.hint = std::move(hint);
    return v;
  };
  auto k = bound_keys(att);
  if (!k.ok()) {
    const std::string why = k.status().message();
    return refuse({{"valid", false}, {"key_binding_valid", false}, {"error", why}}, "NOT verified: " + why, why);
  }
  const std::string kind = string_field(att, "provider");
  const bool simulated = att.contains("simulated") && att["simulated"] == true;
  auto failed = [&](const std::string& why) {
    return refuse({{"valid", false}, {"provider", kind}, {"key_binding_valid", true}, {"error", why}}, "NOT verified: " + why, why);
  };
  if (!att.contains("evidence") || !att["evidence"].is_string())
    return refuse({{"valid", false}, {"provider", kind}, {"key_binding_valid", true}, {"hardware_verified", false},
                   {"note", "the node presents no TEE evidence: its keys are consistent, but nothing vouches for them"}},
                  "keys consistent with the attestation, but the node has no TEE evidence: NOT trusted",
                  "it presents no TEE evidence: nothing vouches for its keys");
  if (simulated && t.simulated_root.empty()) {
    const std::string root = string_field(att, "simulated_root_ca_sha256");
    return refuse({{"valid", false}, {"provider", kind}, {"simulated", true}, {"key_binding_valid", true}, {"hardware_verified", false},
                   {"simulated_root_ca_sha256", root},
                   {"note", "the node runs a simulated TEE (dev mode): its evidence is signed by a test PKI, not by hardware"}},
                  "keys consistent with the attestation, but the evidence is SIMULATED (dev mode): NOT trusted\n"
                  "(to check the simulated evidence anyway: --trust-simulated-root " + root + ")",
                  "its TEE is SIMULATED (dev mode): its evidence is signed by a test PKI, not by hardware",
                  "if it is your own dev node, trust its simulated root with\n  --trust-simulated-root " + root +
                      "\n(or export T3N_TRUST_SIMULATED_ROOT=" + root + ")");
  }
  auto blob = common::base64_decode(att["evidence"].get<std::string>());
  if (!blob.ok()) return failed("the attestation's evidence is not base64");
  attest::EvidenceCollateral col;
  attest::CertCheckOptions opt;
  if (!t.collateral_dir.empty()) {
    T3N_RETURN_IF_ERROR(attest::load_collateral_dir(kind, t.collateral_dir, col, opt));
  } else if (!t.pcs_url.empty() && kind == attest::kProviderTdx) {
    auto fetched = fetch_for_quote(*blob, t.pcs_url, "auto");
    if (!fetched.ok()) return failed("collateral for the node's quote: " + fetched.status().message());
    col.tdx = fetched->collateral;
    opt.crls_der = {fetched->root_ca_crl_der, fetched->pck_crl_der};
  } else {
    // Collateral a node ships is signed like any other, but the node chooses
    // what to leave out: without CRLs a revoked PCK or ASK would pass.
    if (Status shipped = attest::collateral_from_json(kind, att, col, opt); !shipped.ok())
      return failed("the node's collateral: " + shipped.message());
    const std::size_t crls = opt.crls_der.size() + col.snp.crls_der.size();
    if (!simulated && kind == attest::kProviderTdx && crls < 2)
      return failed("the node ships no root and PCK CRLs: give --collateral DIR or --pcs URL");
    if (!simulated && kind == attest::kProviderSnp && crls < 1)
      return failed("the node ships no ARK CRL: give --collateral DIR (t3n attest fetch-collateral)");
  }
  if (kind == attest::kProviderTdx && col.tdx.tcb_info_json.empty())
    return failed("the node ships no TDX collateral: give --collateral DIR or --pcs URL");
  // The simulated root is trusted only for evidence that says it is
  // simulated: a hardware claim is always judged against the vendor's root.
  if (simulated) opt.root_ca_sha256 = t.simulated_root;
  T3N_ASSIGN_OR_RETURN(attest::AttestationPolicy policy, load_policy(t.policy_file));
  auto rd = common::hex_decode(string_field(att, "report_data"));
  if (!rd.ok() || rd->size() != 64) return failed("the attestation's report_data is not 64 bytes");
  attest::ReportData expected{};
  std::copy(rd->begin(), rd->end(), expected.begin());
  // bound_keys proved it is the binding of the node's keys; the evidence must carry it.
  policy.tdx.report_data = policy.snp.report_data = policy.nitro.report_data = expected;
  auto report = attest::verify_evidence(kind, *blob, col, opt, policy);
  if (!report.ok()) return failed(report.status().message());
  Json j = *report;
  j["key_binding_valid"] = true;
  if (simulated) {
    j["hardware_verified"] = false;  // a test PKI vouched, not the vendor
    j["simulated"] = true;
  }
  const bool valid = j.contains("valid") && j["valid"] == true;
  // Anyone can mint simulated evidence (the dev platform's seed is public):
  // this checks the format, the path and the key binding — not the node.
  const std::string against = simulated ? " (against the SIMULATED root: proves nothing about the node or hardware)" : "";
  const std::string tcb = j.contains("tcb_status") && j["tcb_status"].is_string() ? j["tcb_status"].get<std::string>() : "";
  const std::string error = string_field(j, "error");
  v.report = j;
  if (!error.empty()) {
    v.human = "NOT verified: " + error;
    v.reason = "its evidence does not verify: " + error;
  } else {
    v.human = std::string(valid ? "node verified" : "NOT acceptable") + against + ": " + kind + " " + tcb;
    if (!valid) {
      v.reason = "its evidence is not acceptable under the policy";
      if (j.contains("policy") && j["policy"].contains("violations"))
        for (const auto& why : j["policy"]["violations"])
          if (why.is_string()) v.reason += "; " + why.get<std::string>();
    }
  }
  if (valid && error.empty()) v.trusted = trusted_from(*k, kind, simulated ? "simulated-root" : "hardware");
  return v;
}

Result<TrustedNode> establish_trust(api::NodeClient& client, const std::string& url, const TrustOptions& t,
                                    const std::filesystem::path& cache_file, std::int64_t now) {
  auto refusal = [&url](const std::string& reason, const std::string& hint) {
    return common::verification_failed("refusing to send requests to " + url + ": " + reason + (hint.empty() ? "" : "\n" + hint));
  };
  auto att = client.get_json("/api/attestation");
  if (!att.ok()) {
    if (att.status().code() == ErrorCode::kUnavailable) return att.status();
    return refusal("its attestation cannot be read: " + att.status().message(), "");
  }
  if (t.insecure_dev) {
    auto k = bound_keys(*att);
    if (!k.ok()) return refusal(k.status().message(), "");
    std::fprintf(stderr, "warning: --insecure-dev: %s's TEE evidence is NOT verified (only that its attestation binds the "
                         "keys used): do not send it real data\n", url.c_str());
    TrustedNode node = trusted_from(*k, string_field(*att, "provider"), "insecure-dev");
    pin(client, node);
    return node;
  }
  std::string policy_hash;
  if (!t.policy_file.empty()) {
    T3N_ASSIGN_OR_RETURN(std::string text, common::read_file(t.policy_file));
    policy_hash = hex_sha256(text);
  }
  const std::string doc_hash = hex_sha256(att->dump());
  if (auto hit = cached(cache_file, url, doc_hash, t, policy_hash, now)) {
    pin(client, *hit);
    warn_simulated(url, *hit);
    return *hit;
  }
  T3N_ASSIGN_OR_RETURN(NodeVerdict v, verify_attestation(*att, t));
  if (!v.trusted) {
    std::string hint = v.hint;
    if (!hint.empty()) hint += "\nor skip evidence verification (key binding still checked) with --insecure-dev";
    return refusal(v.reason, hint);
  }
  if (Status saved = remember(cache_file, url, doc_hash, *v.trusted, t, policy_hash, now); !saved.ok())
    std::fprintf(stderr, "warning: could not cache the verification (%s): it will be repeated next time\n", saved.message().c_str());
  pin(client, *v.trusted);
  warn_simulated(url, *v.trusted);
  return *v.trusted;
}

}  // namespace t3n::cli
