// One dispatcher in front of the endpoint registry: every transport hands it
// requests; JSON-RPC parsing, authentication (signature, audience,
// freshness, replay), the auth policy, error mapping and metrics happen here
// once. A bad request of any kind is a JSON-RPC error — never a throw, never
// a plaintext 500 — and no error text echoes raw input bytes.
#pragma once

#include <string>

#include "api/endpoints.h"
#include "api/services.h"
#include "common/json.h"

namespace t3n::api {

class Dispatcher {
 public:
  Dispatcher(const EndpointRegistry& endpoints, NodeServices& services) : endpoints_(endpoints), services_(services) {}

  // A JSON-RPC request body (signed headers in `header`) → the reply object.
  common::Json handle_rpc(ByteView body, const identity::HeaderLookup& header, Transport transport);
  // An HTTP request → a REST route (404/405 otherwise).
  HttpResponse handle_http(const HttpRequest& request);

 private:
  const EndpointRegistry& endpoints_;
  NodeServices& services_;
};

}  // namespace t3n::api
