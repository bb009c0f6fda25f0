#include "attest/nitro_policy.h"

#include <algorithm>

#include "common/encoding.h"

namespace t3n::attest {
namespace {

constexpr unsigned kPolicyPcrCount = 16;

Result<std::vector<std::string>> pcr_list(const common::ConfigTable& t, const std::string& key) {
  T3N_ASSIGN_OR_RETURN(auto values, t.get_string_list(key));
  for (auto& v : values) {
    auto bytes = common::hex_decode(v);
    if (!bytes.ok() || (bytes->size() != 32 && bytes->size() != 48 && bytes->size() != 64))
      return common::invalid_argument(key + ": '" + v + "' is not 32, 48 or 64 bytes of hex");
    v = common::hex_encode(*bytes);  // canonical lower case, as PCRs are compared
  }
  return values;
}

Result<std::optional<Bytes>> expected_bytes(const common::ConfigTable& t, const std::string& key) {
  if (!t.contains(key)) return std::optional<Bytes>{};
  T3N_ASSIGN_OR_RETURN(auto hex, t.get_string(key));
  auto bytes = common::hex_decode(hex);
  if (!bytes.ok() || bytes->size() > kNitroMaxUserDataBytes)
    return common::invalid_argument(key + " must be hex of at most " + std::to_string(kNitroMaxUserDataBytes) +
                                    " bytes");
  return std::optional<Bytes>(std::move(*bytes));
}

}  // namespace

Result<NitroPolicy> nitro_policy_from_config(const common::ConfigTable& t) {
  NitroPolicy p;
  for (unsigned i = 0; i < kPolicyPcrCount; ++i) {
    const std::string key = "nitro.pcr" + std::to_string(i);
    if (!t.contains(key)) continue;
    T3N_ASSIGN_OR_RETURN(p.pcrs[i], pcr_list(t, key));
  }
  T3N_ASSIGN_OR_RETURN(p.allow_debug, t.get_bool_or("nitro.allow_debug", false));
  T3N_ASSIGN_OR_RETURN(p.max_evidence_age_seconds,
                       policy_evidence_age(t, "nitro.max_evidence_age_seconds", p.max_evidence_age_seconds));
  T3N_ASSIGN_OR_RETURN(p.user_data, expected_bytes(t, "nitro.user_data"));
  T3N_ASSIGN_OR_RETURN(p.nonce, expected_bytes(t, "nitro.nonce"));
  T3N_ASSIGN_OR_RETURN(p.public_key, expected_bytes(t, "nitro.public_key"));
  T3N_ASSIGN_OR_RETURN(p.report_data, policy_report_data(t, "nitro.report_data"));
  return p;
}

Result<NitroPolicy> nitro_policy_from_toml(std::string_view text, std::string source_name) {
  T3N_ASSIGN_OR_RETURN(auto t, common::ConfigTable::parse_string(text, std::move(source_name)));
  T3N_RETURN_IF_ERROR(
      t.reject_unknown_keys(std::vector<std::string_view>(kNitroPolicyKeys.begin(), kNitroPolicyKeys.end())));
  return nitro_policy_from_config(t);
}

PolicyOutcome apply_nitro_policy(const NitroVerification& v, const NitroPolicy& policy, std::time_t now) {
  PolicyOutcome out;
  const auto& d = v.document;
  out.measurements_valid = true;
  for (const auto& [index, allowed] : policy.pcrs) {
    if (allowed.empty()) continue;
    auto it = d.pcrs.find(index);
    const std::string name = "PCR" + std::to_string(index);
    if (it == d.pcrs.end()) {
      out.measurements_valid = false;
      out.violations.push_back(name + " is not in the document");
    } else if (std::find(allowed.begin(), allowed.end(), common::hex_encode(it->second)) == allowed.end()) {
      out.measurements_valid = false;
      out.violations.push_back(name + " " + common::hex_encode(it->second) + " is not an allowed value");
    }
  }
  if (d.debug() && !policy.allow_debug)
    out.violations.push_back("the enclave runs in debug mode (PCR0, PCR1 and PCR2 are zero; its memory is readable)");

  // The document carries its signed creation time, so its age is always known.
  const std::time_t t_now = now != 0 ? now : std::time(nullptr);
  out.evidence_age_seconds = static_cast<std::int64_t>(t_now) - static_cast<std::int64_t>(d.timestamp_ms / 1000);
  if (*out.evidence_age_seconds > policy.max_evidence_age_seconds)
    out.violations.push_back("the evidence is " + std::to_string(*out.evidence_age_seconds) + " s old (at most " +
                             std::to_string(policy.max_evidence_age_seconds) + " s allowed)");
  else if (*out.evidence_age_seconds < -300)
    out.violations.push_back("the evidence is dated in the future");

  auto bind = [&](const char* name, const std::optional<Bytes>& expected, const std::optional<Bytes>& actual) {
    if (!expected) return;
    const bool ok = actual.has_value() && *actual == *expected;
    out.report_data_bound = out.report_data_bound.value_or(true) && ok;
    if (!ok) out.violations.push_back(std::string(name) + " does not match the expected value");
  };
  bind("user_data", policy.user_data, d.user_data);
  bind("nonce", policy.nonce, d.nonce);
  bind("public_key", policy.public_key, d.public_key);
  if (policy.report_data) {
    const Bytes expected(policy.report_data->begin(), policy.report_data->end());
    const bool ok = d.user_data.has_value() && *d.user_data == expected;
    out.report_data_bound = out.report_data_bound.value_or(true) && ok;
    if (!ok) out.violations.push_back("user_data does not bind the expected keys");
  }
  out.accepted = out.violations.empty();
  return out;
}

common::Json nitro_verification_to_json(const Result<NitroVerification>& v, const PolicyOutcome& outcome) {
  return with_policy_outcome(nitro_verification_to_json(v), outcome);
}

}  // namespace t3n::attest
