// The client side of the node's protocol (used by the `t3n` CLI, the load
// generator and tests): request signing with a DID key, and JSON-RPC over
// Oblivious HTTP.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "api/bhttp.h"
#include "api/ohttp.h"
#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"
#include "identity/did.h"

namespace t3n::api {

class RequestSigner {
 public:
  static Result<RequestSigner> generate(identity::KeyType type);
  static Result<RequestSigner> from_secret(identity::KeyType type, ByteView secret);
  RequestSigner(RequestSigner&&) noexcept;
  RequestSigner& operator=(RequestSigner&&) noexcept;
  ~RequestSigner();

  const std::string& did() const;
  identity::KeyType type() const;
  SecretBytes secret() const;
  // The four t3n-* authentication headers for this request, signed for
  // `audience` (identity::audience_of the node's attested Ed25519 key).
  Result<HeaderFields> sign(std::string_view method, std::string_view path, ByteView body,
                            std::uint64_t now_ms, std::string_view audience) const;

 private:
  struct Impl;
  explicit RequestSigner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

std::uint64_t unix_ms_now();

// The audience requests to a node are signed for: identity::audience_of its
// Ed25519 public key (use the attested key, not one the node asserts).
std::string node_audience(ByteView ed25519_public_key);

struct JsonReply {
  int http_status = 0;
  common::Json body;
};

// JSON-RPC 2.0 over OHTTP to one node.
class NodeClient {
 public:
  // `base_url` like "http://127.0.0.1:8080". Fetches /ohttp-keys on first use.
  NodeClient(std::string base_url, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~NodeClient();

  // Sends `method(params)`; returns the JSON-RPC `result`, or an error whose
  // message carries the JSON-RPC error (code, message, data.code).
  Result<common::Json> rpc(const std::string& method, const common::Json& params, const RequestSigner* signer,
                           bool plaintext = false);
  Result<common::Json> get_json(const std::string& path);
  // Any HTTP status with a JSON body (for endpoints that answer 202 "pending").
  Result<JsonReply> get_json_reply(const std::string& path);
  // A plain POST of `body` (not OHTTP: the operator API, whose bodies are signed).
  Result<JsonReply> post_json_reply(const std::string& path, const std::string& body,
                                    const std::vector<std::pair<std::string, std::string>>& headers = {});
  // The OHTTP key configuration in use (fetched from the node).
  Result<OhttpKeyConfig> key_config();
  // Pins the key configuration and audience a verified attestation gave.
  void set_trusted(OhttpKeyConfig config, std::string audience);
  // The audience requests are signed for: the pinned one, else computed from
  // the node's trust manifest (NOT verified — callers that send private data
  // verify the attestation first and call set_trusted).
  Result<std::string> audience();

  // Lower level: one encrypted inner request, returning the inner response.
  Result<BhttpResponse> ohttp(const BhttpRequest& inner);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace t3n::api
