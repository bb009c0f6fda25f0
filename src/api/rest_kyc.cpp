// POST /api/kyc/webhook/<provider id>: a KYC provider's signed decision
// (system/kyc.h). Unauthenticated by session or DID — the provider's HMAC
// over the exact body is the authentication; a bad one changes nothing.
#include "api/execution.h"
#include "api/routes.h"
#include "common/encoding.h"
#include "system/kyc.h"

namespace t3n::api {

void register_kyc_routes(EndpointRegistry& r, NodeServices& s) {
  r.rest({"POST", "/api/kyc/webhook/*", AuthPolicy::kNone, [&s](const HttpRequest& req) {
            const std::string prefix = "/api/kyc/webhook/";
            const std::string id = req.path.substr(prefix.size());
            if (s.system == nullptr) return error_response(503, "system contracts are not wired on this node");
            auto it = s.system->env.kyc_providers.find(id);
            if (it == s.system->env.kyc_providers.end()) return error_response(404, "no such KYC provider on this node");
            auto out = in_system_transaction(s, [&](store::Transaction& tx) {
              return system::accept_kyc_webhook(tx, id, it->second, req.body, req.header(it->second.signature_header), s.clock());
            });
            if (!out.ok()) {
              const int status = out.status().code() == ErrorCode::kUnauthenticated ? 401
                                 : out.status().code() == ErrorCode::kInvalidArgument ? 400
                                                                                      : 503;
              return error_response(status, status == 503 ? "unavailable" : out.status().message());
            }
            s.log.info("kyc webhook from {}: {}", id, out->value("status", std::string()));
            return json_response(*out);
          }});
}

}  // namespace t3n::api
