#include "attest/policy.h"

#include <algorithm>

#include "common/config.h"
#include "common/encoding.h"
#include "crypto/hash.h"

namespace t3n::attest {
namespace {

// A minimum can name any status up to OutOfDateConfigurationNeeded; Revoked
// and TcbNotSupported rank above every minimum, so they never pass.
constexpr int kLowestAcceptableSeverity = 5;

Result<std::vector<std::string>> measurement_list(const common::ConfigTable& t, const std::string& key) {
  if (!t.contains(key)) return std::vector<std::string>{};
  T3N_ASSIGN_OR_RETURN(auto values, t.get_string_list(key));
  for (auto& v : values) {
    auto bytes = common::hex_decode(v);
    if (!bytes.ok() || bytes->size() != 48)
      return common::invalid_argument(key + ": '" + v + "' is not 48 bytes of hex (96 digits)");
    v = common::hex_encode(*bytes);  // canonical lower case, as measurements are compared
  }
  return values;
}

bool allowed(const std::vector<std::string>& list, const Hash48& value) {
  if (list.empty()) return true;
  const std::string hex = common::hex_encode(value);
  return std::find(list.begin(), list.end(), hex) != list.end();
}

}  // namespace

ReportData node_key_binding(ByteView ed25519_public_key, ByteView mldsa65_public_key, ByteView ohttp_key_configs) {
  Bytes bound = common::to_bytes("t3n-attestation-v1");
  common::append(bound, ed25519_public_key);
  common::append(bound, mldsa65_public_key);
  common::append(bound, ohttp_key_configs);
  const auto digest = crypto::sha512(bound);
  ReportData out{};
  std::copy(digest.begin(), digest.end(), out.begin());
  return out;
}

Bytes node_attestation_message(ByteView mlkem768_encaps_key, const std::vector<std::string>& sorted_peer_ids,
                               const ReportData& key_binding) {
  Bytes msg(mlkem768_encaps_key.begin(), mlkem768_encaps_key.end());
  for (const auto& id : sorted_peer_ids) common::append(msg, common::as_bytes(id));
  common::append(msg, key_binding);
  return msg;
}

ReportData report_data_of_message(ByteView attestation_message) {
  const auto digest = crypto::keccak512(attestation_message);
  ReportData out{};
  std::copy(digest.begin(), digest.end(), out.begin());
  return out;
}

std::string libp2p_peer_id(ByteView ed25519_public_key) {
  // multihash(identity, 36) of protobuf PublicKey{Type: Ed25519, Data: key}.
  Bytes mh = {0x00, 0x24, 0x08, 0x01, 0x12, 0x20};
  common::append(mh, ed25519_public_key);
  return common::base58btc_encode(mh);
}

Result<std::int64_t> policy_evidence_age(const common::ConfigTable& t, const std::string& key, std::int64_t fallback) {
  T3N_ASSIGN_OR_RETURN(auto age, t.get_uint_or(key, static_cast<std::uint64_t>(fallback)));
  if (age == 0 || age > 366ull * 24 * 3600) return common::invalid_argument(key + " must be between 1 and one year");
  return static_cast<std::int64_t>(age);
}

Result<std::optional<ReportData>> policy_report_data(const common::ConfigTable& t, const std::string& key) {
  if (!t.contains(key)) return std::optional<ReportData>();
  T3N_ASSIGN_OR_RETURN(auto hex, t.get_string(key));
  auto bytes = common::hex_decode(hex);
  if (!bytes.ok() || bytes->size() != 64) return common::invalid_argument(key + " must be 64 bytes of hex (128 digits)");
  ReportData rd{};
  std::copy(bytes->begin(), bytes->end(), rd.begin());
  return std::optional<ReportData>(rd);
}

Result<TdxPolicy> tdx_policy_from_toml(std::string_view text, std::string source_name) {
  T3N_ASSIGN_OR_RETURN(auto t, common::ConfigTable::parse_string(text, std::move(source_name)));
  T3N_RETURN_IF_ERROR(t.reject_unknown_keys({kTdxPolicyKeys.begin(), kTdxPolicyKeys.end()}));
  return tdx_policy_from_config(t);
}

Result<TdxPolicy> tdx_policy_from_config(const common::ConfigTable& t) {
  TdxPolicy p;
  T3N_ASSIGN_OR_RETURN(p.mrtd, measurement_list(t, "tdx.mrtd"));
  for (std::size_t i = 0; i < 4; ++i) {
    T3N_ASSIGN_OR_RETURN(p.rtmr[i], measurement_list(t, "tdx.rtmr" + std::to_string(i)));
  }
  T3N_ASSIGN_OR_RETURN(p.mrconfigid, measurement_list(t, "tdx.mrconfigid"));
  T3N_ASSIGN_OR_RETURN(p.minimum_tcb_status, t.get_string_or("tdx.minimum_tcb_status", p.minimum_tcb_status));
  if (tcb_status_severity(p.minimum_tcb_status) > kLowestAcceptableSeverity)
    return common::invalid_argument("tdx.minimum_tcb_status: '" + p.minimum_tcb_status +
                                    "' is not one of UpToDate, SWHardeningNeeded, ConfigurationNeeded, "
                                    "ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded");
  T3N_ASSIGN_OR_RETURN(p.allow_debug, t.get_bool_or("tdx.allow_debug", false));
  T3N_ASSIGN_OR_RETURN(p.max_evidence_age_seconds,
                       policy_evidence_age(t, "tdx.max_evidence_age_seconds", p.max_evidence_age_seconds));
  T3N_ASSIGN_OR_RETURN(p.report_data, policy_report_data(t, "tdx.report_data"));
  return p;
}

PolicyOutcome apply_tdx_policy(const TdxVerification& v, const TdxPolicy& policy, std::optional<std::time_t> evidence_time,
                               std::time_t now) {
  PolicyOutcome out;
  const auto& r = v.quote.report;
  out.measurements_valid = true;
  auto measure = [&](const char* name, const std::vector<std::string>& list, const Hash48& value) {
    if (allowed(list, value)) return;
    out.measurements_valid = false;
    out.violations.push_back(std::string(name) + " " + common::hex_encode(value) + " is not an allowed value");
  };
  measure("MRTD", policy.mrtd, r.mr_td);
  for (std::size_t i = 0; i < 4; ++i) measure(("RTMR" + std::to_string(i)).c_str(), policy.rtmr[i], r.rtmr[i]);
  measure("MRCONFIGID", policy.mrconfigid, r.mr_config_id);

  const int want = tcb_status_severity(policy.minimum_tcb_status);  // an unknown minimum admits nothing
  if (want > kLowestAcceptableSeverity || tcb_status_severity(v.status) > want)
    out.violations.push_back("TCB status " + v.status + " is below the minimum " + policy.minimum_tcb_status);
  if (r.debug() && !policy.allow_debug) out.violations.push_back("the TD runs in debug mode (its memory is readable by the host)");

  if (evidence_time) {
    const std::time_t t_now = now != 0 ? now : std::time(nullptr);
    out.evidence_age_seconds = static_cast<std::int64_t>(t_now - *evidence_time);
    if (*out.evidence_age_seconds > policy.max_evidence_age_seconds)
      out.violations.push_back("the evidence is " + std::to_string(*out.evidence_age_seconds) + " s old (at most " +
                               std::to_string(policy.max_evidence_age_seconds) + " s allowed)");
    else if (*out.evidence_age_seconds < -300)
      out.violations.push_back("the evidence is dated in the future");
  }
  if (policy.report_data) {
    out.report_data_bound = std::equal(policy.report_data->begin(), policy.report_data->end(), r.report_data.begin());
    if (!*out.report_data_bound)
      out.violations.push_back("REPORTDATA does not bind the expected keys");
  }
  out.accepted = out.violations.empty();
  return out;
}

common::Json with_policy_outcome(common::Json j, const PolicyOutcome& outcome) {
  if (!j.value("hardware_verified", false)) return j;
  // With a policy, the policy decides (including about debug guests it allows).
  j["valid"] = outcome.accepted;
  j["measurements_valid"] = outcome.measurements_valid;
  j["policy"] = {{"accepted", outcome.accepted}, {"violations", outcome.violations}};
  j["policy"]["report_data_bound"] = outcome.report_data_bound ? common::Json(*outcome.report_data_bound) : common::Json(nullptr);
  j["policy"]["evidence_age_seconds"] =
      outcome.evidence_age_seconds ? common::Json(*outcome.evidence_age_seconds) : common::Json(nullptr);
  return j;
}

common::Json tdx_verification_to_json(const Result<TdxVerification>& v, const PolicyOutcome& outcome) {
  return with_policy_outcome(tdx_verification_to_json(v), outcome);
}

}  // namespace t3n::attest
