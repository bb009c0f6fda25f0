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
  std::string cid;            // the sealed component in CAS
  std::string manifest_json;  // runtime::manifest_to_json, canonical text
  std::string code_hash;      // hex SHA-256 of the component
};

struct ContractRow {
  std::uint32_t contract_id = 0;
  std::string tenant;  // 40 lower-case hex
  std::string latest;
  std::map<std::string, VersionRow> versions;
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
