// Delegation grants (HOST-API.md agent-auth): a user lets an agent run given
// contracts, version ranges and functions on the user's data.
//   {"agents": [{"agentDid": "did:…", "scripts": [{"scriptName": "…",
//     "versionReq": "^1.2"?, "functions": ["…"]?, "allowedHosts": ["…"]?}]}]}
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "store/table.h"
#include "common/status.h"

namespace t3n::identity {

struct ScriptGrant {
  std::string script_name;
  std::optional<std::string> version_req;   // semver requirement; none = any version
  std::optional<std::vector<std::string>> functions;  // none = every function
  std::optional<std::vector<std::string>> allowed_hosts;
};

struct AgentGrant {
  std::string agent_did;
  std::vector<ScriptGrant> scripts;
};

// Validates the payload (unknown fields, bad version requirements).
Result<std::vector<AgentGrant>> parse_delegations(const common::Json& payload);

// Does a grant let `agent_did` call `script`@`version`#`function`?
// kPermissionDenied naming what is missing otherwise.
Status check_delegation(const std::vector<AgentGrant>& grants, const std::vector<std::string>& agent_dids,
                        const std::string& script, const std::string& version, const std::string& function);

// The delegations a user has granted, as stored: the payload the user sent
// (T3N's shape, kept as is) and its parsed grants.
struct Delegations {
  common::Json payload;
  std::vector<AgentGrant> grants;
};
struct DelegationsCodec {
  using Value = Delegations;
  static Bytes encode(const Delegations& d);
  static Result<Delegations> decode(ByteView b);
};
// user id → the delegations that user granted.
inline constexpr store::TableDef<store::BytesCodec, DelegationsCodec> kDelegationsTable{"auth"};

// Cargo-style semver requirements: "1.2.3", "=1.2.3", "^1.2", "~1.2.3", ">=1.0, <2.0", "*".
Result<bool> version_matches(std::string_view requirement, std::string_view version);

}  // namespace t3n::identity
