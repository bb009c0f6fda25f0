// host:interfaces/state@2.1.0 — scratch space of one execution, gone afterwards.
// Entries count against the call's write budget (shared with kv-store).
#include "host/host.h"
#include "host/util.h"

namespace t3n::host {
namespace {
constexpr std::string_view kSpace = "state";
}  // namespace

runtime::HostInterface state_interface() {
  runtime::HostInterface iface{"host:interfaces/state@2.1.0", "state", {}};
  iface.functions["get-state"] = {
      "func(key: string) -> result<option<list<u8>>, string>",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_ASSIGN_OR_RETURN(std::string key, arg_string(args, 0));
        auto it = ctx.scratch.find(key);
        return set_result(r, ok_val(it == ctx.scratch.end() ? none() : some(runtime::bytes_to_val(it->second))));
      }};
  iface.functions["put-state"] = {
      "func(key: string, value: list<u8>) -> result<_, string>",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_ASSIGN_OR_RETURN(std::string key, arg_string(args, 0));
        T3N_ASSIGN_OR_RETURN(Bytes value, arg_bytes(args, 1));
        const std::size_t size = key.size() + value.size();
        if (!ctx.writes.fits(kSpace, common::as_bytes(key), size)) return set_result(r, err_string(write_budget_error(ctx)));
        ctx.writes.record(kSpace, common::as_bytes(key), size);
        ctx.scratch[key] = std::move(value);
        return set_result(r, ok_unit());
      }};
  iface.functions["delete-state"] = {"func(key: string) -> result<_, string>",
                                     [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
                                       T3N_ASSIGN_OR_RETURN(std::string key, arg_string(args, 0));
                                       ctx.writes.release(kSpace, common::as_bytes(key));
                                       ctx.scratch.erase(key);
                                       return set_result(r, ok_unit());
                                     }};
  return iface;
}

}  // namespace t3n::host
