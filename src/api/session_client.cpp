#include "api/session_client.h"

#include <httplib.h>

#include <ctime>

#include "common/encoding.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "crypto/mlkem.h"
#include "crypto/random.h"
#include "crypto/secp256k1.h"
#include "identity/siwe.h"

namespace t3n::api {

namespace {
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;

std::string iso_utc(std::int64_t unix_s) {
  const time_t t = unix_s;
  tm g{};
  gmtime_r(&t, &g);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &g);
  return buf;
}
}  // namespace

Result<Bytes> session_seal(ByteView key, ByteView plaintext) {
  T3N_ASSIGN_OR_RETURN(Bytes nonce, crypto::random_vector(kNonceSize));
  T3N_ASSIGN_OR_RETURN(Bytes ct, crypto::aead_seal(crypto::AeadAlg::kAes256Gcm, key, nonce, {}, plaintext));
  common::append(nonce, ct);
  return nonce;
}

Result<Bytes> session_open(ByteView key, ByteView sealed) {
  if (sealed.size() < kNonceSize + kTagSize) return common::verification_failed("sealed message too short");
  return crypto::aead_open(crypto::AeadAlg::kAes256Gcm, key, sealed.subspan(0, kNonceSize), {}, sealed.subspan(kNonceSize));
}

Result<SessionKeyPair> derive_session_keys(ByteView shared_secret) {
  SessionKeyPair k;
  T3N_ASSIGN_OR_RETURN(k.c2s, crypto::hkdf(crypto::HashAlg::kSha256, {}, shared_secret, common::as_bytes("t3-session-v1-c2s"), 32));
  T3N_ASSIGN_OR_RETURN(k.s2c, crypto::hkdf(crypto::HashAlg::kSha256, {}, shared_secret, common::as_bytes("t3-session-v1-s2c"), 32));
  return k;
}

Result<std::string> random_uuid_v4() {
  T3N_ASSIGN_OR_RETURN(Bytes b, crypto::random_vector(16));
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  const std::string h = common::hex_encode(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

bool is_uuid_v4(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return s[14] == '4' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

struct SessionClient::Impl {
  explicit Impl(const std::string& url) : http(url) {
    http.set_keep_alive(true);
    http.set_tcp_nodelay(true);  // header and body writes must not wait for delayed ACKs
  }
  httplib::Client http;
  std::string sid;
  SessionKeyPair keys;
  int id = 1;

  Result<common::Json> rpc(const std::string& method, const common::Json& params) {
    const std::string body = common::Json{{"jsonrpc", "2.0"}, {"id", ++id}, {"method", method}, {"params", params}}.dump();
    httplib::Headers headers;
    if (!sid.empty()) headers.emplace("Session-Id", sid);
    auto res = http.Post("/api/rpc", headers, body, "application/json");
    if (!res) return Status(ErrorCode::kUnavailable, "the node did not answer");
    auto reply = common::parse_json(res->body);
    if (!reply.ok() || !reply->is_object()) return Status(ErrorCode::kUnavailable, "the node's answer is not JSON-RPC");
    if (auto e = reply->find("error"); e != reply->end()) {
      std::string detail = "error";
      if (e->contains("data") && (*e)["data"].contains("detail") && (*e)["data"]["detail"].is_string())
        detail = (*e)["data"]["detail"].get<std::string>();
      const ErrorCode code = detail.rfind("Unauthorized", 0) == 0 ? ErrorCode::kUnauthenticated : ErrorCode::kFailedPrecondition;
      return Status(code, detail);
    }
    if (method == "auth.handshake") sid = res->get_header_value("Session-Id");
    return (*reply)["result"];
  }
};

SessionClient::SessionClient(const std::string& url) : impl_(std::make_unique<Impl>(url)) {}
SessionClient::SessionClient(SessionClient&&) noexcept = default;
SessionClient& SessionClient::operator=(SessionClient&&) noexcept = default;
SessionClient::~SessionClient() = default;

const std::string& SessionClient::session_id() const { return impl_->sid; }

Status SessionClient::handshake() {
  auto st = impl_->http.Get("/status");
  if (!st || st->status != 200) return Status(ErrorCode::kUnavailable, "GET /status failed");
  auto status = common::parse_json(st->body);
  if (!status.ok() || !status->contains("encaps_key") || !(*status)["encaps_key"].is_string())
    return Status(ErrorCode::kUnavailable, "the node serves no encaps_key");
  T3N_ASSIGN_OR_RETURN(Bytes ek, common::base64_decode((*status)["encaps_key"].get<std::string>()));
  T3N_ASSIGN_OR_RETURN(auto enc, crypto::mlkem768_encapsulate(ek));
  common::Json ct = common::Json::array();
  for (auto b : enc.ciphertext) ct.push_back(b);
  const common::Json hs = {{"guest_to_host", "PeerReply"}, {"handshake_action", "SetCiphertext"}, {"ciphertext", ct}, {"cookie_value", nullptr}};
  impl_->sid.clear();
  T3N_RETURN_IF_ERROR(impl_->rpc("auth.handshake", hs.dump()).status());
  if (!is_uuid_v4(impl_->sid)) return Status(ErrorCode::kUnavailable, "the node minted no UUID v4 Session-Id");
  T3N_ASSIGN_OR_RETURN(impl_->keys, derive_session_keys(enc.shared_secret));
  return {};
}

Result<common::Json> SessionClient::call(const std::string& method, const common::Json& params) {
  T3N_ASSIGN_OR_RETURN(Bytes sealed, session_seal(impl_->keys.c2s, common::as_bytes(params.dump())));
  T3N_ASSIGN_OR_RETURN(common::Json result, impl_->rpc(method, common::base64_encode(sealed)));
  if (!result.is_string()) return result;  // plaintext methods
  T3N_ASSIGN_OR_RETURN(Bytes raw, common::base64_decode(result.get<std::string>()));
  T3N_ASSIGN_OR_RETURN(Bytes plain, session_open(impl_->keys.s2c, raw));
  return common::parse_json(common::to_string(plain));
}

Result<std::string> SessionClient::login_ethereum(ByteView secret, bool eth_derived) {
  T3N_ASSIGN_OR_RETURN(auto signer, crypto::Secp256k1Signer::create());
  T3N_ASSIGN_OR_RETURN(Bytes pub, signer.public_key(secret));
  T3N_ASSIGN_OR_RETURN(Bytes addr, crypto::eth_address(pub));
  const std::string address = "0x" + common::hex_encode(addr);
  T3N_ASSIGN_OR_RETURN(common::Json c, call("auth.authenticate", {{"guest_to_host", "PeerReply"}, {"authenticator", "eth:" + address},
                                                                  {"eth_auth_action", "SetAuthenticator"}, {"eth_derived", eth_derived}}));
  if (!c.is_object() || !c.contains("challenge") || !c["challenge"].is_string())
    return Status(ErrorCode::kUnavailable, "the node sent no challenge");
  T3N_ASSIGN_OR_RETURN(Bytes challenge, common::base64_decode(c["challenge"].get<std::string>()));
  identity::SiweMessage m;
  m.domain = "localhost";
  m.address = address;
  m.uri = "https://t3n.io";
  m.version = "1";
  m.chain_id = 1;
  m.nonce = "0x" + common::hex_encode(challenge);
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  m.issued_at = iso_utc(now);
  m.expiration_time = iso_utc(now + 300);
  const std::string text = identity::format_siwe(m);
  T3N_ASSIGN_OR_RETURN(Bytes sig, crypto::eth_personal_sign(signer, secret, common::as_bytes(text)));
  T3N_ASSIGN_OR_RETURN(common::Json fin, call("auth.authenticate", {{"guest_to_host", "PeerReply"},
                                                                    {"eth_auth_action", "VerifyChallengeSignature"},
                                                                    {"message", text},
                                                                    {"signature", common::base64_encode(sig)}}));
  if (!fin.is_object() || !fin.contains("did") || !fin["did"].is_string()) return Status(ErrorCode::kUnavailable, "no DID in the reply");
  return fin["did"].get<std::string>();
}

}  // namespace t3n::api
