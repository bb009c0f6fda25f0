// The node: configuration → components → request pipeline (ARCHITECTURE.md §3).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>

#include <memory>
#include <string>
#include <vector>

#include "api/sessions.h"
#include "common/json.h"
#include "common/log.h"
#include "common/status.h"
#include "host/egress.h"
#include "host/host.h"
#include "identity/oidc.h"
#include "system/kyc.h"
#include "system/metering.h"

namespace t3n::node {

struct NodeConfig {
  std::filesystem::path data_dir = ".t3n-dev";
  std::string listen_host = "127.0.0.1";
  int listen_port = 8080;  // 0 = any free port
  bool dev = false;             // simulated TEE, open contract registration
  bool dev_plaintext = false;   // also serve /api/rpc without OHTTP
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  int worker_threads = 0;       // 0 = one per core
  std::string ipfs_api;         // empty = local CAS directory
  // PCS/PCCS base URL for TDX collateral the node lacks (empty = only what
  // the operator placed under <data_dir>/collateral/<fmspc>/).
  std::string pcs_url;
  std::string node_id = "node-1";
  // A signature entry (receipts) at least this often while entries are
  // unsigned; 0 = only every 100 entries (tests that count entries).
  std::uint64_t signature_interval_ms = 1000;
  // DIDs (did:key / did:pkh) allowed the operator endpoints (api.operators).
  std::vector<std::string> operators;
  // Browser origins ("https://app.example.com") allowed CORS (api.cors_origins).
  std::vector<std::string> cors_origins;
  // The T3N session channel (sessions.*): expiry, bounds, cookie lifetime,
  // and the SIWE domains accepted (empty = any; sessions.siwe_domains).
  api::SessionLimits session_limits;
  std::uint64_t session_cookie_lifetime_s = 7 * 24 * 3600;
  std::vector<std::string> siwe_domains;
  // E-mail OTP delivery (smtp.*). Without smtp.url a dev node writes codes
  // to <data_dir>/dev-mailbox.txt; a production node offers no e-mail login.
  std::string smtp_url;
  bool smtp_starttls = false;
  std::string smtp_username;
  std::string smtp_password;
  std::string smtp_from = "no-reply@t3n.local";
  // [otp] cooldown_seconds: the wait between two codes sent to one address.
  std::uint64_t otp_cooldown_secs = 60;
  // [sms]: the operator's HTTP SMS gateway (POST {"to","from","text"} JSON
  // through the outbox); dev nodes without one write codes to dev-sms.txt.
  std::string sms_url;
  std::string sms_authorization;  // the Authorization header's value (secret)
  std::string sms_from = "T3N";
  // [kyc.providers.<id>] webhook_secret, signature_header: KYC providers
  // whose signed decisions POST /api/kyc/webhook/<id> accepts.
  std::map<std::string, system::KycProvider> kyc_providers;
  std::string smtp_ca_file;
  // OpenID Connect providers ([oidc.<name>] issuer, jwks_url, client_ids,
  // ca_file); none = no OIDC login.
  std::vector<identity::OidcProvider> oidc_providers;
  // Contracts' outbound HTTP (egress.*). The switches are for tests and
  // private deployments; all off by default.
  host::EgressPolicy egress;
  // Metering ([metering]): prices in base units; on by default on dev nodes
  // (what a T3N test network does), off elsewhere until configured.
  std::optional<bool> metering_enabled;
  system::Pricing pricing;
  // Tenancy ([tenancy]): self-admission (default: dev nodes only), the log
  // ring per contract (default 1000 on dev nodes, 0 = off elsewhere), and
  // per-tenant limits.
  std::optional<bool> self_admit;
  std::optional<std::uint64_t> tenant_log_max_entries;
  std::uint64_t tenant_max_maps = 256;
  std::uint64_t tenant_max_contracts = 64;
  // [delegation] max_credential_validity_secs: the cluster's ceiling on a
  // delegation credential's window (organisations may set a lower one).
  std::uint64_t delegation_max_validity_secs = 30ull * 24 * 3600;
  // Operator keys of POST /api/admin ([admin] operator_addresses): Ethereum
  // addresses, "0x" + 40 hex.
  std::vector<std::string> admin_addresses;
  // Public cluster configuration for t3n:host/config ([cluster_config]:
  // strings and unsigned integers).
  std::map<std::string, common::Json> cluster_config;
  // Providers of host:interfaces/provider-config ([providers.<id>]: config,
  // secret, secret_contracts).
  host::ProviderConfigs providers;
  // SD-JWT VC issuers of signing.sign-sd-jwt-vc ([signing.issuers.<id>] iss;
  // signing.default_issuer). Their keys are derived inside the node; a dev
  // node without any has one, "default".
  std::map<std::string, std::string> sd_jwt_issuers;  // id → iss
  std::string default_issuer;
  // The trusted-issuer registry of vp.verify ([vp.trusted_issuers.<id>]
  // iss, jwks = a JWKS of P-256 keys as JSON text). This cluster's own
  // issuers are trusted too unless vp.trust_own_issuers = false.
  std::vector<host::TrustedIssuer> trusted_issuers;
  // Capabilities beyond the tenant tier that tenants may grant
  // ([tenancy] extra_capabilities; HOST-API.md "Tiers").
  std::vector<std::string> tenant_extra_capabilities;
  // One audit batch per contract dispatch ([audit] enabled; on by default).
  bool audit_enabled = true;
  bool trust_own_issuers = true;
  // [cluster]: a member of a Raft-replicated cluster (member_id 0 =
  // standalone). Dev clusters only so far: members' peer keys derive from
  // the development root and their evidence is simulated.
  struct Cluster {
    std::uint64_t member_id = 0;        // cluster.member_id: this member's Raft id (1..)
    std::string name = "t3n-dev";       // cluster.name: links never cross clusters
    std::string peer_host = "127.0.0.1";  // cluster.peer_host / peer_port: the peer links
    int peer_port = 0;
    // cluster.bootstrap = ["1@127.0.0.1:7101", …]: the first voters (a fresh
    // log only; every founding member lists the same set).
    std::vector<std::pair<std::uint64_t, std::string>> bootstrap;
    unsigned election_timeout_ms = 300;
    // cluster.snapshot_entries: a Raft snapshot (log compaction) every this
    // many applied log entries.
    unsigned snapshot_entries = 4096;
    // The TEE registry: each member's evidence re-checked against the
    // policy this often; a record not renewed expires after the TTL.
    std::uint64_t tee_reverify_seconds = 300;
    std::uint64_t tee_ttl_seconds = 1800;
  } cluster;
};

// "ID@host:port" → (ID, "host:port").
Result<std::pair<std::uint64_t, std::string>> parse_cluster_member(std::string_view spec);

// "name=google,issuer=https://…,jwks_url=https://…,client_id=…[,client_id=…][,ca_file=…]"
// (t3nd dev --oidc) → a provider, checked like the config file's.
Result<identity::OidcProvider> parse_oidc_provider_spec(std::string_view spec);

// Reads node.toml (see config/node.example.toml).
Result<NodeConfig> load_node_config(const std::filesystem::path& path);

class Node {
 public:
  static Result<std::unique_ptr<Node>> create(NodeConfig config, common::Logger log);
  ~Node();

  // Binds and serves until stop(). Returns the bound port through `on_ready`.
  Status run(const std::function<void(int port)>& on_ready);
  void stop();
  // Audit batches on or off at run time: benchmarks compare both in one run.
  void set_audit(bool on);
  // Metering of tenant contracts' calls on or off (benchmarks compare both).
  void set_call_metering(bool on);

  // Cluster members: whether this member leads now (a standalone node
  // always does); the dev setup deploys examples only there.
  bool leads() const;
  // Deploys a contract from a file as the node itself (dev setup).
  Result<common::Json> deploy(const std::string& name, const std::string& version, ByteView component,
                              const common::Json& manifest, const std::vector<std::string>& maps,
                              const std::string& tenant_tid);

 private:
  struct Impl;
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace t3n::node
