// tee:tenant/contracts — tenants, their maps and their contracts'
// lifecycle (SYSTEM-CONTRACTS.md). Every function acts on the caller's own
// tenant (or a `tenant` it manages) and only inside its z:<tid>: namespace.
#include <algorithm>

#include "common/encoding.h"
#include "identity/did.h"
#include "system/contract_logs.h"
#include "runtime/manifest.h"
#include "system/system_contract.h"
#include "system/tenant_maps.h"
#include "system/tenants.h"

namespace t3n::system {

namespace {

using common::Json;

Result<std::optional<std::uint64_t>> optional_u64(const Json& in, const char* field) {
  auto it = in.find(field);
  if (it == in.end() || it->is_null()) return std::optional<std::uint64_t>{};
  if (!it->is_number_unsigned()) return common::invalid_argument(std::string("'") + field + "': expected an unsigned integer");
  return std::optional<std::uint64_t>(it->get<std::uint64_t>());
}

Status require_object(const Json& in) {
  if (!in.is_object()) return common::invalid_argument("input: expected an object");
  return {};
}

// --- tenants ---------------------------------------------------------------

Result<Json> tenant_claim(const SystemEnv& env, SystemCall& call) {
  T3N_RETURN_IF_ERROR(require_object(call.input));
  const std::string own = common::hex_encode(call.caller);
  if (auto it = call.input.find("tenant_did_hex"); it != call.input.end() && !it->is_null()) {
    if (!it->is_string()) return common::invalid_argument("'tenant_did_hex': expected a string");
    T3N_ASSIGN_OR_RETURN(std::string tid, parse_tenant_id(it->get<std::string>()));
    if (tid != own) return common::permission_denied("NotTenantAdmin: you can claim only your own DID's tenant (" + identity::t3n_did(call.caller) + ")");
  }
  T3N_ASSIGN_OR_RETURN(auto existing, kTenantRecords.in(call.tx).get(own));
  if (!existing && !env.tenancy.self_admit)
    return common::permission_denied(
        "AdmissionClosed: this node admits tenants only through its operator (POST /api/admin tenant.admit)");
  T3N_ASSIGN_OR_RETURN(SelfAdmission admission, admit_caller(env, call));
  T3N_ASSIGN_OR_RETURN(auto record, kTenantRecords.in(call.tx).get(own));
  Json out = record->to_json();
  const bool admitted = admission.status == AdmitStatus::kAdmitted;
  out["tenant_status"] = out["status"];
  out["status"] = admitted ? "admitted" : "already-admitted";
  out["granted_credits"] = admitted && env.metering.enabled() ? Json(admission.credits) : Json(nullptr);
  return out;
}

Result<Json> tenant_me(const SystemEnv& env, SystemCall& call) {
  T3N_RETURN_IF_ERROR(require_object(call.input));
  T3N_ASSIGN_OR_RETURN(TenantRecord t, tenant_for_call(call.tx, call.caller, call.input));
  Json out = t.to_json();
  T3N_ASSIGN_OR_RETURN(Bytes account, common::hex_decode_canonical(t.tid, 20));
  T3N_ASSIGN_OR_RETURN(BalanceRow balance, env.metering.balance(call.tx, account));
  out["balance"] = {{"available", balance.available}, {"metering", env.metering.enabled() ? "on" : "off"}};
  return out;
}

// --- contracts -------------------------------------------------------------

// What an uploaded contract may import when its publisher sends no
// manifest (the SDK sends none): the interfaces that reach nothing outside
// the tenant's own namespace. Egress, signing and PII need a manifest.
common::Json default_tenant_manifest() {
  return {{"host_capabilities",
           {"kv_store", "logging", "tenant_context", "clock", "state", "time", "node_config", "config", "token"}}};
}

Result<registry::ContractRow> tenant_contract_row(const SystemEnv& env, SystemCall& call, const TenantRecord& t,
                                                  const std::string& name) {
  T3N_ASSIGN_OR_RETURN(auto row, env.registry.row(call.tx, name));
  if (!row || row->status == registry::ContractStatus::kUnregistered) return common::not_found("ContractNotFound: " + name);
  if (row->tenant != t.tid) return common::permission_denied("NotTenantAdmin: " + name + " belongs to another tenant");
  return *row;
}

Result<Json> contract_register(const SystemEnv& env, SystemCall& call) {
  T3N_RETURN_IF_ERROR(require_object(call.input));
  T3N_ASSIGN_OR_RETURN(TenantRecord t, tenant_for_call(call.tx, call.caller, call.input));
  T3N_ASSIGN_OR_RETURN(std::string raw_name, common::json_string(call.input, "name"));
  T3N_ASSIGN_OR_RETURN(std::string name, canonical_name(t.tid, raw_name));
  T3N_ASSIGN_OR_RETURN(std::string version, common::json_string(call.input, "version"));
  if (!call.blob || call.blob->empty())
    return common::invalid_argument("MissingBlob: contract-register needs the component as the multipart 'blob' part");
  registry::DeployRequest req;
  req.name = name;
  req.version = version;
  req.tenant = t.tid;
  if (auto it = call.input.find("source_hash"); it != call.input.end() && !it->is_null()) {
    if (!it->is_string()) return common::invalid_argument("'source_hash': expected a string");
    req.source_hash = it->get<std::string>();
  }
  req.manifest = default_tenant_manifest();
  if (auto it = call.input.find("manifest"); it != call.input.end() && !it->is_null()) {
    if (!it->is_object()) return common::invalid_argument("'manifest': expected an object");
    req.manifest = *it;
    // A tenant grants only the tenant tier (and what the operator added).
    if (auto caps = it->find("host_capabilities"); caps != it->end() && caps->is_array())
      for (const auto& c : *caps)
        if (c.is_string() && !runtime::is_tenant_tier_capability(c.get<std::string>()) &&
            env.tenancy.extra_capabilities.count(c.get<std::string>()) == 0)
          return common::permission_denied("CapabilityNotAllowed: '" + c.get<std::string>() +
                                           "' is system-only (the operator's tenancy.extra_capabilities can allow it)");
  }
  req.component.assign(call.blob->begin(), call.blob->end());
  T3N_ASSIGN_OR_RETURN(auto existing, env.registry.row(call.tx, name));
  const bool new_name = !existing;
  if (new_name && t.contracts >= t.quotas.max_contracts)
    return Status(ErrorCode::kResourceExhausted, "QuotaExceeded: the tenant has " + std::to_string(t.contracts) +
                                                     " contracts (max_contracts " + std::to_string(t.quotas.max_contracts) + ")");
  T3N_ASSIGN_OR_RETURN(Bytes account, common::hex_decode_canonical(t.tid, 20));
  const std::uint64_t price = env.metering.enabled() ? env.metering.pricing().contract_register : 0;
  if (price > 0) {
    // Checked before the (slow) compile; charged below in the same transaction.
    T3N_ASSIGN_OR_RETURN(BalanceRow balance, env.metering.balance(call.tx, account));
    if (balance.available < price) return insufficient_credit(account, price, balance.available);
  }
  T3N_ASSIGN_OR_RETURN(registry::PreparedContract prepared, env.registry.prepare(std::move(req)));
  T3N_ASSIGN_OR_RETURN(registry::Deployed deployed, env.registry.record(call.tx, prepared,
                                                                         // An org tenant's admin registers for the org (checked by tenant_for_call).
                                                                         registry::Registrant{t.kind == "org", call.caller}));
  T3N_RETURN_IF_ERROR(charge_registration(env, call.tx, t.tid, name, version, call.now_ms));
  if (new_name) {
    ++t.contracts;
    T3N_RETURN_IF_ERROR(kTenantRecords.in(call.tx).put(t.tid, t));
  }
  auto shared = std::make_shared<registry::PreparedContract>(std::move(prepared));
  call.after_commit.push_back([&env, shared] { env.registry.remember(*shared); });
  return Json{{"name", name},
              {"contract_id", deployed.version.contract_id},
              {"version", version},
              {"cid", deployed.version.cid},
              {"functions", deployed.functions}};
}

SystemFunction set_status(registry::ContractStatus status) {
  return [status](const SystemEnv& env, SystemCall& call) -> Result<Json> {
    T3N_RETURN_IF_ERROR(require_object(call.input));
    T3N_ASSIGN_OR_RETURN(TenantRecord t, tenant_for_call(call.tx, call.caller, call.input));
    T3N_ASSIGN_OR_RETURN(std::string raw_name, common::json_string(call.input, "name"));
    T3N_ASSIGN_OR_RETURN(std::string name, canonical_name(t.tid, raw_name));
    T3N_ASSIGN_OR_RETURN(registry::ContractRow row, tenant_contract_row(env, call, t, name));
    T3N_RETURN_IF_ERROR(env.registry.set_status(call.tx, name, status));
    return Json{{"name", name}, {"contract_id", row.contract_id}, {"status", registry::contract_status_name(status)}};
  };
}

Result<Json> contract_logs(const SystemEnv& env, SystemCall& call) {
  T3N_RETURN_IF_ERROR(require_object(call.input));
  T3N_ASSIGN_OR_RETURN(TenantRecord t, tenant_for_call(call.tx, call.caller, call.input));
  T3N_ASSIGN_OR_RETURN(std::string raw_name, common::json_string(call.input, "contract_name"));
  T3N_ASSIGN_OR_RETURN(std::string name, canonical_name(t.tid, raw_name));
  T3N_ASSIGN_OR_RETURN(registry::ContractRow row, tenant_contract_row(env, call, t, name));
  T3N_ASSIGN_OR_RETURN(auto since, optional_u64(call.input, "since_seq"));
  T3N_ASSIGN_OR_RETURN(auto limit, optional_u64(call.input, "limit"));
  std::string min_level = "debug";
  if (auto it = call.input.find("min_level"); it != call.input.end() && !it->is_null()) {
    if (!it->is_string()) return common::invalid_argument("'min_level': expected \"debug\", \"info\" or \"error\"");
    min_level = it->get<std::string>();
    if (min_level != "debug" && min_level != "info" && min_level != "error")
      return common::invalid_argument("'min_level': expected \"debug\", \"info\" or \"error\"");
  }
  const auto capped = static_cast<std::uint32_t>(std::min<std::uint64_t>(limit.value_or(100), 500));
  T3N_ASSIGN_OR_RETURN(Json page, read_contract_logs(call.tx, row.contract_id, since, capped, min_level));
  page["enabled"] = t.quotas.log_max_entries > 0;
  return page;
}

}  // namespace

SystemContract tenant_contract() {
  SystemContract c{"tee:tenant/contracts", "1.0.0", {}};
  c.functions["tenant-claim"] = tenant_claim;
  c.functions["tenant-me"] = tenant_me;
  c.functions["map-create"] = map_create;
  c.functions["map-update"] = map_update;
  c.functions["map-delete"] = map_delete;
  c.functions["map-get"] = map_get;
  c.functions["map-put"] = map_put;
  c.functions["map-remove"] = map_remove;
  c.functions["map-list"] = map_list;
  c.functions["contract-register"] = contract_register;
  c.functions["contract-enable"] = set_status(registry::ContractStatus::kEnabled);
  c.functions["contract-disable"] = set_status(registry::ContractStatus::kDisabled);
  c.functions["contract-unregister"] = set_status(registry::ContractStatus::kUnregistered);
  c.functions["contract-logs"] = contract_logs;
  return c;
}

}  // namespace t3n::system
