// tee:delegation/contracts — sign {body}: the node signs a delegation
// credential for the caller with their custodial wallet (EIP-191 over the
// credential's JCS bytes); revoke {credential_jcs, revoked_functions?}: the
// credential's user revokes it, whole or per function, at once; status
// {credential_jcs}: whether it is revoked. delegation.h holds the rules.
#include <algorithm>

#include "common/encoding.h"
#include "crypto/secp256k1.h"
#include "identity/did.h"
#include "system/delegation.h"
#include "system/system_contract.h"

namespace t3n::system {
namespace {

using common::Json;

Result<DelegationCredential> credential_of_input(const Json& in) {
  if (!in.is_object() || !in.contains("credential_jcs") || !in["credential_jcs"].is_string())
    return common::invalid_argument("InvalidCredential: 'credential_jcs' (base64url of the JCS bytes) is required");
  auto bytes = common::base64url_decode(in["credential_jcs"].get<std::string>());
  if (!bytes.ok()) return common::invalid_argument("InvalidCredential: 'credential_jcs' must be base64url");
  return parse_credential_jcs(*bytes);
}

Result<Json> sign(const SystemEnv& env, SystemCall& call) {
  T3N_ASSIGN_OR_RETURN(const AccountServices* a, accounts_of(env));
  if (!call.input.is_object() || !call.input.contains("body")) return common::invalid_argument("InvalidInput: 'body' (the credential) is required");
  T3N_ASSIGN_OR_RETURN(DelegationCredential cred, parse_credential_body(call.input["body"]));
  if (cred.user != call.caller)
    return common::permission_denied("NotCredentialHolder: user_did must be the caller (" + identity::t3n_did(call.caller) + ")");
  if (cred.not_after_secs <= call.now_ms / 1000) return common::invalid_argument("InvalidWindow: the credential has already ended");
  T3N_ASSIGN_OR_RETURN(std::uint64_t cap, effective_validity_secs(call.tx, cred.org, env.org_defaults));
  if (cred.not_after_secs - cred.not_before_secs > cap)
    return common::invalid_argument("ValidityTooLong: the window exceeds the organisation's cap of " + std::to_string(cap) + " s");
  T3N_ASSIGN_OR_RETURN(std::string canonical, jcs(call.input["body"]));
  T3N_ASSIGN_OR_RETURN(auto primary, a->wallets.primary(call.tx, call.caller, true, call.now_ms));
  if (!primary) return common::internal_error("the caller has no custodial wallet");
  const auto digest = crypto::eip191_hash(common::as_bytes(canonical));
  T3N_ASSIGN_OR_RETURN(auto sig, a->wallets.sign_digest(call.tx, call.caller, *primary, digest));
  if (!sig) return common::internal_error("the custodial wallet could not sign");
  return Json{{"credential_jcs", common::base64url_encode(common::as_bytes(canonical))},
              {"user_sig", common::base64url_encode(*sig)},
              {"vc_id", cred.vc_id_b64u()},
              {"signer", "0x" + common::hex_encode(*primary)}};
}

Result<Json> revoke(const SystemEnv&, SystemCall& call) {
  T3N_ASSIGN_OR_RETURN(DelegationCredential cred, credential_of_input(call.input));
  if (cred.user != call.caller)
    return common::permission_denied("NotCredentialHolder: only " + identity::t3n_did(cred.user) + " may revoke this credential");
  std::optional<std::vector<std::string>> functions;
  if (auto it = call.input.find("revoked_functions"); it != call.input.end() && !it->is_null()) {
    if (!it->is_array() || it->empty()) return common::invalid_argument("InvalidFunctions: 'revoked_functions' is a non-empty list or absent");
    functions.emplace();
    for (const auto& f : *it) {
      if (!f.is_string()) return common::invalid_argument("InvalidFunctions: names are strings");
      const std::string name = f.get<std::string>();
      if (!functions->empty() && name <= functions->back())
        return common::invalid_argument("UnsortedFunctions: 'revoked_functions' must be sorted and deduped");
      if (!std::binary_search(cred.functions.begin(), cred.functions.end(), name))
        return common::invalid_argument("UnknownFunction: '" + name.substr(0, 128) + "' is not a function of the credential");
      functions->push_back(name);
    }
  }
  T3N_ASSIGN_OR_RETURN(auto revoked, revoke_credential(call.tx, cred, functions, call.now_ms));
  return Json{{"vc_id", cred.vc_id_b64u()}, {"revoked_functions", revoked ? Json(*revoked) : Json(nullptr)}};
}

Result<Json> status(const SystemEnv&, SystemCall& call) {
  T3N_ASSIGN_OR_RETURN(DelegationCredential cred, credential_of_input(call.input));
  if (cred.user != call.caller)
    return common::permission_denied("NotCredentialHolder: only " + identity::t3n_did(cred.user) + " may read this credential's state");
  Json per_function = Json::object();
  bool any = false, all = true;
  for (const auto& f : cred.functions) {
    T3N_ASSIGN_OR_RETURN(bool r, is_revoked(call.tx, cred, f));
    per_function[f] = r;
    any = any || r;
    all = all && r;
  }
  const std::uint64_t now = call.now_ms / 1000;
  return Json{{"vc_id", cred.vc_id_b64u()},
              {"revoked", all},
              {"partially_revoked", any && !all},
              {"functions", per_function},
              {"expired", now > cred.not_after_secs},
              {"not_after_secs", cred.not_after_secs}};
}

}  // namespace

SystemContract delegation_contract() {
  SystemContract c{"tee:delegation/contracts", "1.0.0", {}};
  c.functions["sign"] = sign;
  c.functions["revoke"] = revoke;
  c.functions["status"] = status;
  return c;
}

}  // namespace t3n::system
