// System contracts (`tee:<name>/contracts`): native C++ functions that go
// through the same dispatch as tenant contracts — the registry row and its
// version, the caller's records, one transaction, the receipt. Each file of
// this module holds one contract; `system_contracts()` lists them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cas/blob_store.h"
#include "common/bytes.h"
#include "common/json.h"
#include "common/log.h"
#include "common/status.h"
#include "registry/registry.h"
#include "store/store.h"
#include "system/metering.h"
#include "system/kyc.h"
#include "system/organisations.h"

namespace t3n::system {

// Tenancy rules an operator sets ([tenancy] in node.toml).
struct TenancyPolicy {
  // Users may admit themselves as tenants (tenant-claim): dev and test
  // networks. Otherwise only the operator API admits tenants.
  bool self_admit = false;
  std::uint64_t default_log_max_entries = 0;  // a tenant's log ring; 0 = off
  std::uint64_t max_maps = 256;               // per tenant
  std::uint64_t max_contracts = 64;           // per tenant
  // Capabilities beyond HOST-API's tenant tier that tenants may grant
  // their contracts (tenancy.extra_capabilities); the rest stay system-only.
  std::set<std::string, std::less<>> extra_capabilities;
};

struct AccountServices;  // user_accounts.h

// What every system contract may use: the node's components.
struct SystemEnv {
  store::Store& store;
  registry::ContractRegistry& registry;
  Metering& metering;
  TenancyPolicy tenancy;
  common::Logger log;
  const AccountServices* accounts = nullptr;  // tee:user (null: its functions are unavailable)
  OrgPolicyDefaults org_defaults;             // [delegation] validity ceiling
  std::map<std::string, KycProvider> kyc_providers;  // [kyc.providers.<id>]
};

// One call of a system function, inside the dispatch's system transaction.
struct SystemCall {
  store::Transaction& tx;
  Bytes caller;                      // the caller's 20-byte user id (did:t3n)
  std::string caller_authenticator;  // the identity-map key it logged in with ("eth:0x…", …)
  common::Json input;
  std::optional<ByteView> blob;  // the request's multipart blob (public bytes)
  std::uint64_t now_ms = 0;
  // Run once the transaction committed (e.g. a compiled contract joins the cache).
  std::vector<std::function<void()>> after_commit;
  // pii_did: the user whose data a delegable function reads, when another
  // user granted the caller (checked by the dispatch); none = the caller.
  std::optional<Bytes> subject;
};

using SystemFunction = std::function<Result<common::Json>(const SystemEnv&, SystemCall&)>;

// The node's account services, or kUnimplemented on a node without them.
inline Result<const AccountServices*> accounts_of(const SystemEnv& env) {
  if (env.accounts == nullptr) return Status(ErrorCode::kUnimplemented, "accounts are not available on this node");
  return env.accounts;
}

struct SystemContract {
  std::string name;     // "tee:tenant/contracts"
  std::string version;  // what /api/contracts/current answers
  std::map<std::string, SystemFunction> functions;
  // Functions that accept pii_did: run on another user's data under that
  // user's agent-auth grant to the caller for this contract and function.
  std::set<std::string, std::less<>> delegable = {};
};

SystemContract tenant_contract();
SystemContract user_contract();
SystemContract agent_registry_contract();
SystemContract organisation_contract();
SystemContract org_data_contract();
SystemContract delegation_contract();

// Every system contract of this binary.
std::vector<SystemContract> system_contracts();

// Records each system contract's version in the registry (idempotent; at
// node start).
Status register_system_contracts(store::Store& store, const registry::ContractRegistry& registry,
                                 const std::vector<SystemContract>& contracts);

}  // namespace t3n::system
