// The transports in front of the dispatcher: the Oblivious HTTP gateway
// (RFC 9458; the inner request is Binary HTTP, RFC 9292) and, in dev
// plaintext mode only, POST /api/rpc in the clear.
#include <chrono>

#include "api/bhttp.h"
#include "api/routes.h"
#include "api/session_auth.h"
#include "common/encoding.h"

namespace t3n::api {

void register_transports(EndpointRegistry& r, NodeServices& s, Dispatcher& d) {
  r.rest({"POST", "/api/ohttp", AuthPolicy::kNone, [&s, &d](const HttpRequest& req) {
            ++s.metrics.ohttp_requests;
            const auto started = std::chrono::steady_clock::now();
            struct Observe {
              Histogram& h;
              std::chrono::steady_clock::time_point t0;
              ~Observe() { h.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()); }
            } observe{s.metrics.ohttp_seconds, started};
            auto dec = s.gateway.decapsulate(common::as_bytes(req.body));
            if (!dec.ok()) {
              // RFC 9458 §5.2: a request that does not decrypt gets a 400, nothing more.
              return HttpResponse{400, "text/plain",
                                  dec.status().code() == ErrorCode::kVerificationFailed ? "request did not decrypt" : "malformed request",
                                  {}};
            }
            // From here on every answer is encapsulated: the client can
            // always read what went wrong.
            BhttpResponse inner_res;
            inner_res.headers = {{"content-type", "application/json"}};
            auto inner = decode_bhttp_request(dec->request);
            if (!inner.ok()) {
              inner_res.status = 400;
              inner_res.content = common::to_bytes(dump_json(rpc_error_reply(nullptr, {-32600, "malformed Binary HTTP request", "invalid_request"})));
            } else if (inner->method != "POST" || inner->path != "/api/rpc") {
              inner_res.status = 404;
              inner_res.content = common::to_bytes(
                  dump_json(rpc_error_reply(nullptr, {-32601, "only POST /api/rpc is served through the gateway", "not_found"})));
            } else {
              const auto& in = *inner;
              common::Json reply = d.handle_rpc(in.content, [&in](std::string_view n) { return in.header(n); }, Transport::kOhttp);
              inner_res.status = 200;
              inner_res.content = common::to_bytes(dump_json(reply));
            }
            auto out = dec->responder.encapsulate(encode_bhttp_response(inner_res));
            if (!out.ok()) return HttpResponse{500, "text/plain", "internal error", {}};
            return HttpResponse{200, std::string(kOhttpResponseMediaType), common::to_string(*out), {}};
          }});
  r.rest({"POST", "/api/rpc", AuthPolicy::kNone, [&s, &d](const HttpRequest& req) {
            // The T3N session channel (the SDK): handshake or Session-Id.
            // Without dev plaintext, every /api/rpc request is a session request
            // (so a missing Session-Id is the SDK's "Unauthorized").
            if (s.sessions != nullptr && (is_session_request(req) || !s.info.dev_plaintext))
              return handle_session_request(s, d, req);
            if (!s.info.dev_plaintext)
              return json_response(rpc_error_reply(nullptr, {-32600, "plaintext /api/rpc is disabled: use the OHTTP gateway at /api/ohttp or a T3N session (auth.handshake)",
                                                             "plaintext_disabled"}),
                                   403);
            return json_response(d.handle_rpc(common::as_bytes(req.body), [&req](std::string_view n) { return req.header(n); },
                                              Transport::kPlaintext));
          }});
}

void register_all_endpoints(EndpointRegistry& r, NodeServices& s, Dispatcher& d) {
  register_execute_endpoints(r, s);
  register_contract_endpoints(r, s);
  register_data_endpoints(r, s);
  register_identity_endpoints(r, s);
  register_node_routes(r, s);
  register_state_routes(r, s);
  register_attestation_routes(r, s);
  register_sdk_routes(r, s);
  register_token_endpoints(r, s);
  register_admin_routes(r, s);
  register_kyc_routes(r, s);
  if (s.sessions != nullptr) register_session_endpoints(r, s);
  register_transports(r, s, d);
}

}  // namespace t3n::api
