#include "system/system_contract.h"

#include "common/encoding.h"
#include "crypto/hash.h"

namespace t3n::system {

std::vector<SystemContract> system_contracts() {
  std::vector<SystemContract> out;
  out.push_back(tenant_contract());
  out.push_back(user_contract());
  out.push_back(agent_registry_contract());
  out.push_back(organisation_contract());
  out.push_back(org_data_contract());
  out.push_back(delegation_contract());
  return out;
}

Status register_system_contracts(store::Store& store, const registry::ContractRegistry& registry,
                                 const std::vector<SystemContract>& contracts) {
  auto tx = store.begin(store::Principal::system());
  for (const auto& c : contracts) {
    // The code hash names this binary's implementation: name, version and functions.
    std::string descriptor = c.name + "@" + c.version + "@" T3N_VERSION;
    for (const auto& [f, _] : c.functions) descriptor += "\n" + f;
    const std::string hash = common::hex_encode(crypto::sha256(common::as_bytes(descriptor)));
    T3N_RETURN_IF_ERROR(registry.record_native(tx, c.name, c.version, hash).status());
  }
  if (tx.has_writes()) T3N_RETURN_IF_ERROR(store.commit(tx).status());
  return {};
}

}  // namespace t3n::system
