// host:interfaces/clock@2.1.0 — the transaction's cluster timestamp, never
// the local wall clock (replicas must agree).
#include "host/host.h"
#include "host/util.h"

namespace t3n::host {

runtime::HostInterface clock_interface() {
  runtime::HostInterface iface{"host:interfaces/clock@2.1.0", "clock", {}};
  iface.functions["now-ms"] = {"func() -> result<u64, variant { no-tx-context }>",
                               [](runtime::CallContext& ctx, const ValArgs&, ValArgs& r) {
                                 if (ctx.tx == nullptr)
                                   return set_result(r, Val(wc::WitResult::err(Val(wc::Variant("no-tx-context", std::nullopt)))));
                                 return set_result(r, ok_val(Val(ctx.cluster_timestamp_ms)));
                               }};
  return iface;
}

}  // namespace t3n::host
