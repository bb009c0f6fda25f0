// The host interfaces a contract can import, one file each. This issue
// provides the core set; the rest of HOST-API.md follows in later work.
#pragma once

#include "runtime/host_registry.h"

namespace t3n::host {

runtime::HostInterface kv_store_interface();
runtime::HostInterface logging_interface();
runtime::HostInterface tenant_context_interface();
runtime::HostInterface clock_interface();
runtime::HostInterface state_interface();
runtime::HostInterface config_interface();
runtime::HostInterface node_config_interface();
runtime::HostInterface time_interface();

// Every interface above, ready for the runtime.
std::shared_ptr<runtime::HostRegistry> core_registry();

}  // namespace t3n::host
