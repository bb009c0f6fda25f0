#include "node/node.h"

#include <httplib.h>

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "api/bhttp.h"
#include "attest/pcs.h"
#include "attest/policy.h"
#include "attest/tdx_sim.h"
#include "attest/verify_evidence.h"
#include "attest/tdx_verify.h"
#include "attest/verification_cache.h"
#include "api/client.h"
#include "api/ohttp.h"
#include "cas/blob_store.h"
#include "common/config.h"
#include "common/encoding.h"
#include "common/files.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/kdf.h"
#include "crypto/random.h"
#include "host/host.h"
#include "identity/delegation.h"
#include "identity/request_auth.h"
#include "runtime/runtime.h"
#include "store/store.h"

namespace t3n::node {

using common::Json;

namespace {

constexpr std::string_view kScripts = "scripts";
constexpr std::string_view kDids = "dids";
constexpr std::string_view kUsers = "users";
constexpr std::string_view kUserData = "user_data";
constexpr std::string_view kNodeMeta = "node_meta";
constexpr std::string_view kAuth = "auth";  // user id → delegation grants (JSON)
constexpr std::string_view kUserKeys = "user_keys";  // user id → data key sealed by the cluster KEK
constexpr int kMaxConflictRetries = 3;

// JSON-RPC errors: the standard codes plus a stable `data.code` string.
struct RpcError {
  int code;
  std::string message;
  std::string data_code;
};

RpcError rpc_error_of(const Status& s) {
  switch (s.code()) {
    case ErrorCode::kInvalidArgument: return {-32602, s.message(), "invalid_params"};
    case ErrorCode::kNotFound: return {-32004, s.message(), "not_found"};
    case ErrorCode::kUnauthenticated: return {-32001, s.message(), "unauthenticated"};
    case ErrorCode::kPermissionDenied: return {-32003, s.message(), "permission_denied"};
    case ErrorCode::kConflict: return {-32009, s.message(), "conflict"};
    case ErrorCode::kAlreadyExists: return {-32010, s.message(), "already_exists"};
    case ErrorCode::kResourceExhausted: return {-32029, s.message(), "resource_exhausted"};
    case ErrorCode::kUnimplemented: return {-32601, s.message(), "unimplemented"};
    default: return {-32603, "internal error", std::string(common::error_code_name(s.code()))};
  }
}

Json rpc_reply_error(const Json& id, const RpcError& e) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", e.code}, {"message", e.message}, {"data", {{"code", e.data_code}}}}}};
}

struct ContractVersion {
  std::string version;
  std::string cid;
  Json manifest;
  std::uint32_t contract_id = 0;
  std::string tenant;
};

Result<ContractVersion> version_from_json(const Json& j) {
  ContractVersion v;
  T3N_ASSIGN_OR_RETURN(v.version, common::json_string(j, "version"));
  T3N_ASSIGN_OR_RETURN(v.cid, common::json_string(j, "cid"));
  T3N_ASSIGN_OR_RETURN(std::uint64_t id, common::json_u64(j, "contract_id"));
  T3N_ASSIGN_OR_RETURN(v.tenant, common::json_string(j, "tenant"));
  v.contract_id = static_cast<std::uint32_t>(id);
  v.manifest = j.value("manifest", Json::object());
  return v;
}

// A Prometheus histogram with fixed buckets (seconds).
class Histogram {
 public:
  static constexpr std::array<double, 10> kBounds{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.0};
  void observe(double seconds) {
    for (std::size_t i = 0; i < kBounds.size(); ++i)
      if (seconds <= kBounds[i]) ++buckets_[i];
    ++count_;
    sum_micros_ += static_cast<std::uint64_t>(seconds * 1e6);
  }
  std::string render(const std::string& name, const std::string& help) const {
    std::string m = "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
    for (std::size_t i = 0; i < kBounds.size(); ++i)
      m += name + "_bucket{le=\"" + std::to_string(kBounds[i]) + "\"} " + std::to_string(buckets_[i].load()) + "\n";
    m += name + "_bucket{le=\"+Inf\"} " + std::to_string(count_.load()) + "\n";
    m += name + "_sum " + std::to_string(static_cast<double>(sum_micros_.load()) / 1e6) + "\n";
    m += name + "_count " + std::to_string(count_.load()) + "\n";
    return m;
  }

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size()> buckets_{};
  std::atomic<std::uint64_t> count_{0}, sum_micros_{0};
};

struct Metrics {
  std::atomic<std::uint64_t> requests{0}, ohttp_requests{0}, rpc_errors{0}, calls_ok{0}, calls_failed{0}, commits{0};
  std::atomic<std::uint64_t> fuel{0}, call_micros{0};
  Histogram call_seconds, ohttp_seconds;
};

}  // namespace

struct Node::Impl {
  NodeConfig config;
  common::Logger log = common::Logger::to_stderr("t3nd", common::LogLevel::kWarn);
  SecretBytes root;  // sealing root (simulated TEE in dev mode)
  std::unique_ptr<store::Store> store;
  std::unique_ptr<cas::BlobStore> cas;
  std::unique_ptr<runtime::Runtime> runtime;
  std::unique_ptr<api::OhttpGateway> gateway;
  identity::ReplayGuard replay;
  SecretBytes contract_key, data_kek, index_key;
  std::shared_ptr<const store::NodeSigningKeys> signing;
  std::mutex contracts_mu;
  std::map<std::string, std::shared_ptr<const runtime::Contract>> loaded;  // by CID
  std::map<std::string, std::string> node_config_kv;
  httplib::Server server;
  Metrics metrics;
  std::mutex deploy_mu;
  attest::VerificationCache attestation_cache;  // verified chains and collateral, per platform
  Json attestation_doc;
  std::mutex collateral_fetch_mu;                        // one PCS fetch at a time
  mutable std::shared_mutex collateral_dir_mu;           // readers vs the directory swap
  std::map<std::string, std::time_t> collateral_fetch_failed;  // FMSPC → last failure (under collateral_fetch_mu)  // what GET /api/attestation answers; the keys it binds are fixed at start

  std::string tenant_default() const { return std::string(40, 'a'); }

  // Collateral under <data_dir>/collateral/<fmspc>/ (the layout of `t3n
  // attest verify --collateral`): placed by the operator, or — with
  // attestation.pcs_url — fetched when missing or past its earliest
  // nextUpdate. A fetch happens only for a quote whose PCK chain already
  // verifies to the pinned root (no fetches for invented platforms), at most
  // once a minute per FMSPC after a failure, and what is fetched is verified
  // before it replaces the directory in one rename.
  Status local_tdx_collateral(ByteView quote, attest::TdxCollateral& col, attest::CertCheckOptions& opt) {
    T3N_ASSIGN_OR_RETURN(auto parsed, attest::parse_tdx_quote(quote));
    T3N_ASSIGN_OR_RETURN(auto pck, attest::pck_extensions(parsed.pck_chain_pem.front()));
    const auto dir = config.data_dir / "collateral" / common::hex_encode(pck.fmspc);
    std::vector<Bytes> crls;
    Status on_disk = load_collateral_dir(dir, col, crls);
    if (!config.pcs_url.empty() && !(on_disk.ok() && unexpired(col, crls))) {
      T3N_RETURN_IF_ERROR(refresh_collateral(parsed, pck, dir, opt));
      on_disk = load_collateral_dir(dir, col, crls);
    }
    T3N_RETURN_IF_ERROR(on_disk);
    opt.crls_der.insert(opt.crls_der.end(), crls.begin(), crls.end());
    return {};
  }

  // One consistent read of a collateral directory (the swap takes the lock exclusively).
  Status load_collateral_dir(const std::filesystem::path& dir, attest::TdxCollateral& col, std::vector<Bytes>& crls) const {
    std::shared_lock read(collateral_dir_mu);
    if (!std::filesystem::is_directory(dir)) {
      const std::string fmspc = dir.filename().string();
      return common::not_found("no collateral for FMSPC " + fmspc + ": send 'collateral' or place it in <data_dir>/collateral/" +
                               fmspc + "/");
    }
    attest::CertCheckOptions read_crls;
    T3N_RETURN_IF_ERROR(attest::load_tdx_collateral(dir, col, read_crls));
    crls = std::move(read_crls.crls_der);
    return {};
  }

  // Not past the earliest nextUpdate of TCB Info, QE Identity and CRLs.
  static bool unexpired(const attest::TdxCollateral& col, const std::vector<Bytes>& crls) {
    auto expiry = attest::tdx_collateral_expiry(col, crls);
    return expiry.ok() && *expiry > std::time(nullptr);
  }

  Status refresh_collateral(const attest::TdxQuote& quote, const attest::PckExtensions& pck, const std::filesystem::path& dir,
                            const attest::CertCheckOptions& opt) {
    const std::string fmspc = common::hex_encode(pck.fmspc);
    attest::CertCheckOptions genuine = opt;
    genuine.crls_der.clear();  // revocation is checked with the collateral itself, below and at verification
    T3N_RETURN_IF_ERROR(attest::verify_tdx_quote_signatures(quote, genuine));
    std::lock_guard fetching(collateral_fetch_mu);  // one fetch at a time; waiters find it fresh
    if (fresh_collateral(dir)) return {};
    const std::time_t now = std::time(nullptr);
    if (auto failed = collateral_fetch_failed.find(fmspc); failed != collateral_fetch_failed.end() && now - failed->second < 60)
      return Status(ErrorCode::kUnavailable, "collateral for FMSPC " + fmspc + " could not be fetched recently; retry in a minute");
    T3N_ASSIGN_OR_RETURN(std::string ca, attest::pck_ca_of_quote(quote));
    auto fetched = attest::fetch_tdx_collateral(attest::pcs_options_for(config.pcs_url), pck.fmspc, ca);
    Status checked = fetched.ok() ? [&] {
      attest::CertCheckOptions check = genuine;
      check.crls_der = {fetched->root_ca_crl_der, fetched->pck_crl_der};
      return attest::verify_tdx_collateral(fetched->collateral, check);
    }() : fetched.status();
    if (!checked.ok()) {
      collateral_fetch_failed[fmspc] = now;
      log.warn("collateral for FMSPC {} from {} refused: {}", fmspc, config.pcs_url, checked.message());
      return Status(checked.code() == ErrorCode::kNotFound ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
                    "collateral for FMSPC " + fmspc + ": " + checked.message());
    }
    collateral_fetch_failed.erase(fmspc);
    auto staged = dir;
    staged += ".new";
    std::error_code ec;
    std::filesystem::remove_all(staged, ec);
    T3N_RETURN_IF_ERROR(attest::write_tdx_collateral_dir(staged, *fetched));
    {
      std::unique_lock swap(collateral_dir_mu);
      auto old = dir;
      old += ".old";
      std::filesystem::remove_all(old, ec);
      std::filesystem::rename(dir, old, ec);  // absent the first time
      std::filesystem::rename(staged, dir, ec);
      if (ec) return common::internal_error("cannot install collateral in " + dir.string() + ": " + ec.message());
      std::filesystem::remove_all(old, ec);
    }
    log.info("collateral for FMSPC {} fetched from {}", fmspc, config.pcs_url);
    return {};
  }

  // Present and unexpired: a request that waited for another's fetch finds it so.
  bool fresh_collateral(const std::filesystem::path& dir) const {
    attest::TdxCollateral col;
    std::vector<Bytes> crls;
    return load_collateral_dir(dir, col, crls).ok() && unexpired(col, crls);
  }

  // ---- users ----
  Result<Bytes> user_for(const std::string& authenticator) {
    const auto idx = crypto::hmac_sha256(index_key, common::as_bytes(authenticator));
    for (int attempt = 0; attempt < kMaxConflictRetries; ++attempt) {
      auto tx = store->begin(store::Principal::system());
      auto existing = tx.get(kDids, idx);
      if (!existing.ok()) return existing.status();
      if (existing->has_value()) return Bytes(**existing);
      T3N_ASSIGN_OR_RETURN(Bytes id, crypto::random_vector(20));
      T3N_RETURN_IF_ERROR(tx.put(kDids, idx, id));
      T3N_RETURN_IF_ERROR(tx.put(kUsers, id, common::to_bytes(Json{{"created_ms", api::unix_ms_now()}}.dump())));
      auto r = store->commit(tx);
      if (r.ok()) {
        log.info("created user {}", identity::t3n_did(id));
        return id;
      }
      if (r.status().code() != ErrorCode::kConflict) return r.status();
    }
    return Status(ErrorCode::kConflict, "could not create the user");
  }

  // ---- registry ----
  Result<Json> register_contract(const Json& params) {
    T3N_ASSIGN_OR_RETURN(std::string name, common::json_string(params, "name"));
    T3N_ASSIGN_OR_RETURN(std::string version, common::json_string(params, "version"));
    T3N_ASSIGN_OR_RETURN(std::string b64, common::json_string(params, "component"));
    auto component = common::base64_decode(b64);
    if (!component.ok()) return common::invalid_argument("'component' must be base64");
    std::vector<std::string> maps;
    if (params.contains("maps") && params["maps"].is_array())
      for (const auto& m : params["maps"]) maps.push_back(m.get<std::string>());
    const std::string tenant = params.value("tenant", tenant_default());
    return deploy(name, version, *component, params.value("manifest", Json::object()), maps, tenant);
  }

  Result<Json> deploy(const std::string& name, const std::string& version, ByteView component, const Json& manifest_json,
                      const std::vector<std::string>& maps, const std::string& tenant) {
    if (name.empty() || name.size() > 128) return common::invalid_argument("'name' must be 1..128 characters");
    if (version.empty() || version.size() > 64) return common::invalid_argument("'version' must be 1..64 characters");
    if (tenant.size() != 40 || !common::hex_decode(tenant).ok()) return common::invalid_argument("'tenant' must be 40 hex");
    T3N_ASSIGN_OR_RETURN(runtime::Manifest manifest, runtime::parse_manifest(manifest_json));
    // Check and compile before anything is stored.
    T3N_ASSIGN_OR_RETURN(auto contract, runtime->load(component, manifest));
    T3N_ASSIGN_OR_RETURN(Bytes sealed, crypto::seal_box(crypto::AeadAlg::kAes256Gcm, contract_key,
                                                        common::as_bytes("t3n/contract/v1"), component));
    T3N_ASSIGN_OR_RETURN(cas::Cid cid, cas->put(sealed));
    std::lock_guard lock(deploy_mu);
    auto tx = store->begin(store::Principal::system());
    T3N_ASSIGN_OR_RETURN(auto row_bytes, tx.get(kScripts, common::as_bytes(name)));
    Json row = row_bytes ? Json::parse(common::to_string(*row_bytes)) : Json{{"versions", Json::object()}};
    if (row["versions"].contains(version))
      return Status(ErrorCode::kAlreadyExists, "contract " + name + " version " + version + " already exists");
    // One contract id per name: every version keeps its maps and ACLs.
    std::uint32_t id = row.value("contract_id", 0u);
    if (id == 0) {
      T3N_ASSIGN_OR_RETURN(auto next_bytes, tx.get(kNodeMeta, common::as_bytes("next_contract_id")));
      id = next_bytes ? static_cast<std::uint32_t>(std::stoul(common::to_string(*next_bytes))) : 1;
      T3N_RETURN_IF_ERROR(tx.put(kNodeMeta, common::as_bytes("next_contract_id"), common::to_bytes(std::to_string(id + 1))));
      row["contract_id"] = id;
      row["tenant"] = tenant;
    } else if (row.value("tenant", std::string()) != tenant) {
      return common::permission_denied("contract " + name + " belongs to another tenant");
    }
    row["versions"][version] = {{"version", version}, {"cid", cid.to_string()}, {"manifest", runtime::manifest_to_json(manifest)},
                                {"contract_id", id}, {"tenant", tenant}, {"code_hash", common::hex_encode(contract->code_hash())}};
    row["latest"] = version;
    T3N_RETURN_IF_ERROR(tx.put(kScripts, common::as_bytes(name), common::to_bytes(row.dump())));
    for (const auto& tail : maps) {
      const std::string map = "z:" + tenant + ":" + tail;
      if (auto spec = store->map_spec(map)) {
        if (std::find(spec->writers.begin(), spec->writers.end(), id) == spec->writers.end())
          return common::permission_denied("map " + map + " already exists and belongs to another contract");
        continue;
      }
      const auto vis = tail.rfind("public:", 0) == 0 ? store::Visibility::kPublic : store::Visibility::kPrivate;
      T3N_RETURN_IF_ERROR(tx.create_map({map, vis, {id}, {}}));
    }
    T3N_ASSIGN_OR_RETURN(store::CommitInfo info, store->commit(tx));
    {
      std::lock_guard cl(contracts_mu);
      loaded[cid.to_string()] = contract;
    }
    log.info("deployed contract {} version {} as id {} ({})", name, version, id, cid.to_string());
    return Json{{"name", name}, {"version", version}, {"cid", cid.to_string()}, {"contract_id", id},
                {"tx_seqno", info.seqno}, {"functions", contract->functions()}};
  }

  Result<ContractVersion> resolve(const std::string& name, const std::optional<std::string>& version) {
    auto tx = store->begin(store::Principal::system());
    T3N_ASSIGN_OR_RETURN(auto row_bytes, tx.get(kScripts, common::as_bytes(name)));
    if (!row_bytes) return common::not_found("no contract named '" + name + "'");
    T3N_ASSIGN_OR_RETURN(Json row, common::parse_json(common::to_string(*row_bytes)));
    const std::string v = version.value_or(row.value("latest", std::string()));
    if (!row["versions"].contains(v)) return common::not_found("contract '" + name + "' has no version '" + v + "'");
    return version_from_json(row["versions"][v]);
  }

  Result<std::shared_ptr<const runtime::Contract>> contract_for(const ContractVersion& v) {
    {
      std::lock_guard lock(contracts_mu);
      if (auto it = loaded.find(v.cid); it != loaded.end()) return it->second;
    }
    T3N_ASSIGN_OR_RETURN(cas::Cid cid, cas::Cid::parse(v.cid));
    T3N_ASSIGN_OR_RETURN(Bytes sealed, cas->get(cid));
    T3N_ASSIGN_OR_RETURN(Bytes component, crypto::open_box(crypto::AeadAlg::kAes256Gcm, contract_key,
                                                           common::as_bytes("t3n/contract/v1"), sealed));
    T3N_ASSIGN_OR_RETURN(runtime::Manifest m, runtime::parse_manifest(v.manifest));
    T3N_ASSIGN_OR_RETURN(auto contract, runtime->load(component, std::move(m)));
    std::lock_guard lock(contracts_mu);
    loaded[v.cid] = contract;
    return contract;
  }

  // ---- user data blobs ----
  // Each user's data key is random and stored sealed by the cluster KEK:
  // destroying the sealed key makes every copy of the user's blobs unreadable.
  Result<SecretBytes> user_data_key(store::Transaction& tx, ByteView user_id, bool create) {
    T3N_ASSIGN_OR_RETURN(auto sealed, tx.get(kUserKeys, user_id));
    if (sealed) {
      T3N_ASSIGN_OR_RETURN(Bytes key, crypto::open_box(crypto::AeadAlg::kAes256Gcm, data_kek, user_id, *sealed));
      SecretBytes out(key);
      common::secure_zero(key);
      return out;
    }
    if (!create) return common::not_found("no data key for this user");
    T3N_ASSIGN_OR_RETURN(SecretBytes key, crypto::random_secret(32));
    T3N_ASSIGN_OR_RETURN(Bytes wrapped, crypto::seal_box(crypto::AeadAlg::kAes256Gcm, data_kek, user_id, key));
    T3N_RETURN_IF_ERROR(tx.put(kUserKeys, user_id, wrapped));
    return key;
  }

  Result<Json> data_put(const Bytes& user, const Json& params) {
    T3N_ASSIGN_OR_RETURN(std::string b64, common::json_string(params, "data"));
    auto data = common::base64_decode(b64);
    if (!data.ok()) return common::invalid_argument("'data' must be base64");
    auto tx = store->begin(store::Principal::system());
    T3N_ASSIGN_OR_RETURN(SecretBytes key, user_data_key(tx, user, true));
    T3N_ASSIGN_OR_RETURN(Bytes sealed, crypto::seal_box(crypto::AeadAlg::kAes256Gcm, key, user, *data));
    T3N_ASSIGN_OR_RETURN(cas::Cid cid, cas->put(sealed));
    T3N_RETURN_IF_ERROR(tx.put(kUserData, user, common::to_bytes(cid.to_string())));
    T3N_ASSIGN_OR_RETURN(store::CommitInfo info, store->commit(tx));
    return Json{{"cid", cid.to_string()}, {"size", data->size()}, {"tx_seqno", info.seqno}};
  }

  Result<std::optional<Bytes>> data_of(const Bytes& user) {
    auto tx = store->begin(store::Principal::system());
    T3N_ASSIGN_OR_RETURN(auto ref, tx.get(kUserData, user));
    if (!ref) return std::optional<Bytes>{};
    T3N_ASSIGN_OR_RETURN(cas::Cid cid, cas::Cid::parse(common::to_string(*ref)));
    T3N_ASSIGN_OR_RETURN(Bytes sealed, cas->get(cid));
    T3N_ASSIGN_OR_RETURN(SecretBytes key, user_data_key(tx, user, false));
    T3N_ASSIGN_OR_RETURN(Bytes data, crypto::open_box(crypto::AeadAlg::kAes256Gcm, key, user, sealed));
    return std::optional<Bytes>(std::move(data));
  }

  // ---- execution flow (ARCHITECTURE.md §3, steps 3–8) ----
  Result<Json> set_delegations(const Bytes& user, const Json& params) {
    if (!params.contains("payload")) return common::invalid_argument("'payload' is required");
    T3N_ASSIGN_OR_RETURN(auto grants, identity::parse_delegations(params["payload"]));
    auto tx = store->begin(store::Principal::system());
    T3N_RETURN_IF_ERROR(tx.put(kAuth, user, common::to_bytes(params["payload"].dump())));
    T3N_ASSIGN_OR_RETURN(store::CommitInfo info, store->commit(tx));
    return Json{{"agents", grants.size()}, {"tx_seqno", info.seqno}};
  }

  Result<Json> execute(const Bytes& caller_user, const std::string& caller_did, const Json& params,
                       const std::string& request_id) {
    T3N_ASSIGN_OR_RETURN(std::string script, common::json_string(params, "script_name"));
    T3N_ASSIGN_OR_RETURN(std::string function, common::json_string(params, "function_name"));
    T3N_ASSIGN_OR_RETURN(auto version, common::json_optional_string(params, "script_version"));
    T3N_ASSIGN_OR_RETURN(auto pii_did, common::json_optional_string(params, "pii_did"));
    const Json input = params.contains("input") ? params["input"] : Json(nullptr);
    T3N_ASSIGN_OR_RETURN(ContractVersion v, resolve(script, version));
    // Step 5: acting on someone else's data needs their grant for this
    // contract, version and function.
    Bytes user = caller_user;
    if (pii_did && *pii_did != identity::t3n_did(caller_user)) {
      T3N_ASSIGN_OR_RETURN(Bytes owner, identity::parse_t3n_did(*pii_did));
      auto tx = store->begin(store::Principal::system());
      T3N_ASSIGN_OR_RETURN(auto grants_bytes, tx.get(kAuth, owner));
      if (!grants_bytes) return common::permission_denied("the data owner has granted no delegations");
      T3N_ASSIGN_OR_RETURN(Json payload, common::parse_json(common::to_string(*grants_bytes)));
      T3N_ASSIGN_OR_RETURN(auto grants, identity::parse_delegations(payload));
      T3N_RETURN_IF_ERROR(identity::check_delegation(grants, {caller_did, identity::t3n_did(caller_user)}, script,
                                                     v.version, function));
      user = owner;
    }
    T3N_ASSIGN_OR_RETURN(auto contract, contract_for(v));
    T3N_ASSIGN_OR_RETURN(auto profile, data_of(user));
    T3N_ASSIGN_OR_RETURN(Bytes tenant_did, common::hex_decode(v.tenant));
    for (int attempt = 0;; ++attempt) {
      auto tx = store->begin(store::Principal::contract(v.contract_id, v.tenant));
      runtime::CallContext ctx;
      ctx.tx = &tx;
      ctx.contract_id = v.contract_id;
      ctx.tenant_tid = v.tenant;
      ctx.tenant_did = tenant_did;
      ctx.calling_user_did = user;
      ctx.cluster_timestamp_ms = api::unix_ms_now();
      ctx.seqno = store->last_seqno();
      ctx.request_id = request_id;
      ctx.node_config = &node_config_kv;
      ctx.user_profile = profile;
      runtime::CallOutcome out = runtime->call(*contract, function, input, ctx);
      metrics.fuel += out.fuel_consumed;
      metrics.call_micros += static_cast<std::uint64_t>(out.elapsed.count());
      metrics.call_seconds.observe(static_cast<double>(out.elapsed.count()) / 1e6);
      if (!out.ok) {
        ++metrics.calls_failed;
        const ErrorCode code = out.error == runtime::CallErrorKind::kUnknownFunction ? ErrorCode::kNotFound
                               : out.error == runtime::CallErrorKind::kBadInput       ? ErrorCode::kInvalidArgument
                                                                                      : ErrorCode::kFailedPrecondition;
        return Status(code, std::string(runtime::call_error_name(out.error)) + ": " + out.message);
      }
      Json result = {{"response", out.response}, {"fuel", out.fuel_consumed}};
      if (!tx.has_writes()) {
        ++metrics.calls_ok;
        result["tx_seqno"] = nullptr;
        return result;
      }
      auto committed = store->commit(tx);
      if (committed.ok()) {
        ++metrics.calls_ok;
        ++metrics.commits;
        result["tx_seqno"] = committed->seqno;
        return result;
      }
      if (committed.status().code() != ErrorCode::kConflict || attempt + 1 >= kMaxConflictRetries)
        return committed.status();
    }
  }

  // ---- JSON-RPC ----
  Json handle_rpc(ByteView body, const identity::HeaderLookup& header, const std::string& path) {
    Json id = nullptr;
    auto req = common::parse_json(common::to_string(body), 64);
    if (!req.ok()) return rpc_reply_error(id, {-32700, "parse error: " + req.status().message(), "parse_error"});
    if (!req->is_object() || req->value("jsonrpc", "") != "2.0" || !req->contains("method") || !(*req)["method"].is_string())
      return rpc_reply_error(id, {-32600, "invalid request: expected a JSON-RPC 2.0 request object", "invalid_request"});
    id = req->value("id", Json(nullptr));
    const std::string method = (*req)["method"];
    const Json params = req->value("params", Json::object());
    if (!params.is_object()) return rpc_reply_error(id, {-32602, "params must be an object", "invalid_params"});
    auto caller = identity::authenticate_request("POST", path, body, header, replay, api::unix_ms_now());
    if (!caller.ok()) return rpc_reply_error(id, rpc_error_of(caller.status()));
    auto user = user_for(caller->did);
    if (!user.ok()) return rpc_reply_error(id, rpc_error_of(user.status()));
    const std::string request_id = common::hex_encode(*crypto::random_vector(8));
    Result<Json> result = common::internal_error("unreachable");
    if (method == "action.execute") {
      result = execute(*user, caller->did, params, request_id);
    } else if (method == "contract.register") {
      if (!config.dev) result = common::permission_denied("contract.register is for operators (not open outside dev mode)");
      else result = register_contract(params);
    } else if (method == "contract.current") {
      auto name = common::json_string(params, "name");
      if (!name.ok()) result = name.status();
      else {
        auto v = resolve(*name, std::nullopt);
        if (!v.ok()) result = v.status();
        else result = Json{{"name", *name}, {"version", v->version}, {"cid", v->cid}, {"contract_id", v->contract_id},
                           {"manifest", v->manifest}};
      }
    } else if (method == "data.put") {
      result = data_put(*user, params);
    } else if (method == "data.get") {
      auto d = data_of(*user);
      if (!d.ok()) result = d.status();
      else if (!*d) result = common::not_found("no data stored for this user");
      else result = Json{{"data", common::base64_encode(**d)}};
    } else if (method == "delegation.set") {
      result = set_delegations(*user, params);
    } else if (method == "identity.whoami") {
      result = Json{{"did", identity::t3n_did(*user)}, {"authenticator", caller->did}};
    } else {
      ++metrics.rpc_errors;
      return rpc_reply_error(id, {-32601, "method not found: " + method, "method_not_found"});
    }
    if (!result.ok()) {
      ++metrics.rpc_errors;
      RpcError e = rpc_error_of(result.status());
      if (result.status().code() == ErrorCode::kFailedPrecondition) {
        e = {-32000, result.status().message(), result.status().message().substr(0, result.status().message().find(':'))};
      }
      if (e.code == -32603) log.error("rpc {} failed: {} request_id={}", method, result.status().to_string(), request_id);
      return rpc_reply_error(id, e);
    }
    return {{"jsonrpc", "2.0"}, {"id", id}, {"result", *result}};
  }

  void setup_routes();
};

namespace {

// Dev mode: TDX evidence from the simulated platform (tdx_sim.h), in the
// exact quote format and through the real verifier — but signed by a test
// PKI, so it verifies only for a client that pins the simulated root
// explicitly, and proves nothing about hardware.
Result<Json> simulated_attestation(ByteView platform_seed, ByteView ed25519_public_key, ByteView mldsa65_public_key,
                                   const Bytes& ohttp) {
  attest::SimulatedTdxPlatformOptions options;
  options.not_before = 1735689600;  // 2025-01-01: fixed, so a dev node's test anchor is stable
  options.not_after = 2366841600;   // 2045-01-01
  T3N_ASSIGN_OR_RETURN(auto platform, attest::SimulatedTdxPlatform::create(platform_seed, options));
  attest::SimulatedTd td;
  const auto mrtd = crypto::sha384(common::as_bytes("t3n simulated TD: t3nd " T3N_VERSION));
  std::copy(mrtd.begin(), mrtd.end(), td.mr_td.begin());
  const auto report_data = attest::node_key_binding(ed25519_public_key, mldsa65_public_key, ohttp);
  T3N_ASSIGN_OR_RETURN(Bytes quote, platform.quote(td, report_data));
  Json crls = Json::array();
  for (const auto& crl : platform.crls_der()) crls.push_back(common::base64_encode(crl));
  const auto& col = platform.collateral();
  return Json{{"provider", "IntelTdx"},
              {"simulated", true},
              {"evidence", common::base64_encode(quote)},
              {"report_data", common::hex_encode(report_data)},
              {"binds", {{"ed25519_public_key", common::base64url_encode(ed25519_public_key)},
                         {"mldsa65_public_key", common::base64url_encode(mldsa65_public_key)},
                         {"ohttp_keys", common::base64url_encode(ohttp)}}},
              {"simulated_root_ca_sha256", platform.root_ca_sha256()},
              {"collateral", {{"tcb_info", col.tcb_info_json}, {"qe_identity", col.qe_identity_json},
                              {"tcb_signing_chain", col.tcb_signing_chain_pem}, {"crls", crls}}},
              {"note", "dev mode: simulated TDX evidence signed by a test PKI; it verifies only against the simulated "
                       "root and proves nothing about hardware — do not trust this node with real data"}};
}

}  // namespace

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() { stop(); }

Result<std::unique_ptr<Node>> Node::create(NodeConfig config, common::Logger log) {
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  impl->log = log;
  if (!impl->config.dev)
    return Status(ErrorCode::kUnimplemented,
                  "only dev mode (simulated TEE) is available in this build: a production node needs its sealing root "
                  "released to it after attestation (a key-release service, not built yet); `t3n attest evidence` "
                  "already produces TDX, SEV-SNP and Nitro evidence on real hardware");
  std::error_code ec;
  std::filesystem::create_directories(impl->config.data_dir, ec);
  if (ec) return common::failed_precondition("cannot create " + impl->config.data_dir.string());
  // Simulated TEE: the sealing root is a published development constant, so
  // dev data is NOT confidential. A real node derives it inside the TD.
  impl->root = SecretBytes(crypto::sha256(common::as_bytes("t3n simulated TEE sealing root — development only")));
  auto key = [&](std::string_view label, std::size_t n) { return std::move(crypto::derive_key(impl->root, label, {}, n)).value(); };
  impl->contract_key = key("node/contract-key", 32);
  impl->data_kek = key("node/user-data-kek", 32);
  impl->index_key = key("node/authenticator-index", 32);
  {
    T3N_ASSIGN_OR_RETURN(auto ed, crypto::Ed25519PrivateKey::from_seed(key("node/ed25519", 32)));
    T3N_ASSIGN_OR_RETURN(auto pq, crypto::mldsa65_keygen_derand(key("node/mldsa65", 32)));
    impl->signing = std::make_shared<const store::NodeSigningKeys>(store::NodeSigningKeys{std::move(ed), std::move(pq)});
  }
  store::StoreOptions so;
  so.path = impl->config.data_dir / "store";
  so.ledger_secrets.push_back({0, key("node/ledger-secret", 32)});
  so.signing_keys = impl->signing;
  so.signature_interval_entries = 100;
  so.signature_interval_ms = 1000;
  T3N_ASSIGN_OR_RETURN(impl->store, store::Store::open(std::move(so)));
  {
    auto tx = impl->store->begin(store::Principal::system());
    bool created = false;
    for (auto m : {kScripts, kDids, kUsers, kUserData, kNodeMeta, kAuth, kUserKeys}) {
      if (impl->store->map_spec(m)) continue;
      T3N_RETURN_IF_ERROR(tx.create_map({std::string(m), store::Visibility::kPrivate, {}, {}}));
      created = true;
    }
    if (created) T3N_RETURN_IF_ERROR(impl->store->commit(tx).status());
  }
  if (impl->config.ipfs_api.empty()) {
    T3N_ASSIGN_OR_RETURN(impl->cas, cas::open_local_blob_store(impl->config.data_dir / "cas"));
  } else {
    T3N_ASSIGN_OR_RETURN(impl->cas, cas::open_kubo_blob_store(impl->config.ipfs_api));
  }
  runtime::RuntimeOptions ro;
  ro.cache_dir = impl->config.data_dir / "compiled";
  ro.cache_secret = key("node/compile-cache", 32);
  ro.log = log.with("component", "runtime");
  T3N_ASSIGN_OR_RETURN(impl->runtime, runtime::Runtime::create(std::move(ro), host::core_registry()));
  {
    std::vector<api::OhttpGateway::Key> keys;
    T3N_ASSIGN_OR_RETURN(auto xwing, crypto::HpkePrivateKey::derive(crypto::HpkeKem::kXWing, key("node/ohttp-xwing", 32)));
    T3N_ASSIGN_OR_RETURN(auto x25519, crypto::HpkePrivateKey::derive(crypto::HpkeKem::kX25519HkdfSha256, key("node/ohttp-x25519", 32)));
    keys.push_back({1, std::move(xwing), {{crypto::HpkeKdf::kHkdfSha256, crypto::HpkeAead::kAes256Gcm},
                                          {crypto::HpkeKdf::kHkdfSha256, crypto::HpkeAead::kChaCha20Poly1305}}});
    keys.push_back({2, std::move(x25519), {{crypto::HpkeKdf::kHkdfSha256, crypto::HpkeAead::kAes128Gcm}}});
    impl->gateway = std::make_unique<api::OhttpGateway>(std::move(keys));
  }
  impl->node_config_kv = {{"node_id", impl->config.node_id}, {"version", T3N_VERSION}, {"tee", "simulated"}};
  T3N_ASSIGN_OR_RETURN(impl->attestation_doc, simulated_attestation(key("node/simulated-tdx-platform", 32), impl->signing->ed25519.public_key(),
                                                                      impl->signing->mldsa.public_key,
                                                                      api::encode_key_configs(impl->gateway->key_configs())));
  impl->setup_routes();
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Result<common::Json> Node::deploy(const std::string& name, const std::string& version, ByteView component,
                                  const common::Json& manifest, const std::vector<std::string>& maps,
                                  const std::string& tenant_tid) {
  return impl_->deploy(name, version, component, manifest, maps, tenant_tid.empty() ? impl_->tenant_default() : tenant_tid);
}

void Node::Impl::setup_routes() {
  server.set_payload_max_length(config.max_body_bytes);
  server.set_read_timeout(10, 0);
  server.set_write_timeout(10, 0);
  server.set_keep_alive_max_count(1000);
  server.set_tcp_nodelay(true);  // no Nagle + delayed-ACK stalls on keep-alive request/response pairs
  // cpp-httplib serves one connection per pool thread for the connection's
  // lifetime (keep-alive), so the pool bounds concurrent connections, not
  // CPU use: size it for clients; CPU-bound work is bounded by the cores anyway.
  const int threads = config.worker_threads > 0 ? config.worker_threads : static_cast<int>(std::max(64u, 8 * std::thread::hardware_concurrency()));
  server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };  // NOLINT(cppcoreguidelines-owning-memory): httplib owns it

  auto json_reply = [](httplib::Response& res, const Json& j, int status = 200) {
    res.status = status;
    res.set_content(j.dump(), "application/json");
  };

  server.Get("/ohttp-keys", [this](const httplib::Request&, httplib::Response& res) {
    ++metrics.requests;
    Bytes keys = api::encode_key_configs(gateway->key_configs());
    res.set_content(std::string(keys.begin(), keys.end()), std::string(api::kOhttpKeysMediaType));
  });

  server.Post("/api/ohttp", [this](const httplib::Request& req, httplib::Response& res) {
    ++metrics.requests;
    ++metrics.ohttp_requests;
    const auto started = std::chrono::steady_clock::now();
    struct Observe {
      Histogram& h;
      std::chrono::steady_clock::time_point t0;
      ~Observe() { h.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()); }
    } observe{metrics.ohttp_seconds, started};
    auto dec = gateway->decapsulate(common::as_bytes(req.body));
    if (!dec.ok()) {
      // RFC 9458 §5.2: a request that does not decrypt gets a 400, nothing more.
      res.status = 400;
      res.set_content(dec.status().code() == ErrorCode::kVerificationFailed ? "request did not decrypt" : "malformed request",
                      "text/plain");
      return;
    }
    api::BhttpResponse inner_res;
    auto inner = api::decode_bhttp_request(dec->request);
    if (!inner.ok()) {
      inner_res.status = 400;
      inner_res.content = common::to_bytes(inner.status().message());
    } else if (inner->method != "POST" || inner->path != "/api/rpc") {
      inner_res.status = 404;
      inner_res.content = common::to_bytes("only POST /api/rpc is served through the gateway");
    } else {
      const auto& in = *inner;
      Json reply = handle_rpc(in.content, [&in](std::string_view n) { return in.header(n); }, "/api/rpc");
      inner_res.status = 200;
      inner_res.headers = {{"content-type", "application/json"}};
      inner_res.content = common::to_bytes(reply.dump());
    }
    auto out = dec->responder.encapsulate(api::encode_bhttp_response(inner_res));
    if (!out.ok()) {
      res.status = 500;
      return;
    }
    res.set_content(std::string(out->begin(), out->end()), std::string(api::kOhttpResponseMediaType));
  });

  server.Post("/api/rpc", [this, json_reply](const httplib::Request& req, httplib::Response& res) {
    ++metrics.requests;
    if (!config.dev_plaintext) {
      json_reply(res, rpc_reply_error(nullptr, {-32600, "plaintext /api/rpc is disabled: use the OHTTP gateway at /api/ohttp", "plaintext_disabled"}), 403);
      return;
    }
    Json reply = handle_rpc(common::as_bytes(req.body), [&req](std::string_view n) { return req.get_header_value(std::string(n)); }, "/api/rpc");
    json_reply(res, reply);
  });

  server.Get("/status", [this, json_reply](const httplib::Request&, httplib::Response& res) {
    ++metrics.requests;
    json_reply(res, {{"node_id", config.node_id}, {"version", T3N_VERSION}, {"raft_role", "leader"},
                     {"seqno", store->last_seqno()}, {"measurement", "simulated"}, {"tee", "simulated"}, {"dev", config.dev}});
  });

  server.Get("/api/trust-manifest", [this, json_reply](const httplib::Request&, httplib::Response& res) {
    ++metrics.requests;
    Json configs = Json::array();
    for (const auto& c : gateway->key_configs()) configs.push_back(common::hex_encode(api::encode_key_config(c)));
    json_reply(res, {{"node_id", config.node_id},
                     {"ed25519_public_key", common::base64url_encode(signing->ed25519.public_key())},
                     {"mldsa65_public_key", common::base64url_encode(signing->mldsa.public_key)},
                     {"ohttp_key_configs", configs},
                     {"tee", "simulated"}});
  });

  server.Get("/api/attestation", [this, json_reply](const httplib::Request&, httplib::Response& res) {
    ++metrics.requests;
    json_reply(res, attestation_doc);
  });

  // Stateless verification of evidence a client or peer presents (no TEE needed here).
  server.Post("/api/verify/tee-attestation", [this, json_reply](const httplib::Request& req, httplib::Response& res) {
    ++metrics.requests;
    auto body = common::parse_json(req.body);
    if (!body.ok() || !body->is_object()) {
      json_reply(res, {{"error", "expected a JSON object"}}, 400);
      return;
    }
    const std::string provider = body->contains("provider") && (*body)["provider"].is_string() ? (*body)["provider"].get<std::string>() : "";
    if (provider != attest::kProviderTdx && provider != attest::kProviderSnp && provider != attest::kProviderNitro) {
      json_reply(res, {{"error", "'provider' must be IntelTdx, AmdSevSnp or AwsNitro"}}, 400);
      return;
    }
    auto evidence = body->contains("evidence") && (*body)["evidence"].is_string()
                        ? common::base64_decode((*body)["evidence"].get<std::string>())
                        : Result<Bytes>(common::invalid_argument("missing"));
    if (!evidence.ok() || evidence->empty()) {
      json_reply(res, {{"error", "'evidence' (base64: a TDX quote, an SEV-SNP report or a Nitro document) is required"}}, 400);
      return;
    }
    attest::EvidenceCollateral col;
    attest::CertCheckOptions opt;
    opt.cache = &attestation_cache;
    if (body->contains("at_unix")) {
      if (!(*body)["at_unix"].is_number_integer()) {
        json_reply(res, {{"error", "'at_unix' must be an integer (seconds since 1970)"}}, 400);
        return;
      }
      opt.at = static_cast<std::time_t>((*body)["at_unix"].get<long long>());
    }
    if (Status parsed = attest::collateral_from_json(provider, *body, col, opt); !parsed.ok()) {
      json_reply(res, {{"error", parsed.message()}}, 400);
      return;
    }
    if (provider == attest::kProviderTdx && !body->contains("collateral")) {
      if (Status from_disk = local_tdx_collateral(*evidence, col.tdx, opt); !from_disk.ok()) {
        const int code = from_disk.code() == ErrorCode::kNotFound ? 422 : from_disk.code() == ErrorCode::kUnavailable ? 503 : 400;
        json_reply(res, {{"error", from_disk.message()}}, code);
        return;
      }
    }
    if (provider == attest::kProviderSnp && col.snp.vcek_der.empty()) {
      json_reply(res, {{"error", "SEV-SNP evidence needs 'collateral': {vcek (base64 DER), ask (PEM), ark (PEM)}"}}, 422);
      return;
    }
    attest::AttestationPolicy policy;
    if (body->contains("policy")) {
      auto p = (*body)["policy"].is_string()
                   ? attest::attestation_policy_from_toml((*body)["policy"].get<std::string>(), "policy")
                   : Result<attest::AttestationPolicy>(common::invalid_argument("'policy' must be TOML text"));
      if (!p.ok()) {
        json_reply(res, {{"error", p.status().message()}}, 400);
        return;
      }
      policy = std::move(*p);
    }
    auto report = attest::verify_evidence(provider, *evidence, col, opt, policy);
    if (!report.ok()) {
      json_reply(res, {{"error", report.status().message()}}, 400);
      return;
    }
    json_reply(res, *report);
  });

  server.Get("/api/public-kv", [this, json_reply](const httplib::Request& req, httplib::Response& res) {
    ++metrics.requests;
    auto v = store->public_get(req.get_param_value("map"), common::as_bytes(req.get_param_value("key")));
    if (!v.ok()) {
      json_reply(res, {{"error", v.status().message()}}, v.status().code() == ErrorCode::kNotFound ? 404 : 403);
      return;
    }
    if (!*v) {
      json_reply(res, {{"error", "no such key"}}, 404);
      return;
    }
    json_reply(res, {{"map", req.get_param_value("map")}, {"key", req.get_param_value("key")},
                     {"value", common::to_string(**v)}});
  });

  server.Get("/api/receipt", [this, json_reply](const httplib::Request& req, httplib::Response& res) {
    ++metrics.requests;
    std::uint64_t seqno = 0;
    try {
      seqno = std::stoull(req.get_param_value("seqno"));
    } catch (...) {
      json_reply(res, {{"error", "seqno must be a number"}}, 400);
      return;
    }
    auto r = store->receipt(seqno);
    if (!r.ok() && r.status().code() == ErrorCode::kUnavailable) {
      (void)store->sign_now();
      r = store->receipt(seqno);
    }
    if (!r.ok()) {
      json_reply(res, {{"error", r.status().message()}}, r.status().code() == ErrorCode::kNotFound ? 404 : 503);
      return;
    }
    json_reply(res, store::receipt_to_json(*r));
  });

  server.Get("/api/proof", [this, json_reply](const httplib::Request& req, httplib::Response& res) {
    ++metrics.requests;
    const std::string map = req.get_param_value("map");
    auto spec = store->map_spec(map);
    if (!spec || spec->visibility != store::Visibility::kPublic) {
      json_reply(res, {{"error", "proofs over REST are served for public maps only"}}, 403);
      return;
    }
    auto p = store->prove(map, common::as_bytes(req.get_param_value("key")));
    if (!p.ok()) {
      json_reply(res, {{"error", p.status().message()}}, 400);
      return;
    }
    Json j = {{"proof", store::state_proof_to_json(p->proof)}, {"state_root", common::hex_encode(p->state_root)},
              {"seqno", p->seqno}};
    if (p->value) j["value"] = common::to_string(*p->value), j["version"] = p->version;
    json_reply(res, j);
  });

  server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::string m;
    auto counter = [&m](const char* name, const char* help, std::uint64_t v) {
      m += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " + std::to_string(v) + "\n";
    };
    counter("t3n_http_requests_total", "HTTP requests served.", metrics.requests);
    counter("t3n_ohttp_requests_total", "Oblivious HTTP requests.", metrics.ohttp_requests);
    counter("t3n_rpc_errors_total", "JSON-RPC calls that returned an error.", metrics.rpc_errors);
    counter("t3n_contract_calls_total{outcome=\"ok\"}", "Contract calls by outcome.", metrics.calls_ok);
    m += "t3n_contract_calls_total{outcome=\"failed\"} " + std::to_string(metrics.calls_failed.load()) + "\n";
    counter("t3n_commits_total", "Transactions committed by contract calls.", metrics.commits);
    counter("t3n_contract_fuel_total", "Fuel consumed by contract calls.", metrics.fuel);
    counter("t3n_contract_call_microseconds_total", "Time spent in contract calls.", metrics.call_micros);
    m += metrics.call_seconds.render("t3n_contract_call_duration_seconds", "Contract call latency (sandbox only).");
    m += metrics.ohttp_seconds.render("t3n_ohttp_request_duration_seconds", "End-to-end OHTTP request latency.");
    m += "# HELP t3n_ledger_seqno Last committed sequence number.\n# TYPE t3n_ledger_seqno gauge\nt3n_ledger_seqno " +
         std::to_string(store->last_seqno()) + "\n";
    res.set_content(m, "text/plain; version=0.0.4");
  });

  server.set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    log.error("unexpected exception while serving a request");
    res.status = 500;
    res.set_content("internal error", "text/plain");
  });
}

Status Node::run(const std::function<void(int port)>& on_ready) {
  int port = impl_->config.listen_port;
  if (port == 0) {
    port = impl_->server.bind_to_any_port(impl_->config.listen_host);
  } else if (!impl_->server.bind_to_port(impl_->config.listen_host, port)) {
    port = -1;
  }
  if (port < 0) return Status(ErrorCode::kUnavailable, "cannot listen on " + impl_->config.listen_host + ":" + std::to_string(impl_->config.listen_port));
  if (on_ready) on_ready(port);
  if (!impl_->server.listen_after_bind()) return Status(ErrorCode::kUnavailable, "the HTTP server stopped");
  return {};
}

void Node::stop() {
  if (impl_) impl_->server.stop();
}

Result<NodeConfig> load_node_config(const std::filesystem::path& path) {
  T3N_ASSIGN_OR_RETURN(auto cfg, common::ConfigTable::parse_file(path));
  T3N_RETURN_IF_ERROR(cfg.reject_unknown_keys({"node.id", "node.data_dir", "node.dev", "api.host", "api.port",
                                               "api.dev_plaintext", "api.max_body_bytes", "api.workers", "cas.ipfs_api",
                                               "attestation.pcs_url"}));
  NodeConfig c;
  T3N_ASSIGN_OR_RETURN(c.node_id, cfg.get_string_or("node.id", c.node_id));
  T3N_ASSIGN_OR_RETURN(std::string dir, cfg.get_string_or("node.data_dir", c.data_dir.string()));
  c.data_dir = dir;
  T3N_ASSIGN_OR_RETURN(c.dev, cfg.get_bool_or("node.dev", false));
  T3N_ASSIGN_OR_RETURN(c.listen_host, cfg.get_string_or("api.host", c.listen_host));
  T3N_ASSIGN_OR_RETURN(std::uint64_t port, cfg.get_uint_or("api.port", 8080));
  if (port > 65535) return common::invalid_argument(path.string() + ": key 'api.port': must be 0..65535");
  c.listen_port = static_cast<int>(port);
  T3N_ASSIGN_OR_RETURN(c.dev_plaintext, cfg.get_bool_or("api.dev_plaintext", false));
  T3N_ASSIGN_OR_RETURN(std::uint64_t body, cfg.get_uint_or("api.max_body_bytes", c.max_body_bytes));
  c.max_body_bytes = body;
  T3N_ASSIGN_OR_RETURN(std::uint64_t workers, cfg.get_uint_or("api.workers", 0));
  c.worker_threads = static_cast<int>(workers);
  T3N_ASSIGN_OR_RETURN(c.ipfs_api, cfg.get_string_or("cas.ipfs_api", ""));
  T3N_ASSIGN_OR_RETURN(c.pcs_url, cfg.get_string_or("attestation.pcs_url", ""));
  if (c.dev_plaintext && !c.dev) return common::invalid_argument(path.string() + ": api.dev_plaintext needs node.dev = true");
  return c;
}

}  // namespace t3n::node
