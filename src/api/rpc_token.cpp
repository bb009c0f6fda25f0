// token.get-usage (the SDK's, on the session channel, plaintext) and
// token.usage (the same page for DID-signed clients such as `t3n usage`):
// the caller's balance and a page of its token ledger.
#include <algorithm>
#include <set>

#include "api/execution.h"
#include "api/routes.h"

namespace t3n::api {

namespace {

struct UsageParams {
  std::uint32_t limit = 50;
  std::optional<std::uint64_t> after_seq;
  std::vector<std::string> kinds;
  static Result<UsageParams> parse(const common::Json& j) {
    UsageParams p;
    if (!j.is_object() && !j.is_null()) return common::invalid_argument("params: expected an object");
    if (j.is_null()) return p;
    if (auto l = j.find("limit"); l != j.end() && !l->is_null()) {
      if (!l->is_number_integer()) return common::invalid_argument("'limit': expected an integer");
      // Out-of-range values snap to 1..200 (the SDK's documented behaviour).
      p.limit = static_cast<std::uint32_t>(std::clamp<std::int64_t>(l->get<std::int64_t>(), 1, 200));
    }
    if (auto a = j.find("after_seq"); a != j.end() && !a->is_null()) {
      if (!a->is_number_unsigned()) return common::invalid_argument("'after_seq': expected a non-negative integer");
      p.after_seq = a->get<std::uint64_t>();
    }
    if (auto k = j.find("kinds"); k != j.end() && !k->is_null()) {
      if (!k->is_array() || k->size() > 16) return common::invalid_argument("'kinds': expected a list of strings");
      static const std::set<std::string> kKnown{"mint", "burn", "charge", "transfer", "bridge_mint_attest", "bridge_burn_attest"};
      for (const auto& kind : *k) {
        if (!kind.is_string() || kKnown.count(kind.get<std::string>()) == 0)
          return common::invalid_argument("'kinds': each is one of mint, burn, charge, transfer, bridge_mint_attest, bridge_burn_attest");
        p.kinds.push_back(kind.get<std::string>());
      }
    }
    return p;
  }
};

Result<common::Json> usage_of(NodeServices& s, const Caller& caller, const UsageParams& p) {
  const bool on = s.system != nullptr && s.system->env.metering.enabled();
  T3N_ASSIGN_OR_RETURN(auto user, find_user(s, caller));
  common::Json page = {{"balance",
                        {{"available", 0}, {"reserved", 0}, {"last_settled_seq_no", 0}, {"version", 0}, {"credit_exhausted", false}}},
                       {"entries", common::Json::array()},
                       {"next_cursor", nullptr}};
  if (s.system != nullptr && user) {
    auto tx = s.store.begin(store::Principal::system());
    T3N_ASSIGN_OR_RETURN(page, s.system->env.metering.usage_page(tx, *user, p.limit, p.after_seq, p.kinds));
  }
  page["metering"] = on ? "on" : "off";
  return page;
}

}  // namespace

void register_token_endpoints(EndpointRegistry& r, NodeServices& s) {
  if (s.sessions != nullptr) {
    RpcMethod usage;
    usage.name = "token.get-usage";
    usage.auth = AuthPolicy::kSession;
    usage.session_plaintext = true;
    usage.handler = [&s](RpcContext& ctx, const common::Json& params) -> Result<common::Json> {
      T3N_ASSIGN_OR_RETURN(UsageParams p, UsageParams::parse(params));
      return usage_of(s, *ctx.caller, p);
    };
    r.add(std::move(usage));
  }
  r.rpc<UsageParams>("token.usage", AuthPolicy::kDidSigned, false,
                     [&s](RpcContext& ctx, const UsageParams& p) { return usage_of(s, *ctx.caller, p); });
}

}  // namespace t3n::api
