// The T3N session channel (T3N-CLIENT-PROTOCOL.md): POST /api/rpc with
// auth.handshake or a Session-Id. Encrypted params are opened here, the
// method runs through the same dispatcher as OHTTP requests (Dispatcher::
// invoke) with the session's login as the caller, and the result is sealed
// back. Errors travel in the clear (the SDK reads them so), and carry
// "Unauthorized" whenever the session is missing, expired or not logged in.
#include <charconv>

#include "api/routes.h"
#include "api/session_auth.h"
#include "common/encoding.h"
#include "crypto/mlkem.h"

namespace t3n::api {

namespace {

using common::Json;

constexpr std::string_view kCookieName = "t3n_session";

HttpResponse reply(const Json& body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse r = json_response(body, body.contains("error") ? 400 : 200);
  if (body.contains("error") && body["error"].value("code", 0) == -32001) r.status = 401;
  r.headers = std::move(headers);
  return r;
}

// The value of cookie `name` in a Cookie header ("a=b; c=d").
std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}


// The value of a part's Content-Type header, if it has a plain one.
std::optional<std::string> part_content_type(std::string_view head) {
  std::size_t pos = 0;
  while (pos < head.size()) {
    auto end = head.find("\r\n", pos);
    if (end == std::string_view::npos) end = head.size();
    std::string_view line = head.substr(pos, end - pos);
    pos = end + 2;
    if (line.size() < 13) continue;
    std::string name(line.substr(0, 13));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name != "content-type:") continue;
    std::string_view v = line.substr(13);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    if (v.empty() || v.size() > 127) return std::nullopt;
    for (char c : v)
      if (c < 0x20 || c > 0x7e) return std::nullopt;
    return std::string(v);
  }
  return std::nullopt;
}


class SessionTransport {
 public:
  SessionTransport(NodeServices& s, Dispatcher& d) : s_(s), d_(d), ss_(*s.sessions) {}

  HttpResponse handle(const HttpRequest& req) {
    const std::string content_type = req.header("content-type");
    std::string envelope_text = req.body;
    std::optional<std::string> blob;
    std::optional<std::string> blob_media_type;
    if (content_type.rfind("multipart/form-data", 0) == 0) {
      auto mp = parse_session_multipart(content_type, req.body);
      if (!mp.ok()) return reply(d_.error_reply(nullptr, rpc_error_of(mp.status())));
      envelope_text = std::move(mp->jsonrpc);
      blob = std::move(mp->blob);
      blob_media_type = std::move(mp->blob_media_type);
    }
    auto parsed = d_.parse_envelope(common::as_bytes(envelope_text));
    if (auto* err = std::get_if<Json>(&parsed)) return reply(*err);
    auto& env = std::get<Dispatcher::Envelope>(parsed);
    if (env.method == "auth.handshake") return handshake(req, env);
    const std::string session_id = req.header("session-id");
    if (session_id.empty())
      return reply(d_.error_reply(env.id, rpc_error_of(Status(ErrorCode::kUnauthenticated,
                                                              "Unauthorized: no Session-Id (call auth.handshake first; "
                                                              "DID-signed requests go to the OHTTP gateway at /api/ohttp)"))));
    const RpcMethod* method = d_.find(env.method);
    if (method == nullptr)
      return reply(d_.error_reply(env.id, {-32601, "method not found", "method_not_found"}));
    if (method->auth == AuthPolicy::kOperator)
      return reply(d_.error_reply(env.id, rpc_error_of(common::permission_denied(
                                              "operator methods are not served on the session channel"))));
    // Params: in the clear for the few plaintext methods, else sealed.
    Json params = Json::object();
    if (method->session_plaintext) {
      if (!env.params.is_null() && !env.params.is_object())
        return reply(d_.error_reply(env.id, {-32602, "params must be an object", "invalid_params"}));
      if (env.params.is_object()) params = env.params;
      if (Status alive = ss_.table.with_state(session_id, [](SessionState&) { return Status{}; }); !alive.ok())
        return reply(d_.error_reply(env.id, rpc_error_of(alive)));
    } else {
      if (!env.params.is_string())
        return reply(d_.error_reply(env.id, {-32602, "params must be the sealed request (a base64 string)", "invalid_params"}));
      auto sealed = common::base64_decode(env.params.get<std::string>());
      if (!sealed.ok())
        return reply(d_.error_reply(env.id, rpc_error_of(Status(ErrorCode::kUnauthenticated,
                                                                "Unauthorized: the request does not decrypt under this session"))));
      auto plain = ss_.table.open(session_id, *sealed);
      if (!plain.ok()) {
        if (plain.status().message().find("replayed") != std::string::npos) ++s_.metrics.replays_refused;
        return reply(d_.error_reply(env.id, rpc_error_of(plain.status())));
      }
      auto inner = common::parse_json(common::to_string(*plain), 64);
      if (!inner.ok()) return reply(d_.error_reply(env.id, {-32700, "parse error in the decrypted params", "parse_error"}));
      if (!inner->is_null() && !inner->is_object())
        return reply(d_.error_reply(env.id, {-32602, "params must be an object", "invalid_params"}));
      if (inner->is_object()) params = std::move(*inner);
    }
    // The caller: the session's login (required unless the method is auth.*).
    Caller caller;
    RpcContext ctx;
    ctx.transport = Transport::kSession;
    ctx.session_id = &session_id;
    if (blob) ctx.blob = &*blob;
    if (blob_media_type) ctx.blob_media_type = &*blob_media_type;
    std::vector<std::pair<std::string, std::string>> headers;
    ctx.response_headers = &headers;
    if (method->auth != AuthPolicy::kNone && method->auth != AuthPolicy::kSessionAny) {
      std::optional<SessionLogin> login;
      Status alive = ss_.table.with_state(session_id, [&](SessionState& st) {
        login = st.login;
        return Status{};
      });
      if (!alive.ok()) return reply(d_.error_reply(env.id, rpc_error_of(alive)));
      if (!login)
        return reply(d_.error_reply(env.id, rpc_error_of(Status(ErrorCode::kUnauthenticated,
                                                                "Unauthorized: the session is not logged in (auth.authenticate)"))));
      caller.session_did = login->did;
      caller.session_authenticator = login->authenticator;
      ctx.caller = &caller;
    }
    Json out = d_.invoke(*method, params, ctx, env.id);
    if (out.contains("result") && !method->session_plaintext) {
      auto sealed = ss_.table.seal(session_id, common::as_bytes(dump_json(out["result"])));
      if (!sealed.ok()) return reply(d_.error_reply(env.id, rpc_error_of(sealed.status())));
      out["result"] = common::base64_encode(*sealed);
    }
    return reply(out, std::move(headers));
  }

 private:
  HttpResponse handshake(const HttpRequest& req, const Dispatcher::Envelope& env) {
    auto bad = [&](std::string why) { return reply(d_.error_reply(env.id, {-32602, "auth.handshake: " + why, "invalid_params"})); };
    Json msg;
    if (env.params.is_string()) {
      auto parsed = common::parse_json(env.params.get<std::string>(), 8);
      if (!parsed.ok()) return bad("params is not a JSON handshake message");
      msg = std::move(*parsed);
    } else {
      msg = env.params;
    }
    if (!msg.is_object()) return bad("expected a handshake message object");
    if (msg.value("handshake_action", std::string()) != "SetCiphertext") return bad("handshake_action must be SetCiphertext");
    auto ct_it = msg.find("ciphertext");
    if (ct_it == msg.end() || !ct_it->is_array() || ct_it->size() != crypto::kMlKem768CiphertextSize)
      return bad("ciphertext must be an array of 1088 bytes");
    Bytes ct;
    ct.reserve(crypto::kMlKem768CiphertextSize);
    for (const auto& b : *ct_it) {
      if (!b.is_number_unsigned() || b.get<std::uint64_t>() > 255) return bad("ciphertext must hold numbers 0..255");
      ct.push_back(static_cast<std::uint8_t>(b.get<std::uint64_t>()));
    }
    // FIPS 203 implicit rejection: a wrong ciphertext gives a session whose
    // first message fails to decrypt.
    auto secret = crypto::mlkem768_decapsulate(ss_.kem.decapsulation_key, ct);
    if (!secret.ok()) return reply(d_.error_reply(env.id, rpc_error_of(secret.status())));
    // A valid session cookie (cookie_value or the Cookie header) starts the session logged in.
    std::string cookie;
    if (auto cv = msg.find("cookie_value"); cv != msg.end() && cv->is_string()) cookie = cv->get<std::string>();
    if (cookie.empty()) cookie = cookie_value(req.header("cookie"), kCookieName);
    std::optional<SessionLogin> login;
    if (!cookie.empty()) {
      if (auto l = verify_session_cookie(s_, cookie); l.ok()) login = std::move(*l);
    }
    auto id = ss_.table.create(*secret, login);
    if (!id.ok()) return reply(d_.error_reply(env.id, rpc_error_of(id.status())));
    const std::uint64_t expiry = (s_.clock() + ss_.table.limits().absolute_ms) / 1000;
    Json result = {{"host_to_guest", "PeerRequest"},
                   {"handshake_action", "Finish"},
                   {"authenticated", login.has_value()},
                   {"expiry", expiry},
                   {"did", login ? Json(login->did) : Json(nullptr)}};
    return reply({{"jsonrpc", "2.0"}, {"id", env.id}, {"result", std::move(result)}},
                 {{"Session-Id", *id}});
  }

  NodeServices& s_;
  Dispatcher& d_;
  SessionServices& ss_;
};

}  // namespace

bool is_session_request(const HttpRequest& req) {
  if (!req.header("session-id").empty()) return true;
  if (req.header("content-type").rfind("multipart/form-data", 0) == 0) return true;
  // A handshake: the only session call without a Session-Id. A cheap look
  // before the full parse (the dispatcher parses strictly afterwards).
  return req.body.find("\"auth.handshake\"") != std::string::npos;
}

HttpResponse handle_session_request(NodeServices& s, Dispatcher& d, const HttpRequest& req) {
  return SessionTransport(s, d).handle(req);
}

Result<SessionMultipart> parse_session_multipart(std::string_view content_type, std::string_view body) {
  const auto at = content_type.find("boundary=");
  if (at == std::string_view::npos) return common::invalid_argument("multipart body without a boundary");
  std::string boundary(content_type.substr(at + 9));
  if (const auto semi = boundary.find(';'); semi != std::string::npos) boundary.resize(semi);
  if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"') boundary = boundary.substr(1, boundary.size() - 2);
  if (boundary.empty() || boundary.size() > 70) return common::invalid_argument("multipart boundary must be 1..70 characters");
  const std::string delim = "--" + boundary;
  SessionMultipart out;
  std::size_t pos = body.find(delim);
  if (pos != 0) return common::invalid_argument("multipart body must start with its boundary");
  int parts = 0;
  while (true) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") break;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") return common::invalid_argument("malformed multipart delimiter line");
    pos += 2;
    const auto head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string_view::npos) return common::invalid_argument("multipart part without headers");
    const std::string_view head = body.substr(pos, head_end - pos);
    const auto next = body.find("\r\n" + delim, head_end + 4);
    if (next == std::string_view::npos) return common::invalid_argument("multipart part without a closing boundary");
    const std::string_view content = body.substr(head_end + 4, next - head_end - 4);
    if (++parts > 8) return common::invalid_argument("too many multipart parts");
    if (head.find("name=\"jsonrpc\"") != std::string_view::npos) {
      out.jsonrpc = std::string(content);
    } else if (head.find("name=\"blob\"") != std::string_view::npos) {
      if (out.blob) return common::invalid_argument("more than one blob part");
      out.blob = std::string(content);
      out.blob_media_type = part_content_type(head);
    } else {
      return common::invalid_argument("unknown multipart part (expected jsonrpc and blob)");
    }
    pos = next + 2;
  }
  if (out.jsonrpc.empty()) return common::invalid_argument("multipart body without a jsonrpc part");
  return out;
}

}  // namespace t3n::api
