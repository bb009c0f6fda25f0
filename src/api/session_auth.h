// Logins on the session channel (auth.authenticate, auth.add-authenticator:
// Ethereum SIWE, e-mail OTP, OpenID Connect), the session cookie, and the session-only methods
// token.get-usage and audit.get-mine (session_auth.cpp).
#pragma once

#include <optional>
#include <string>

#include "api/dispatcher.h"
#include "api/endpoints.h"
#include "api/services.h"

namespace t3n::api {

inline constexpr std::uint64_t kSiweChallengeLifetimeMs = 10 * 60 * 1000;
inline constexpr std::uint64_t kOidcNonceLifetimeMs = 10 * 60 * 1000;

// The SDK's cookie: base64url(payload) "." base64url(EIP-191 signature of
// keccak256(payload)) by the node's cookie key; payload {did, auth_hash, iat, exp}.
Result<std::string> make_session_cookie(const NodeServices& s, const SessionLogin& login);
// The login a cookie vouches for: signed by this node's cookie key, not
// expired, and its user exists.
Result<SessionLogin> verify_session_cookie(const NodeServices& s, std::string_view cookie);

// multipart/form-data with parts `jsonrpc` and `blob` (executeWithBlob).
struct SessionMultipart {
  std::string jsonrpc;
  std::optional<std::string> blob;
  std::optional<std::string> blob_media_type;  // the blob part's Content-Type
};
Result<SessionMultipart> parse_session_multipart(std::string_view content_type, std::string_view body);

// transport_session.cpp: POST /api/rpc requests that belong to the session channel.
bool is_session_request(const HttpRequest& req);
HttpResponse handle_session_request(NodeServices& s, Dispatcher& d, const HttpRequest& req);

}  // namespace t3n::api
