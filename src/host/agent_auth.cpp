// host:interfaces/agent-auth@2.1.0 — replaces the calling user's agent
// grants (identity/delegation's payload); an empty list revokes all.
#include "host/account_util.h"
#include "host/host.h"

namespace t3n::host {

runtime::HostInterface agent_auth_interface() {
  runtime::HostInterface iface{"host:interfaces/agent-auth@2.1.0", "agent_auth", {}};
  iface.functions["update-authorisations"] = {
      "func(user-did: list<u8>, payload: list<u8>) -> result<string, string>",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 2));
        T3N_ASSIGN_OR_RETURN(Bytes user, arg_bytes(args, 0));
        T3N_ASSIGN_OR_RETURN(Bytes payload, arg_bytes(args, 1));
        if (auto why = account_refusal(ctx, user, false); !why.empty()) return set_result(r, err_string(why));
        auto out = ctx.services->update_authorisations(ctx, user, payload);
        if (!out.ok()) return set_result(r, err_string(out.status().message()));
        return set_result(r, ok_val(Val::string(*out)));
      }};
  return iface;
}

}  // namespace t3n::host
