// The OHTTP gateway on attacker-controlled encapsulated requests and key configs.
#include <memory>

#include "api/ohttp.h"

using namespace t3n;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::unique_ptr<api::OhttpGateway> gateway = [] {
    std::vector<api::OhttpGateway::Key> keys;
    keys.push_back({1, std::move(crypto::HpkePrivateKey::derive(crypto::HpkeKem::kXWing, Bytes(32, 1))).value(),
                    {{crypto::HpkeKdf::kHkdfSha256, crypto::HpkeAead::kAes256Gcm}}});
    keys.push_back({2, std::move(crypto::HpkePrivateKey::derive(crypto::HpkeKem::kX25519HkdfSha256, Bytes(32, 2))).value(),
                    {{crypto::HpkeKdf::kHkdfSha256, crypto::HpkeAead::kAes128Gcm}}});
    return std::make_unique<api::OhttpGateway>(std::move(keys));
  }();
  ByteView in(data, size);
  (void)gateway->decapsulate(in);
  (void)api::decode_key_configs(in);
  return 0;
}
