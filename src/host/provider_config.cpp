// host:interfaces/provider-config@2.1.0 — operator-configured JSON for a
// provider the manifest lists (`provider_config`). The answer is
// {"provider": id, "config": {…}} and carries "secret" only when the
// running contract is on that provider's `secret_contracts`.
#include "host/host.h"
#include "host/util.h"

namespace t3n::host {

runtime::HostInterface provider_config_interface(const ProviderConfigs* providers) {
  runtime::HostInterface iface{"host:interfaces/provider-config@2.1.0", "provider_config", {}};
  iface.functions["fetch"] = {
      "func(provider-id: string) -> result<list<u8>, string>",
      [providers](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 1));
        T3N_ASSIGN_OR_RETURN(std::string id, arg_string(args, 0));
        const std::string shown = id.substr(0, 64);
        bool listed = false;
        if (ctx.manifest != nullptr)
          for (const auto& p : ctx.manifest->provider_config) listed = listed || p == id;
        if (!listed) return set_result(r, err_string("not-granted: the manifest does not list provider '" + shown + "'"));
        const ProviderConfig* p = nullptr;
        if (providers != nullptr)
          if (auto it = providers->find(id); it != providers->end()) p = &it->second;
        if (p == nullptr) return set_result(r, err_string("unknown-provider: the operator configured no provider '" + shown + "'"));
        common::Json out{{"provider", id}, {"config", p->config}};
        bool secret_allowed = false;
        for (const auto& c : p->secret_contracts) secret_allowed = secret_allowed || c == ctx.contract_name;
        if (secret_allowed && !p->secret.is_null()) out["secret"] = p->secret;
        return set_result(r, ok_val(runtime::bytes_to_val(common::to_bytes(out.dump()))));
      }};
  return iface;
}

}  // namespace t3n::host
