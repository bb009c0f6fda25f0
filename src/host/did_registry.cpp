// host:interfaces/did-registry@2.1.0 — links an authenticator
// ("email:a@b.c", "eth:0x…", "oidc:<issuer>|<subject>") to the calling
// user; the index keeps only its keyed hash. Ours is system-only by
// default (runtime::is_tenant_tier_capability): a tenant contract that
// could bind any e-mail to its caller could steal that address's logins.
#include "host/account_util.h"
#include "host/host.h"

namespace t3n::host {

runtime::HostInterface did_registry_interface() {
  runtime::HostInterface iface{"host:interfaces/did-registry@2.1.0", "did_registry", {}};
  iface.functions["link-authenticator"] = {
      "func(user-did: list<u8>, authenticator-str: string) -> result<_, string>",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 2));
        T3N_ASSIGN_OR_RETURN(Bytes user, arg_bytes(args, 0));
        T3N_ASSIGN_OR_RETURN(std::string authenticator, arg_string(args, 1));
        if (auto why = account_refusal(ctx, user, false); !why.empty()) return set_result(r, err_string(why));
        Status linked = ctx.services->link_authenticator(ctx, user, authenticator);
        if (linked.code() == ErrorCode::kAlreadyExists) return set_result(r, err_string("authenticator-taken: it belongs to another user"));
        if (!linked.ok()) return set_result(r, err_string(linked.message()));
        return set_result(r, ok_unit());
      }};
  return iface;
}

}  // namespace t3n::host
