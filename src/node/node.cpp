// Wiring only: configuration → keys → components → endpoint registry →
// HTTP server. Behaviour lives in the modules (api, registry, identity,
// store, runtime, attest).
#include "node/node.h"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <thread>

#include "api/dispatcher.h"
#include "api/endpoints.h"
#include "api/execution.h"
#include "api/http_server.h"
#include "api/ohttp.h"
#include "api/routes.h"
#include "api/services.h"
#include "api/sessions.h"
#include "attest/policy.h"
#include "crypto/mlkem.h"
#include "crypto/secp256k1.h"
#include "attest/collateral_cache.h"
#include "attest/tdx_sim.h"
#include "attest/verification_cache.h"
#include "cas/blob_store.h"
#include "consensus/cluster_member.h"
#include "common/config.h"
#include "common/encoding.h"
#include "crypto/hash.h"
#include "crypto/kdf.h"
#include "host/host.h"
#include "system/agent_registry.h"
#include "system/audit_trail.h"
#include "system/delegation.h"
#include "system/organisations.h"
#include "system/user_accounts.h"
#include "host/outbox.h"
#include "identity/delegation.h"
#include "identity/email_otp.h"
#include "identity/oidc.h"
#include "identity/mailer.h"
#include "identity/request_auth.h"
#include "identity/user_data.h"
#include "identity/users.h"
#include "identity/wallets.h"
#include "crypto/p256.h"
#include "registry/registry.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "system/contract_logs.h"
#include "system/metering.h"
#include "system/system_contract.h"
#include "system/tenant_maps.h"
#include "system/tenants.h"

namespace t3n::node {

namespace {
// An origin as browsers send it: http(s)://host[:port], no path, no slash.
bool valid_origin(std::string_view o) {
  const auto sep = o.find("://");
  if (sep == std::string_view::npos) return false;
  const auto scheme = o.substr(0, sep);
  if (scheme != "https" && scheme != "http") return false;
  const auto rest = o.substr(sep + 3);
  if (rest.empty() || rest.size() > 253) return false;
  for (char c : rest)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']')) return false;
  return true;
}
}  // namespace

using common::Json;

namespace {

// Dev mode: TDX evidence from the simulated platform (tdx_sim.h), in the
// exact quote format and through the real verifier — but signed by a test
// PKI, so it verifies only for a client that pins the simulated root
// explicitly, and proves nothing about hardware.
Result<Json> simulated_attestation(ByteView platform_seed, ByteView ed25519_public_key, ByteView mldsa65_public_key,
                                   const Bytes& ohttp, ByteView mlkem_encaps_key) {
  attest::SimulatedTdxPlatformOptions options;
  options.not_before = 1735689600;  // 2025-01-01: fixed, so a dev node's test anchor is stable
  options.not_after = 2366841600;   // 2045-01-01
  T3N_ASSIGN_OR_RETURN(auto platform, attest::SimulatedTdxPlatform::create(platform_seed, options));
  attest::SimulatedTd td;
  const auto mrtd = crypto::sha384(common::as_bytes("t3n simulated TD: t3nd " T3N_VERSION));
  std::copy(mrtd.begin(), mrtd.end(), td.mr_td.begin());
  // One REPORTDATA for every key: Keccak-512 of the SDK's attestation
  // message, which ends with the binding of the other node keys.
  const std::vector<std::string> peers{attest::libp2p_peer_id(ed25519_public_key)};
  const Bytes message = attest::node_attestation_message(
      mlkem_encaps_key, peers, attest::node_key_binding(ed25519_public_key, mldsa65_public_key, ohttp));
  const auto report_data = attest::report_data_of_message(message);
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
                         {"ohttp_keys", common::base64url_encode(ohttp)},
                         {"mlkem768_encaps_key", common::base64url_encode(mlkem_encaps_key)},
                         {"peer_ids", peers}}},
              {"attestation_msg", common::base64_encode(message)},
              {"simulated_root_ca_sha256", platform.root_ca_sha256()},
              {"collateral", {{"tcb_info", col.tcb_info_json}, {"qe_identity", col.qe_identity_json},
                              {"tcb_signing_chain", col.tcb_signing_chain_pem}, {"crls", crls}}},
              {"note", "dev mode: simulated TDX evidence signed by a test PKI; it verifies only against the simulated "
                       "root and proves nothing about hardware — do not trust this node with real data"}};
}

}  // namespace

namespace {
// The SMS codes' EmailOtp delivers through the outbox (tee:user), never
// through a mailer: a send here is a wiring error, answered as one.
class NoMailer final : public identity::Mailer {
 public:
  Status send(const std::string&, const std::string&, const std::string&) override {
    return Status(ErrorCode::kUnimplemented, "SMS codes are delivered through the outbox");
  }
};
}  // namespace

struct Node::Impl {
  NodeConfig config;
  common::Logger log = common::Logger::to_stderr("t3nd", common::LogLevel::kWarn);
  common::ClockMs clock = common::system_clock_ms();
  std::shared_ptr<const store::NodeSigningKeys> signing;
  // Declared before the store: the store's hooks call into it, so it goes
  // after the store (and is stopped explicitly before both).
  std::unique_ptr<consensus::ClusterMember> cluster;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<cas::BlobStore> cas;
  cas::BlobStore* local_cas = nullptr;  // a cluster member's own blobs (inside `cas`), served to peers
  bool outbox_running = false;          // upkeep thread only (after create)
  consensus::TeeRegistryPolicy tee_timing;
  std::unique_ptr<host::Egress> egress;
  std::unique_ptr<host::OutboxWorker> outbox;
  std::unique_ptr<runtime::Runtime> runtime;
  std::unique_ptr<api::OhttpGateway> gateway;
  std::unique_ptr<registry::ContractRegistry> registry;
  std::unique_ptr<identity::UserDirectory> users;
  std::unique_ptr<identity::UserDataKeys> user_keys;
  std::unique_ptr<identity::CustodialWallets> wallets;
  std::optional<crypto::Secp256k1Signer> wallet_signer;  // handed to `wallets` once it exists
  host::SigningKeys signing_keys;
  std::vector<host::TrustedIssuer> trusted_issuers;  // vp.verify
  std::unique_ptr<system::AccountServices> accounts;  // tee:user
  std::unique_ptr<attest::TdxCollateralCache> collateral;
  identity::ReplayGuard replay;
  attest::VerificationCache attestation_cache;
  api::Metrics metrics;
  Json attestation_doc;
  std::map<std::string, std::string> node_config_kv;
  std::unique_ptr<system::Metering> metering;
  std::unique_ptr<api::SystemServices> system_services;
  std::unique_ptr<api::NodeServices> services;
  crypto::MlKem768KeyPair session_kem;
  std::optional<crypto::Secp256k1Signer> cookie_signer;
  SecretBytes cookie_secret;
  std::unique_ptr<api::SessionTable> sessions;
  std::unique_ptr<api::SessionServices> session_services;
  std::unique_ptr<identity::Mailer> mailer;
  std::unique_ptr<identity::EmailOtp> email_otp;
  std::unique_ptr<identity::Mailer> sms_mailbox;  // dev: SMS codes into a file
  std::unique_ptr<identity::Mailer> no_mailer = std::make_unique<NoMailer>();  // SMS goes through the outbox, never a mailer
  std::unique_ptr<identity::EmailOtp> sms_otp;
  std::unique_ptr<identity::OidcVerifier> oidc;
  api::EndpointRegistry endpoints;
  std::unique_ptr<api::Dispatcher> dispatcher;
  std::unique_ptr<api::HttpServer> server;

  // Background upkeep: a signature entry whenever one is due (so receipts
  // never need a request to force one) and pruning of expired replay entries.
  std::mutex upkeep_mu;
  std::condition_variable upkeep_cv;
  bool stopping = false;
  std::thread upkeep;
  Bytes nonce_prune_cursor;  // where the upkeep's nonce scan resumes (upkeep thread only)

  void upkeep_loop() {
    std::unique_lock lock(upkeep_mu);
    while (!stopping) {
      const std::uint64_t period = config.signature_interval_ms > 0 ? config.signature_interval_ms : 1000;
      upkeep_cv.wait_for(lock, std::chrono::milliseconds(period));
      if (stopping) break;
      lock.unlock();
      // A cluster member does the cluster's upkeep only while it leads; the
      // outbox worker runs on the leader alone (one delivery per request).
      if (cluster) {
        const bool leads = cluster->is_leader();
        if (leads && !outbox_running) {
          if (Status r = outbox->recover(); !r.ok()) log.warn("outbox recovery failed: {}", r.to_string());
          outbox->start();
          outbox_running = true;
        } else if (!leads && outbox_running) {
          outbox->stop();
          outbox_running = false;
        }
        // Every member reads its own record: unattested (or expired), it
        // runs with the longer election timeout (the leader bias).
        cluster->apply_leader_bias(clock());
        if (!leads) {
          sessions->prune();
          lock.lock();
          continue;
        }
        // The leader keeps the TEE registry (what each member's attested
        // links showed, re-checked against the policy when due).
        if (auto r = cluster->refresh_tee_registry(clock(), tee_timing); !r.ok() && r.status().code() != ErrorCode::kConflict)
          log.warn("TEE registry refresh failed: {}", r.status().to_string());
      }
      if (config.signature_interval_ms > 0) {
        if (auto signed_at = store->sign_now(); !signed_at.ok()) log.warn("signature entry failed: {}", signed_at.status().to_string());
      }
      sessions->prune();
      if (auto pruned = api::prune_replay_entries(*services); !pruned.ok() && pruned.status().code() != ErrorCode::kConflict)
        log.warn("pruning replay entries failed: {}", pruned.status().to_string());
      if (auto pruned = api::prune_invocation_nonces(*services, nonce_prune_cursor);
          !pruned.ok() && pruned.status().code() != ErrorCode::kConflict)
        log.warn("pruning used invocation nonces failed: {}", pruned.status().to_string());
      lock.lock();
    }
  }

  void stop_upkeep() {
    {
      std::lock_guard lock(upkeep_mu);
      stopping = true;
    }
    upkeep_cv.notify_all();
    if (upkeep.joinable()) upkeep.join();
  }
};

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() {
  stop();
  if (!impl_) return;
  impl_->stop_upkeep();
  if (impl_->outbox) impl_->outbox->stop();
  if (impl_->cluster) impl_->cluster->stop();  // what is in flight is answered before the store goes
}

bool Node::leads() const { return !impl_->cluster || impl_->cluster->is_leader(); }

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
  const SecretBytes root(crypto::sha256(common::as_bytes("t3n simulated TEE sealing root — development only")));
  auto key = [&](std::string_view label, std::size_t n) { return std::move(crypto::derive_key(root, label, {}, n)).value(); };
  {
    T3N_ASSIGN_OR_RETURN(auto ed, crypto::Ed25519PrivateKey::from_seed(key("node/ed25519", 32)));
    T3N_ASSIGN_OR_RETURN(auto pq, crypto::mldsa65_keygen_derand(key("node/mldsa65", 32)));
    impl->signing = std::make_shared<const store::NodeSigningKeys>(store::NodeSigningKeys{std::move(ed), std::move(pq)});
  }
  const NodeConfig::Cluster& cc = impl->config.cluster;
  if (cc.member_id != 0) {
    // Dev cluster: each member's peer identity derives from the development
    // root and its id (distinct keys per member, simulated evidence). The
    // node keys clients see (audience, attestation, receipts) stay the
    // cluster's, so any member serves any client.
    consensus::ClusterMemberOptions co;
    co.self.id = cc.member_id;
    const auto cluster_id = crypto::sha256(common::as_bytes("t3n cluster: " + cc.name));
    co.self.cluster_id = Bytes(cluster_id.begin(), cluster_id.end());
    const std::string member = "member/" + std::to_string(cc.member_id) + "/";
    T3N_ASSIGN_OR_RETURN(auto ed, crypto::Ed25519PrivateKey::from_seed(key(member + "ed25519", 32)));
    T3N_ASSIGN_OR_RETURN(auto pq, crypto::mldsa65_keygen_derand(key(member + "mldsa65", 32)));
    co.self.keys = std::make_shared<const store::NodeSigningKeys>(store::NodeSigningKeys{std::move(ed), std::move(pq)});
    co.self.evidence = consensus::simulated_evidence(*co.self.keys);
    co.policy = consensus::dev_cluster_policy();
    co.peer_host = cc.peer_host;
    co.peer_port = static_cast<std::uint16_t>(cc.peer_port);
    co.raft_dir = impl->config.data_dir / "raft";
    for (const auto& [id, addr] : cc.bootstrap) co.initial_voters.emplace_back(id, addr);
    co.election_timeout_ms = cc.election_timeout_ms;
    co.snapshot_threshold = cc.snapshot_entries;
    co.snapshot_trailing = std::max(1u, cc.snapshot_entries / 8);
    T3N_ASSIGN_OR_RETURN(impl->cluster, consensus::ClusterMember::create(std::move(co)));
    impl->tee_timing = consensus::TeeRegistryPolicy{cc.tee_reverify_seconds * 1000, cc.tee_ttl_seconds * 1000};
  }
  store::StoreOptions so;
  so.path = impl->config.data_dir / "store";
  if (impl->cluster) impl->cluster->install_store_hooks(so);
  so.ledger_secrets.push_back({0, key("node/ledger-secret", 32)});
  so.signing_keys = impl->signing;
  so.signature_interval_entries = 100;
  // 0 = by entry count only (the store's clock trigger is set out of reach).
  so.signature_interval_ms = impl->config.signature_interval_ms > 0 ? impl->config.signature_interval_ms : (1ull << 62);
  so.clock_ms = impl->clock;
  auto opened = store::Store::open(std::move(so));
  if (!opened.ok() && opened.status().code() == ErrorCode::kDataLoss)
    return Status(ErrorCode::kDataLoss, opened.status().message() + " — if " + impl->config.data_dir.string() +
                                            " was written by an older t3nd, remove it (dev data) and start again");
  T3N_RETURN_IF_ERROR(opened.status());
  impl->store = std::move(*opened);
  if (impl->cluster) T3N_RETURN_IF_ERROR(impl->cluster->start(*impl->store));
  // The ledger's start-up state: tables. Written by a standalone node, or
  // by whichever cluster member leads (followers receive it through Raft).
  auto ensure_all_tables = [&impl]() -> Status {
    store::Store& st = *impl->store;
    T3N_RETURN_IF_ERROR(store::ensure_tables(st, identity::kUsersTable, identity::kAuthenticatorIndex, identity::kUserKeysTable,
                                             identity::kUserDataTable, identity::kDelegationsTable, identity::kWalletsTable));
    T3N_RETURN_IF_ERROR(registry::ensure_registry_tables(st));
    T3N_RETURN_IF_ERROR(api::ensure_api_tables(st));
    T3N_RETURN_IF_ERROR(host::ensure_outbox_tables(st));
    T3N_RETURN_IF_ERROR(system::ensure_metering_tables(st));
    T3N_RETURN_IF_ERROR(system::ensure_tenant_tables(st));
    T3N_RETURN_IF_ERROR(system::ensure_tenant_map_tables(st));
    T3N_RETURN_IF_ERROR(system::ensure_contract_log_tables(st));
    T3N_RETURN_IF_ERROR(system::ensure_audit_tables(st));
    T3N_RETURN_IF_ERROR(system::ensure_agent_tables(st));
    T3N_RETURN_IF_ERROR(system::ensure_organisation_tables(st));
    T3N_RETURN_IF_ERROR(system::ensure_delegation_tables(st));
    return system::ensure_kyc_tables(st);
  };
  if (!impl->cluster) T3N_RETURN_IF_ERROR(ensure_all_tables());
  if (impl->config.ipfs_api.empty()) {
    T3N_ASSIGN_OR_RETURN(impl->cas, cas::open_local_blob_store(impl->config.data_dir / "cas"));
    if (impl->cluster) {
      // Contracts and blobs put on another member are fetched from it (CID-checked).
      impl->local_cas = impl->cas.get();
      consensus::ClusterMember* member = impl->cluster.get();
      impl->cas = cas::make_fetching_blob_store(std::move(impl->cas), [member](const cas::Cid& cid) -> Result<Bytes> {
        return member->call_any("cas.get", cid.bytes(), std::chrono::seconds(10));
      });
      cas::BlobStore* local = impl->local_cas;
      member->set_call_handler("cas.get", [local](const consensus::PeerIdentity&, Bytes request,
                                                 std::function<void(Result<Bytes>)> answer) {
        auto cid = cas::Cid::from_bytes(request);
        if (!cid.ok()) return answer(cid.status());
        answer(local->get(*cid));
      });
    }
  } else {
    T3N_ASSIGN_OR_RETURN(impl->cas, cas::open_kubo_blob_store(impl->config.ipfs_api));
  }
  if (impl->config.egress.allow_private_targets)
    log.warn("egress.allow_private_for_tests is on: contracts may reach loopback and private addresses");
  impl->egress = std::make_unique<host::Egress>(impl->config.egress);
  runtime::RuntimeOptions ro;
  ro.cache_dir = impl->config.data_dir / "compiled";
  ro.cache_secret = key("node/compile-cache", 32);
  ro.log = log.with("component", "runtime");
  {
    // Cluster signing keys: derived from the sealing root like every node
    // secret (a cluster shares them; issue 16 releases the root to peers).
    host::SigningKeys& sk = impl->signing_keys;
    T3N_ASSIGN_OR_RETURN(auto k1, crypto::Secp256k1Signer::create());
    sk.secp256k1 = std::make_shared<const crypto::Secp256k1Signer>(std::move(k1));
    sk.cluster_secp256k1 = key("cluster/secp256k1-signing", 32);
    T3N_ASSIGN_OR_RETURN(sk.cluster_public, sk.secp256k1->public_key(sk.cluster_secp256k1));
    std::map<std::string, std::string> issuers = impl->config.sd_jwt_issuers;
    std::string default_issuer = impl->config.default_issuer;
    if (issuers.empty() && impl->config.dev) {
      issuers["default"] = "urn:t3n:dev-issuer:" + impl->config.node_id;
      default_issuer = "default";
    }
    if (default_issuer.empty() && issuers.size() == 1) default_issuer = issuers.begin()->first;
    sk.default_issuer = default_issuer;
    for (const auto& [id, iss] : issuers) {
      SecretBytes scalar = key("cluster/sd-jwt-issuer/" + id, 32);
      auto p256 = crypto::P256PrivateKey::from_scalar(scalar);
      if (!p256.ok()) return common::internal_error("could not derive the key of issuer " + id);
      auto shared = std::make_shared<const crypto::P256PrivateKey>(std::move(*p256));
      const std::string kid = common::hex_encode(crypto::sha256(shared->public_key())).substr(0, 16);
      sk.issuers.push_back(host::SdJwtIssuer{id, iss, kid, std::move(shared)});
    }
    impl->trusted_issuers = impl->config.trusted_issuers;
    if (impl->config.trust_own_issuers)
      for (const auto& i : sk.issuers) impl->trusted_issuers.push_back(host::TrustedIssuer{i.iss, {{i.kid, i.key->public_key()}}});
    T3N_ASSIGN_OR_RETURN(auto wallet_k1, crypto::Secp256k1Signer::create());
    impl->wallet_signer.emplace(std::move(wallet_k1));
  }
  host::HostDeps host_deps;
  host_deps.cas = impl->cas.get();
  host_deps.egress = impl->egress.get();
  host_deps.signing = &impl->signing_keys;
  host_deps.providers = &impl->config.providers;
  host_deps.trusted_issuers = &impl->trusted_issuers;
  host_deps.ledger = impl->store.get();
  T3N_ASSIGN_OR_RETURN(impl->runtime, runtime::Runtime::create(std::move(ro), host::core_registry(host_deps)));
  {
    std::vector<api::OhttpGateway::Key> keys;
    T3N_ASSIGN_OR_RETURN(auto xwing, crypto::HpkePrivateKey::derive(crypto::HpkeKem::kXWing, key("node/ohttp-xwing", 32)));
    T3N_ASSIGN_OR_RETURN(auto x25519, crypto::HpkePrivateKey::derive(crypto::HpkeKem::kX25519HkdfSha256, key("node/ohttp-x25519", 32)));
    keys.push_back({1, std::move(xwing), {{crypto::HpkeKdf::kHkdfSha256, crypto::HpkeAead::kAes256Gcm},
                                          {crypto::HpkeKdf::kHkdfSha256, crypto::HpkeAead::kChaCha20Poly1305}}});
    keys.push_back({2, std::move(x25519), {{crypto::HpkeKdf::kHkdfSha256, crypto::HpkeAead::kAes128Gcm}}});
    impl->gateway = std::make_unique<api::OhttpGateway>(std::move(keys));
  }
  impl->registry = std::make_unique<registry::ContractRegistry>(*impl->store, *impl->cas, *impl->runtime,
                                                                key("node/contract-key", 32), log.with("component", "registry"));
  impl->users = std::make_unique<identity::UserDirectory>(key("node/authenticator-index", 32), impl->clock);
  impl->user_keys = std::make_unique<identity::UserDataKeys>(key("node/user-data-kek", 32));
  impl->wallets = std::make_unique<identity::CustodialWallets>(*impl->user_keys, std::move(*impl->wallet_signer));
  impl->wallet_signer.reset();
  impl->collateral = std::make_unique<attest::TdxCollateralCache>(impl->config.data_dir / "collateral", impl->config.pcs_url,
                                                                  log.with("component", "collateral"), impl->clock);
  impl->node_config_kv = {{"node_id", impl->config.node_id}, {"version", T3N_VERSION}, {"tee", "simulated"}};
  // The session channel's keys: ML-KEM-768 (bound into the attestation) and
  // the secp256k1 key that signs session cookies.
  T3N_ASSIGN_OR_RETURN(impl->session_kem, crypto::mlkem768_keygen_derand(key("node/session-mlkem768", 64)));
  T3N_ASSIGN_OR_RETURN(auto signer, crypto::Secp256k1Signer::create());
  impl->cookie_signer.emplace(std::move(signer));
  impl->cookie_secret = key("node/session-cookie-secp256k1", 32);
  T3N_ASSIGN_OR_RETURN(Bytes cookie_pub, impl->cookie_signer->public_key(impl->cookie_secret));
  T3N_ASSIGN_OR_RETURN(Bytes cookie_addr, crypto::eth_address(cookie_pub));
  T3N_ASSIGN_OR_RETURN(impl->attestation_doc,
                       simulated_attestation(key("node/simulated-tdx-platform", 32), impl->signing->ed25519.public_key(),
                                             impl->signing->mldsa.public_key, api::encode_key_configs(impl->gateway->key_configs()),
                                             impl->session_kem.encapsulation_key));
  impl->sessions = std::make_unique<api::SessionTable>(impl->config.session_limits, impl->clock);
  if (!impl->config.smtp_url.empty()) {
    identity::SmtpConfig smtp{impl->config.smtp_url, impl->config.smtp_starttls, impl->config.smtp_username,
                              impl->config.smtp_password, impl->config.smtp_from, impl->config.smtp_ca_file};
    T3N_ASSIGN_OR_RETURN(impl->mailer, identity::make_smtp_mailer(std::move(smtp)));
  } else if (impl->config.dev) {
    const auto mailbox = impl->config.data_dir / "dev-mailbox.txt";
    impl->mailer = identity::make_dev_mailbox(mailbox);
    log.warn("e-mail login codes go to the dev mailbox {} (no smtp.url configured)", mailbox.string());
  }
  if (impl->mailer) {
    identity::OtpPolicy otp;
    otp.cooldown_ms = impl->config.otp_cooldown_secs * 1000;
    impl->email_otp = std::make_unique<identity::EmailOtp>(otp, impl->clock, *impl->mailer);
  }
  // SMS codes: the operator's gateway through the outbox, or on a dev node
  // without one the dev SMS mailbox.
  if (!impl->config.sms_url.empty() || impl->config.dev) {
    if (impl->config.sms_url.empty()) {
      const auto mailbox = impl->config.data_dir / "dev-sms.txt";
      impl->sms_mailbox = identity::make_dev_mailbox(mailbox);
      log.warn("SMS codes go to the dev SMS mailbox {} (no sms.url configured)", mailbox.string());
    }
    identity::OtpPolicy otp;
    otp.cooldown_ms = impl->config.otp_cooldown_secs * 1000;
    impl->sms_otp = std::make_unique<identity::EmailOtp>(otp, impl->clock, impl->sms_mailbox ? *impl->sms_mailbox : *impl->no_mailer);
  }
  if (!impl->config.oidc_providers.empty()) {
    for (const auto& p : impl->config.oidc_providers) T3N_RETURN_IF_ERROR(identity::validate_provider(p));
    impl->oidc = std::make_unique<identity::OidcVerifier>(impl->config.oidc_providers, impl->clock);
  }
  {
    const Json& att = impl->attestation_doc;
    Json peers = att["binds"]["peer_ids"];
    Json quotes = Json::object();
    for (const auto& p : peers) quotes[p.get<std::string>()] = att["evidence"];
    impl->session_services.reset(new api::SessionServices{  // NOLINT(cppcoreguidelines-owning-memory): aggregate of references
        *impl->sessions, impl->session_kem, *impl->cookie_signer, impl->cookie_secret, "0x" + common::hex_encode(cookie_addr),
        impl->config.session_cookie_lifetime_s, impl->config.siwe_domains,
        Json{{"peer_ids", peers}, {"quotes", quotes}, {"attestation_msg", att["attestation_msg"]}, {"simulated", true}},
        impl->email_otp.get(), impl->oidc.get()});
  }

  api::NodeInfo info;
  info.node_id = impl->config.node_id;
  info.dev = impl->config.dev;
  info.dev_plaintext = impl->config.dev_plaintext;
  info.audience = identity::audience_of(impl->signing->ed25519.public_key());
  for (const auto& did : impl->config.operators) {
    T3N_ASSIGN_OR_RETURN(auto parsed, identity::parse_did(did));
    info.operator_dids.insert(parsed.did);
  }
  for (const auto& origin : impl->config.cors_origins) {
    if (!valid_origin(origin))
      return common::invalid_argument("api.cors_origins: '" + origin + "' is not an origin (scheme://host[:port])");
    info.cors_origins.insert(origin);
  }
  for (const auto& addr : impl->config.admin_addresses) {
    std::string lower = addr;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (lower.size() != 42 || lower.rfind("0x", 0) != 0 || !common::hex_decode_canonical(lower.substr(2), 20).ok())
      return common::invalid_argument("admin.operator_addresses: '" + addr + "' is not an Ethereum address (0x + 40 hex)");
    info.admin_addresses.insert(lower);
  }
  {
    system::Pricing pricing = impl->config.pricing;
    pricing.enabled = impl->config.metering_enabled.value_or(impl->config.dev);
    impl->metering = std::make_unique<system::Metering>(pricing);
    system::TenancyPolicy tenancy;
    tenancy.self_admit = impl->config.self_admit.value_or(impl->config.dev);
    tenancy.default_log_max_entries = impl->config.tenant_log_max_entries.value_or(impl->config.dev ? 1000 : 0);
    tenancy.max_maps = impl->config.tenant_max_maps;
    tenancy.max_contracts = impl->config.tenant_max_contracts;
    tenancy.extra_capabilities.insert(impl->config.tenant_extra_capabilities.begin(), impl->config.tenant_extra_capabilities.end());
    impl->accounts = std::make_unique<system::AccountServices>(
        system::AccountServices{*impl->users, *impl->user_keys, *impl->wallets, *impl->cas, impl->email_otp.get(), nullptr, std::nullopt, nullptr, {}});
    impl->accounts->sms_otp = impl->sms_otp.get();
    if (!impl->config.sms_url.empty())
      impl->accounts->sms_provider = system::SmsProvider{impl->config.sms_url, impl->config.sms_authorization, impl->config.sms_from};
    impl->accounts->sms_dev_mailbox = impl->sms_mailbox.get();
    impl->accounts->outbox_notify = [self = impl.get()] {
      if (self->outbox) self->outbox->notify();
    };
    impl->system_services.reset(new api::SystemServices{  // NOLINT(cppcoreguidelines-owning-memory): holds references
        system::SystemEnv{*impl->store, *impl->registry, *impl->metering, tenancy, log.with("component", "system"), impl->accounts.get(),
                          system::OrgPolicyDefaults{impl->config.delegation_max_validity_secs}, impl->config.kyc_providers},
        {}});
    for (auto& c : system::system_contracts()) {
      std::string name = c.name;
      impl->system_services->contracts.emplace(std::move(name), std::move(c));
    }
  }
  // Start-up writes after the tables: the system contracts' registry rows,
  // then the marker that they are there.
  auto initial_writes = [&impl, &ensure_all_tables]() -> Status {
    if (impl->cluster) {
      T3N_RETURN_IF_ERROR(ensure_all_tables());
      T3N_RETURN_IF_ERROR(consensus::ensure_tee_registry_table(*impl->store));
    }
    std::vector<system::SystemContract> all;
    for (const auto& [_, c] : impl->system_services->contracts) all.push_back(c);
    T3N_RETURN_IF_ERROR(system::register_system_contracts(*impl->store, *impl->registry, all));
    for (int attempt = 0;; ++attempt) {
      auto tx = impl->store->begin(store::Principal::system());
      auto marker = api::kNodeStateTable.in(tx);
      T3N_ASSIGN_OR_RETURN(auto have, marker.get(common::to_bytes("initial-state")));
      if (have && common::to_string(*have) == T3N_VERSION) return {};
      T3N_RETURN_IF_ERROR(marker.put(common::to_bytes("initial-state"), common::to_bytes(T3N_VERSION)));
      auto committed = impl->store->commit(tx);
      if (committed.ok()) return {};
      if (committed.status().code() != ErrorCode::kConflict || attempt + 1 >= api::kMaxConflictRetries) return committed.status();
    }
  };
  if (!impl->cluster) {
    T3N_RETURN_IF_ERROR(initial_writes());
  } else {
    // The leader writes the start-up state; a follower waits until it is in
    // the ledger (through Raft), or writes it itself should it come to lead.
    auto marker_present = [&impl]() {
      if (!impl->store->map_spec(std::string(api::kNodeStateTable.name)).has_value()) return false;
      auto tx = impl->store->begin(store::Principal::system());
      auto have = api::kNodeStateTable.in(tx).get(common::to_bytes("initial-state"));
      return have.ok() && have->has_value() && common::to_string(**have) == T3N_VERSION;
    };
    // A member with no bootstrap list and a fresh log joins a running
    // cluster: it waits (without a deadline) until the leader adds it.
    const bool joining = cc.bootstrap.empty() && impl->cluster->info().members.empty();
    if (joining)
      log.info("cluster member {}: waiting to be added (operator API cluster.add, or `t3n cluster add {} {}` against the leader)",
               cc.member_id, cc.member_id, impl->cluster->address());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    for (;;) {
      if (marker_present()) break;
      if (!joining && std::chrono::steady_clock::now() > deadline)
        return Status(ErrorCode::kUnavailable, "cluster member " + std::to_string(cc.member_id) +
                                                   ": no leader wrote the start-up state within 2 minutes (is a quorum of members running?)");
      impl->cluster->wait_until([&](const consensus::RaftInfo& i) { return i.state == RAFT_LEADER || marker_present(); },
                                std::chrono::seconds(5));
      if (!impl->cluster->is_leader()) continue;
      Status st = initial_writes();
      if (st.ok()) break;
      if (st.code() != ErrorCode::kUnavailable && st.code() != ErrorCode::kConflict) return st;
      log.info("start-up writes interrupted ({}); retrying", st.message());
    }
  }
  impl->services.reset(new api::NodeServices{std::move(info), *impl->store, *impl->cas, *impl->runtime, *impl->registry,  // NOLINT(cppcoreguidelines-owning-memory): aggregate of references
                                             *impl->users, *impl->user_keys, impl->replay, *impl->collateral,
                                             impl->attestation_cache, *impl->signing, *impl->gateway, impl->attestation_doc,
                                             impl->node_config_kv, impl->metrics, {}, impl->clock, log,
                                             impl->session_services.get(), {},
                                             impl->system_services.get()});
  impl->services->wallets = impl->wallets.get();
  impl->services->audit = impl->config.audit_enabled;
  impl->services->cluster_config = &impl->config.cluster_config;
  {
    const host::SigningKeys& sk = impl->signing_keys;
    T3N_ASSIGN_OR_RETURN(Bytes cluster_addr, crypto::eth_address(sk.cluster_public));
    Json issuers = Json::array();
    for (const auto& i : sk.issuers) {
      Json jwk = host::p256_jwk(i.key->public_key());
      jwk["kid"] = i.kid;
      jwk["alg"] = "ES256";
      jwk["use"] = "sig";
      issuers.push_back(Json{{"id", i.id}, {"iss", i.iss}, {"jwks", Json{{"keys", Json::array({jwk})}}}});
    }
    impl->services->signing_keys_public =
        Json{{"cluster", {{"address", crypto::eth_checksum_address(cluster_addr)},
                          {"public_key", "0x" + common::hex_encode(sk.cluster_public)}}},
             {"default_issuer", sk.default_issuer.empty() ? Json(nullptr) : Json(sk.default_issuer)},
             {"issuers", issuers}};
  }
  impl->outbox = std::make_unique<host::OutboxWorker>(*impl->store, *impl->egress, log.with("component", "outbox"));
  if (!impl->cluster) {
    T3N_RETURN_IF_ERROR(impl->outbox->recover());
    impl->outbox->start();
  } else {
    // Runs on the leader only: the upkeep thread starts and stops it.
    consensus::ClusterMember* member = impl->cluster.get();
    store::Store* st = impl->store.get();
    impl->services->tee_registry = [st, member](const std::string& provider) -> Result<Json> {
      T3N_ASSIGN_OR_RETURN(auto records, consensus::list_tee_registry(*st, provider));
      Json list = Json::array();
      for (const auto& r : records) list.push_back(r.to_json());
      return Json{{"replicated", true}, {"member_id", member->id()}, {"members", list}};
    };
    impl->services->cluster_admin = [member](const std::string& action, const Json& body) -> Result<Json> {
      auto id_of = [&](bool required) -> Result<std::uint64_t> {
        auto it = body.find("member_id");
        if (it == body.end() || it->is_null()) {
          if (required) return common::invalid_argument("'member_id': expected a positive integer");
          return std::uint64_t{0};
        }
        if (!it->is_number_unsigned() || it->get<std::uint64_t>() == 0)
          return common::invalid_argument("'member_id': expected a positive integer");
        return it->get<std::uint64_t>();
      };
      if (action == "cluster.add") {
        T3N_ASSIGN_OR_RETURN(std::uint64_t id, id_of(true));
        T3N_ASSIGN_OR_RETURN(std::string address, common::json_string(body, "peer_address"));
        T3N_RETURN_IF_ERROR(member->add_member(id, address));
        return Json{{"member_id", id}, {"peer_address", address}, {"role", "voter"}};
      }
      if (action == "cluster.remove") {
        T3N_ASSIGN_OR_RETURN(std::uint64_t id, id_of(true));
        T3N_RETURN_IF_ERROR(member->remove_member(id));
        return Json{{"member_id", id}, {"removed", true}};
      }
      T3N_ASSIGN_OR_RETURN(std::uint64_t to, id_of(false));
      T3N_ASSIGN_OR_RETURN(std::uint64_t leader, member->transfer_leadership(to));
      return Json{{"leader_id", leader}};
    };
    impl->services->cluster_status = [member] {
      const consensus::RaftInfo i = member->info();
      const char* role = i.state == RAFT_LEADER      ? "leader"
                         : i.state == RAFT_FOLLOWER  ? "follower"
                         : i.state == RAFT_CANDIDATE ? "candidate"
                                                     : "unavailable";
      Json members = Json::array();
      for (const auto& m : i.members)
        members.push_back({{"id", m.id}, {"peer_address", m.address},
                           {"role", m.role == RAFT_VOTER ? "voter" : m.role == RAFT_STANDBY ? "standby" : "spare"},
                           {"leader", m.id == i.leader}});
      const consensus::LedgerFsm* fsm = member->fsm();
      Json snapshot{{"index", i.snapshot_index}, {"log_first", i.first_log_index}, {"log_last", i.last_log_index},
                    {"taken", fsm != nullptr ? fsm->snapshots_taken() : 0},
                    {"restored", fsm != nullptr ? fsm->snapshots_restored() : 0},
                    {"entries_fetched", fsm != nullptr ? fsm->entries_fetched() : 0}};
      return Json{{"raft_role", role}, {"member_id", member->id()}, {"term", i.term},
                  {"leader_id", i.leader == 0 ? Json(nullptr) : Json(i.leader)}, {"commit_index", i.commit_index},
                  {"last_applied", i.last_applied}, {"members", members}, {"snapshot", snapshot}};
    };
  }
  impl->services->on_contract_commit = [w = impl->outbox.get()] { w->notify(); };
  impl->dispatcher = std::make_unique<api::Dispatcher>(impl->endpoints, *impl->services);
  api::register_all_endpoints(impl->endpoints, *impl->services, *impl->dispatcher);

  api::HttpServerOptions http;
  http.max_body_bytes = impl->config.max_body_bytes;
  http.worker_threads = impl->config.worker_threads;
  api::Dispatcher* dispatcher = impl->dispatcher.get();
  T3N_ASSIGN_OR_RETURN(impl->server,
                       api::HttpServer::create(http, [dispatcher](const api::HttpRequest& r) { return dispatcher->handle_http(r); }));
  api::HttpServer* server = impl->server.get();
  impl->services->http_stats = [server] { return server->stats(); };
  Impl* raw = impl.get();
  impl->upkeep = std::thread([raw] { raw->upkeep_loop(); });
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Result<common::Json> Node::deploy(const std::string& name, const std::string& version, ByteView component,
                                  const common::Json& manifest, const std::vector<std::string>& maps,
                                  const std::string& tenant_tid) {
  registry::DeployRequest req{name, version, Bytes(component.begin(), component.end()), manifest, maps,
                              tenant_tid.empty() ? std::nullopt : std::optional<std::string>(tenant_tid), {}};
  T3N_ASSIGN_OR_RETURN(auto prepared, impl_->registry->prepare(std::move(req)));
  for (int attempt = 0;; ++attempt) {
    auto tx = impl_->store->begin(store::Principal::system());
    T3N_ASSIGN_OR_RETURN(auto deployed, impl_->registry->record(tx, prepared, registry::Registrant{true, {}}));
    auto committed = impl_->store->commit(tx);
    if (committed.ok()) {
      impl_->registry->remember(prepared);
      return Json{{"name", name}, {"version", version}, {"cid", deployed.version.cid},
                  {"contract_id", deployed.version.contract_id}, {"tx_seqno", committed->seqno},
                  {"functions", deployed.functions}};
    }
    if (committed.status().code() != ErrorCode::kConflict || attempt + 1 >= api::kMaxConflictRetries) return committed.status();
  }
}

Status Node::run(const std::function<void(int port)>& on_ready) {
  T3N_ASSIGN_OR_RETURN(int port, impl_->server->bind(impl_->config.listen_host, impl_->config.listen_port));
  if (on_ready) on_ready(port);
  return impl_->server->run();
}

void Node::set_audit(bool on) {
  if (impl_ && impl_->services) impl_->services->audit = on;
}

void Node::set_call_metering(bool on) {
  if (impl_ && impl_->services) impl_->services->meter_calls = on;
}

void Node::stop() {
  if (impl_ && impl_->server) impl_->server->stop();
}

namespace {
// A trusted issuer's JWKS (JSON text): its P-256 keys by kid; any other key
// type is refused rather than skipped, so a typo cannot silently disable one.
Result<std::vector<std::pair<std::string, Bytes>>> parse_trusted_jwks(const std::string& text) {
  auto j = common::parse_json(text, 8);
  if (!j.ok() || !j->is_object() || !j->contains("keys") || !(*j)["keys"].is_array() || (*j)["keys"].empty())
    return common::invalid_argument("expected a JWKS {\"keys\": [...]} with at least one key");
  std::vector<std::pair<std::string, Bytes>> out;
  for (const auto& k : (*j)["keys"]) {
    T3N_ASSIGN_OR_RETURN(Bytes point, host::p256_from_jwk(k));
    out.emplace_back(k.is_object() && k.contains("kid") && k["kid"].is_string() ? k["kid"].get<std::string>() : "", std::move(point));
  }
  return out;
}
}  // namespace

Result<NodeConfig> load_node_config(const std::filesystem::path& path) {
  T3N_ASSIGN_OR_RETURN(auto cfg, common::ConfigTable::parse_file(path));
  // [oidc.<name>] tables: their keys are known by shape.
  std::vector<std::string> oidc_keys;
  std::vector<std::string> oidc_names;
  for (const auto& key : cfg.leaf_keys()) {
    if (key.rfind("oidc.", 0) != 0) continue;
    const auto dot = key.find('.', 5);
    if (dot == std::string::npos) continue;
    const std::string field = key.substr(dot + 1);
    if (field != "issuer" && field != "jwks_url" && field != "client_ids" && field != "ca_file") continue;
    oidc_keys.push_back(key);
    const std::string name = key.substr(5, dot - 5);
    if (std::find(oidc_names.begin(), oidc_names.end(), name) == oidc_names.end()) oidc_names.push_back(name);
  }
  std::vector<std::string_view> known = {"node.id", "node.data_dir", "node.dev", "api.host", "api.port",
                                               "api.dev_plaintext", "api.max_body_bytes", "api.workers", "api.operators", "api.cors_origins",
                                               "cas.ipfs_api", "attestation.pcs_url", "sessions.absolute_seconds",
                                               "sessions.idle_seconds", "sessions.max_sessions",
                                               "sessions.cookie_lifetime_seconds", "sessions.siwe_domains", "smtp.url",
                                               "smtp.starttls", "smtp.username", "smtp.password", "smtp.from",
                                               "smtp.ca_file", "egress.allow_private_for_tests", "egress.allow_plain_http",
                                               "egress.ca_file", "egress.timeout_ms", "egress.max_response_bytes",
                                               "metering.enabled", "metering.contract_register", "metering.invocation",
                                               "metering.fuel_per_unit", "metering.host_call", "metering.kv_kib",
                                               "metering.cas_kib", "metering.outbox_request", "metering.outbox_kib",
                                               "metering.welcome_credits", "tenancy.self_admit", "tenancy.log_max_entries",
                                               "tenancy.max_maps", "tenancy.max_contracts", "tenancy.extra_capabilities", "admin.operator_addresses", "audit.enabled",
                                               "delegation.max_credential_validity_secs", "otp.cooldown_seconds",
                                               "sms.url", "sms.authorization", "sms.from", "cluster.member_id", "cluster.name",
                                               "cluster.peer_host", "cluster.peer_port", "cluster.bootstrap", "cluster.join",
                                               "cluster.election_timeout_ms", "cluster.tee_reverify_seconds",
                                               "cluster.tee_ttl_seconds", "cluster.snapshot_entries"};
  for (const auto& k : oidc_keys) known.push_back(k);
  // Open-ended tables: cluster configuration, providers and issuers by id.
  std::vector<std::string> open_keys;
  std::vector<std::string> provider_ids;
  std::vector<std::string> issuer_ids;
  std::vector<std::string> trusted_ids;
  std::vector<std::string> kyc_ids;
  auto segment_after = [](const std::string& key, std::size_t from) { return key.substr(from, key.find('.', from) - from); };
  for (const auto& key : cfg.leaf_keys()) {
    if (key.rfind("cluster_config.", 0) == 0 && key.find('.', 15) == std::string::npos) {
      open_keys.push_back(key);
    } else if (key.rfind("providers.", 0) == 0) {
      const std::string id = segment_after(key, 10);
      const std::string rest = key.size() > 11 + id.size() ? key.substr(11 + id.size()) : std::string();
      if (rest == "secret_contracts" || rest.rfind("config.", 0) == 0 || rest.rfind("secret.", 0) == 0) {
        open_keys.push_back(key);
        if (std::find(provider_ids.begin(), provider_ids.end(), id) == provider_ids.end()) provider_ids.push_back(id);
      }
    } else if (key.rfind("vp.trusted_issuers.", 0) == 0) {
      const std::string id = segment_after(key, 19);
      if (key == "vp.trusted_issuers." + id + ".iss" || key == "vp.trusted_issuers." + id + ".jwks") {
        open_keys.push_back(key);
        if (std::find(trusted_ids.begin(), trusted_ids.end(), id) == trusted_ids.end()) trusted_ids.push_back(id);
      }
    } else if (key.rfind("kyc.providers.", 0) == 0) {
      const std::string id = segment_after(key, 14);
      if (key == "kyc.providers." + id + ".webhook_secret" || key == "kyc.providers." + id + ".signature_header") {
        open_keys.push_back(key);
        if (std::find(kyc_ids.begin(), kyc_ids.end(), id) == kyc_ids.end()) kyc_ids.push_back(id);
      }
    } else if (key.rfind("signing.issuers.", 0) == 0) {
      const std::string id = segment_after(key, 16);
      if (key == "signing.issuers." + id + ".iss") {
        open_keys.push_back(key);
        issuer_ids.push_back(id);
      }
    }
  }
  for (const auto& k : open_keys) known.push_back(k);
  known.push_back("signing.default_issuer");
  known.push_back("vp.trust_own_issuers");
  T3N_RETURN_IF_ERROR(cfg.reject_unknown_keys(known));
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
  if (cfg.contains("api.cors_origins")) {
    T3N_ASSIGN_OR_RETURN(c.cors_origins, cfg.get_string_list("api.cors_origins"));
  }
  if (cfg.contains("api.operators")) {
    T3N_ASSIGN_OR_RETURN(c.operators, cfg.get_string_list("api.operators"));
  }
  {
    T3N_ASSIGN_OR_RETURN(std::uint64_t abs_s, cfg.get_uint_or("sessions.absolute_seconds", c.session_limits.absolute_ms / 1000));
    T3N_ASSIGN_OR_RETURN(std::uint64_t idle_s, cfg.get_uint_or("sessions.idle_seconds", c.session_limits.idle_ms / 1000));
    T3N_ASSIGN_OR_RETURN(std::uint64_t max_s, cfg.get_uint_or("sessions.max_sessions", c.session_limits.max_sessions));
    T3N_ASSIGN_OR_RETURN(c.session_cookie_lifetime_s, cfg.get_uint_or("sessions.cookie_lifetime_seconds", c.session_cookie_lifetime_s));
    if (abs_s == 0 || idle_s == 0 || max_s == 0 || abs_s > 30ull * 24 * 3600 || c.session_cookie_lifetime_s == 0)
      return common::invalid_argument(path.string() + ": sessions.* limits must be positive (absolute ≤ 30 days)");
    c.session_limits.absolute_ms = abs_s * 1000;
    c.session_limits.idle_ms = idle_s * 1000;
    c.session_limits.max_sessions = max_s;
    if (cfg.contains("sessions.siwe_domains")) {
      T3N_ASSIGN_OR_RETURN(c.siwe_domains, cfg.get_string_list("sessions.siwe_domains"));
    }
  }
  T3N_ASSIGN_OR_RETURN(c.smtp_url, cfg.get_string_or("smtp.url", ""));
  T3N_ASSIGN_OR_RETURN(c.smtp_starttls, cfg.get_bool_or("smtp.starttls", false));
  T3N_ASSIGN_OR_RETURN(c.smtp_username, cfg.get_string_or("smtp.username", ""));
  T3N_ASSIGN_OR_RETURN(c.smtp_password, cfg.get_string_or("smtp.password", ""));
  T3N_ASSIGN_OR_RETURN(c.smtp_from, cfg.get_string_or("smtp.from", c.smtp_from));
  T3N_ASSIGN_OR_RETURN(c.sms_url, cfg.get_string_or("sms.url", ""));
  T3N_ASSIGN_OR_RETURN(c.sms_authorization, cfg.get_string_or("sms.authorization", ""));
  T3N_ASSIGN_OR_RETURN(c.sms_from, cfg.get_string_or("sms.from", c.sms_from));
  if (!c.sms_url.empty() && c.sms_url.rfind("https://", 0) != 0 && c.sms_url.rfind("http://", 0) != 0)
    return common::invalid_argument(path.string() + ": sms.url must be an http(s) URL");
  T3N_ASSIGN_OR_RETURN(c.otp_cooldown_secs, cfg.get_uint_or("otp.cooldown_seconds", c.otp_cooldown_secs));
  if (c.otp_cooldown_secs > 3600) return common::invalid_argument(path.string() + ": otp.cooldown_seconds must be 0..3600");
  T3N_ASSIGN_OR_RETURN(c.smtp_ca_file, cfg.get_string_or("smtp.ca_file", ""));
  for (const auto& name : oidc_names) {
    identity::OidcProvider p;
    p.name = name;
    const std::string base = "oidc." + name + ".";
    T3N_ASSIGN_OR_RETURN(p.issuer, cfg.get_string_or(base + "issuer", ""));
    T3N_ASSIGN_OR_RETURN(p.jwks_url, cfg.get_string_or(base + "jwks_url", ""));
    T3N_ASSIGN_OR_RETURN(p.ca_file, cfg.get_string_or(base + "ca_file", ""));
    if (cfg.contains(base + "client_ids")) {
      T3N_ASSIGN_OR_RETURN(p.client_ids, cfg.get_string_list(base + "client_ids"));
    }
    if (Status ok = identity::validate_provider(p); !ok.ok()) return common::invalid_argument(path.string() + ": " + ok.message());
    c.oidc_providers.push_back(std::move(p));
  }
  T3N_ASSIGN_OR_RETURN(c.egress.allow_private_targets, cfg.get_bool_or("egress.allow_private_for_tests", false));
  T3N_ASSIGN_OR_RETURN(c.egress.allow_plain_http, cfg.get_bool_or("egress.allow_plain_http", false));
  T3N_ASSIGN_OR_RETURN(c.egress.ca_file, cfg.get_string_or("egress.ca_file", ""));
  {
    T3N_ASSIGN_OR_RETURN(std::uint64_t t, cfg.get_uint_or("egress.timeout_ms", static_cast<std::uint64_t>(c.egress.total_timeout_ms)));
    T3N_ASSIGN_OR_RETURN(std::uint64_t m, cfg.get_uint_or("egress.max_response_bytes", c.egress.max_response_bytes));
    if (t == 0 || t > 120'000 || m == 0 || m > 64ull * 1024 * 1024)
      return common::invalid_argument(path.string() + ": egress.timeout_ms must be 1..120000, max_response_bytes 1..64 MiB");
    c.egress.total_timeout_ms = static_cast<long>(t);
    c.egress.max_response_bytes = m;
  }
  if (cfg.contains("metering.enabled")) {
    T3N_ASSIGN_OR_RETURN(bool on, cfg.get_bool_or("metering.enabled", false));
    c.metering_enabled = on;
  }
  {
    system::Pricing& pr = c.pricing;
    T3N_ASSIGN_OR_RETURN(pr.contract_register, cfg.get_uint_or("metering.contract_register", pr.contract_register));
    T3N_ASSIGN_OR_RETURN(pr.invocation, cfg.get_uint_or("metering.invocation", pr.invocation));
    T3N_ASSIGN_OR_RETURN(pr.fuel_per_unit, cfg.get_uint_or("metering.fuel_per_unit", pr.fuel_per_unit));
    T3N_ASSIGN_OR_RETURN(pr.host_call, cfg.get_uint_or("metering.host_call", pr.host_call));
    T3N_ASSIGN_OR_RETURN(pr.kv_kib, cfg.get_uint_or("metering.kv_kib", pr.kv_kib));
    T3N_ASSIGN_OR_RETURN(pr.cas_kib, cfg.get_uint_or("metering.cas_kib", pr.cas_kib));
    T3N_ASSIGN_OR_RETURN(pr.outbox_request, cfg.get_uint_or("metering.outbox_request", pr.outbox_request));
    T3N_ASSIGN_OR_RETURN(pr.outbox_kib, cfg.get_uint_or("metering.outbox_kib", pr.outbox_kib));
    T3N_ASSIGN_OR_RETURN(pr.welcome_credits, cfg.get_uint_or("metering.welcome_credits", pr.welcome_credits));
    if (pr.fuel_per_unit == 0) return common::invalid_argument(path.string() + ": metering.fuel_per_unit must be positive");
  }
  if (cfg.contains("tenancy.self_admit")) {
    T3N_ASSIGN_OR_RETURN(bool on, cfg.get_bool_or("tenancy.self_admit", false));
    c.self_admit = on;
  }
  if (cfg.contains("tenancy.log_max_entries")) {
    T3N_ASSIGN_OR_RETURN(std::uint64_t n, cfg.get_uint_or("tenancy.log_max_entries", 0));
    if (n > 100'000) return common::invalid_argument(path.string() + ": tenancy.log_max_entries must be 0..100000");
    c.tenant_log_max_entries = n;
  }
  T3N_ASSIGN_OR_RETURN(c.tenant_max_maps, cfg.get_uint_or("tenancy.max_maps", c.tenant_max_maps));
  T3N_ASSIGN_OR_RETURN(c.tenant_max_contracts, cfg.get_uint_or("tenancy.max_contracts", c.tenant_max_contracts));
  T3N_ASSIGN_OR_RETURN(c.audit_enabled, cfg.get_bool_or("audit.enabled", true));
  T3N_ASSIGN_OR_RETURN(c.delegation_max_validity_secs,
                       cfg.get_uint_or("delegation.max_credential_validity_secs", c.delegation_max_validity_secs));
  if (c.delegation_max_validity_secs == 0 || c.delegation_max_validity_secs > 10ull * 365 * 24 * 3600)
    return common::invalid_argument(path.string() + ": delegation.max_credential_validity_secs must be 1 s .. 10 years");
  if (cfg.contains("tenancy.extra_capabilities")) {
    T3N_ASSIGN_OR_RETURN(c.tenant_extra_capabilities, cfg.get_string_list("tenancy.extra_capabilities"));
    for (const auto& cap : c.tenant_extra_capabilities)
      if (!runtime::parse_manifest(common::Json{{"host_capabilities", {cap}}}).ok())
        return common::invalid_argument(path.string() + ": tenancy.extra_capabilities: unknown capability '" + cap + "'");
  }
  if (cfg.contains("admin.operator_addresses")) {
    T3N_ASSIGN_OR_RETURN(c.admin_addresses, cfg.get_string_list("admin.operator_addresses"));
  }
  for (const auto& key : open_keys) {
    if (key.rfind("cluster_config.", 0) != 0) continue;
    T3N_ASSIGN_OR_RETURN(common::Json v, cfg.get_json(key));
    if (v.is_number_integer() && v.get<std::int64_t>() >= 0) v = v.get<std::uint64_t>();  // TOML integers are signed
    if (!v.is_string() && !v.is_number_unsigned())
      return common::invalid_argument(path.string() + ": key '" + key + "': cluster configuration holds strings and unsigned integers");
    c.cluster_config[key.substr(15)] = std::move(v);
  }
  for (const auto& id : provider_ids) {
    const std::string base = "providers." + id + ".";
    host::ProviderConfig p;
    if (cfg.contains(base + "config")) {
      T3N_ASSIGN_OR_RETURN(p.config, cfg.get_json(base + "config"));
    }
    if (cfg.contains(base + "secret")) {
      T3N_ASSIGN_OR_RETURN(p.secret, cfg.get_json(base + "secret"));
    }
    if (cfg.contains(base + "secret_contracts")) {
      T3N_ASSIGN_OR_RETURN(p.secret_contracts, cfg.get_string_list(base + "secret_contracts"));
    }
    c.providers[id] = std::move(p);
  }
  for (const auto& id : kyc_ids) {
    system::KycProvider p;
    T3N_ASSIGN_OR_RETURN(p.webhook_secret, cfg.get_string_or("kyc.providers." + id + ".webhook_secret", ""));
    if (p.webhook_secret.size() < 16)
      return common::invalid_argument(path.string() + ": kyc.providers." + id + ".webhook_secret must be at least 16 characters");
    T3N_ASSIGN_OR_RETURN(p.signature_header, cfg.get_string_or("kyc.providers." + id + ".signature_header", p.signature_header));
    std::transform(p.signature_header.begin(), p.signature_header.end(), p.signature_header.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    c.kyc_providers[id] = std::move(p);
  }
  for (const auto& id : issuer_ids) {
    T3N_ASSIGN_OR_RETURN(std::string iss, cfg.get_string("signing.issuers." + id + ".iss"));
    if (iss.empty() || iss.size() > 512)
      return common::invalid_argument(path.string() + ": signing.issuers." + id + ".iss must be a URL or DID");
    c.sd_jwt_issuers[id] = std::move(iss);
  }
  T3N_ASSIGN_OR_RETURN(c.default_issuer, cfg.get_string_or("signing.default_issuer", ""));
  if (!c.default_issuer.empty() && c.sd_jwt_issuers.count(c.default_issuer) == 0)
    return common::invalid_argument(path.string() + ": signing.default_issuer names no [signing.issuers.<id>]");
  for (const auto& id : trusted_ids) {
    const std::string base = "vp.trusted_issuers." + id + ".";
    T3N_ASSIGN_OR_RETURN(std::string iss, cfg.get_string(base + "iss"));
    T3N_ASSIGN_OR_RETURN(std::string jwks, cfg.get_string(base + "jwks"));
    auto keys = parse_trusted_jwks(jwks);
    if (iss.empty() || iss.size() > 512) return common::invalid_argument(path.string() + ": " + base + "iss must be a URL or DID");
    if (!keys.ok()) return common::invalid_argument(path.string() + ": " + base + "jwks: " + keys.status().message());
    c.trusted_issuers.push_back(host::TrustedIssuer{std::move(iss), std::move(*keys)});
  }
  T3N_ASSIGN_OR_RETURN(c.trust_own_issuers, cfg.get_bool_or("vp.trust_own_issuers", true));
  {
    NodeConfig::Cluster& cl = c.cluster;
    T3N_ASSIGN_OR_RETURN(cl.member_id, cfg.get_uint_or("cluster.member_id", 0));
    T3N_ASSIGN_OR_RETURN(cl.name, cfg.get_string_or("cluster.name", cl.name));
    T3N_ASSIGN_OR_RETURN(cl.peer_host, cfg.get_string_or("cluster.peer_host", cl.peer_host));
    T3N_ASSIGN_OR_RETURN(std::uint64_t peer_port, cfg.get_uint_or("cluster.peer_port", 0));
    if (peer_port > 65535) return common::invalid_argument(path.string() + ": key 'cluster.peer_port': must be 0..65535");
    cl.peer_port = static_cast<int>(peer_port);
    T3N_ASSIGN_OR_RETURN(std::uint64_t election, cfg.get_uint_or("cluster.election_timeout_ms", cl.election_timeout_ms));
    if (election < 50 || election > 60'000)
      return common::invalid_argument(path.string() + ": cluster.election_timeout_ms must be 50..60000");
    cl.election_timeout_ms = static_cast<unsigned>(election);
    T3N_ASSIGN_OR_RETURN(std::uint64_t snapshot_entries, cfg.get_uint_or("cluster.snapshot_entries", cl.snapshot_entries));
    if (snapshot_entries < 8 || snapshot_entries > 10'000'000)
      return common::invalid_argument(path.string() + ": cluster.snapshot_entries must be 8..10000000");
    cl.snapshot_entries = static_cast<unsigned>(snapshot_entries);
    T3N_ASSIGN_OR_RETURN(cl.tee_reverify_seconds, cfg.get_uint_or("cluster.tee_reverify_seconds", cl.tee_reverify_seconds));
    T3N_ASSIGN_OR_RETURN(cl.tee_ttl_seconds, cfg.get_uint_or("cluster.tee_ttl_seconds", cl.tee_ttl_seconds));
    if (cl.tee_reverify_seconds == 0 || cl.tee_ttl_seconds < cl.tee_reverify_seconds || cl.tee_ttl_seconds > 7 * 24 * 3600)
      return common::invalid_argument(path.string() + ": cluster.tee_reverify_seconds must be ≥ 1 and ≤ tee_ttl_seconds (≤ 7 days)");
    if (cfg.contains("cluster.join"))
      return Status(ErrorCode::kUnimplemented, path.string() +
                                                   ": cluster.join (joining with attested key release) is not built yet; "
                                                   "start the new member without cluster.bootstrap and add it from the leader "
                                                   "(`t3n cluster add ID HOST:PORT`, operator API cluster.add)");
    if (cfg.contains("cluster.bootstrap")) {
      T3N_ASSIGN_OR_RETURN(auto specs, cfg.get_string_list("cluster.bootstrap"));
      for (const auto& spec : specs) {
        auto m = parse_cluster_member(spec);
        if (!m.ok()) return common::invalid_argument(path.string() + ": cluster.bootstrap: " + m.status().message());
        c.cluster.bootstrap.push_back(std::move(*m));
      }
    }
    if (cl.member_id == 0 && !cl.bootstrap.empty())
      return common::invalid_argument(path.string() + ": cluster.bootstrap needs cluster.member_id (this member's id, 1..)");
    if (cl.member_id != 0) {
      if (!c.dev)
        return Status(ErrorCode::kUnimplemented, path.string() +
                                                     ": a cluster needs node.dev = true in this build (dev clusters: simulated "
                                                     "attestation between members; attested key release is not built yet)");
      bool listed = cl.bootstrap.empty();
      for (const auto& [id, addr] : cl.bootstrap) listed = listed || id == cl.member_id;
      if (!listed) return common::invalid_argument(path.string() + ": cluster.bootstrap does not list this member's id");
    }
  }
  T3N_ASSIGN_OR_RETURN(c.ipfs_api, cfg.get_string_or("cas.ipfs_api", ""));
  T3N_ASSIGN_OR_RETURN(c.pcs_url, cfg.get_string_or("attestation.pcs_url", ""));
  if (c.dev_plaintext && !c.dev) return common::invalid_argument(path.string() + ": api.dev_plaintext needs node.dev = true");
  for (const auto& did : c.operators)
    if (!identity::parse_did(did).ok())
      return common::invalid_argument(path.string() + ": key 'api.operators': not a did:key or did:pkh");
  return c;
}

Result<std::pair<std::uint64_t, std::string>> parse_cluster_member(std::string_view spec) {
  const auto at = spec.find('@');
  const auto colon = spec.rfind(':');
  if (at == std::string_view::npos || colon == std::string_view::npos || colon < at)
    return common::invalid_argument("'" + std::string(spec.substr(0, 80)) + "': expected ID@host:port");
  std::uint64_t id = 0;
  for (char ch : spec.substr(0, at)) {
    if (ch < '0' || ch > '9' || id > 1'000'000) return common::invalid_argument("member id must be a number 1..1000000");
    id = id * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  std::uint64_t port = 0;
  for (char ch : spec.substr(colon + 1)) {
    if (ch < '0' || ch > '9' || port > 65535) return common::invalid_argument("member port must be 1..65535");
    port = port * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  if (id == 0 || at == 0 || port == 0 || port > 65535 || colon == at + 1)
    return common::invalid_argument("'" + std::string(spec.substr(0, 80)) + "': expected ID@host:port (ID ≥ 1)");
  return std::make_pair(id, std::string(spec.substr(at + 1)));
}

Result<identity::OidcProvider> parse_oidc_provider_spec(std::string_view spec) {
  identity::OidcProvider p;
  std::size_t pos = 0;
  while (pos <= spec.size()) {
    const auto comma = spec.find(',', pos);
    const std::string_view item = spec.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos)
      return common::invalid_argument("--oidc: expected key=value items (name, issuer, jwks_url, client_id, ca_file)");
    const std::string_view k = item.substr(0, eq);
    std::string v(item.substr(eq + 1));
    if (k == "name") p.name = std::move(v);
    else if (k == "issuer") p.issuer = std::move(v);
    else if (k == "jwks_url") p.jwks_url = std::move(v);
    else if (k == "client_id") p.client_ids.push_back(std::move(v));
    else if (k == "ca_file") p.ca_file = std::move(v);
    else return common::invalid_argument("--oidc: unknown item '" + std::string(k) + "'");
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  T3N_RETURN_IF_ERROR(identity::validate_provider(p));
  return p;
}

}  // namespace t3n::node
