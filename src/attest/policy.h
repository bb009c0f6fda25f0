// Attestation policy: what a verified quote must also satisfy before anyone
// trusts the keys it vouches for — allowed measurements, the lowest
// acceptable TCB status, no debug TDs, evidence age, and the report-data
// binding of the node's public keys.
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/tdx_verify.h"
#include "common/bytes.h"
#include "common/json.h"
#include "common/config.h"
#include "common/status.h"

namespace t3n::attest {

using ReportData = std::array<std::uint8_t, 64>;

// REPORTDATA a node puts in its quote: SHA-512("t3n-attestation-v1" ‖
// Ed25519 public key (32 B) ‖ ML-DSA-65 public key (1952 B) ‖ the encoded
// OHTTP key configs). Both keys are fixed-length, so the concatenation is
// unambiguous; a verified quote with this value vouches for exactly the keys
// a client signs against and encrypts to.
ReportData node_key_binding(ByteView ed25519_public_key, ByteView mldsa65_public_key, ByteView ohttp_key_configs);

// The T3N SDK's attestation message (its `dkg_attestation.attestation_msg`):
// the ML-KEM-768 session key (1184 B) ‖ the sorted peer ids (UTF-8, as
// written), to which the node appends its node_key_binding (64 B) so that one
// REPORTDATA vouches for every key: REPORTDATA = Keccak-512(message). The SDK
// checks the prefix and the Keccak; `t3n attest verify-node` checks the whole.
Bytes node_attestation_message(ByteView mlkem768_encaps_key, const std::vector<std::string>& sorted_peer_ids,
                               const ReportData& key_binding);
ReportData report_data_of_message(ByteView attestation_message);

// A libp2p peer id (base58btc of the identity multihash of the protobuf
// Ed25519 public key: "12D3KooW…"), the form the SDK's peer_ids take.
std::string libp2p_peer_id(ByteView ed25519_public_key);

struct TdxPolicy {
  // Allowed values (lowercase hex, 96 digits); an empty list allows any value.
  std::vector<std::string> mrtd;
  std::array<std::vector<std::string>, 4> rtmr;
  std::vector<std::string> mrconfigid;
  // Lowest acceptable status in the order UpToDate, SWHardeningNeeded,
  // ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate,
  // OutOfDateConfigurationNeeded. Revoked and TcbNotSupported never pass.
  std::string minimum_tcb_status = "SWHardeningNeeded";
  bool allow_debug = false;
  // Applies when the evidence time is known (a TDX quote carries none; the
  // fetch time or a signed timestamp supplies it).
  std::int64_t max_evidence_age_seconds = 24 * 3600;
  std::optional<ReportData> report_data;  // expected REPORTDATA, if bound
};

// From TOML:
//   [tdx]
//   mrtd = ["…"]            rtmr0 … rtmr3 = ["…"]     mrconfigid = ["…"]
//   minimum_tcb_status = "UpToDate"    allow_debug = false
//   max_evidence_age_seconds = 86400   report_data = "…128 hex digits…"
// Unknown keys, malformed hex and unknown statuses are errors.
Result<TdxPolicy> tdx_policy_from_toml(std::string_view text, std::string source_name = "<policy>");

// Policy keys every provider's table has, read the same way: the maximum
// evidence age (1 s … one year) and the expected report data (128 hex digits).
Result<std::int64_t> policy_evidence_age(const common::ConfigTable& config, const std::string& key, std::int64_t fallback);
Result<std::optional<ReportData>> policy_report_data(const common::ConfigTable& config, const std::string& key);

inline constexpr std::array<std::string_view, 10> kTdxPolicyKeys = {
    "tdx.mrtd", "tdx.rtmr0", "tdx.rtmr1", "tdx.rtmr2", "tdx.rtmr3", "tdx.mrconfigid",
    "tdx.minimum_tcb_status", "tdx.allow_debug", "tdx.max_evidence_age_seconds", "tdx.report_data"};
// Reads only the tdx.* keys (a policy file may also hold [snp] and [nitro]).
Result<TdxPolicy> tdx_policy_from_config(const common::ConfigTable& config);

struct PolicyOutcome {
  bool accepted = false;
  bool measurements_valid = false;        // MRTD, RTMRs, MRCONFIGID all allowed
  std::optional<bool> report_data_bound;  // nullopt: the policy binds nothing
  std::optional<std::int64_t> evidence_age_seconds;  // nullopt: unknown
  std::vector<std::string> violations;    // one sentence per failed rule
};

// `evidence_time` is when the evidence was produced, if known; `now` = 0 → now.
PolicyOutcome apply_tdx_policy(const TdxVerification& verification, const TdxPolicy& policy,
                               std::optional<std::time_t> evidence_time = std::nullopt, std::time_t now = 0);

// A provider's verification report with a policy outcome folded in: `valid`
// becomes hardware_verified ∧ accepted (the policy decides, debug guests
// included), `measurements_valid` is filled and `policy` lists the violations.
// For a failed verification (no hardware_verified) the report is unchanged.
common::Json with_policy_outcome(common::Json report, const PolicyOutcome& outcome);

// tdx_verification_to_json plus the policy outcome: `valid` becomes
// verification ∧ policy, `measurements_valid` is filled and `policy`
// lists the violations.
common::Json tdx_verification_to_json(const Result<TdxVerification>& v, const PolicyOutcome& outcome);

}  // namespace t3n::attest
