#include "system/tenants.h"

#include "system/organisations.h"

#include "common/encoding.h"
#include "identity/did.h"
#include "registry/registry.h"

namespace t3n::system {

namespace {

bool is_tail_char(char c, bool first) {
  const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return alnum || c == '_' || c == '-' || (!first && c == '.');
}

Result<std::uint64_t> quota_field(const common::Json& j, const char* field, std::uint64_t fallback, std::uint64_t max) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() > max)
    return common::invalid_argument(std::string("'quotas.") + field + "': expected an integer 0.." + std::to_string(max));
  return it->get<std::uint64_t>();
}

}  // namespace

common::Json TenantQuotas::to_json() const {
  return {{"log_max_entries", log_max_entries}, {"max_maps", max_maps}, {"max_contracts", max_contracts}};
}

Result<TenantQuotas> TenantQuotas::parse(const common::Json& j, const TenantQuotas& defaults) {
  if (j.is_null()) return defaults;
  if (!j.is_object()) return common::invalid_argument("'quotas': expected an object");
  TenantQuotas q;
  T3N_ASSIGN_OR_RETURN(q.log_max_entries, quota_field(j, "log_max_entries", defaults.log_max_entries, 100'000));
  T3N_ASSIGN_OR_RETURN(q.max_maps, quota_field(j, "max_maps", defaults.max_maps, 10'000));
  T3N_ASSIGN_OR_RETURN(q.max_contracts, quota_field(j, "max_contracts", defaults.max_contracts, 10'000));
  return q;
}

common::Json TenantRecord::to_json() const {
  return {{"tenant", "did:t3n:" + tid},
          {"eth_address", eth_address},
          {"label", label},
          {"status", status},
          {"quotas", quotas.to_json()},
          {"created_at", common::format_utc_timestamp(static_cast<std::time_t>(created_at_ms / 1000))},
          {"kind", kind},
          {"maps", maps},
          {"contracts", contracts}};
}

Bytes TenantRecordCodec::encode(const TenantRecord& r) {
  common::Json j = {{"tid", r.tid},       {"eth_address", r.eth_address}, {"label", r.label},
                    {"status", r.status}, {"quotas", r.quotas.to_json()}, {"created_at_ms", r.created_at_ms},
                    {"kind", r.kind},     {"storage_location", r.storage_location}, {"maps", r.maps},
                    {"contracts", r.contracts}};
  return common::to_bytes(j.dump());
}

Result<TenantRecord> TenantRecordCodec::decode(ByteView b) {
  T3N_ASSIGN_OR_RETURN(common::Json j, common::parse_json(common::to_string(b)));
  if (!j.is_object()) return common::data_loss("tenant record is not an object");
  TenantRecord r;
  try {
    r.tid = j.at("tid").get<std::string>();
    r.eth_address = j.at("eth_address").get<std::string>();
    r.label = j.at("label").get<std::string>();
    r.status = j.at("status").get<std::string>();
    T3N_ASSIGN_OR_RETURN(r.quotas, TenantQuotas::parse(j.at("quotas"), TenantQuotas{}));
    r.created_at_ms = j.at("created_at_ms").get<std::uint64_t>();
    r.kind = j.at("kind").get<std::string>();
    r.storage_location = j.at("storage_location");
    r.maps = j.at("maps").get<std::uint64_t>();
    r.contracts = j.at("contracts").get<std::uint64_t>();
  } catch (const common::Json::exception&) {
    return common::data_loss("tenant record is malformed");
  }
  return r;
}

Status ensure_tenant_tables(store::Store& store) { return store::ensure_tables(store, kTenantRecords); }

Result<std::string> parse_tenant_id(const std::string& text) {
  std::string tid = text.rfind("did:t3n:", 0) == 0 ? text.substr(8) : text;
  if (!common::hex_decode_canonical(tid, 20).ok())
    return common::invalid_argument("a tenant is did:t3n:<40 lower-case hex> or the 40 hex alone");
  return tid;
}

TenantQuotas default_quotas(const TenancyPolicy& policy) {
  return {policy.default_log_max_entries, policy.max_maps, policy.max_contracts};
}

AdmitRequest self_admission(const SystemEnv& env, const std::string& tid, const Bytes& owner) {
  AdmitRequest req;
  req.tid = tid;
  req.owner = owner;
  req.quotas = default_quotas(env.tenancy);
  req.credits = env.metering.pricing().welcome_credits;
  return req;
}

Status charge_registration(const SystemEnv& env, store::Transaction& tx, const std::string& tid, const std::string& name,
                           const std::string& version, std::uint64_t now_ms) {
  const std::uint64_t price = env.metering.enabled() ? env.metering.pricing().contract_register : 0;
  if (price == 0) return {};
  T3N_ASSIGN_OR_RETURN(Bytes account, common::hex_decode_canonical(tid, 20));
  return env.metering.settle(tx, account, {Charge(price, common::Json{{"kind", "contract_register"}, {"script_name", name}, {"version", version}})},
                             now_ms);
}

Result<AdmitStatus> admit_tenant(const SystemEnv& env, store::Transaction& tx, const AdmitRequest& req, std::uint64_t now_ms) {
  T3N_ASSIGN_OR_RETURN(std::string tid, parse_tenant_id(req.tid));
  auto records = kTenantRecords.in(tx);
  T3N_ASSIGN_OR_RETURN(auto existing, records.get(tid));
  if (existing) return AdmitStatus::kAlreadyAdmitted;
  if (req.owner.size() != 20) return common::invalid_argument("a tenant needs an owner");
  // The namespace may already be claimed in the registry by a deploy from
  // before admission existed; only its own owner may be admitted to it.
  auto owners = registry::kTenantsTable.in(tx);
  T3N_ASSIGN_OR_RETURN(auto owner, owners.get(tid));
  if (owner && owner->owner != req.owner) return common::permission_denied("tenant " + tid + " belongs to another user");
  if (!owner) T3N_RETURN_IF_ERROR(owners.put(tid, registry::TenantRow{req.owner}));
  TenantRecord r;
  r.tid = tid;
  r.eth_address = req.eth_address;
  r.label = req.label;
  r.quotas = req.quotas;
  r.created_at_ms = now_ms;
  r.kind = req.kind;
  r.storage_location = req.storage_location;
  T3N_RETURN_IF_ERROR(records.put(tid, r));
  if (req.credits > 0 && env.metering.enabled()) {
    // The tenant's account pays for its contracts (for an individual
    // tenant that is its owner's own DID).
    T3N_ASSIGN_OR_RETURN(Bytes account, common::hex_decode_canonical(tid, 20));
    T3N_RETURN_IF_ERROR(env.metering.mint(tx, account, req.credits, "welcome credits", now_ms));
  }
  return AdmitStatus::kAdmitted;
}

Result<TenantRecord> tenant_for_call(store::Transaction& tx, const Bytes& caller, const common::Json& input) {
  const std::string own = common::hex_encode(caller);
  std::string tid = own;
  if (auto it = input.find("tenant"); it != input.end() && !it->is_null()) {
    if (!it->is_string()) return common::invalid_argument("'tenant': expected a string");
    T3N_ASSIGN_OR_RETURN(tid, parse_tenant_id(it->get<std::string>()));
  }
  T3N_ASSIGN_OR_RETURN(auto record, kTenantRecords.in(tx).get(tid));
  if (!record) {
    if (tid == own) return common::permission_denied("NotATenant: " + identity::t3n_did(caller) + " is not an admitted tenant (tenant-claim, or an operator's tenant.admit)");
    return common::permission_denied("NotTenantAdmin: no tenant " + tid + " that you manage");
  }
  // Individual tenants are managed by their owner (the DID itself, or the
  // user that claimed the namespace on a self-admitting node); org tenants
  // by the organisation's admins as its policy stands now.
  if (record->kind == "org") {
    T3N_ASSIGN_OR_RETURN(Bytes org, common::hex_decode_canonical(tid, 20));
    T3N_ASSIGN_OR_RETURN(bool admin, is_org_admin(tx, org, caller));
    if (!admin) return common::permission_denied("NotTenantAdmin: only the admins of organisation " + identity::t3n_did(org) + " manage its tenant");
  } else if (tid != own) {
    T3N_ASSIGN_OR_RETURN(auto owner, registry::kTenantsTable.in(tx).get(tid));
    if (!owner || owner->owner != caller) return common::permission_denied("NotTenantAdmin: no tenant " + tid + " that you manage");
  }
  if (record->status != "active") return common::permission_denied("TenantSuspended: tenant " + tid + " is " + record->status);
  return *record;
}

Result<std::string> canonical_name(const std::string& tid, const std::string& name_or_tail) {
  std::string tail = name_or_tail;
  if (name_or_tail.rfind("z:", 0) == 0) {
    if (name_or_tail.size() < 44 || name_or_tail[42] != ':')
      return common::invalid_argument("a name is z:<40 hex tid>:<tail> or a bare tail");
    if (name_or_tail.substr(2, 40) != tid)
      return common::permission_denied("NotTenantAdmin: " + name_or_tail.substr(0, 42) + " is not your tenant's namespace");
    tail = name_or_tail.substr(43);
  }
  if (tail.empty() || tail.size() > 128 || !is_tail_char(tail[0], true))
    return common::invalid_argument("InvalidTail: a tail matches ^[a-zA-Z0-9_-][a-zA-Z0-9_.-]{0,127}$");
  for (char c : tail)
    if (!is_tail_char(c, false)) return common::invalid_argument("InvalidTail: a tail matches ^[a-zA-Z0-9_-][a-zA-Z0-9_.-]{0,127}$");
  return "z:" + tid + ":" + tail;
}

Result<SelfAdmission> admit_caller(const SystemEnv& env, SystemCall& call) {
  AdmitRequest req = self_admission(env, common::hex_encode(call.caller), call.caller);
  if (call.caller_authenticator.rfind("eth:", 0) == 0) req.eth_address = call.caller_authenticator.substr(4);
  T3N_ASSIGN_OR_RETURN(AdmitStatus status, admit_tenant(env, call.tx, req, call.now_ms));
  return SelfAdmission{status, req.credits};
}

}  // namespace t3n::system
