// Shared by the account interfaces (user-profile, user-removal,
// did-registry, agent-auth): the user a call may act for.
#pragma once

#include <algorithm>
#include <string>

#include "host/util.h"

namespace t3n::host {

// Empty when `user` (a 20-byte id) may be acted on by this call: it is the
// calling user (the data owner of a delegated call), unless `any_user`
// (system-only interfaces an operator deployed). Otherwise why not.
inline std::string account_refusal(const runtime::CallContext& ctx, ByteView user, bool any_user) {
  if (ctx.services == nullptr || ctx.tx == nullptr) return "no execution context";
  if (user.size() != 20) return "user-did must be a 20-byte id";
  if (any_user) return {};
  if (!ctx.calling_user_did || !std::equal(user.begin(), user.end(), ctx.calling_user_did->begin(), ctx.calling_user_did->end()))
    return "not-authorized: a contract acts only for the calling user";
  return {};
}

}  // namespace t3n::host
