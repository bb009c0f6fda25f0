// The host interfaces a contract can import, one file each. This issue
// provides the core set; the rest of HOST-API.md follows in later work.
#pragma once

#include "runtime/host_registry.h"

namespace t3n::cas {
class BlobStore;
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

// Every interface above, ready for the runtime; `cas` backs the stash.
std::shared_ptr<runtime::HostRegistry> core_registry(cas::BlobStore* cas = nullptr, const Egress* egress = nullptr);

}  // namespace t3n::host
