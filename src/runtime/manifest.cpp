#include "runtime/manifest.h"

#include <algorithm>

namespace t3n::runtime {
namespace {

const std::set<std::string>& known_capabilities() {
  static const std::set<std::string> caps{
      "kv_store",     "logging",       "tenant_context", "http",         "http_with_placeholders",
      "clock",        "state",         "token",          "signing",      "outbox",
      "vp",           "user_profile",  "did_registry",   "agent_auth",   "profile_ref",
      "authorisation", "contracts_call", "user_removal", "agent_registry", "provider_config",
      "otp",          "audit",         "analytics",      "consensus_trigger", "stash",
      "config",       "node_config",   "time",           "wasi_clocks",  "wasi_random"};
  return caps;
}

Result<std::vector<std::string>> string_list(const common::Json& j, const std::string& field) {
  std::vector<std::string> out;
  if (!j.contains(field)) return out;
  const auto& v = j[field];
  if (!v.is_array()) return common::invalid_argument("manifest field '" + field + "': expected an array of strings");
  for (const auto& s : v) {
    if (!s.is_string()) return common::invalid_argument("manifest field '" + field + "': expected an array of strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

Result<bool> boolean(const common::Json& j, const std::string& field) {
  if (!j.contains(field)) return false;
  if (!j[field].is_boolean()) return common::invalid_argument("manifest field '" + field + "': expected a boolean");
  return j[field].get<bool>();
}

}  // namespace

bool is_tenant_tier_capability(std::string_view capability) {
  // HOST-API's list — without did-registry, which we keep system-only (a
  // tenant contract binding any e-mail to its caller could take over that
  // address's logins) — plus t3n:host's own interfaces that reach nothing
  // outside the tenant (config, node-config, time; stash is default-deny by
  // its manifest flag) and the WASI clocks and randomness.
  static const std::set<std::string, std::less<>> tier{
      "kv_store", "tenant_context", "logging", "http",  "http_with_placeholders", "clock", "state",      "token",
      "signing",  "outbox",         "vp",      "user_profile", "agent_auth", "profile_ref",
      "config",   "node_config",    "time",    "stash", "wasi_clocks",   "wasi_random"};
  return tier.count(capability) != 0;
}

std::string capability_of_interface(std::string_view name) {
  // "<ns>:<pkg>/<iface>@<ver>" → "<iface>" with '-' → '_'.
  auto slash = name.find('/');
  auto at = name.find('@');
  std::string iface(name.substr(slash == std::string_view::npos ? 0 : slash + 1,
                                (at == std::string_view::npos ? name.size() : at) -
                                    (slash == std::string_view::npos ? 0 : slash + 1)));
  std::replace(iface.begin(), iface.end(), '-', '_');
  return iface;
}

Result<Manifest> parse_manifest(const common::Json& j, const LimitCeilings& ceilings) {
  if (!j.is_object()) return common::invalid_argument("manifest: expected a JSON object");
  static const std::set<std::string> kKeys{"host_capabilities", "http_allow_list", "placeholder_allowlist",
                                           "sign_as_user",      "contracts_call",  "stash",
                                           "provider_config",   "outbox_hosts",    "limits"};
  for (const auto& [k, v] : j.items())
    if (kKeys.count(k) == 0) return common::invalid_argument("manifest: unknown field '" + k + "'");
  Manifest m;
  T3N_ASSIGN_OR_RETURN(auto caps, string_list(j, "host_capabilities"));
  for (const auto& c : caps) {
    if (known_capabilities().count(c) == 0)
      return common::invalid_argument("manifest: unknown host capability '" + c + "'");
    if (c == "wasi_clocks") m.wasi_clocks = true;
    else if (c == "wasi_random") m.wasi_random = true;
    else m.host_capabilities.insert(c);
  }
  T3N_ASSIGN_OR_RETURN(m.http_allow_list, string_list(j, "http_allow_list"));
  T3N_ASSIGN_OR_RETURN(m.placeholder_allowlist, string_list(j, "placeholder_allowlist"));
  T3N_ASSIGN_OR_RETURN(m.provider_config, string_list(j, "provider_config"));
  T3N_ASSIGN_OR_RETURN(m.outbox_hosts, string_list(j, "outbox_hosts"));
  T3N_ASSIGN_OR_RETURN(m.sign_as_user, boolean(j, "sign_as_user"));
  T3N_ASSIGN_OR_RETURN(m.stash, boolean(j, "stash"));
  if (j.contains("contracts_call")) {
    if (!j["contracts_call"].is_array()) return common::invalid_argument("manifest field 'contracts_call': expected an array");
    for (const auto& g : j["contracts_call"]) {
      ContractCallGrant grant;
      T3N_ASSIGN_OR_RETURN(grant.target, common::json_string(g, "target"));
      T3N_ASSIGN_OR_RETURN(grant.allowed_functions, string_list(g, "allowed_functions"));
      if (g.contains("max_depth")) {
        T3N_ASSIGN_OR_RETURN(std::uint64_t d, common::json_u64(g, "max_depth"));
        if (d == 0 || d > 16) return common::invalid_argument("manifest field 'contracts_call.max_depth': 1..16");
        grant.max_depth = static_cast<std::uint32_t>(d);
      }
      m.contracts_call.push_back(std::move(grant));
    }
  }
  if (j.contains("limits")) {
    const auto& l = j["limits"];
    if (!l.is_object()) return common::invalid_argument("manifest field 'limits': expected an object");
    for (const auto& [k, v] : l.items()) {
      std::uint64_t* slot = k == "fuel" ? &m.limits.fuel
                            : k == "memory_mib" ? &m.limits.memory_mib
                            : k == "timeout_ms" ? &m.limits.timeout_ms
                                                : nullptr;
      if (slot == nullptr) return common::invalid_argument("manifest: unknown field 'limits." + k + "'");
      if (!v.is_number_unsigned() || v.get<std::uint64_t>() == 0)
        return common::invalid_argument("manifest field 'limits." + k + "': expected a positive integer");
      *slot = v.get<std::uint64_t>();
    }
    if (m.limits.fuel > ceilings.fuel)
      return common::invalid_argument("manifest field 'limits.fuel': above the node's ceiling of " + std::to_string(ceilings.fuel));
    if (m.limits.memory_mib > ceilings.memory_mib)
      return common::invalid_argument("manifest field 'limits.memory_mib': above the node's ceiling of " + std::to_string(ceilings.memory_mib));
    if (m.limits.timeout_ms > ceilings.timeout_ms)
      return common::invalid_argument("manifest field 'limits.timeout_ms': above the node's ceiling of " + std::to_string(ceilings.timeout_ms));
  }
  return m;
}

common::Json manifest_to_json(const Manifest& m) {
  common::Json caps = common::Json::array();
  for (const auto& c : m.host_capabilities) caps.push_back(c);
  if (m.wasi_clocks) caps.push_back("wasi_clocks");
  if (m.wasi_random) caps.push_back("wasi_random");
  common::Json calls = common::Json::array();
  for (const auto& g : m.contracts_call)
    calls.push_back({{"target", g.target}, {"allowed_functions", g.allowed_functions}, {"max_depth", g.max_depth}});
  return {{"host_capabilities", caps},
          {"http_allow_list", m.http_allow_list},
          {"placeholder_allowlist", m.placeholder_allowlist},
          {"sign_as_user", m.sign_as_user},
          {"contracts_call", calls},
          {"stash", m.stash},
          {"provider_config", m.provider_config},
          {"outbox_hosts", m.outbox_hosts},
          {"limits", {{"fuel", m.limits.fuel}, {"memory_mib", m.limits.memory_mib}, {"timeout_ms", m.limits.timeout_ms}}}};
}

}  // namespace t3n::runtime
