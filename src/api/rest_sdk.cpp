// The plain HTTP routes the T3N SDK uses beside /status:
// GET /api/contracts/current, GET /api/contracts/status, GET /healthz.
#include "api/routes.h"

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
}

}  // namespace t3n::api
