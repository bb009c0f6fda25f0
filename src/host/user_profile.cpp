// host:interfaces/user-profile@2.1.0 — a contract stores the calling user's
// profile (PII), sealed with the user's data key (system/user_accounts via
// CallServices). Only for the calling user; verified contacts stay the
// host's. Answers the blob's CID.
#include "host/account_util.h"
#include "host/host.h"

namespace t3n::host {

runtime::HostInterface user_profile_interface() {
  runtime::HostInterface iface{"host:interfaces/user-profile@2.1.0", "user_profile", {}};
  iface.functions["upsert"] = {"func(user-did: list<u8>, user-profile: list<u8>) -> result<string, string>",
                               [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
                                 T3N_RETURN_IF_ERROR(arity(args, 2));
                                 T3N_ASSIGN_OR_RETURN(Bytes user, arg_bytes(args, 0));
                                 T3N_ASSIGN_OR_RETURN(Bytes profile, arg_bytes(args, 1));
                                 if (auto why = account_refusal(ctx, user, false); !why.empty()) return set_result(r, err_string(why));
                                 auto cid = ctx.services->upsert_profile(ctx, user, profile);
                                 if (!cid.ok()) return set_result(r, err_string(cid.status().message()));
                                 return set_result(r, ok_val(Val::string(*cid)));
                               }};
  return iface;
}

}  // namespace t3n::host
