// One dispatcher in front of the endpoint registry: every transport hands it
// requests; JSON-RPC parsing, authentication (signature, audience,
// freshness, replay), the auth policy, error mapping and metrics happen here
// once. A bad request of any kind is a JSON-RPC error — never a throw, never
// a plaintext 500 — and no error text echoes raw input bytes.
#pragma once

#include <string>
#include <variant>

#include "api/endpoints.h"
#include "api/services.h"
#include "common/json.h"

namespace t3n::api {

class Dispatcher {
 public:
  Dispatcher(const EndpointRegistry& endpoints, NodeServices& services) : endpoints_(endpoints), services_(services) {}

  // A JSON-RPC request body (signed headers in `header`) → the reply object.
  common::Json handle_rpc(ByteView body, const identity::HeaderLookup& header, Transport transport);

  // The parts of a JSON-RPC 2.0 request, checked (params not yet).
  struct Envelope {
    common::Json id;
    std::string method;
    common::Json params;  // as sent: object, string (session-encrypted) or null
  };
  // kInvalidArgument-like failures come back as the error reply to send.
  std::variant<Envelope, common::Json> parse_envelope(ByteView body);
  // Runs `method` with `params` (an object) for an already authenticated
  // context; maps errors; the reply object.
  common::Json invoke(const RpcMethod& method, const common::Json& params, RpcContext& ctx, const common::Json& id);
  const RpcMethod* find(std::string_view name) const { return endpoints_.find_rpc(name); }
  common::Json error_reply(const common::Json& id, const RpcError& e);
  // An HTTP request → a REST route (404/405 otherwise).
  // CORS headers for configured origins (NodeInfo::cors_origins).
  HttpResponse handle_http(const HttpRequest& request);

 private:
  HttpResponse route_http(const HttpRequest& request);
  const EndpointRegistry& endpoints_;
  NodeServices& services_;
};

}  // namespace t3n::api
