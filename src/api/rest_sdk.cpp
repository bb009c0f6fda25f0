// The plain HTTP routes the T3N SDK uses beside /status:
// GET /api/contracts/current, GET /api/contracts/status, GET /api/did/<did>,
// GET /healthz.
#include "api/routes.h"
#include "identity/did.h"
#include "identity/users.h"
#include "system/agent_registry.h"

namespace t3n::api {

namespace {

Result<std::string> required_query(const HttpRequest& req, std::string_view name) {
  T3N_ASSIGN_OR_RETURN(auto v, req.query(name));
  if (!v || v->empty()) return common::invalid_argument("query parameter '" + std::string(name) + "' is required");
  if (v->size() > 256) return common::invalid_argument("query parameter '" + std::string(name) + "' is too long");
  return *v;
}

HttpResponse status_error(const Status& st) {
  const int code = st.code() == ErrorCode::kNotFound ? 404 : st.code() == ErrorCode::kInvalidArgument ? 400 : 500;
  return error_response(code, code == 500 ? "internal error" : st.message());
}

}  // namespace

void register_sdk_routes(EndpointRegistry& r, NodeServices& s) {
  r.rest({"GET", "/healthz", AuthPolicy::kNone, [](const HttpRequest&) { return json_response({{"status", "ok"}}); }});
  r.rest({"GET", "/api/contracts/current", AuthPolicy::kNone, [&s](const HttpRequest& req) {
            auto name = required_query(req, "name");
            if (!name.ok()) return status_error(name.status());
            auto v = s.registry.resolve(*name, std::nullopt);
            if (!v.ok()) return status_error(v.status());
            return json_response({{"current_version", v->version}});
          }});
  r.rest({"GET", "/api/contracts/status", AuthPolicy::kNone, [&s](const HttpRequest& req) {
            auto name = required_query(req, "name");
            if (!name.ok()) return status_error(name.status());
            auto version = req.query("version");
            if (!version.ok()) return status_error(version.status());
            auto v = s.registry.resolve(*name, *version);
            if (!v.ok()) return status_error(v.status());
            return json_response({{"name", v->name},
                                  {"version", v->version},
                                  {"cid", v->cid},
                                  {"status", "enabled"},
                                  {"contract_id", v->contract_id},
                                  {"tenant", v->tenant}});
          }});
  // A W3C DID document for a did:t3n the node knows. Its authenticators are
  // kept only as salted hashes, so none is listed; its agent (the agent
  // registry) is an AgentService.
  r.rest({"GET", "/api/did/*", AuthPolicy::kNone, [&s](const HttpRequest& req) {
            constexpr std::string_view kPrefix = "/api/did/";
            const std::string did = req.path.substr(kPrefix.size());
            auto user = identity::parse_t3n_did(did);
            if (!user.ok()) return error_response(400, "expected /api/did/did:t3n:<40 lower-case hex>");
            auto tx = s.store.begin(store::Principal::system());
            auto row = identity::kUsersTable.in(tx).get(*user);
            if (!row.ok()) return error_response(500, "internal error");
            if (!*row) return error_response(404, "no such DID on this node");
            common::Json services = common::Json::array();
            auto agent = system::agent_of(tx, *user);
            if (!agent.ok()) return error_response(500, "internal error");
            if (*agent)
              services.push_back({{"id", did + "#agent"},
                                  {"type", "AgentService"},
                                  {"serviceEndpoint", (**agent)["agent_uri"]},
                                  {"ownerEthAddress", (**agent)["owner_eth_address"]}});
            return json_response({{"@context", common::Json::array({"https://www.w3.org/ns/did/v1"})},
                                  {"id", did},
                                  {"verificationMethod", common::Json::array()},
                                  {"service", std::move(services)}});
          }});
}

}  // namespace t3n::api
