#include "api/client.h"

#include <httplib.h>

#include <atomic>
#include <mutex>

#include "common/clock.h"
#include "common/encoding.h"
#include "crypto/ed25519.h"
#include "crypto/p256.h"
#include "crypto/random.h"
#include "crypto/secp256k1.h"
#include "identity/request_auth.h"

namespace t3n::api {

using identity::KeyType;

std::uint64_t unix_ms_now() { return common::system_now_ms(); }

std::string node_audience(ByteView ed25519_public_key) { return identity::audience_of(ed25519_public_key); }

struct RequestSigner::Impl {
  KeyType type;
  SecretBytes secret;
  std::string did;
  std::optional<crypto::Ed25519PrivateKey> ed;
  std::optional<crypto::P256PrivateKey> p256;
  std::optional<crypto::Secp256k1Signer> k1;
};

RequestSigner::RequestSigner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RequestSigner::RequestSigner(RequestSigner&&) noexcept = default;
RequestSigner& RequestSigner::operator=(RequestSigner&&) noexcept = default;
RequestSigner::~RequestSigner() = default;

Result<RequestSigner> RequestSigner::from_secret(KeyType type, ByteView secret) {
  auto impl = std::make_unique<Impl>();
  impl->type = type;
  impl->secret = SecretBytes(secret);
  switch (type) {
    case KeyType::kEd25519: {
      T3N_ASSIGN_OR_RETURN(auto k, crypto::Ed25519PrivateKey::from_seed(secret));
      T3N_ASSIGN_OR_RETURN(impl->did, identity::did_key_of(type, k.public_key()));
      impl->ed = std::move(k);
      break;
    }
    case KeyType::kP256: {
      T3N_ASSIGN_OR_RETURN(auto k, crypto::P256PrivateKey::from_scalar(secret));
      const Bytes& u = k.public_key();
      Bytes compressed{static_cast<std::uint8_t>((u[64] & 1) ? 0x03 : 0x02)};
      compressed.insert(compressed.end(), u.begin() + 1, u.begin() + 33);
      T3N_ASSIGN_OR_RETURN(impl->did, identity::did_key_of(type, compressed));
      impl->p256 = std::move(k);
      break;
    }
    case KeyType::kSecp256k1:
    case KeyType::kEthereumAddress: {
      T3N_ASSIGN_OR_RETURN(auto s, crypto::Secp256k1Signer::create());
      if (type == KeyType::kSecp256k1) {
        T3N_ASSIGN_OR_RETURN(Bytes pk, s.public_key(secret, true));
        T3N_ASSIGN_OR_RETURN(impl->did, identity::did_key_of(type, pk));
      } else {
        T3N_ASSIGN_OR_RETURN(Bytes pk, s.public_key(secret));
        T3N_ASSIGN_OR_RETURN(Bytes addr, crypto::eth_address(pk));
        impl->did = identity::did_pkh_of(addr);
      }
      impl->k1 = std::move(s);
      break;
    }
  }
  return RequestSigner(std::move(impl));
}

Result<RequestSigner> RequestSigner::generate(KeyType type) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    T3N_ASSIGN_OR_RETURN(SecretBytes secret, crypto::random_secret(32));
    auto s = from_secret(type, secret);
    if (s.ok()) return s;
  }
  return common::internal_error("key generation failed");
}

const std::string& RequestSigner::did() const { return impl_->did; }
KeyType RequestSigner::type() const { return impl_->type; }
SecretBytes RequestSigner::secret() const { return impl_->secret.clone(); }

Result<HeaderFields> RequestSigner::sign(std::string_view method, std::string_view path, ByteView body,
                                         std::uint64_t now_ms, std::string_view audience) const {
  Bytes nonce_bytes(18);
  T3N_RETURN_IF_ERROR(crypto::random_bytes(nonce_bytes));
  const std::string nonce = common::base64url_encode(nonce_bytes);
  const std::string message = identity::request_signing_message(method, path, body, now_ms, nonce, impl_->did, audience);
  const ByteView m = common::as_bytes(message);
  Bytes sig;
  switch (impl_->type) {
    case KeyType::kEd25519: {
      T3N_ASSIGN_OR_RETURN(sig, impl_->ed->sign(m));
      break;
    }
    case KeyType::kP256: {
      T3N_ASSIGN_OR_RETURN(sig, impl_->p256->sign_raw(m));
      break;
    }
    case KeyType::kSecp256k1: {
      T3N_ASSIGN_OR_RETURN(Bytes rs, impl_->k1->sign_recoverable(impl_->secret, crypto::sha256(m)));
      sig.assign(rs.begin(), rs.begin() + 64);
      break;
    }
    case KeyType::kEthereumAddress: {
      T3N_ASSIGN_OR_RETURN(sig, crypto::eth_personal_sign(*impl_->k1, impl_->secret, m));
      break;
    }
  }
  return HeaderFields{{std::string(identity::kHeaderDid), impl_->did},
                      {std::string(identity::kHeaderTimestamp), std::to_string(now_ms)},
                      {std::string(identity::kHeaderNonce), nonce},
                      {std::string(identity::kHeaderSignature), common::base64url_encode(sig)}};
}

// ---------------------------------------------------------------------------

struct NodeClient::Impl {
  std::string base_url;
  httplib::Client http;
  std::mutex mu;
  std::optional<OhttpKeyConfig> config;
  std::optional<std::string> audience;
  std::atomic<std::uint64_t> next_id{1};
  Impl(std::string url, std::chrono::milliseconds timeout) : base_url(url), http(url) {
    const auto secs = static_cast<time_t>(timeout.count() / 1000);
    const auto usecs = static_cast<time_t>((timeout.count() % 1000) * 1000);
    http.set_connection_timeout(secs, usecs);
    http.set_read_timeout(secs, usecs);
    http.set_write_timeout(secs, usecs);
    http.set_keep_alive(true);
    http.set_tcp_nodelay(true);
  }
};

NodeClient::NodeClient(std::string base_url, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(base_url), timeout)) {}
NodeClient::~NodeClient() = default;

namespace {
Status http_error(httplib::Error e, const std::string& url) {
  return Status(ErrorCode::kUnavailable, "cannot reach " + url + ": " + httplib::to_string(e));
}
}  // namespace

Result<common::Json> NodeClient::get_json(const std::string& path) {
  std::lock_guard lock(impl_->mu);
  auto res = impl_->http.Get(path);
  if (!res) return http_error(res.error(), impl_->base_url);
  auto j = common::parse_json(res->body);
  if (!j.ok()) return j.status().with_context("GET " + path);
  if (res->status != 200) return Status(ErrorCode::kUnavailable, "GET " + path + ": HTTP " + std::to_string(res->status) + " " + res->body);
  return j;
}

Result<JsonReply> NodeClient::get_json_reply(const std::string& path) {
  std::lock_guard lock(impl_->mu);
  auto res = impl_->http.Get(path);
  if (!res) return http_error(res.error(), impl_->base_url);
  auto j = common::parse_json(res->body);
  if (!j.ok()) return Status(ErrorCode::kUnavailable, "GET " + path + ": HTTP " + std::to_string(res->status) + ", not JSON");
  return JsonReply{res->status, std::move(*j)};
}

Result<JsonReply> NodeClient::post_json_reply(const std::string& path, const std::string& body,
                                              const std::vector<std::pair<std::string, std::string>>& headers) {
  std::lock_guard lock(impl_->mu);
  httplib::Headers h;
  for (const auto& [k, v] : headers) h.emplace(k, v);
  auto res = impl_->http.Post(path, h, body, "application/json");
  if (!res) return http_error(res.error(), impl_->base_url);
  auto j = common::parse_json(res->body);
  if (!j.ok()) return Status(ErrorCode::kUnavailable, "POST " + path + ": HTTP " + std::to_string(res->status) + ", not JSON");
  return JsonReply{res->status, std::move(*j)};
}

Result<OhttpKeyConfig> NodeClient::key_config() {
  std::lock_guard lock(impl_->mu);
  if (impl_->config) return *impl_->config;
  auto res = impl_->http.Get("/ohttp-keys");
  if (!res) return http_error(res.error(), impl_->base_url);
  if (res->status != 200) return Status(ErrorCode::kUnavailable, "GET /ohttp-keys: HTTP " + std::to_string(res->status));
  T3N_ASSIGN_OR_RETURN(auto configs, decode_key_configs(common::as_bytes(res->body)));
  // Prefer the post-quantum configuration.
  const OhttpKeyConfig* chosen = &configs[0];
  for (const auto& c : configs)
    if (c.kem == crypto::HpkeKem::kXWing) chosen = &c;
  impl_->config = *chosen;
  return *chosen;
}

void NodeClient::set_trusted(OhttpKeyConfig config, std::string audience) {
  std::lock_guard lock(impl_->mu);
  impl_->config = std::move(config);
  impl_->audience = std::move(audience);
}

Result<std::string> NodeClient::audience() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->audience) return *impl_->audience;
  }
  T3N_ASSIGN_OR_RETURN(common::Json manifest, get_json("/api/trust-manifest"));
  T3N_ASSIGN_OR_RETURN(std::string ed, common::json_string(manifest, "ed25519_public_key"));
  T3N_ASSIGN_OR_RETURN(Bytes key, common::base64url_decode(ed));
  std::lock_guard lock(impl_->mu);
  impl_->audience = identity::audience_of(key);
  return *impl_->audience;
}

Result<BhttpResponse> NodeClient::ohttp(const BhttpRequest& inner) {
  T3N_ASSIGN_OR_RETURN(OhttpKeyConfig config, key_config());
  const auto [kdf, aead] = config.algorithms.front();
  T3N_ASSIGN_OR_RETURN(auto enc, ohttp_encapsulate_request(config, kdf, aead, encode_bhttp_request(inner)));
  std::unique_lock lock(impl_->mu);
  auto res = impl_->http.Post("/api/ohttp",
                              std::string(reinterpret_cast<const char*>(enc.first.data()), enc.first.size()),
                              std::string(kOhttpRequestMediaType));
  lock.unlock();
  if (!res) return http_error(res.error(), impl_->base_url);
  if (res->status != 200)
    return Status(ErrorCode::kUnavailable, "POST /api/ohttp: HTTP " + std::to_string(res->status) + " " + res->body);
  T3N_ASSIGN_OR_RETURN(Bytes plain, enc.second.decapsulate_response(common::as_bytes(res->body)));
  return decode_bhttp_response(plain);
}

Result<common::Json> NodeClient::rpc(const std::string& method, const common::Json& params,
                                     const RequestSigner* signer, bool plaintext) {
  const common::Json request = {{"jsonrpc", "2.0"}, {"id", impl_->next_id++}, {"method", method}, {"params", params}};
  const std::string body = request.dump();
  BhttpRequest inner{"POST", "https", "t3n", "/api/rpc", {{"content-type", "application/json"}}, common::to_bytes(body), {}};
  if (signer != nullptr) {
    T3N_ASSIGN_OR_RETURN(std::string aud, audience());
    T3N_ASSIGN_OR_RETURN(HeaderFields auth, signer->sign("POST", "/api/rpc", inner.content, unix_ms_now(), aud));
    inner.headers.insert(inner.headers.end(), auth.begin(), auth.end());
  }
  std::string response_body;
  if (plaintext) {
    httplib::Headers headers;
    for (const auto& [k, v] : inner.headers) headers.emplace(k, v);
    std::lock_guard lock(impl_->mu);
    auto res = impl_->http.Post("/api/rpc", headers, body, "application/json");
    if (!res) return http_error(res.error(), impl_->base_url);
    response_body = res->body;
  } else {
    T3N_ASSIGN_OR_RETURN(BhttpResponse resp, ohttp(inner));
    response_body = common::to_string(resp.content);
  }
  T3N_ASSIGN_OR_RETURN(common::Json reply, common::parse_json(response_body));
  if (reply.contains("error")) {
    const auto& e = reply["error"];
    std::string code = e.contains("data") && e["data"].contains("code") ? e["data"]["code"].get<std::string>() : "";
    return Status(ErrorCode::kFailedPrecondition,
                  "rpc error " + std::to_string(e.value("code", 0)) + (code.empty() ? "" : " (" + code + ")") + ": " +
                      e.value("message", std::string("error")));
  }
  if (!reply.contains("result")) return common::invalid_argument("rpc reply without result");
  return reply["result"];
}

}  // namespace t3n::api
