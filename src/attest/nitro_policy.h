// Policy for verified AWS Nitro Enclaves documents: allowed PCR values, no
// debug enclaves, evidence age from the document's own signed timestamp, and
// the binding of user_data / nonce / public_key to what the caller expects.
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/nitro_verify.h"
#include "attest/policy.h"
#include "common/bytes.h"
#include "common/config.h"
#include "common/json.h"
#include "common/status.h"

namespace t3n::attest {

// Every key a [nitro] policy table may hold (dotted, as ConfigTable reports them).
inline constexpr std::array<std::string_view, 22> kNitroPolicyKeys = {
    "nitro.pcr0",       "nitro.pcr1",        "nitro.pcr2",
    "nitro.pcr3",       "nitro.pcr4",        "nitro.pcr5",
    "nitro.pcr6",       "nitro.pcr7",        "nitro.pcr8",
    "nitro.pcr9",       "nitro.pcr10",       "nitro.pcr11",
    "nitro.pcr12",      "nitro.pcr13",       "nitro.pcr14",
    "nitro.pcr15",      "nitro.allow_debug", "nitro.max_evidence_age_seconds",
    "nitro.user_data",  "nitro.nonce",       "nitro.public_key",
    "nitro.report_data"};

struct NitroPolicy {
  // Allowed values per PCR index (lowercase hex of 32, 48 or 64 bytes); an
  // index without a list, or with an empty one, allows any value.
  std::map<unsigned, std::vector<std::string>> pcrs;
  bool allow_debug = false;  // debug enclaves have PCR0, PCR1 and PCR2 all zero
  std::int64_t max_evidence_age_seconds = 24 * 3600;
  // Expected values, compared byte for byte when set.
  std::optional<Bytes> user_data;
  std::optional<Bytes> nonce;
  std::optional<Bytes> public_key;
  // The node's key binding (node_key_binding): user_data must be exactly these 64 bytes.
  std::optional<ReportData> report_data;
};

// From TOML:
//   [nitro]
//   pcr0 … pcr15 = ["…hex…"]      allow_debug = false
//   max_evidence_age_seconds = 86400
//   user_data = "…hex…"   nonce = "…hex…"   public_key = "…hex…"
//   report_data = "…128 hex digits…"
// Reads only nitro.* keys (other tables are the caller's business).
Result<NitroPolicy> nitro_policy_from_config(const common::ConfigTable& table);
// Parses `text` and refuses any key outside kNitroPolicyKeys.
Result<NitroPolicy> nitro_policy_from_toml(std::string_view text, std::string source_name = "<policy>");

// Evidence age is `now` (0 = the current time) minus the document timestamp.
PolicyOutcome apply_nitro_policy(const NitroVerification& verification, const NitroPolicy& policy, std::time_t now = 0);

// nitro_verification_to_json plus the policy outcome, as for TDX.
common::Json nitro_verification_to_json(const Result<NitroVerification>& v, const PolicyOutcome& outcome);

}  // namespace t3n::attest
