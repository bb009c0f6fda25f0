// Tenants: a DID that owns the namespace z:<tid>: (tid = the 40 hex of its
// did:t3n). A tenant row exists once the tenant is admitted — by itself on
// a node whose policy allows self-admission, otherwise by an operator.
// Individual tenants manage themselves; org-owned tenants come with the
// organisation module (accounts issue) and are refused until then.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"
#include "store/store.h"
#include "store/table.h"
#include "system/system_contract.h"

namespace t3n::system {

struct TenantQuotas {
  std::uint64_t log_max_entries = 0;
  std::uint64_t max_maps = 256;
  std::uint64_t max_contracts = 64;
  common::Json to_json() const;
  // Fields absent from `j` keep the values in `defaults`.
  static Result<TenantQuotas> parse(const common::Json& j, const TenantQuotas& defaults);
};

struct TenantRecord {
  std::string tid;  // 40 lower-case hex
  std::string eth_address;  // "0x…" when admitted from an Ethereum login, else ""
  std::string label;
  std::string status = "active";  // pending | active | suspended
  TenantQuotas quotas;
  std::uint64_t created_at_ms = 0;
  std::string kind = "individual";  // individual | org
  common::Json storage_location = common::Json::object();
  std::uint64_t maps = 0;       // maps created through tee:tenant
  std::uint64_t contracts = 0;  // contract names registered
  common::Json to_json() const;  // tenant-me's shape
  static Result<TenantRecord> from_json(const common::Json& j);
};
struct TenantRecordCodec {
  using Value = TenantRecord;
  static Bytes encode(const TenantRecord& r);
  static Result<TenantRecord> decode(ByteView b);
};
inline constexpr store::TableDef<store::StringCodec, TenantRecordCodec> kTenantRecords{"tenant_records"};

Status ensure_tenant_tables(store::Store& store);

// "did:t3n:<tid>", "<tid>" → tid; anything else is kInvalidArgument.
Result<std::string> parse_tenant_id(const std::string& text);

struct AdmitRequest {
  std::string tid;
  Bytes owner;  // the user that manages it (20 bytes)
  std::string label;
  std::string eth_address;
  TenantQuotas quotas;
  std::string kind = "individual";
  common::Json storage_location = common::Json::object();
  std::uint64_t credits = 0;  // minted on admission
};
// A user admitting itself (tenant-claim, a first upload on a self-admitting
// node): the policy's quotas and the welcome credits.
AdmitRequest self_admission(const SystemEnv& env, const std::string& tid, const Bytes& owner);
TenantQuotas default_quotas(const TenancyPolicy& policy);
// Charges one registered version to the tenant's account (when metering is on).
Status charge_registration(const SystemEnv& env, store::Transaction& tx, const std::string& tid, const std::string& name,
                           const std::string& version, std::uint64_t now_ms);

enum class AdmitStatus { kAdmitted, kAlreadyAdmitted };
// Writes the tenant row, claims the namespace in the registry and mints the
// credits. Already admitted: nothing changes.
Result<AdmitStatus> admit_tenant(const SystemEnv& env, store::Transaction& tx, const AdmitRequest& req, std::uint64_t now_ms);
// The caller admitting itself (tenant-claim, tee:user become_dev_tenant):
// self_admission with its wallet address when it logged in with one, then
// admit_tenant. Returns the outcome and the credits it was granted.
struct SelfAdmission {
  AdmitStatus status;
  std::uint64_t credits = 0;
};
Result<SelfAdmission> admit_caller(const SystemEnv& env, SystemCall& call);

// The tenant a tee:tenant call acts on: `tenant` (did:t3n:/bare tid) if
// given, else the caller's own. Must be an admitted, active tenant the
// caller manages.
Result<TenantRecord> tenant_for_call(store::Transaction& tx, const Bytes& caller, const common::Json& input);

// z:<tid>:<tail> or a bare tail → the canonical name under `tid`;
// another tenant's namespace is refused.
Result<std::string> canonical_name(const std::string& tid, const std::string& name_or_tail);

}  // namespace t3n::system
