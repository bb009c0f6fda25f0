#include "api/endpoints.h"

#include <algorithm>

namespace t3n::api {

std::string_view auth_policy_name(AuthPolicy p) {
  switch (p) {
    case AuthPolicy::kNone: return "none";
    case AuthPolicy::kDidSigned: return "did-signed";
    case AuthPolicy::kSession: return "session";
    case AuthPolicy::kSessionAny: return "session-any";
    case AuthPolicy::kOperator: return "operator";
  }
  return "unknown";
}

std::string Caller::authenticator() const {
  return is_session() ? session_authenticator : identity::authenticator_of(request.did);
}

namespace {
Status field_error(std::string_view field, std::string_view expected) {
  return common::invalid_argument("'" + std::string(field) + "': expected " + std::string(expected));
}
}  // namespace

Result<std::string> ParamReader::string(std::string_view field) const {
  auto it = params.find(field);
  if (it == params.end()) return common::invalid_argument("'" + std::string(field) + "' is required");
  if (!it->is_string()) return field_error(field, "a string");
  return it->get<std::string>();
}

Result<std::optional<std::string>> ParamReader::optional_string(std::string_view field) const {
  auto it = params.find(field);
  if (it == params.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) return field_error(field, "a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::vector<std::string>> ParamReader::string_list(std::string_view field, std::size_t max_items) const {
  std::vector<std::string> out;
  auto it = params.find(field);
  if (it == params.end() || it->is_null()) return out;
  if (!it->is_array()) return field_error(field, "an array of strings");
  if (it->size() > max_items) return common::invalid_argument("'" + std::string(field) + "': at most " + std::to_string(max_items) + " items");
  for (const auto& v : *it) {
    if (!v.is_string()) return field_error(field, "an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::optional<common::Json> ParamReader::any(std::string_view field) const {
  auto it = params.find(field);
  if (it == params.end()) return std::nullopt;
  return *it;
}

void EndpointRegistry::add(RpcMethod method) {
  const std::string name = method.name;
  rpc_.insert_or_assign(name, std::move(method));
}

void EndpointRegistry::rest(RestRoute route) {
  if (route.path.size() >= 2 && route.path.compare(route.path.size() - 2, 2, "/*") == 0) {
    route.path.pop_back();  // keep the trailing '/': "/api/did/"
    prefix_rest_.push_back(std::move(route));
    std::stable_sort(prefix_rest_.begin(), prefix_rest_.end(),
                     [](const RestRoute& a, const RestRoute& b) { return a.path.size() > b.path.size(); });
    return;
  }
  auto key = std::make_pair(route.method, route.path);
  rest_.insert_or_assign(std::move(key), std::move(route));
}

const RpcMethod* EndpointRegistry::find_rpc(std::string_view name) const {
  auto it = rpc_.find(name);
  return it == rpc_.end() ? nullptr : &it->second;
}

const RestRoute* EndpointRegistry::find_rest(std::string_view method, std::string_view path) const {
  auto it = rest_.find(std::make_pair(std::string(method), std::string(path)));
  if (it != rest_.end()) return &it->second;
  for (const auto& r : prefix_rest_)
    if (r.method == method && path.size() > r.path.size() && path.substr(0, r.path.size()) == r.path) return &r;
  return nullptr;
}

std::vector<const RpcMethod*> EndpointRegistry::methods() const {
  std::vector<const RpcMethod*> out;
  for (const auto& [_, m] : rpc_) out.push_back(&m);
  return out;
}

RpcError rpc_error_of(const Status& s) {
  switch (s.code()) {
    case ErrorCode::kInvalidArgument: return {-32602, s.message(), "invalid_params"};
    case ErrorCode::kNotFound: return {-32004, s.message(), "not_found"};
    case ErrorCode::kUnauthenticated: return {-32001, s.message(), "unauthenticated"};
    case ErrorCode::kPermissionDenied: return {-32003, s.message(), "permission_denied"};
    case ErrorCode::kConflict: return {-32009, s.message(), "conflict"};
    case ErrorCode::kAlreadyExists: return {-32010, s.message(), "already_exists"};
    case ErrorCode::kResourceExhausted: return {-32029, s.message(), "resource_exhausted"};
    case ErrorCode::kUnimplemented: return {-32601, s.message(), "unimplemented"};
    case ErrorCode::kUnavailable: return {-32030, s.message(), "unavailable"};
    case ErrorCode::kDeadlineExceeded: return {-32031, s.message(), "deadline_exceeded"};
    case ErrorCode::kFailedPrecondition: {
      // Contract outcomes: "<kind>: <message>" → data.code = kind.
      const std::string& m = s.message();
      return {-32000, m, m.substr(0, m.find_first_of(": ("))};
    }
    default: return {-32603, "internal error", std::string(common::error_code_name(s.code()))};
  }
}

common::Json rpc_error_reply(const common::Json& id, const RpcError& e) {
  return {{"jsonrpc", "2.0"},
          {"id", id},
          // data.detail is what the T3N SDK shows and matches on ("Unauthorized…").
          {"error", {{"code", e.code}, {"message", e.message}, {"data", {{"code", e.data_code}, {"detail", e.message}}}}}};
}

std::string dump_json(const common::Json& j) { return j.dump(-1, ' ', false, common::Json::error_handler_t::replace); }

HttpResponse json_response(const common::Json& j, int status) { return {status, "application/json", dump_json(j), {}}; }

HttpResponse error_response(int status, std::string_view message) {
  return json_response({{"error", std::string(message)}}, status);
}

}  // namespace t3n::api
