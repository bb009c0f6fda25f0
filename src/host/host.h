// The host interfaces a contract can import, one file each. This issue
// provides the core set; the rest of HOST-API.md follows in later work.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/json.h"
#include "crypto/secp256k1.h"
#include "host/sd_jwt.h"
#include "runtime/host_registry.h"

namespace t3n::cas {
class BlobStore;
}
namespace t3n::store {
class Store;
}

namespace t3n::host {

runtime::HostInterface kv_store_interface();
runtime::HostInterface logging_interface();
runtime::HostInterface tenant_context_interface();
runtime::HostInterface clock_interface();
runtime::HostInterface state_interface();
runtime::HostInterface config_interface();
runtime::HostInterface node_config_interface();
runtime::HostInterface time_interface();
runtime::HostInterface token_interface();
class Egress;
// Outbound HTTP(S) through `egress` (null: every call is egress-denied).
runtime::HostInterface http_interface(const Egress* egress);
runtime::HostInterface http_with_placeholders_interface(const Egress* egress);
// Persists the request's attached blob into `cas` (null: answers storage errors).
runtime::HostInterface stash_interface(cas::BlobStore* cas);

// The cluster's signing keys (cluster secrets: in a cluster every node holds
// the same ones): the secp256k1 key of `signing.sign` and the SD-JWT VC
// issuers of the operator's registry.
struct SigningKeys {
  SecretBytes cluster_secp256k1;  // empty: no-signing-key
  Bytes cluster_public;           // its SEC1 uncompressed public key
  std::shared_ptr<const crypto::Secp256k1Signer> secp256k1;
  std::vector<SdJwtIssuer> issuers;
  std::string default_issuer;     // used when a request names none
};
runtime::HostInterface signing_interface(const SigningKeys* keys);

// Operator-configured providers (provider-config): public JSON for every
// contract whose manifest lists the provider, the secret part only for the
// contracts on the provider's allowlist.
struct ProviderConfig {
  common::Json config = common::Json::object();
  common::Json secret;                       // null: none
  std::vector<std::string> secret_contracts;  // canonical contract names
};
using ProviderConfigs = std::map<std::string, ProviderConfig, std::less<>>;
runtime::HostInterface provider_config_interface(const ProviderConfigs* providers);

runtime::HostInterface authorisation_interface();
runtime::HostInterface contracts_call_interface();
// Opaque handles to the caller's profile items (profile_ref.cpp).
runtime::HostInterface profile_ref_interface();
// OpenID4VP: presentations signed with the caller's holder key, submitted
// through `egress`, verified against `trusted` issuers (null: none).
runtime::HostInterface vp_interface(const Egress* egress, const std::vector<TrustedIssuer>* trusted);

// Accounts through CallServices (the node's system/user_accounts): the
// calling user's profile, agent grants and authenticators; user-removal
// (system-only) for any user.
runtime::HostInterface user_profile_interface();
runtime::HostInterface user_removal_interface();
runtime::HostInterface did_registry_interface();
runtime::HostInterface agent_auth_interface();
runtime::HostInterface agent_registry_interface();
runtime::HostInterface otp_interface();

// System-only: the ledger's transaction history (audit), its aggregates
// (analytics), and consensus triggers that refuse with the reason
// (consensus_trigger.cpp). `ledger` null: every call is an error.
runtime::HostInterface audit_interface(const store::Store* ledger);
runtime::HostInterface analytics_interface(const store::Store* ledger);
runtime::HostInterface consensus_trigger_interface();

// What the interfaces above are built with; null members answer their
// typed "unavailable" errors.
struct HostDeps {
  cas::BlobStore* cas = nullptr;
  const Egress* egress = nullptr;
  const SigningKeys* signing = nullptr;
  const ProviderConfigs* providers = nullptr;
  const std::vector<TrustedIssuer>* trusted_issuers = nullptr;  // vp.verify's registry
  const store::Store* ledger = nullptr;                          // audit, analytics
};

// Every interface above, ready for the runtime; `cas` backs the stash.
std::shared_ptr<runtime::HostRegistry> core_registry(const HostDeps& deps);
std::shared_ptr<runtime::HostRegistry> core_registry(cas::BlobStore* cas = nullptr, const Egress* egress = nullptr);

}  // namespace t3n::host
