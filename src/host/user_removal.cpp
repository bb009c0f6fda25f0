// host:interfaces/user-removal@2.1.0 (system-only) — crypto-shredding of a
// user (system/user_accounts remove_user): every index entry, the data
// reference, delegations, wallets abandoned, and the data key destroyed.
#include "host/account_util.h"
#include "host/host.h"

namespace t3n::host {

runtime::HostInterface user_removal_interface() {
  runtime::HostInterface iface{"host:interfaces/user-removal@2.1.0", "user_removal", {}};
  iface.functions["remove-user"] = {"func(user-did: list<u8>) -> result<string, string>",
                                    [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
                                      T3N_RETURN_IF_ERROR(arity(args, 1));
                                      T3N_ASSIGN_OR_RETURN(Bytes user, arg_bytes(args, 0));
                                      if (auto why = account_refusal(ctx, user, true); !why.empty()) return set_result(r, err_string(why));
                                      auto report = ctx.services->remove_user(ctx, user);
                                      if (!report.ok()) return set_result(r, err_string(report.status().message()));
                                      if (ctx.calling_user_did && *ctx.calling_user_did == user) ctx.caller_removed = true;
                                      return set_result(r, ok_val(Val::string(*report)));
                                    }};
  return iface;
}

}  // namespace t3n::host
