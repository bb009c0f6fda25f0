#include "registry/registry.h"

#include <algorithm>

#include "common/binary.h"
#include "common/encoding.h"
#include "crypto/aead.h"

namespace t3n::registry {

namespace {

constexpr std::string_view kContractAad = "t3n/contract/v1";
constexpr std::uint8_t kRowFormat = 1;
constexpr std::uint8_t kContractRowFormat = 2;  // 1 + status and source hashes
constexpr std::size_t kMaxMaps = 64;

Status check_text(const std::string& value, std::string_view field, std::size_t max) {
  if (value.empty() || value.size() > max)
    return common::invalid_argument("'" + std::string(field) + "' must be 1.." + std::to_string(max) + " characters");
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e)
      return common::invalid_argument("'" + std::string(field) + "' must be printable ASCII without spaces");
  }
  return {};
}

Result<std::uint32_t> next_contract_id(store::Transaction& tx) {
  auto meta = kRegistryMeta.in(tx);
  T3N_ASSIGN_OR_RETURN(auto next, meta.get("next_contract_id"));
  const std::uint64_t id = next.value_or(1);
  if (id > 0xFFFFFFFFu) return Status(ErrorCode::kResourceExhausted, "contract ids exhausted");
  T3N_RETURN_IF_ERROR(meta.put("next_contract_id", id + 1));
  return static_cast<std::uint32_t>(id);
}

}  // namespace

std::string_view contract_status_name(ContractStatus s) {
  switch (s) {
    case ContractStatus::kEnabled: return "enabled";
    case ContractStatus::kDisabled: return "disabled";
    case ContractStatus::kUnregistered: return "unregistered";
  }
  return "unknown";
}

Bytes ContractRowCodec::encode(const ContractRow& r) {
  common::BinaryWriter w;
  w.u8(kContractRowFormat);
  w.u32(r.contract_id);
  w.string(r.tenant);
  w.string(r.latest);
  w.u8(static_cast<std::uint8_t>(r.status));
  w.u32(static_cast<std::uint32_t>(r.versions.size()));
  for (const auto& [version, row] : r.versions) {
    w.string(version);
    w.string(row.cid);
    w.string(row.manifest_json);
    w.string(row.code_hash);
    w.string(row.source_hash);
  }
  return w.take();
}

Result<ContractRow> ContractRowCodec::decode(ByteView b) {
  common::BinaryReader r(b, "contract row");
  T3N_ASSIGN_OR_RETURN(std::uint8_t format, r.u8());
  if (format != kRowFormat && format != kContractRowFormat) return common::invalid_argument("unknown contract row format");
  ContractRow out;
  T3N_ASSIGN_OR_RETURN(out.contract_id, r.u32());
  T3N_ASSIGN_OR_RETURN(out.tenant, r.string(64));
  T3N_ASSIGN_OR_RETURN(out.latest, r.string(64));
  if (format == kContractRowFormat) {
    T3N_ASSIGN_OR_RETURN(std::uint8_t status, r.u8());
    if (status > 2) return common::invalid_argument("unknown contract status");
    out.status = static_cast<ContractStatus>(status);
  }
  T3N_ASSIGN_OR_RETURN(std::uint32_t n, r.u32());
  for (std::uint32_t i = 0; i < n; ++i) {
    T3N_ASSIGN_OR_RETURN(std::string version, r.string(64));
    VersionRow row;
    T3N_ASSIGN_OR_RETURN(row.cid, r.string(128));
    T3N_ASSIGN_OR_RETURN(row.manifest_json, r.string());
    T3N_ASSIGN_OR_RETURN(row.code_hash, r.string(64));
    if (format == kContractRowFormat) {
      T3N_ASSIGN_OR_RETURN(row.source_hash, r.string(64));
    }
    out.versions.emplace(std::move(version), std::move(row));
  }
  T3N_RETURN_IF_ERROR(r.finish());
  return out;
}

Bytes TenantRowCodec::encode(const TenantRow& r) {
  common::BinaryWriter w;
  w.u8(kRowFormat);
  w.bytes(r.owner);
  return w.take();
}

Result<TenantRow> TenantRowCodec::decode(ByteView b) {
  common::BinaryReader r(b, "tenant row");
  T3N_ASSIGN_OR_RETURN(std::uint8_t format, r.u8());
  if (format != kRowFormat) return common::invalid_argument("unknown tenant row format");
  T3N_ASSIGN_OR_RETURN(ByteView owner, r.bytes(20));
  T3N_RETURN_IF_ERROR(r.finish());
  return TenantRow{Bytes(owner.begin(), owner.end())};
}

Status ensure_registry_tables(store::Store& store) {
  return store::ensure_tables(store, kContractsTable, kTenantsTable, kRegistryMeta);
}

ContractRegistry::ContractRegistry(store::Store& store, cas::BlobStore& cas, runtime::Runtime& runtime,
                                   SecretBytes contract_key, common::Logger log)
    : store_(store), cas_(cas), runtime_(runtime), contract_key_(std::move(contract_key)), log_(std::move(log)) {}

Result<PreparedContract> ContractRegistry::prepare(DeployRequest request) const {
  T3N_RETURN_IF_ERROR(check_text(request.name, "name", 128));
  T3N_RETURN_IF_ERROR(check_text(request.version, "version", 64));
  if (request.tenant && !common::hex_decode_canonical(*request.tenant, 20).ok())
    return common::invalid_argument("'tenant' must be 40 lower-case hex characters");
  if (!request.source_hash.empty() && !common::hex_decode_canonical(request.source_hash, 32).ok())
    return common::invalid_argument("'source_hash' must be 64 lower-case hex characters (SHA-256)");
  if (request.name.rfind("tee:", 0) == 0) return common::permission_denied("tee:* names belong to the node's system contracts");
  if (request.maps.size() > kMaxMaps) return common::invalid_argument("at most 64 'maps'");
  for (const auto& tail : request.maps) T3N_RETURN_IF_ERROR(check_text(tail, "maps[]", 200));
  PreparedContract out;
  T3N_ASSIGN_OR_RETURN(out.manifest, runtime::parse_manifest(request.manifest));
  // Checked and compiled before anything is stored.
  T3N_ASSIGN_OR_RETURN(out.contract, runtime_.load(request.component, out.manifest));
  T3N_ASSIGN_OR_RETURN(Bytes sealed, crypto::seal_box(crypto::AeadAlg::kAes256Gcm, contract_key_,
                                                      common::as_bytes(kContractAad), request.component));
  T3N_ASSIGN_OR_RETURN(cas::Cid cid, cas_.put(sealed));
  out.cid = cid.to_string();
  out.request = std::move(request);
  return out;
}

Result<Deployed> ContractRegistry::record(store::Transaction& tx, const PreparedContract& prepared,
                                          const Registrant& who) const {
  const DeployRequest& req = prepared.request;
  if (!who.is_operator && who.user.size() != 20) return common::permission_denied("registering a contract needs a user");
  auto contracts = kContractsTable.in(tx);
  T3N_ASSIGN_OR_RETURN(auto existing, contracts.get(req.name));
  ContractRow row;
  if (existing) {
    row = std::move(*existing);
    if (req.tenant && *req.tenant != row.tenant)
      return common::permission_denied("contract " + req.name + " belongs to another tenant");
    if (row.status == ContractStatus::kUnregistered) row.status = ContractStatus::kEnabled;
  } else {
    row.tenant = req.tenant.value_or(who.is_operator ? std::string(40, 'a') : common::hex_encode(who.user));
  }
  // The tenant's owner: claimed by the first registrant under it.
  auto tenants = kTenantsTable.in(tx);
  T3N_ASSIGN_OR_RETURN(auto tenant, tenants.get(row.tenant));
  if (!tenant) {
    T3N_RETURN_IF_ERROR(tenants.put(row.tenant, TenantRow{who.is_operator ? Bytes{} : who.user}));
  } else if (!who.is_operator && tenant->owner != who.user) {
    return common::permission_denied(existing ? "contract " + req.name + " belongs to another tenant"
                                              : "tenant " + row.tenant + " belongs to another user");
  }
  if (row.versions.count(req.version) != 0)
    return Status(ErrorCode::kAlreadyExists, "contract " + req.name + " version " + req.version + " already exists");
  if (row.contract_id == 0) {
    T3N_ASSIGN_OR_RETURN(row.contract_id, next_contract_id(tx));
  }
  const common::Json manifest = runtime::manifest_to_json(prepared.manifest);
  row.versions[req.version] = {prepared.cid, manifest.dump(), common::hex_encode(prepared.contract->code_hash()),
                               req.source_hash};
  row.latest = req.version;
  T3N_RETURN_IF_ERROR(contracts.put(req.name, row));
  for (const auto& tail : req.maps) {
    const std::string map = "z:" + row.tenant + ":" + tail;
    T3N_RETURN_IF_ERROR(store::validate_map_name(map));
    if (auto spec = store_.map_spec(map)) {
      if (std::find(spec->writers.begin(), spec->writers.end(), row.contract_id) == spec->writers.end())
        return common::permission_denied("map " + map + " already exists and belongs to another contract");
      continue;
    }
    const auto vis = tail.rfind("public:", 0) == 0 ? store::Visibility::kPublic : store::Visibility::kPrivate;
    T3N_RETURN_IF_ERROR(tx.create_map({map, vis, {row.contract_id}, {}}));
  }
  Deployed out;
  out.version = {req.name, req.version, prepared.cid, manifest, row.contract_id, row.tenant, row.status};
  out.functions = prepared.contract->functions();
  return out;
}

void ContractRegistry::remember(const PreparedContract& prepared) {
  std::lock_guard lock(loaded_mu_);
  loaded_[prepared.cid] = prepared.contract;
  log_.info("deployed contract {} version {} ({})", prepared.request.name, prepared.request.version, prepared.cid);
}

Result<bool> ContractRegistry::record_native(store::Transaction& tx, const std::string& name, const std::string& version,
                                             const std::string& code_hash) const {
  auto contracts = kContractsTable.in(tx);
  T3N_ASSIGN_OR_RETURN(auto existing, contracts.get(name));
  ContractRow row;
  if (existing) row = std::move(*existing);
  if (row.versions.count(version) != 0) return false;
  if (row.contract_id == 0) {
    T3N_ASSIGN_OR_RETURN(row.contract_id, next_contract_id(tx));
    row.tenant = std::string(40, '0');  // the node's own namespace: no tenant owns it
  }
  row.versions[version] = {"native:" + name + "@" + version, "{}", code_hash, ""};
  row.latest = version;
  row.status = ContractStatus::kEnabled;
  T3N_RETURN_IF_ERROR(contracts.put(name, row));
  return true;
}

Result<std::optional<ContractRow>> ContractRegistry::row(store::Transaction& tx, const std::string& name) const {
  return kContractsTable.in(tx).get(name);
}

Status ContractRegistry::set_status(store::Transaction& tx, const std::string& name, ContractStatus status) const {
  auto contracts = kContractsTable.in(tx);
  T3N_ASSIGN_OR_RETURN(auto existing, contracts.get(name));
  if (!existing || existing->status == ContractStatus::kUnregistered) return common::not_found("no contract of that name");
  existing->status = status;
  if (status == ContractStatus::kUnregistered) {
    existing->versions.clear();
    existing->latest.clear();
  }
  return contracts.put(name, *existing);
}

Result<ContractVersion> ContractRegistry::resolve(store::Transaction& tx, const std::string& name,
                                                  const std::optional<std::string>& version) const {
  T3N_ASSIGN_OR_RETURN(auto row, kContractsTable.in(tx).get(name));
  if (!row || row->status == ContractStatus::kUnregistered) return common::not_found("no contract of that name");
  const std::string v = version.value_or(row->latest);
  auto it = row->versions.find(v);
  if (it == row->versions.end()) return common::not_found("the contract has no such version");
  T3N_ASSIGN_OR_RETURN(common::Json manifest, common::parse_json(it->second.manifest_json));
  return ContractVersion{name, v, it->second.cid, std::move(manifest), row->contract_id, row->tenant, row->status};
}

Result<ContractVersion> ContractRegistry::resolve(const std::string& name, const std::optional<std::string>& version) const {
  auto tx = store_.begin(store::Principal::system());
  return resolve(tx, name, version);
}

Result<std::shared_ptr<const runtime::Contract>> ContractRegistry::load(const ContractVersion& v) {
  if (v.native()) return common::failed_precondition(v.name + " is a system contract (native code), not a component");
  {
    std::lock_guard lock(loaded_mu_);
    if (auto it = loaded_.find(v.cid); it != loaded_.end()) return it->second;
  }
  T3N_ASSIGN_OR_RETURN(cas::Cid cid, cas::Cid::parse(v.cid));
  T3N_ASSIGN_OR_RETURN(Bytes sealed, cas_.get(cid));
  T3N_ASSIGN_OR_RETURN(Bytes component, crypto::open_box(crypto::AeadAlg::kAes256Gcm, contract_key_,
                                                         common::as_bytes(kContractAad), sealed));
  T3N_ASSIGN_OR_RETURN(runtime::Manifest m, runtime::parse_manifest(v.manifest));
  T3N_ASSIGN_OR_RETURN(auto contract, runtime_.load(component, std::move(m)));
  std::lock_guard lock(loaded_mu_);
  loaded_[v.cid] = contract;
  return contract;
}

}  // namespace t3n::registry
