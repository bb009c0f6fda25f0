// t3n:host/time@1.0.0 — the cluster timestamp and elapsed time inside the call.
#include "host/host.h"
#include "host/util.h"

namespace t3n::host {

runtime::HostInterface time_interface() {
  runtime::HostInterface iface{"t3n:host/time@1.0.0", "time", {}};
  iface.functions["wall-clock-ms"] = {"func() -> u64", [](runtime::CallContext& ctx, const ValArgs&, ValArgs& r) {
                                        return set_result(r, Val(ctx.cluster_timestamp_ms));
                                      }};
  iface.functions["monotonic-ns"] = {"func() -> u64", [](runtime::CallContext& ctx, const ValArgs&, ValArgs& r) {
                                       auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                     std::chrono::steady_clock::now() - ctx.started)
                                                     .count();
                                       return set_result(r, Val(static_cast<std::uint64_t>(ns)));
                                     }};
  return iface;
}

std::shared_ptr<runtime::HostRegistry> core_registry() {
  auto r = std::make_shared<runtime::HostRegistry>();
  r->add(kv_store_interface());
  r->add(logging_interface());
  r->add(tenant_context_interface());
  r->add(clock_interface());
  r->add(state_interface());
  r->add(config_interface());
  r->add(node_config_interface());
  r->add(time_interface());
  return r;
}

}  // namespace t3n::host
