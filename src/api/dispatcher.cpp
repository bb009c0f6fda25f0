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

common::Json Dispatcher::error_reply(const common::Json& id, const RpcError& e) {
  ++services_.metrics.rpc_errors;
  return rpc_error_reply(id, e);
}

std::variant<Dispatcher::Envelope, common::Json> Dispatcher::parse_envelope(ByteView body) {
  Envelope env;
  env.id = nullptr;
  auto req = common::parse_json(common::to_string(body), 64);
  if (!req.ok()) return error_reply(nullptr, {-32700, "parse error: " + req.status().message(), "parse_error"});
  if (!req->is_object()) return error_reply(nullptr, {-32600, "invalid request: expected a JSON-RPC 2.0 request object", "invalid_request"});
  if (auto idv = req->find("id"); idv != req->end()) {
    if (!(idv->is_string() || idv->is_number_integer() || idv->is_null()))
      return error_reply(nullptr, {-32600, "invalid request: 'id' must be a string, an integer or null", "invalid_request"});
    env.id = *idv;
  }
  auto version = req->find("jsonrpc");
  if (version == req->end() || !version->is_string() || version->get<std::string>() != "2.0")
    return error_reply(env.id, {-32600, "invalid request: 'jsonrpc' must be \"2.0\"", "invalid_request"});
  auto method_v = req->find("method");
  if (method_v == req->end() || !method_v->is_string())
    return error_reply(env.id, {-32600, "invalid request: 'method' must be a string", "invalid_request"});
  env.method = method_v->get<std::string>();
  if (auto p = req->find("params"); p != req->end()) env.params = *p;
  return env;
}

common::Json Dispatcher::handle_rpc(ByteView body, const identity::HeaderLookup& header, Transport transport) {
  auto parsed = parse_envelope(body);
  if (auto* reply = std::get_if<common::Json>(&parsed)) return std::move(*reply);
  Envelope& env = std::get<Envelope>(parsed);
  const common::Json& id = env.id;
  const std::string& name = env.method;
  common::Json params = common::Json::object();
  if (!env.params.is_null()) {
    if (!env.params.is_object()) return error_reply(id, {-32602, "params must be an object", "invalid_params"});
    params = env.params;
  }
  const RpcMethod* method = endpoints_.find_rpc(name);
  if (method == nullptr)
    return error_reply(id, {-32601, showable(name) ? "method not found: " + name : "method not found", "method_not_found"});
  if (transport == Transport::kPlaintext && method->encrypted_only)
    return error_reply(id, {-32600, name + " is served only over an encrypted channel (OHTTP)", "encryption_required"});
  Caller caller;
  RpcContext ctx;
  ctx.transport = transport;
  if (method->auth == AuthPolicy::kSession || method->auth == AuthPolicy::kSessionAny)
    return error_reply(id, rpc_error_of(Status(ErrorCode::kFailedPrecondition,
                                               name + " is served on the T3N session channel (auth.handshake, Session-Id)")));
  if (method->auth != AuthPolicy::kNone) {
    auto who = identity::authenticate_request("POST", "/api/rpc", body, header, services_.info.audience,
                                              services_.replay, services_.clock());
    if (!who.ok()) {
      if (who.status().message().find("replayed") != std::string::npos) ++services_.metrics.replays_refused;
      return error_reply(id, rpc_error_of(who.status()));
    }
    caller.request = std::move(*who);
    caller.is_operator = services_.info.operator_dids.count(caller.did()) != 0;
    if (method->auth == AuthPolicy::kOperator && !caller.is_operator)
      return error_reply(id, rpc_error_of(common::permission_denied(name + " is for the node's operators")));
    ctx.caller = &caller;
  }
  return invoke(*method, params, ctx, id);
}

common::Json Dispatcher::invoke(const RpcMethod& method, const common::Json& params, RpcContext& ctx, const common::Json& id) {
  Bytes rid(8);
  if (!crypto::random_bytes(rid).ok()) return error_reply(id, rpc_error_of(common::internal_error("no randomness")));
  ctx.request_id = common::hex_encode(rid);
  Result<common::Json> result = common::internal_error("unreachable");
  try {
    result = method.handler(ctx, params);
  } catch (const std::exception& e) {
    services_.log.error("rpc {} threw: {} request_id={}", method.name, e.what(), ctx.request_id);
    result = common::internal_error("handler threw");
  }
  if (!result.ok()) {
    const RpcError e = rpc_error_of(result.status());
    if (e.code == -32603)
      services_.log.error("rpc {} failed: {} request_id={}", method.name, result.status().to_string(), ctx.request_id);
    common::Json reply = error_reply(id, e);
    reply["error"]["data"]["request_id"] = ctx.request_id;
    return reply;
  }
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(*result)}};
}

HttpResponse Dispatcher::handle_http(const HttpRequest& request) {
  // CORS only for the operator's configured origins: a browser app on one of
  // them may read Session-Id and send the session cookie; any other origin
  // gets no CORS headers, so browsers keep it out.
  const std::string origin = request.header("origin");
  const bool cors = !origin.empty() && services_.info.cors_origins.count(origin) != 0;
  if (request.method == "OPTIONS") {
    if (!cors) return error_response(403, "origin not allowed");
    HttpResponse pre;
    pre.status = 204;
    pre.content_type.clear();
    pre.headers = {{"Access-Control-Allow-Origin", origin},
                   {"Access-Control-Allow-Credentials", "true"},
                   {"Access-Control-Allow-Methods", "GET, POST"},
                   {"Access-Control-Allow-Headers", "Content-Type, Session-Id"},
                   {"Access-Control-Max-Age", "600"},
                   {"Vary", "Origin"}};
    return pre;
  }
  HttpResponse res = route_http(request);
  if (cors) {
    res.headers.emplace_back("Access-Control-Allow-Origin", origin);
    res.headers.emplace_back("Access-Control-Allow-Credentials", "true");
    res.headers.emplace_back("Access-Control-Expose-Headers", "Session-Id");
    res.headers.emplace_back("Vary", "Origin");
  }
  return res;
}

HttpResponse Dispatcher::route_http(const HttpRequest& request) {
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
