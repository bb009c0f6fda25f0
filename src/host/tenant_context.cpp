// host:tenant/tenant-context@1.0.0 — read-only facts of the current call.
#include "host/host.h"
#include "host/util.h"

namespace t3n::host {

runtime::HostInterface tenant_context_interface() {
  runtime::HostInterface iface{"host:tenant/tenant-context@1.0.0", "tenant_context", {}};
  iface.functions["tenant-did"] = {"func() -> list<u8>", [](runtime::CallContext& ctx, const ValArgs&, ValArgs& r) {
                                     return set_result(r, runtime::bytes_to_val(ctx.tenant_did));
                                   }};
  iface.functions["contract-id"] = {"func() -> u32", [](runtime::CallContext& ctx, const ValArgs&, ValArgs& r) {
                                      return set_result(r, Val(ctx.contract_id));
                                    }};
  iface.functions["calling-user-did"] = {
      "func() -> option<list<u8>>", [](runtime::CallContext& ctx, const ValArgs&, ValArgs& r) {
        return set_result(r, ctx.calling_user_did ? some(runtime::bytes_to_val(*ctx.calling_user_did)) : none());
      }};
  iface.functions["cluster-timestamp-secs"] = {"func() -> u64",
                                               [](runtime::CallContext& ctx, const ValArgs&, ValArgs& r) {
                                                 return set_result(r, Val(ctx.cluster_timestamp_ms / 1000));
                                               }};
  iface.functions["seq-no"] = {"func() -> u64", [](runtime::CallContext& ctx, const ValArgs&, ValArgs& r) {
                                 return set_result(r, Val(ctx.seqno));
                               }};
  return iface;
}

}  // namespace t3n::host
