// Trust in a node before anything is sent to it: its /api/attestation must
// bind its keys (REPORTDATA = node_key_binding), and its TEE evidence must
// verify with that REPORTDATA — the path `t3n attest verify-node` reports on
// and every request command (call, deploy, data, whoami, receipt) gates on.
// What was verified is pinned for the request (OHTTP key config, audience)
// and cached per node URL in <key dir>/trusted-nodes.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "api/client.h"
#include "attest/pcs.h"
#include "attest/verify_evidence.h"
#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"

namespace t3n::cli {

struct TrustOptions {
  std::string simulated_root;   // lowercase hex SHA-256 of a simulated TDX root; empty = none trusted
  bool insecure_dev = false;    // skip evidence verification (the key binding is still checked)
  std::string collateral_dir;   // collateral instead of the node's
  std::string pcs_url;          // TDX: collateral and CRLs from this PCS/PCCS instead of the node's
  std::string policy_file;      // [tdx]/[snp]/[nitro] policy (REPORTDATA is always bound)
};

// What a verified attestation vouches for: the keys requests are encrypted
// to and signed for, and the keys receipts must be signed by.
struct TrustedNode {
  Bytes ed25519_public_key;
  Bytes mldsa65_public_key;
  Bytes ohttp_keys;                 // the bound application/ohttp-keys
  api::OhttpKeyConfig ohttp_config; // the one requests are encrypted to (X-Wing preferred)
  std::string provider;
  std::string basis;                // "hardware", "simulated-root" or "insecure-dev"
};

// verify-node's outcome: the JSON and human report, and the trusted keys
// when (and only when) the evidence verified and the policy accepted it.
struct NodeVerdict {
  common::Json report;
  std::string human;
  std::string reason;  // why not trusted (empty when trusted)
  std::string hint;    // what the user can do about it (may be empty)
  std::optional<TrustedNode> trusted;
};

// Judges an /api/attestation document. Errors are local problems (an
// unreadable policy or collateral directory); everything the node got wrong
// is in the verdict.
Result<NodeVerdict> verify_attestation(const common::Json& attestation, const TrustOptions& options);

// Before the first request: fetches the node's attestation, reuses a cached
// verification of exactly that document when it has not expired and was made
// on the same basis (same simulated root, same policy), else verifies it and
// caches the result. Pins the verified OHTTP key config and audience on
// `client`. kVerificationFailed when the node is not trusted (the message
// says why and what to do), kUnavailable when it cannot be reached.
Result<TrustedNode> establish_trust(api::NodeClient& client, const std::string& node_url, const TrustOptions& options,
                                    const std::filesystem::path& cache_file, std::int64_t now_unix);

// A policy file ([tdx]/[snp]/[nitro]); none = the defaults.
Result<attest::AttestationPolicy> load_policy(const std::string& file);

// The collateral a TDX quote needs (its FMSPC, its PCK CA) from a PCS/PCCS.
Result<attest::FetchedTdxCollateral> fetch_for_quote(ByteView quote, const std::string& base_url,
                                                     const std::string& root_crl_url);

// How long a cached verification is reused without re-verifying (revocation
// and TCB updates are seen at least this often).
inline constexpr std::int64_t kTrustCacheSeconds = 3600;

}  // namespace t3n::cli
