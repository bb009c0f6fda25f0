// action.execute — T3N's contract call (ARCHITECTURE.md §3).
#include "api/execution.h"
#include "api/routes.h"

namespace t3n::api {

void register_execute_endpoints(EndpointRegistry& r, NodeServices& s) {
  r.rpc<ExecuteParams>("action.execute", AuthPolicy::kDidSigned, /*writes=*/true,
                       [&s](RpcContext& ctx, const ExecuteParams& p) -> Result<common::Json> {
                         T3N_ASSIGN_OR_RETURN(common::Json out, execute_contract(s, *ctx.caller, p, ctx.request_id));
                         // The SDK's protocol: the contract's JSON result verbatim.
                         if (ctx.transport == Transport::kSession) return out["response"];
                         return out;
                       },
                       /*encrypted_only=*/false);
}

}  // namespace t3n::api
