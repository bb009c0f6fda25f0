// host:interfaces/agent-registry@2.1.0 — registers the calling user's
// agent URI and owner address (system/agent_registry); it then appears in
// the user's DID document as an AgentService.
#include "host/account_util.h"
#include "host/host.h"

namespace t3n::host {

runtime::HostInterface agent_registry_interface() {
  runtime::HostInterface iface{"host:interfaces/agent-registry@2.1.0", "agent_registry", {}};
  iface.functions["register-agent"] = {
      "func(user-did: list<u8>, agent-uri: string, owner-eth-address: list<u8>) -> result<string, string>",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 3));
        T3N_ASSIGN_OR_RETURN(Bytes user, arg_bytes(args, 0));
        T3N_ASSIGN_OR_RETURN(std::string uri, arg_string(args, 1));
        T3N_ASSIGN_OR_RETURN(Bytes owner, arg_bytes(args, 2));
        if (auto why = account_refusal(ctx, user, false); !why.empty()) return set_result(r, err_string(why));
        auto out = ctx.services->register_agent(ctx, user, uri, owner);
        if (!out.ok()) return set_result(r, err_string(out.status().message()));
        return set_result(r, ok_val(Val::string(*out)));
      }};
  return iface;
}

}  // namespace t3n::host
