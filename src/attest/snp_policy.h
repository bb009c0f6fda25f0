// SEV-SNP attestation policy: what a verified report must also satisfy —
// allowed launch measurements and HOST_DATA, a minimum reported TCB, no
// debuggable guests, no migration agent, a minimum guest SVN, the highest
// acceptable VMPL, evidence age, and the REPORT_DATA binding of the node's keys.
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/policy.h"  // PolicyOutcome, ReportData
#include "attest/snp_verify.h"
#include "common/config.h"
#include "common/json.h"
#include "common/status.h"

namespace t3n::attest {

struct SnpMinimumTcb {
  std::uint8_t bootloader = 0;
  std::uint8_t tee = 0;
  std::uint8_t snp = 0;
  std::uint8_t microcode = 0;
  std::uint8_t fmc = 0;  // compared only when the report has an FMC SPL (Turin)
};

struct SnpPolicy {
  // Allowed values (lowercase hex: 96 digits for MEASUREMENT, 64 for HOST_DATA);
  // an empty list allows any value.
  std::vector<std::string> measurement;
  std::vector<std::string> host_data;
  SnpMinimumTcb minimum_tcb;  // each reported SPL must be at least this
  bool allow_debug = false;
  bool allow_migration_agent = false;
  std::uint32_t minimum_guest_svn = 0;
  std::uint32_t maximum_vmpl = 3;  // 0 insists the report came from the most privileged VMPL
  std::int64_t max_evidence_age_seconds = 24 * 3600;
  std::optional<ReportData> report_data;  // expected REPORT_DATA, if bound
};

// From TOML:
//   [snp]
//   measurement = ["…96 hex digits…"]     host_data = ["…64 hex digits…"]
//   minimum_tcb = { bootloader = 2, tee = 0, snp = 5, microcode = 68, fmc = 0 }
//                 (or a [snp.minimum_tcb] table; each key optional, default 0)
//   allow_debug = false    allow_migration_agent = false
//   minimum_guest_svn = 0  maximum_vmpl = 3
//   max_evidence_age_seconds = 86400   report_data = "…128 hex digits…"
inline constexpr std::array<std::string_view, 13> kSnpPolicyKeys = {
    "snp.measurement",          "snp.host_data",           "snp.minimum_tcb.bootloader",
    "snp.minimum_tcb.tee",      "snp.minimum_tcb.snp",     "snp.minimum_tcb.microcode",
    "snp.minimum_tcb.fmc",      "snp.allow_debug",         "snp.allow_migration_agent",
    "snp.minimum_guest_svn",    "snp.maximum_vmpl",        "snp.max_evidence_age_seconds",
    "snp.report_data",
};

// Reads only the snp.* keys (other sections are the caller's); malformed hex,
// out-of-range numbers and wrong types are errors naming the key.
Result<SnpPolicy> snp_policy_from_config(const common::ConfigTable& config);

// Parses a whole policy file holding only [snp]; unknown keys are errors.
Result<SnpPolicy> snp_policy_from_toml(std::string_view text, std::string source_name = "<policy>");

// `evidence_time` is when the evidence was produced, if known; `now` = 0 → now.
PolicyOutcome apply_snp_policy(const SnpVerification& verification, const SnpPolicy& policy,
                               std::optional<std::time_t> evidence_time = std::nullopt, std::time_t now = 0);

// snp_verification_to_json plus the policy outcome: `valid` becomes
// verification ∧ policy (the policy decides about debug guests),
// `measurements_valid` is filled and `policy` lists the violations.
common::Json snp_verification_to_json(const Result<SnpVerification>& v, const PolicyOutcome& outcome);

}  // namespace t3n::attest
