// t3n:host/config@1.0.0 — public cluster configuration set by the operator.
#include "host/host.h"
#include "host/util.h"

namespace t3n::host {

runtime::HostInterface config_interface() {
  runtime::HostInterface iface{"t3n:host/config@1.0.0", "config", {}};
  iface.functions["read-u64"] = {
      "func(key: string) -> result<option<u64>, string>",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_ASSIGN_OR_RETURN(std::string key, arg_string(args, 0));
        if (ctx.cluster_config == nullptr) return set_result(r, ok_val(none()));
        auto it = ctx.cluster_config->find(key);
        if (it == ctx.cluster_config->end()) return set_result(r, ok_val(none()));
        if (!it->second.is_number_unsigned()) return set_result(r, err_string("config '" + key + "' is not a u64"));
        return set_result(r, ok_val(some(Val(it->second.get<std::uint64_t>()))));
      }};
  iface.functions["read-string"] = {
      "func(key: string) -> result<option<string>, string>",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_ASSIGN_OR_RETURN(std::string key, arg_string(args, 0));
        if (ctx.cluster_config == nullptr) return set_result(r, ok_val(none()));
        auto it = ctx.cluster_config->find(key);
        if (it == ctx.cluster_config->end()) return set_result(r, ok_val(none()));
        if (!it->second.is_string()) return set_result(r, err_string("config '" + key + "' is not a string"));
        return set_result(r, ok_val(some(Val::string(it->second.get<std::string>()))));
      }};
  return iface;
}

}  // namespace t3n::host
