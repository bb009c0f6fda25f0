#include "attest/snp_policy.h"

#include <algorithm>

#include "common/encoding.h"

namespace t3n::attest {
namespace {

// A list of fixed-size hex values, canonicalised to lower case (as compared).
Result<std::vector<std::string>> hex_list(const common::ConfigTable& t, const std::string& key, std::size_t size) {
  if (!t.contains(key)) return std::vector<std::string>{};
  T3N_ASSIGN_OR_RETURN(auto values, t.get_string_list(key));
  for (auto& v : values) {
    auto bytes = common::hex_decode(v);
    if (!bytes.ok() || bytes->size() != size)
      return common::invalid_argument(key + ": '" + v + "' is not " + std::to_string(size) + " bytes of hex (" +
                                      std::to_string(2 * size) + " digits)");
    v = common::hex_encode(*bytes);
  }
  return values;
}

Result<std::uint64_t> bounded_uint(const common::ConfigTable& t, const std::string& key, std::uint64_t fallback,
                                   std::uint64_t max) {
  T3N_ASSIGN_OR_RETURN(std::uint64_t v, t.get_uint_or(key, fallback));
  if (v > max) return common::invalid_argument(key + " must be at most " + std::to_string(max));
  return v;
}

bool allowed(const std::vector<std::string>& list, ByteView value) {
  if (list.empty()) return true;
  return std::find(list.begin(), list.end(), common::hex_encode(value)) != list.end();
}

bool all_bytes(ByteView v, std::uint8_t b) {
  return std::all_of(v.begin(), v.end(), [b](std::uint8_t x) { return x == b; });
}

}  // namespace

Result<SnpPolicy> snp_policy_from_config(const common::ConfigTable& t) {
  SnpPolicy p;
  T3N_ASSIGN_OR_RETURN(p.measurement, hex_list(t, "snp.measurement", 48));
  T3N_ASSIGN_OR_RETURN(p.host_data, hex_list(t, "snp.host_data", 32));
  const auto leaves = t.leaf_keys();
  if (std::find(leaves.begin(), leaves.end(), "snp.minimum_tcb") != leaves.end())
    return common::invalid_argument("snp.minimum_tcb must be a table { bootloader, tee, snp, microcode, fmc }");
  for (auto [field, name] : {std::pair{&p.minimum_tcb.bootloader, "bootloader"}, std::pair{&p.minimum_tcb.tee, "tee"},
                             std::pair{&p.minimum_tcb.snp, "snp"}, std::pair{&p.minimum_tcb.microcode, "microcode"},
                             std::pair{&p.minimum_tcb.fmc, "fmc"}}) {
    T3N_ASSIGN_OR_RETURN(auto v, bounded_uint(t, std::string("snp.minimum_tcb.") + name, 0, 255));
    *field = static_cast<std::uint8_t>(v);
  }
  T3N_ASSIGN_OR_RETURN(p.allow_debug, t.get_bool_or("snp.allow_debug", false));
  T3N_ASSIGN_OR_RETURN(p.allow_migration_agent, t.get_bool_or("snp.allow_migration_agent", false));
  T3N_ASSIGN_OR_RETURN(auto svn, bounded_uint(t, "snp.minimum_guest_svn", 0, 0xFFFFFFFFu));
  p.minimum_guest_svn = static_cast<std::uint32_t>(svn);
  T3N_ASSIGN_OR_RETURN(auto vmpl, bounded_uint(t, "snp.maximum_vmpl", p.maximum_vmpl, 3));
  p.maximum_vmpl = static_cast<std::uint32_t>(vmpl);
  T3N_ASSIGN_OR_RETURN(p.max_evidence_age_seconds,
                       policy_evidence_age(t, "snp.max_evidence_age_seconds", p.max_evidence_age_seconds));
  T3N_ASSIGN_OR_RETURN(p.report_data, policy_report_data(t, "snp.report_data"));
  return p;
}

Result<SnpPolicy> snp_policy_from_toml(std::string_view text, std::string source_name) {
  T3N_ASSIGN_OR_RETURN(auto t, common::ConfigTable::parse_string(text, std::move(source_name)));
  T3N_RETURN_IF_ERROR(t.reject_unknown_keys(std::vector<std::string_view>(kSnpPolicyKeys.begin(), kSnpPolicyKeys.end())));
  return snp_policy_from_config(t);
}

PolicyOutcome apply_snp_policy(const SnpVerification& v, const SnpPolicy& policy, std::optional<std::time_t> evidence_time,
                               std::time_t now) {
  PolicyOutcome out;
  const SnpReport& r = v.report;
  out.measurements_valid = true;
  auto measure = [&](const char* name, const std::vector<std::string>& list, ByteView value) {
    if (allowed(list, value)) return;
    out.measurements_valid = false;
    out.violations.push_back(std::string(name) + " " + common::hex_encode(value) + " is not an allowed value");
  };
  measure("MEASUREMENT", policy.measurement, r.measurement);
  measure("HOST_DATA", policy.host_data, r.host_data);

  const auto& tcb = r.reported_tcb;
  const auto& min = policy.minimum_tcb;
  auto at_least = [&](const char* name, unsigned have, unsigned want) {
    if (have < want)
      out.violations.push_back("reported TCB " + std::string(name) + " SPL " + std::to_string(have) +
                               " is below the minimum " + std::to_string(want));
  };
  at_least("bootloader", tcb.bootloader, min.bootloader);
  at_least("TEE", tcb.tee, min.tee);
  at_least("SNP", tcb.snp, min.snp);
  at_least("microcode", tcb.microcode, min.microcode);
  if (tcb.fmc) at_least("FMC", *tcb.fmc, min.fmc);

  if (r.debug_allowed() && !policy.allow_debug)
    out.violations.push_back("the guest policy allows debugging (the host can read guest memory)");
  // REPORT_ID_MA is all 0xFF when no migration agent is bound; firmware older than the field leaves it zero.
  const bool agent_bound = !all_bytes(r.report_id_ma, 0xFF) && !all_bytes(r.report_id_ma, 0x00);
  if ((r.migration_agent_allowed() || agent_bound) && !policy.allow_migration_agent)
    out.violations.push_back("the guest may be (or is) associated with a migration agent");
  if (r.guest_svn < policy.minimum_guest_svn)
    out.violations.push_back("guest SVN " + std::to_string(r.guest_svn) + " is below the minimum " +
                             std::to_string(policy.minimum_guest_svn));
  if (r.vmpl > policy.maximum_vmpl)
    out.violations.push_back("the report was requested at VMPL " + std::to_string(r.vmpl) + " (at most " +
                             std::to_string(policy.maximum_vmpl) + " allowed)");

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
    if (!*out.report_data_bound) out.violations.push_back("REPORT_DATA does not bind the expected keys");
  }
  out.accepted = out.violations.empty();
  return out;
}

common::Json snp_verification_to_json(const Result<SnpVerification>& v, const PolicyOutcome& outcome) {
  return with_policy_outcome(snp_verification_to_json(v), outcome);
}

}  // namespace t3n::attest
