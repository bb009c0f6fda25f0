// What the endpoint families work with: the node's components, owned by the
// node and handed to the api layer by reference (node/ is the wiring).
#pragma once

#include <atomic>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "api/http_server.h"
#include "api/metrics.h"
#include "api/ohttp.h"
#include "api/sessions.h"
#include "crypto/mlkem.h"
#include "crypto/secp256k1.h"
#include "attest/collateral_cache.h"
#include "attest/verification_cache.h"
#include "cas/blob_store.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "identity/email_otp.h"
#include "identity/oidc.h"
#include "identity/request_auth.h"
#include "identity/user_data.h"
#include "identity/wallets.h"
#include "identity/users.h"
#include "registry/registry.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "system/system_contract.h"

namespace t3n::api {

struct NodeInfo {
  std::string node_id;
  bool dev = false;            // simulated TEE; contract registration open to users
  bool dev_plaintext = false;  // also serve /api/rpc without OHTTP
  std::string tee = "simulated";
  std::string audience;                 // identity::audience_of(the node's Ed25519 key)
  std::set<std::string> operator_dids;  // canonical DIDs allowed operator endpoints
  std::set<std::string> cors_origins;   // browser origins allowed CORS (api.cors_origins); none = no CORS
  std::set<std::string> admin_addresses;  // operator keys of POST /api/admin: "0x" + 40 lower-case hex
};

// The session channel's keys and table (T3N-CLIENT-PROTOCOL.md).
struct SessionServices {
  SessionTable& table;
  const crypto::MlKem768KeyPair& kem;    // the node's session key (bound into its attestation)
  const crypto::Secp256k1Signer& signer;
  const SecretBytes& cookie_secret;      // secp256k1 secret of the session-cookie key
  std::string cookie_signer;             // its address, 0x + 40 hex (in /status)
  std::uint64_t cookie_lifetime_s = 7 * 24 * 3600;
  std::vector<std::string> siwe_domains;  // allowed SIWE domains; empty = any
  common::Json dkg_attestation;           // /status's dkg_attestation
  identity::EmailOtp* email_otp = nullptr;  // e-mail OTP logins (null: not offered)
  identity::OidcVerifier* oidc = nullptr;    // OpenID Connect logins (null: not offered)
};

// The tee:* system contracts by name, with what they run against.
struct SystemServices {
  system::SystemEnv env;
  std::map<std::string, system::SystemContract, std::less<>> contracts;
};

struct NodeServices {
  NodeInfo info;
  store::Store& store;
  cas::BlobStore& cas;
  runtime::Runtime& runtime;
  registry::ContractRegistry& registry;
  const identity::UserDirectory& users;
  const identity::UserDataKeys& user_keys;
  identity::ReplayGuard& replay;
  attest::TdxCollateralCache& collateral;
  attest::VerificationCache& attestation_cache;
  const store::NodeSigningKeys& signing;
  const OhttpGateway& gateway;
  const common::Json& attestation_doc;
  const std::map<std::string, std::string>& node_config_kv;
  Metrics& metrics;
  std::function<HttpServerStats()> http_stats;  // set once the server exists
  common::ClockMs clock;
  common::Logger log;
  SessionServices* sessions = nullptr;  // null: no session channel (unit tests)
  std::function<void()> on_contract_commit;  // wakes the outbox worker (null in unit tests)
  SystemServices* system = nullptr;          // system contracts, tenancy, metering (null: none)
  const identity::CustodialWallets* wallets = nullptr;  // users' custodial keys (null: not offered)
  const std::map<std::string, common::Json>* cluster_config = nullptr;  // t3n:host/config (null: empty)
  // A cluster member's Raft view for /status (raft_role, term, leader,
  // commit_index, members…); unset on a standalone node.
  std::function<common::Json()> cluster_status = nullptr;
  // GET /api/tee-registry: the members' attestation records (a provider
  // filter or empty); unset on a standalone node.
  std::function<Result<common::Json>(const std::string& provider)> tee_registry = nullptr;
  // The operator API's membership actions (cluster.add, cluster.remove,
  // cluster.transfer) on a cluster member; unset on a standalone node.
  std::function<Result<common::Json>(const std::string& action, const common::Json& body)> cluster_admin = nullptr;
  // GET /api/signing-keys: the cluster's signing address and the SD-JWT VC
  // issuers' public JWKs (what verifiers of contracts' signatures need).
  common::Json signing_keys_public = common::Json::object();
  std::atomic<bool> audit{true};  // one audit batch per contract dispatch ([audit] enabled)
  // Metering of tenant contracts' calls (bench/load compares off and on;
  // the operator's [metering] enabled decides otherwise).
  std::atomic<bool> meter_calls{true};
};

}  // namespace t3n::api
