// action.execute — T3N's contract call (ARCHITECTURE.md §3).
#include "api/execution.h"
#include "api/routes.h"

namespace t3n::api {

void register_execute_endpoints(EndpointRegistry& r, NodeServices& s) {
  r.rpc<ExecuteParams>("action.execute", AuthPolicy::kDidSigned, /*writes=*/true,
                       [&s](RpcContext& ctx, const ExecuteParams& p) -> Result<common::Json> {
                         std::optional<runtime::CallContext::AttachedBlob> blob;
                         if (ctx.blob != nullptr)
                           blob = runtime::CallContext::AttachedBlob{common::as_bytes(*ctx.blob),
                                                                     ctx.blob_media_type ? std::optional(*ctx.blob_media_type) : std::nullopt};
                         T3N_ASSIGN_OR_RETURN(common::Json out, execute_contract(s, *ctx.caller, p, ctx.request_id, {}, blob));
                         // The SDK's protocol: the contract's JSON result verbatim.
                         if (ctx.transport == Transport::kSession) return out["response"];
                         return out;
                       },
                       /*encrypted_only=*/false);
}

}  // namespace t3n::api
