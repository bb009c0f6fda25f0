// host:interfaces/state@2.1.0 — scratch space of one execution, gone afterwards.
#include "host/host.h"
#include "host/util.h"

namespace t3n::host {

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
        auto it = ctx.scratch.find(key);
        const std::size_t old = it == ctx.scratch.end() ? 0 : key.size() + it->second.size();
        if (ctx.scratch_bytes - old + key.size() + value.size() > runtime::kMaxScratchBytes)
          return set_result(r, err_string("state limit for this call reached"));
        ctx.scratch_bytes = ctx.scratch_bytes - old + key.size() + value.size();
        ctx.scratch[key] = std::move(value);
        return set_result(r, ok_unit());
      }};
  iface.functions["delete-state"] = {"func(key: string) -> result<_, string>",
                                     [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
                                       T3N_ASSIGN_OR_RETURN(std::string key, arg_string(args, 0));
                                       auto it = ctx.scratch.find(key);
                                       if (it != ctx.scratch.end()) {
                                         ctx.scratch_bytes -= key.size() + it->second.size();
                                         ctx.scratch.erase(it);
                                       }
                                       return set_result(r, ok_unit());
                                     }};
  return iface;
}

}  // namespace t3n::host
