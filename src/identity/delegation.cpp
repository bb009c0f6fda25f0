#include "identity/delegation.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace t3n::identity {
namespace {

struct Version {
  std::array<std::uint64_t, 3> v{0, 0, 0};
  int parts = 0;  // how many were given (for ^ and ~)
};

Result<Version> parse_version(std::string_view s) {
  Version out;
  if (s.empty()) return common::invalid_argument("empty version");
  std::size_t pos = 0;
  for (int i = 0; i < 3 && pos <= s.size(); ++i) {
    std::size_t end = s.find('.', pos);
    if (end == std::string_view::npos) end = s.size();
    std::string_view part = s.substr(pos, end - pos);
    std::uint64_t n = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
    if (part.empty() || ec != std::errc() || p != part.data() + part.size())
      return common::invalid_argument("version '" + std::string(s) + "' is not MAJOR[.MINOR[.PATCH]]");
    out.v[static_cast<std::size_t>(i)] = n;
    out.parts = i + 1;
    if (end == s.size()) return out;
    pos = end + 1;
  }
  return common::invalid_argument("version '" + std::string(s) + "' has more than three parts");
}

bool less(const Version& a, const Version& b) { return a.v < b.v; }

Result<bool> one(std::string_view c, const Version& v) {
  while (!c.empty() && c.front() == ' ') c.remove_prefix(1);
  while (!c.empty() && c.back() == ' ') c.remove_suffix(1);
  if (c.empty() || c == "*") return true;
  std::string_view op;
  for (std::string_view o : {">=", "<=", ">", "<", "=", "^", "~"}) {
    if (c.rfind(o, 0) == 0) {
      op = o;
      break;
    }
  }
  T3N_ASSIGN_OR_RETURN(Version r, parse_version(c.substr(op.size())));
  if (op.empty()) op = "^";  // Cargo: a bare version means ^
  if (op == "=") return v.v == r.v;
  if (op == ">=") return !less(v, r);
  if (op == "<=") return !less(r, v);
  if (op == ">") return less(r, v);
  if (op == "<") return less(v, r);
  Version upper = r;
  if (op == "~") {
    // ~1.2.3 := >=1.2.3 <1.3.0 ; ~1 := >=1.0.0 <2.0.0
    if (r.parts >= 2) upper.v = {r.v[0], r.v[1] + 1, 0};
    else upper.v = {r.v[0] + 1, 0, 0};
  } else {
    // ^: the left-most non-zero part may not change.
    if (r.v[0] > 0 || r.parts == 1) upper.v = {r.v[0] + 1, 0, 0};
    else if (r.v[1] > 0 || r.parts == 2) upper.v = {0, r.v[1] + 1, 0};
    else upper.v = {0, 0, r.v[2] + 1};
  }
  return !less(v, r) && less(v, upper);
}

Result<std::optional<std::vector<std::string>>> string_list(const common::Json& j, const char* field) {
  if (!j.contains(field) || j[field].is_null()) return std::optional<std::vector<std::string>>{};
  if (!j[field].is_array()) return common::invalid_argument(std::string("'") + field + "' must be an array of strings");
  std::vector<std::string> out;
  for (const auto& s : j[field]) {
    if (!s.is_string()) return common::invalid_argument(std::string("'") + field + "' must be an array of strings");
    out.push_back(s.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

}  // namespace

Result<bool> version_matches(std::string_view requirement, std::string_view version) {
  T3N_ASSIGN_OR_RETURN(Version v, parse_version(version));
  std::size_t pos = 0;
  while (pos <= requirement.size()) {
    std::size_t end = requirement.find(',', pos);
    if (end == std::string_view::npos) end = requirement.size();
    T3N_ASSIGN_OR_RETURN(bool ok, one(requirement.substr(pos, end - pos), v));
    if (!ok) return false;
    pos = end + 1;
  }
  return true;
}

Result<std::vector<AgentGrant>> parse_delegations(const common::Json& payload) {
  if (!payload.is_object() || !payload.contains("agents") || !payload["agents"].is_array())
    return common::invalid_argument("delegations: expected {\"agents\": [...]}");
  std::vector<AgentGrant> out;
  for (const auto& a : payload["agents"]) {
    AgentGrant g;
    T3N_ASSIGN_OR_RETURN(g.agent_did, common::json_string(a, "agentDid"));
    if (!a.contains("scripts") || !a["scripts"].is_array()) return common::invalid_argument("delegations: 'scripts' must be an array");
    for (const auto& s : a["scripts"]) {
      for (const auto& [k, v] : s.items())
        if (k != "scriptName" && k != "versionReq" && k != "functions" && k != "allowedHosts")
          return common::invalid_argument("delegations: unknown field '" + k + "'");
      ScriptGrant sg;
      T3N_ASSIGN_OR_RETURN(sg.script_name, common::json_string(s, "scriptName"));
      T3N_ASSIGN_OR_RETURN(sg.version_req, common::json_optional_string(s, "versionReq"));
      if (sg.version_req) T3N_RETURN_IF_ERROR(version_matches(*sg.version_req, "0.0.0").status());
      T3N_ASSIGN_OR_RETURN(sg.functions, string_list(s, "functions"));
      T3N_ASSIGN_OR_RETURN(sg.allowed_hosts, string_list(s, "allowedHosts"));
      g.scripts.push_back(std::move(sg));
    }
    out.push_back(std::move(g));
  }
  return out;
}

Status check_delegation(const std::vector<AgentGrant>& grants, const std::vector<std::string>& agent_dids,
                        const std::string& script, const std::string& version, const std::string& function) {
  for (const auto& g : grants) {
    if (std::find(agent_dids.begin(), agent_dids.end(), g.agent_did) == agent_dids.end()) continue;
    for (const auto& s : g.scripts) {
      if (s.script_name != script) continue;
      if (s.version_req) {
        auto m = version_matches(*s.version_req, version);
        if (!m.ok() || !*m) continue;
      }
      if (s.functions && std::find(s.functions->begin(), s.functions->end(), function) == s.functions->end()) continue;
      return {};
    }
  }
  return common::permission_denied("no delegation grant lets this agent call " + script + "@" + version + "#" + function +
                                   " on this user's data");
}

Bytes DelegationsCodec::encode(const Delegations& d) { return common::to_bytes(d.payload.dump()); }

Result<Delegations> DelegationsCodec::decode(ByteView b) {
  T3N_ASSIGN_OR_RETURN(common::Json payload, common::parse_json(common::to_string(b)));
  T3N_ASSIGN_OR_RETURN(auto grants, parse_delegations(payload));
  return Delegations{std::move(payload), std::move(grants)};
}

}  // namespace t3n::identity
