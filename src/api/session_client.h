// The client side of the T3N session channel (T3N-CLIENT-PROTOCOL.md): the
// protocol's seal/open and key schedule, and a small C++ client that does
// what the official SDK does — handshake to the node's ML-KEM-768 key, log
// in with an Ethereum key (SIWE + EIP-191), then sealed JSON-RPC calls.
// The load generator and the tests use it; the server side is sessions.h.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"

namespace t3n::api {

// seal(k, m) of the protocol: AES-256-GCM, random 12-byte nonce, no AAD,
// nonce ‖ ciphertext ‖ tag. Exposed for tests and the benchmark client.
Result<Bytes> session_seal(ByteView key, ByteView plaintext);
Result<Bytes> session_open(ByteView key, ByteView sealed);
struct SessionKeyPair {
  SecretBytes c2s;
  SecretBytes s2c;
};
Result<SessionKeyPair> derive_session_keys(ByteView shared_secret);
// A random UUID v4 (RFC 9562) from the CSPRNG, lower-case.
Result<std::string> random_uuid_v4();
bool is_uuid_v4(std::string_view s);


class SessionClient {
 public:
  explicit SessionClient(const std::string& url);
  SessionClient(SessionClient&&) noexcept;
  SessionClient& operator=(SessionClient&&) noexcept;
  ~SessionClient();

  // auth.handshake to the encaps_key /status serves. (The caller decides
  // whether that key is trusted: `t3n attest verify-node` checks its binding.)
  Status handshake();
  // auth.authenticate with a SIWE message for the key's address, signed
  // EIP-191; the session's did:t3n.
  Result<std::string> login_ethereum(ByteView secp256k1_secret, bool eth_derived = false);
  // A sealed call; the decrypted result. Errors of the node come back as
  // their data.detail text.
  Result<common::Json> call(const std::string& method, const common::Json& params);
  const std::string& session_id() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace t3n::api
