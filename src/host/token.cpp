// host:interfaces/token@2.1.0 — metering balances. A contract reads its
// tenant's balance (the billing DID) and the calling user's; any other
// account is not-authorised (balances are private to their owners). The
// node's metering supplies the reads (CallContext::balance_of) inside the
// call's transaction, so a contract sees the balance its call settles against.
#include "host/host.h"
#include "host/util.h"

namespace t3n::host {
namespace {

constexpr const char* kBalanceType =
    "result<record { available: record { lo: u64, hi: u64 }, reserved: record { lo: u64, hi: u64 } }, "
    "variant { not-authorised, account-not-found }>";

Val u128(std::uint64_t v) {
  std::vector<std::pair<std::string_view, Val>> f;
  f.emplace_back("lo", Val(v));
  f.emplace_back("hi", Val(std::uint64_t{0}));
  return Val(wc::Record(std::move(f)));
}

Val balance_error(const char* which) { return Val(wc::WitResult::err(Val(wc::Variant(which, std::nullopt)))); }

Status answer(runtime::CallContext& ctx, ByteView account, ValArgs& r) {
  if (!ctx.balance_of) return set_result(r, balance_error("account-not-found"));  // metering off on this node
  auto b = ctx.balance_of(account);
  if (!b.ok()) return set_result(r, balance_error("account-not-found"));
  if (!*b) return set_result(r, balance_error("account-not-found"));
  std::vector<std::pair<std::string_view, Val>> f;
  f.emplace_back("available", u128((*b)->available));
  f.emplace_back("reserved", u128((*b)->reserved));
  return set_result(r, ok_val(Val(wc::Record(std::move(f)))));
}

}  // namespace

runtime::HostInterface token_interface() {
  runtime::HostInterface iface{"host:interfaces/token@2.1.0", "token", {}};
  iface.functions["get-balance"] = {std::string("func() -> ") + kBalanceType,
                                    [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
                                      T3N_RETURN_IF_ERROR(arity(args, 0));
                                      return answer(ctx, ctx.tenant_did, r);
                                    }};
  iface.functions["get-account-balance"] = {
      std::string("func(account: list<u8>) -> ") + kBalanceType,
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 1));
        T3N_ASSIGN_OR_RETURN(Bytes account, arg_bytes(args, 0));
        const bool own = account == ctx.tenant_did || (ctx.calling_user_did && account == *ctx.calling_user_did);
        if (!own) return set_result(r, balance_error("not-authorised"));
        return answer(ctx, account, r);
      }};
  return iface;
}

}  // namespace t3n::host
