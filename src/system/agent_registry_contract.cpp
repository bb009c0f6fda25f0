// tee:agent-registry/contracts — the caller registers its agent URI
// (agent-registry-register {agentURI}) and anyone reads one by DID
// (agent-registry-get {did}). The owner's Ethereum address is the caller's
// wallet login, or its custodial primary wallet otherwise.
#include "common/encoding.h"
#include "identity/did.h"
#include "system/agent_registry.h"
#include "system/system_contract.h"
#include "system/user_accounts.h"

namespace t3n::system {
namespace {

using common::Json;

Result<Json> agent_register(const SystemEnv& env, SystemCall& call) {
  if (!call.input.is_object()) return common::invalid_argument("the input must be a JSON object");
  const Json* uri = nullptr;
  for (const char* name : {"agentURI", "agent_uri", "agentUri"})
    if (auto it = call.input.find(name); it != call.input.end()) uri = &*it;
  if (uri == nullptr || !uri->is_string()) return common::invalid_argument("InvalidAgentUri: 'agentURI' is required");
  Bytes owner;
  if (call.caller_authenticator.rfind("eth:0x", 0) == 0) {
    T3N_ASSIGN_OR_RETURN(owner, common::hex_decode_canonical(call.caller_authenticator.substr(6), 20));
  } else {
    if (env.accounts == nullptr) return Status(ErrorCode::kUnimplemented, "accounts are not available on this node");
    T3N_ASSIGN_OR_RETURN(auto primary, env.accounts->wallets.primary(call.tx, call.caller, true, call.now_ms));
    if (!primary) return common::internal_error("no wallet for the owner address");
    owner = *primary;
  }
  T3N_RETURN_IF_ERROR(register_agent(call.tx, call.caller, uri->get<std::string>(), owner, call.now_ms));
  return Json{{"did", identity::t3n_did(call.caller)}, {"agent_uri", uri->get<std::string>()}, {"owner_eth_address", "0x" + common::hex_encode(owner)}};
}

Result<Json> agent_get(const SystemEnv&, SystemCall& call) {
  const Json* did = call.input.is_object() && call.input.contains("did") ? &call.input["did"] : nullptr;
  if (did == nullptr || !did->is_string()) return common::invalid_argument("InvalidDid: 'did' is required");
  T3N_ASSIGN_OR_RETURN(Bytes user, identity::parse_t3n_did(did->get<std::string>()));
  T3N_ASSIGN_OR_RETURN(auto row, agent_of(call.tx, user));
  if (!row) return common::not_found("AgentNotFound: " + did->get<std::string>() + " has no registered agent");
  (*row)["did"] = did->get<std::string>();
  return *row;
}

}  // namespace

SystemContract agent_registry_contract() {
  SystemContract c{"tee:agent-registry/contracts", "1.0.0", {}};
  c.functions["agent-registry-register"] = agent_register;
  c.functions["agent-registry-get"] = agent_get;
  return c;
}

}  // namespace t3n::system
