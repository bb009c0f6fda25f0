// The endpoint registry (as CCF's make_endpoint): every JSON-RPC method and
// REST route is registered once with its handler, typed params, auth policy,
// channel and whether it may write. Transports (OHTTP gateway, plaintext dev
// /api/rpc, later the T3N session channel) hand requests to one dispatcher;
// authentication, replay and error mapping happen there, once.
#pragma once

#include <concepts>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_server.h"
#include "common/json.h"
#include "common/status.h"
#include "identity/request_auth.h"

namespace t3n::api {

enum class AuthPolicy {
  kNone,       // anyone
  kDidSigned,  // a DID-signed request (identity/request_auth.h)
  kSession,     // a T3N session that has logged in (the session channel only)
  kSessionAny,  // any T3N session, logged in or not (the auth.* methods)
  kOperator,    // a DID-signed request by a DID in the node's operator list
};
std::string_view auth_policy_name(AuthPolicy p);

enum class Transport { kOhttp, kPlaintext, kSession };

// Who sent an authenticated request: a DID-signed request (OHTTP, dev
// plaintext) or a logged-in T3N session. Both resolve to a user through the
// same identity map key (identity::authenticator_of), so one wallet is one
// user whichever client it uses.
struct Caller {
  identity::AuthenticatedRequest request;  // DID-signed requests only
  bool is_operator = false;
  std::string session_did;            // set for a session caller: did:t3n:…
  std::string session_authenticator;  // the identity-map key the session logged in with
  bool is_session() const { return !session_did.empty(); }
  const std::string& did() const { return is_session() ? session_did : request.did.did; }
  std::string authenticator() const;
};

struct RpcContext {
  const Caller* caller = nullptr;  // set unless the method's policy is kNone / kSessionAny
  Transport transport = Transport::kOhttp;
  std::string request_id;
  const std::string* session_id = nullptr;  // the session channel's Session-Id
  const std::string* blob = nullptr;        // multipart `blob` part (session channel), public bytes
  const std::string* blob_media_type = nullptr;  // its Content-Type, if the part had one
  std::vector<std::pair<std::string, std::string>>* response_headers = nullptr;  // session channel: e.g. Set-Cookie
};

// Typed params: a struct with `static Result<P> parse(const common::Json&)`
// that never throws (a wrong type is kInvalidArgument naming the field).
template <class P>
concept RpcParams = requires(const common::Json& j) {
  { P::parse(j) } -> std::same_as<Result<P>>;
};

// Params readers whose errors name the field ("'name': expected a string").
struct ParamReader {
  const common::Json& params;
  Result<std::string> string(std::string_view field) const;
  Result<std::optional<std::string>> optional_string(std::string_view field) const;
  Result<std::vector<std::string>> string_list(std::string_view field, std::size_t max_items) const;  // absent = empty
  std::optional<common::Json> any(std::string_view field) const;
};

struct RpcMethod {
  std::string name;
  AuthPolicy auth = AuthPolicy::kDidSigned;
  bool encrypted_only = true;  // refused over plaintext even in dev mode
  bool writes = false;
  std::function<Result<common::Json>(RpcContext&, const common::Json& params)> handler;
  bool session_plaintext = false;  // on the session channel, params and result in the clear (token.get-usage)
};

struct RestRoute {
  std::string method;  // GET / POST
  std::string path;    // exact, or a prefix ending in "/*" (e.g. "/api/did/*"): the handler reads the rest
  AuthPolicy auth = AuthPolicy::kNone;
  std::function<HttpResponse(const HttpRequest&)> handler;
};

class EndpointRegistry {
 public:
  template <RpcParams P>
  void rpc(std::string name, AuthPolicy auth, bool writes, std::function<Result<common::Json>(RpcContext&, const P&)> handler,
           bool encrypted_only = true) {
    add(RpcMethod{std::move(name), auth, encrypted_only, writes,
                  [h = std::move(handler)](RpcContext& ctx, const common::Json& params) -> Result<common::Json> {
                    T3N_ASSIGN_OR_RETURN(P typed, P::parse(params));
                    return h(ctx, typed);
                  }});
  }
  void add(RpcMethod method);
  void rest(RestRoute route);

  const RpcMethod* find_rpc(std::string_view name) const;
  const RestRoute* find_rest(std::string_view method, std::string_view path) const;
  std::vector<const RpcMethod*> methods() const;

 private:
  std::map<std::string, RpcMethod, std::less<>> rpc_;
  std::map<std::pair<std::string, std::string>, RestRoute, std::less<>> rest_;
  std::vector<RestRoute> prefix_rest_;  // paths ending in "/*", longest first
};

// JSON-RPC error shape: standard codes plus a stable `data.code` string.
struct RpcError {
  int code;
  std::string message;
  std::string data_code;
};
RpcError rpc_error_of(const Status& s);
common::Json rpc_error_reply(const common::Json& id, const RpcError& e);
// Serialises for the wire; strings that are not UTF-8 are replaced, never thrown on.
std::string dump_json(const common::Json& j);
HttpResponse json_response(const common::Json& j, int status = 200);
HttpResponse error_response(int status, std::string_view message);

}  // namespace t3n::api
