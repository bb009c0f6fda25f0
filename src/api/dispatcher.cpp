#include "api/dispatcher.h"

#include <exception>

#include "common/encoding.h"
#include "crypto/random.h"

namespace t3n::api {

namespace {

// A name from the request may be shown only if it is short printable ASCII.
bool showable(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) return false;
  return true;
}

}  // namespace

common::Json Dispatcher::handle_rpc(ByteView body, const identity::HeaderLookup& header, Transport transport) {
  common::Json id = nullptr;
  auto fail = [&](const RpcError& e) {
    ++services_.metrics.rpc_errors;
    return rpc_error_reply(id, e);
  };
  auto req = common::parse_json(common::to_string(body), 64);
  if (!req.ok()) return fail({-32700, "parse error: " + req.status().message(), "parse_error"});
  if (!req->is_object()) return fail({-32600, "invalid request: expected a JSON-RPC 2.0 request object", "invalid_request"});
  if (auto idv = req->find("id"); idv != req->end()) {
    if (!(idv->is_string() || idv->is_number_integer() || idv->is_null()))
      return fail({-32600, "invalid request: 'id' must be a string, an integer or null", "invalid_request"});
    id = *idv;
  }
  auto version = req->find("jsonrpc");
  if (version == req->end() || !version->is_string() || version->get<std::string>() != "2.0")
    return fail({-32600, "invalid request: 'jsonrpc' must be \"2.0\"", "invalid_request"});
  auto method_v = req->find("method");
  if (method_v == req->end() || !method_v->is_string())
    return fail({-32600, "invalid request: 'method' must be a string", "invalid_request"});
  const std::string name = method_v->get<std::string>();
  common::Json params = common::Json::object();
  if (auto p = req->find("params"); p != req->end() && !p->is_null()) {
    if (!p->is_object()) return fail({-32602, "params must be an object", "invalid_params"});
    params = *p;
  }
  const RpcMethod* method = endpoints_.find_rpc(name);
  if (method == nullptr)
    return fail({-32601, showable(name) ? "method not found: " + name : "method not found", "method_not_found"});
  if (transport == Transport::kPlaintext && method->encrypted_only)
    return fail({-32600, name + " is served only over an encrypted channel (OHTTP)", "encryption_required"});
  Caller caller;
  RpcContext ctx;
  ctx.transport = transport;
  if (method->auth == AuthPolicy::kSession)
    return fail(rpc_error_of(Status(ErrorCode::kUnimplemented, name + " needs a T3N session (not served yet)")));
  if (method->auth != AuthPolicy::kNone) {
    auto who = identity::authenticate_request("POST", "/api/rpc", body, header, services_.info.audience,
                                              services_.replay, services_.clock());
    if (!who.ok()) {
      if (who.status().message().find("replayed") != std::string::npos) ++services_.metrics.replays_refused;
      return fail(rpc_error_of(who.status()));
    }
    caller.request = std::move(*who);
    caller.is_operator = services_.info.operator_dids.count(caller.did()) != 0;
    if (method->auth == AuthPolicy::kOperator && !caller.is_operator)
      return fail(rpc_error_of(common::permission_denied(name + " is for the node's operators")));
    ctx.caller = &caller;
  }
  Bytes rid(8);
  if (!crypto::random_bytes(rid).ok()) return fail(rpc_error_of(common::internal_error("no randomness")));
  ctx.request_id = common::hex_encode(rid);
  Result<common::Json> result = common::internal_error("unreachable");
  try {
    result = method->handler(ctx, params);
  } catch (const std::exception& e) {
    services_.log.error("rpc {} threw: {} request_id={}", name, e.what(), ctx.request_id);
    result = common::internal_error("handler threw");
  }
  if (!result.ok()) {
    const RpcError e = rpc_error_of(result.status());
    if (e.code == -32603)
      services_.log.error("rpc {} failed: {} request_id={}", name, result.status().to_string(), ctx.request_id);
    return fail(e);
  }
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(*result)}};
}

HttpResponse Dispatcher::handle_http(const HttpRequest& request) {
  ++services_.metrics.requests;
  // HEAD is GET without the body (the server drops it).
  const std::string method = request.method == "HEAD" ? "GET" : request.method;
  const RestRoute* route = endpoints_.find_rest(method, request.path);
  if (route == nullptr) {
    const bool other_method = endpoints_.find_rest(method == "GET" ? "POST" : "GET", request.path) != nullptr;
    return other_method ? error_response(405, "method not allowed") : error_response(404, "no such route");
  }
  try {
    return route->handler(request);
  } catch (const std::exception& e) {
    services_.log.error("route {} threw: {}", route->path, e.what());
    return error_response(500, "internal error");
  }
}

}  // namespace t3n::api
