// t3n:host/node-config@1.0.0 — runtime knobs the node publishes (node id,
// version, limits).
#include "host/host.h"
#include "host/util.h"

namespace t3n::host {

runtime::HostInterface node_config_interface() {
  runtime::HostInterface iface{"t3n:host/node-config@1.0.0", "node_config", {}};
  iface.functions["get"] = {"func(key: string) -> option<string>",
                            [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
                              T3N_ASSIGN_OR_RETURN(std::string key, arg_string(args, 0));
                              if (ctx.node_config == nullptr) return set_result(r, none());
                              auto it = ctx.node_config->find(key);
                              return set_result(r, it == ctx.node_config->end() ? none() : some(Val::string(it->second)));
                            }};
  iface.functions["list"] = {"func() -> list<tuple<string, string>>",
                             [](runtime::CallContext& ctx, const ValArgs&, ValArgs& r) -> Status {
                               std::vector<Val> items;
                               if (ctx.node_config != nullptr)
                                 for (const auto& [k, v] : *ctx.node_config)
                                   items.emplace_back(wc::Tuple(std::vector<Val>{Val::string(k), Val::string(v)}));
                               return set_result(r, Val(wc::List(std::move(items))));
                             }};
  return iface;
}

}  // namespace t3n::host
