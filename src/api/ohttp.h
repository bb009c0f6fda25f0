// Oblivious HTTP (RFC 9458): key configurations (`application/ohttp-keys`),
// request encapsulation (client) and decapsulation (gateway), and the
// response encapsulation both ways. Suites: X-Wing (0x647A) and X25519
// (0x0020) with HKDF-SHA256 and AES-128/256-GCM or ChaCha20-Poly1305.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/hpke.h"

namespace t3n::api {

struct OhttpKeyConfig {
  std::uint8_t key_id = 0;
  crypto::HpkeKem kem = crypto::HpkeKem::kXWing;
  Bytes public_key;
  std::vector<std::pair<crypto::HpkeKdf, crypto::HpkeAead>> algorithms;
};

Bytes encode_key_config(const OhttpKeyConfig& config);
Result<OhttpKeyConfig> decode_key_config(ByteView data);
// application/ohttp-keys: each config prefixed by its u16 length.
Bytes encode_key_configs(const std::vector<OhttpKeyConfig>& configs);
Result<std::vector<OhttpKeyConfig>> decode_key_configs(ByteView data);

inline constexpr std::string_view kOhttpRequestMediaType = "message/ohttp-req";
inline constexpr std::string_view kOhttpResponseMediaType = "message/ohttp-res";
inline constexpr std::string_view kOhttpKeysMediaType = "application/ohttp-keys";

// What the gateway keeps from a request to encrypt its response.
class OhttpResponder {
 public:
  OhttpResponder(OhttpResponder&&) noexcept;
  OhttpResponder& operator=(OhttpResponder&&) noexcept;
  ~OhttpResponder();
  // response_nonce ‖ AEAD(response); `nonce` is for test vectors only.
  Result<Bytes> encapsulate(ByteView response, std::optional<ByteView> nonce = std::nullopt) const;

 private:
  friend class OhttpGateway;
  struct Impl;
  explicit OhttpResponder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct OhttpDecapsulated {
  Bytes request;  // the inner Binary HTTP message
  OhttpResponder responder;
};

class OhttpGateway {
 public:
  struct Key {
    std::uint8_t key_id;
    crypto::HpkePrivateKey private_key;
    std::vector<std::pair<crypto::HpkeKdf, crypto::HpkeAead>> algorithms;
  };
  explicit OhttpGateway(std::vector<Key> keys);
  OhttpGateway(OhttpGateway&&) noexcept;
  ~OhttpGateway();

  std::vector<OhttpKeyConfig> key_configs() const;
  // Fails with kInvalidArgument for unknown key ids or suites and malformed
  // messages, kVerificationFailed when the ciphertext does not authenticate.
  Result<OhttpDecapsulated> decapsulate(ByteView encapsulated_request) const;

 private:
  std::vector<Key> keys_;
};

// Client side.
class OhttpClientContext {
 public:
  OhttpClientContext(OhttpClientContext&&) noexcept;
  OhttpClientContext& operator=(OhttpClientContext&&) noexcept;
  ~OhttpClientContext();
  Result<Bytes> decapsulate_response(ByteView encapsulated_response) const;

 private:
  friend Result<std::pair<Bytes, OhttpClientContext>> ohttp_encapsulate_request(
      const OhttpKeyConfig&, crypto::HpkeKdf, crypto::HpkeAead, ByteView, const crypto::HpkePrivateKey*);
  struct Impl;
  explicit OhttpClientContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Returns the encapsulated request and the context to read the response.
// `ephemeral` (DHKEMs only) reproduces RFC 9458's example; leave it null.
Result<std::pair<Bytes, OhttpClientContext>> ohttp_encapsulate_request(
    const OhttpKeyConfig& config, crypto::HpkeKdf kdf, crypto::HpkeAead aead, ByteView request,
    const crypto::HpkePrivateKey* ephemeral = nullptr);

}  // namespace t3n::api
