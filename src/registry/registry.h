// The contract registry: names, versions, owners, manifests, and the
// compiled-contract cache (ARCHITECTURE.md §2 `registry`).
//
// A contract name belongs to the tenant that first registered it; only the
// tenant's owner (or an operator) registers further versions, which keep the
// name's contract id and so its maps and ACLs. A tenant belongs to the user
// that first registered under it; by default a user's tenant id is the
// user's own id, so two users never share a tenant by accident.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cas/blob_store.h"
#include "common/bytes.h"
#include "common/json.h"
#include "common/log.h"
#include "common/status.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "store/table.h"

namespace t3n::registry {

struct VersionRow {
  std::string cid;            // the sealed component in CAS, or "native:<name>@<version>" (system contracts)
  std::string manifest_json;  // runtime::manifest_to_json, canonical text
  std::string code_hash;      // hex SHA-256 of the component
  std::string source_hash;    // the publisher's hex SHA-256 of the source, verbatim (may be empty)
};

// Unregistered keeps the row (no versions): the name and its contract id
// stay the tenant's, so a later registration gets the same id back.
enum class ContractStatus : std::uint8_t { kEnabled = 0, kDisabled = 1, kUnregistered = 2 };
std::string_view contract_status_name(ContractStatus s);

struct ContractRow {
  std::uint32_t contract_id = 0;
  std::string tenant;  // 40 lower-case hex
  std::string latest;
  std::map<std::string, VersionRow> versions;
  ContractStatus status = ContractStatus::kEnabled;
};
struct ContractRowCodec {
  using Value = ContractRow;
  static Bytes encode(const ContractRow& r);
  static Result<ContractRow> decode(ByteView b);
};

// The owner of a tenant: a user id (20 bytes), or empty for the operator.
struct TenantRow {
  Bytes owner;
};
struct TenantRowCodec {
  using Value = TenantRow;
  static Bytes encode(const TenantRow& r);
  static Result<TenantRow> decode(ByteView b);
};

inline constexpr store::TableDef<store::StringCodec, ContractRowCodec> kContractsTable{"contracts"};
inline constexpr store::TableDef<store::StringCodec, TenantRowCodec> kTenantsTable{"tenants"};
inline constexpr store::TableDef<store::StringCodec, store::U64Codec> kRegistryMeta{"registry_meta"};

Status ensure_registry_tables(store::Store& store);

// Who registers: an operator, or an authenticated user.
struct Registrant {
  bool is_operator = false;
  Bytes user;  // 20-byte user id (empty for the operator)
};

struct DeployRequest {
  std::string name;
  std::string version;
  Bytes component;
  common::Json manifest = common::Json::object();
  std::vector<std::string> maps;  // tails: z:<tid>:<tail>
  std::optional<std::string> tenant;
  std::string source_hash;  // optional, 64 lower-case hex
};

// A checked, compiled, stored component, not yet registered.
struct PreparedContract {
  DeployRequest request;
  runtime::Manifest manifest;
  std::shared_ptr<const runtime::Contract> contract;
  std::string cid;
};

struct ContractVersion {
  std::string name;
  std::string version;
  std::string cid;
  common::Json manifest;
  std::uint32_t contract_id = 0;
  std::string tenant;
  ContractStatus status = ContractStatus::kEnabled;
  bool native() const { return cid.rfind("native:", 0) == 0; }
};

struct Deployed {
  ContractVersion version;
  std::vector<std::string> functions;
};

class ContractRegistry {
 public:
  ContractRegistry(store::Store& store, cas::BlobStore& cas, runtime::Runtime& runtime, SecretBytes contract_key,
                   common::Logger log);

  // Checks the names and manifest, compiles, seals and stores the component
  // (outside any transaction: slow, idempotent).
  Result<PreparedContract> prepare(DeployRequest request) const;
  // Registers a prepared contract in `tx` (a system transaction): ownership
  // checks, contract id, version row, maps. Effective when `tx` commits.
  Result<Deployed> record(store::Transaction& tx, const PreparedContract& prepared, const Registrant& who) const;
  // Called once `tx` committed: the compiled contract joins the cache.
  void remember(const PreparedContract& prepared);

  // Records a system contract (native code of this binary) under its name
  // and version, owned by the operator; a no-op when that version is there.
  Result<bool> record_native(store::Transaction& tx, const std::string& name, const std::string& version,
                             const std::string& code_hash) const;
  // The row of a contract name (any status), read in `tx`.
  Result<std::optional<ContractRow>> row(store::Transaction& tx, const std::string& name) const;
  // Enable / disable / unregister, by the name's tenant (checked by the caller).
  Status set_status(store::Transaction& tx, const std::string& name, ContractStatus status) const;

  // The version named (or the latest), read in `tx`.
  Result<ContractVersion> resolve(store::Transaction& tx, const std::string& name,
                                  const std::optional<std::string>& version) const;
  Result<ContractVersion> resolve(const std::string& name, const std::optional<std::string>& version) const;
  // The compiled contract for a version: cache, else CAS (CID-checked), decrypt, compile.
  Result<std::shared_ptr<const runtime::Contract>> load(const ContractVersion& version);

 private:
  store::Store& store_;
  cas::BlobStore& cas_;
  runtime::Runtime& runtime_;
  SecretBytes contract_key_;
  common::Logger log_;
  std::mutex loaded_mu_;
  std::map<std::string, std::shared_ptr<const runtime::Contract>> loaded_;  // by CID
};

}  // namespace t3n::registry
