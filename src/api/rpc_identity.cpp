// identity.whoami, delegation.set — who the caller is, and the grants a user
// gives agents over their data.
#include "api/execution.h"
#include "api/routes.h"
#include "identity/delegation.h"
#include "identity/did.h"

namespace t3n::api {

namespace {

struct NoParams {
  static Result<NoParams> parse(const common::Json&) { return NoParams{}; }
};

struct DelegationParams {
  identity::Delegations delegations;
  static Result<DelegationParams> parse(const common::Json& j) {
    auto payload = ParamReader{j}.any("payload");
    if (!payload) return common::invalid_argument("'payload' is required");
    T3N_ASSIGN_OR_RETURN(auto grants, identity::parse_delegations(*payload));
    return DelegationParams{{*payload, std::move(grants)}};
  }
};

}  // namespace

void register_identity_endpoints(EndpointRegistry& r, NodeServices& s) {
  // A pure read: a stranger asking commits nothing (no user is created).
  r.rpc<NoParams>("identity.whoami", AuthPolicy::kDidSigned, false,
                  [&s](RpcContext& ctx, const NoParams&) -> Result<common::Json> {
                    T3N_ASSIGN_OR_RETURN(auto user, find_user(s, *ctx.caller));
                    return common::Json{{"did", user ? common::Json(identity::t3n_did(*user)) : common::Json(nullptr)},
                                        {"authenticator", ctx.caller->did()},
                                        {"registered", user.has_value()},
                                        {"operator", ctx.caller->is_operator}};
                  },
                  false);
  r.rpc<DelegationParams>("delegation.set", AuthPolicy::kDidSigned, true, [&s](RpcContext& ctx, const DelegationParams& p) {
    return write_as_caller(s, *ctx.caller, [&](store::Transaction& tx, const Bytes& user) -> Result<common::Json> {
      T3N_RETURN_IF_ERROR(identity::kDelegationsTable.in(tx).put(user, p.delegations));
      return common::Json{{"agents", p.delegations.grants.size()}};
    });
  });
}

}  // namespace t3n::api
