// action.execute — T3N's contract call (ARCHITECTURE.md §3).
#include "api/execution.h"
#include "api/routes.h"

namespace t3n::api {

void register_execute_endpoints(EndpointRegistry& r, NodeServices& s) {
  r.rpc<ExecuteParams>("action.execute", AuthPolicy::kDidSigned, /*writes=*/true,
                       [&s](RpcContext& ctx, const ExecuteParams& p) {
                         return execute_contract(s, *ctx.caller, p, ctx.request_id);
                       },
                       /*encrypted_only=*/false);
}

}  // namespace t3n::api
