#include <gtest/gtest.h>

#include "api/bhttp.h"
#include "api/ohttp.h"
#include "test_util.h"

namespace t3n::api {
namespace {

using namespace t3n::crypto;
using t3n::testing::hex;
using t3n::testing::to_hex;

TEST(Ohttp, Rfc9458AppendixAByteForByte) {
  auto v = t3n::testing::load_vectors("crypto/ohttp/rfc9458-appendix-a.json");
  const auto& t = v["rfc_text"];
  auto skR = HpkePrivateKey::deserialize(HpkeKem::kX25519HkdfSha256, hex(t["gateway_skR"]));
  ASSERT_TRUE(skR.ok());
  std::vector<OhttpGateway::Key> keys;
  keys.push_back({1, std::move(*skR), {{HpkeKdf::kHkdfSha256, HpkeAead::kAes128Gcm},
                                       {HpkeKdf::kHkdfSha256, HpkeAead::kChaCha20Poly1305}}});
  OhttpGateway gateway(std::move(keys));
  const auto configs = gateway.key_configs();
  ASSERT_EQ(configs.size(), 1u);
  EXPECT_EQ(to_hex(encode_key_config(configs[0])), t["key_config"].get<std::string>());
  auto parsed = decode_key_config(hex(t["key_config"]));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->algorithms.size(), 2u);

  // Client: the RFC's ephemeral key reproduces its encapsulated request.
  auto skE = HpkePrivateKey::deserialize(HpkeKem::kX25519HkdfSha256, hex(t["client_skE"]));
  ASSERT_TRUE(skE.ok());
  EXPECT_EQ(to_hex(skE->public_key()), t["client_pkE"].get<std::string>());
  auto req = ohttp_encapsulate_request(*parsed, HpkeKdf::kHkdfSha256, HpkeAead::kAes128Gcm, hex(t["request_bhttp"]), &*skE);
  ASSERT_TRUE(req.ok()) << req.status().to_string();
  EXPECT_EQ(to_hex(req->first), t["encapsulated_request"].get<std::string>());

  // Gateway: decapsulate, then the RFC's response nonce reproduces its response.
  auto dec = gateway.decapsulate(hex(t["encapsulated_request"]));
  ASSERT_TRUE(dec.ok()) << dec.status().to_string();
  EXPECT_EQ(to_hex(dec->request), t["request_bhttp"].get<std::string>());
  auto inner = decode_bhttp_request(dec->request);
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(inner->method, "GET");
  EXPECT_EQ(inner->authority, "example.com");
  const Bytes response_nonce = hex(v["decoded"]["encapsulated_response"]["response_nonce"]);
  auto resp = dec->responder.encapsulate(hex(t["response_bhttp"]), ByteView(response_nonce));
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(to_hex(*resp), t["encapsulated_response"].get<std::string>());
  auto back = req->second.decapsulate_response(hex(t["encapsulated_response"]));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(to_hex(*back), t["response_bhttp"].get<std::string>());
  auto status = decode_bhttp_response(*back);
  ASSERT_TRUE(status.ok()) << status.status().to_string();
  EXPECT_EQ(status->status, 200);
}

class OhttpXWing : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = HpkePrivateKey::generate(HpkeKem::kXWing);
    ASSERT_TRUE(k.ok());
    std::vector<OhttpGateway::Key> keys;
    keys.push_back({7, std::move(*k), {{HpkeKdf::kHkdfSha256, HpkeAead::kAes256Gcm},
                                       {HpkeKdf::kHkdfSha256, HpkeAead::kChaCha20Poly1305}}});
    gateway_ = std::make_unique<OhttpGateway>(std::move(keys));
    auto configs = decode_key_configs(encode_key_configs(gateway_->key_configs()));
    ASSERT_TRUE(configs.ok());
    config_ = configs->at(0);
  }
  std::unique_ptr<OhttpGateway> gateway_;
  OhttpKeyConfig config_;
};

TEST_F(OhttpXWing, RoundTripBothAeads) {
  for (HpkeAead aead : {HpkeAead::kAes256Gcm, HpkeAead::kChaCha20Poly1305}) {
    Bytes inner = common::to_bytes("secret request body");
    auto req = ohttp_encapsulate_request(config_, HpkeKdf::kHkdfSha256, aead, inner);
    ASSERT_TRUE(req.ok());
    EXPECT_EQ(req->first.size(), 7 + 1120 + inner.size() + 16);
    auto dec = gateway_->decapsulate(req->first);
    ASSERT_TRUE(dec.ok()) << dec.status().to_string();
    EXPECT_EQ(dec->request, inner);
    auto resp = dec->responder.encapsulate(common::as_bytes("answer"));
    ASSERT_TRUE(resp.ok());
    EXPECT_EQ(common::to_string(*req->second.decapsulate_response(*resp)), "answer");
  }
}

TEST_F(OhttpXWing, TamperedOrMalformedRequestsAreRefused) {
  auto req = ohttp_encapsulate_request(config_, HpkeKdf::kHkdfSha256, HpkeAead::kAes256Gcm, common::as_bytes("x"));
  ASSERT_TRUE(req.ok());
  const Bytes good = req->first;
  for (std::size_t i : {7ul, 600ul, 1126ul, 1127ul, good.size() - 1}) {
    Bytes bad = good;
    bad[i] ^= 1;
    auto r = gateway_->decapsulate(bad);
    ASSERT_FALSE(r.ok()) << i;
    EXPECT_EQ(r.status().code(), ErrorCode::kVerificationFailed) << i;
  }
  Bytes wrong_key = good;
  wrong_key[0] = 8;
  EXPECT_EQ(gateway_->decapsulate(wrong_key).status().code(), ErrorCode::kInvalidArgument);
  Bytes wrong_suite = good;
  wrong_suite[6] = 0x01;  // AES-128-GCM: not offered by this key
  EXPECT_EQ(gateway_->decapsulate(wrong_suite).status().code(), ErrorCode::kInvalidArgument);
  for (std::size_t cut : {0ul, 3ul, 7ul, 500ul, 1127ul})
    EXPECT_FALSE(gateway_->decapsulate(ByteView(good).first(cut)).ok()) << cut;
  // A response from another request's context does not open.
  auto other = ohttp_encapsulate_request(config_, HpkeKdf::kHkdfSha256, HpkeAead::kAes256Gcm, common::as_bytes("y"));
  auto dec = gateway_->decapsulate(good);
  ASSERT_TRUE(dec.ok());
  auto resp = dec->responder.encapsulate(common::as_bytes("for the first client"));
  EXPECT_FALSE(other->second.decapsulate_response(*resp).ok());
  EXPECT_FALSE(req->second.decapsulate_response(Bytes(20, 0)).ok());
  EXPECT_FALSE(decode_key_configs(Bytes{0, 3, 1, 2}).ok());
}

}  // namespace
}  // namespace t3n::api
