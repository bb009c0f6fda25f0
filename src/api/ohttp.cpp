#include "api/ohttp.h"

#include "common/binary.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "crypto/random.h"

namespace t3n::api {

using namespace t3n::crypto;

namespace {

constexpr std::string_view kRequestLabel = "message/bhttp request";
constexpr std::string_view kResponseLabel = "message/bhttp response";

Bytes header_of(std::uint8_t key_id, const HpkeSuite& s) {
  Bytes h{key_id};
  common::append_u16_be(h, static_cast<std::uint16_t>(s.kem));
  common::append_u16_be(h, static_cast<std::uint16_t>(s.kdf));
  common::append_u16_be(h, static_cast<std::uint16_t>(s.aead));
  return h;
}

Bytes request_info(ByteView header) {
  Bytes info = common::to_bytes(kRequestLabel);
  info.push_back(0);
  common::append(info, header);
  return info;
}

std::size_t response_nonce_size(HpkeAead aead) {
  return std::max<std::size_t>(hpke_aead_key_size(aead), kAeadNonceSize);
}

// RFC 9458 §4.4: keys for the response from the request context's exporter.
struct ResponseKeys {
  SecretBytes key;
  SecretBytes nonce;
};
Result<ResponseKeys> response_keys(const HpkeSuite& suite, ByteView secret, ByteView enc, ByteView response_nonce) {
  const HashAlg h = hpke_kdf_hash(suite.kdf);
  Bytes salt = common::concat({enc, response_nonce});
  SecretBytes prk = hkdf_extract(h, salt, secret);
  T3N_ASSIGN_OR_RETURN(SecretBytes key, hkdf_expand(h, prk, common::as_bytes("key"), hpke_aead_key_size(suite.aead)));
  T3N_ASSIGN_OR_RETURN(SecretBytes nonce, hkdf_expand(h, prk, common::as_bytes("nonce"), kAeadNonceSize));
  return ResponseKeys{std::move(key), std::move(nonce)};
}

}  // namespace

// ---- key configurations ----

Bytes encode_key_config(const OhttpKeyConfig& c) {
  Bytes out{c.key_id};
  common::append_u16_be(out, static_cast<std::uint16_t>(c.kem));
  common::append(out, c.public_key);
  common::append_u16_be(out, static_cast<std::uint16_t>(c.algorithms.size() * 4));
  for (const auto& [kdf, aead] : c.algorithms) {
    common::append_u16_be(out, static_cast<std::uint16_t>(kdf));
    common::append_u16_be(out, static_cast<std::uint16_t>(aead));
  }
  return out;
}

Result<OhttpKeyConfig> decode_key_config(ByteView data) {
  common::BinaryReader r(data, "ohttp key config");
  OhttpKeyConfig c;
  T3N_ASSIGN_OR_RETURN(c.key_id, r.u8());
  T3N_ASSIGN_OR_RETURN(std::uint16_t kem, r.u16());
  T3N_ASSIGN_OR_RETURN(c.kem, hpke_kem_from_id(kem));
  T3N_ASSIGN_OR_RETURN(ByteView pk, r.raw(hpke_kem_sizes(c.kem).public_key));
  c.public_key = common::to_bytes(pk);
  T3N_ASSIGN_OR_RETURN(std::uint16_t algs_len, r.u16());
  if (algs_len == 0 || algs_len % 4 != 0) return common::invalid_argument("ohttp key config: bad algorithm list");
  for (std::uint16_t i = 0; i < algs_len / 4; ++i) {
    T3N_ASSIGN_OR_RETURN(std::uint16_t kdf, r.u16());
    T3N_ASSIGN_OR_RETURN(std::uint16_t aead, r.u16());
    auto suite = hpke_suite_from_ids(kem, kdf, aead);
    if (!suite.ok() || suite->aead == HpkeAead::kExportOnly) continue;  // unknown suites are skipped
    c.algorithms.emplace_back(suite->kdf, suite->aead);
  }
  T3N_RETURN_IF_ERROR(r.finish());
  if (c.algorithms.empty()) return common::invalid_argument("ohttp key config: no supported algorithm");
  return c;
}

Bytes encode_key_configs(const std::vector<OhttpKeyConfig>& configs) {
  Bytes out;
  for (const auto& c : configs) {
    Bytes one = encode_key_config(c);
    common::append_u16_be(out, static_cast<std::uint16_t>(one.size()));
    common::append(out, one);
  }
  return out;
}

Result<std::vector<OhttpKeyConfig>> decode_key_configs(ByteView data) {
  std::vector<OhttpKeyConfig> out;
  common::BinaryReader r(data, "application/ohttp-keys");
  while (r.remaining() > 0) {
    T3N_ASSIGN_OR_RETURN(std::uint16_t len, r.u16());
    T3N_ASSIGN_OR_RETURN(ByteView one, r.raw(len));
    auto c = decode_key_config(one);
    if (c.ok()) out.push_back(std::move(*c));  // configurations we cannot use are skipped
  }
  if (out.empty()) return common::invalid_argument("application/ohttp-keys: no usable key configuration");
  return out;
}

// ---- gateway ----

struct OhttpResponder::Impl {
  HpkeSuite suite;
  SecretBytes secret;  // Export("message/bhttp response", max(Nn, Nk))
  Bytes enc;
};

OhttpResponder::OhttpResponder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OhttpResponder::OhttpResponder(OhttpResponder&&) noexcept = default;
OhttpResponder& OhttpResponder::operator=(OhttpResponder&&) noexcept = default;
OhttpResponder::~OhttpResponder() = default;

Result<Bytes> OhttpResponder::encapsulate(ByteView response, std::optional<ByteView> nonce) const {
  const std::size_t n = response_nonce_size(impl_->suite.aead);
  Bytes response_nonce(n);
  if (nonce) {
    if (nonce->size() != n) return common::invalid_argument("ohttp: response nonce has the wrong length");
    response_nonce.assign(nonce->begin(), nonce->end());
  } else {
    T3N_RETURN_IF_ERROR(random_bytes(response_nonce));
  }
  T3N_ASSIGN_OR_RETURN(ResponseKeys k, response_keys(impl_->suite, impl_->secret, impl_->enc, response_nonce));
  T3N_ASSIGN_OR_RETURN(Bytes ct, aead_seal(static_cast<AeadAlg>(impl_->suite.aead), k.key, k.nonce, {}, response));
  return common::concat({response_nonce, ct});
}

OhttpGateway::OhttpGateway(std::vector<Key> keys) : keys_(std::move(keys)) {}
OhttpGateway::OhttpGateway(OhttpGateway&&) noexcept = default;
OhttpGateway::~OhttpGateway() = default;

std::vector<OhttpKeyConfig> OhttpGateway::key_configs() const {
  std::vector<OhttpKeyConfig> out;
  for (const auto& k : keys_) out.push_back({k.key_id, k.private_key.kem(), k.private_key.public_key(), k.algorithms});
  return out;
}

Result<OhttpDecapsulated> OhttpGateway::decapsulate(ByteView data) const {
  common::BinaryReader r(data, "ohttp request");
  T3N_ASSIGN_OR_RETURN(std::uint8_t key_id, r.u8());
  T3N_ASSIGN_OR_RETURN(std::uint16_t kem_id, r.u16());
  T3N_ASSIGN_OR_RETURN(std::uint16_t kdf_id, r.u16());
  T3N_ASSIGN_OR_RETURN(std::uint16_t aead_id, r.u16());
  const Key* key = nullptr;
  for (const auto& k : keys_)
    if (k.key_id == key_id) key = &k;
  if (key == nullptr) return common::invalid_argument("ohttp: unknown key id " + std::to_string(key_id));
  auto suite = hpke_suite_from_ids(kem_id, kdf_id, aead_id);
  if (!suite.ok() || suite->kem != key->private_key.kem() || suite->aead == HpkeAead::kExportOnly)
    return common::invalid_argument("ohttp: unsupported suite for key " + std::to_string(key_id));
  bool offered = false;
  for (const auto& [kdf, aead] : key->algorithms) offered = offered || (kdf == suite->kdf && aead == suite->aead);
  if (!offered) return common::invalid_argument("ohttp: the key does not offer this KDF/AEAD");
  T3N_ASSIGN_OR_RETURN(ByteView enc, r.raw(hpke_kem_sizes(suite->kem).enc));
  ByteView ct = data.subspan(7 + enc.size());
  const Bytes header = header_of(key_id, *suite);
  T3N_ASSIGN_OR_RETURN(HpkeContext ctx, hpke_setup_receiver(*suite, key->private_key, enc, request_info(header)));
  T3N_ASSIGN_OR_RETURN(Bytes request, ctx.open({}, ct));
  T3N_ASSIGN_OR_RETURN(SecretBytes secret,
                       ctx.export_secret(common::as_bytes(kResponseLabel), response_nonce_size(suite->aead)));
  auto impl = std::make_unique<OhttpResponder::Impl>();
  impl->suite = *suite;
  impl->secret = std::move(secret);
  impl->enc = common::to_bytes(enc);
  return OhttpDecapsulated{std::move(request), OhttpResponder(std::move(impl))};
}

// ---- client ----

struct OhttpClientContext::Impl {
  HpkeSuite suite;
  SecretBytes secret;
  Bytes enc;
};

OhttpClientContext::OhttpClientContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OhttpClientContext::OhttpClientContext(OhttpClientContext&&) noexcept = default;
OhttpClientContext& OhttpClientContext::operator=(OhttpClientContext&&) noexcept = default;
OhttpClientContext::~OhttpClientContext() = default;

Result<std::pair<Bytes, OhttpClientContext>> ohttp_encapsulate_request(const OhttpKeyConfig& config, HpkeKdf kdf,
                                                                      HpkeAead aead, ByteView request,
                                                                      const HpkePrivateKey* ephemeral) {
  const HpkeSuite suite{config.kem, kdf, aead};
  const Bytes header = header_of(config.key_id, suite);
  const Bytes info = request_info(header);
  auto sender = ephemeral != nullptr ? hpke_setup_sender_with_ephemeral(suite, config.public_key, info, *ephemeral)
                                     : hpke_setup_sender(suite, config.public_key, info);
  if (!sender.ok()) return sender.status();
  T3N_ASSIGN_OR_RETURN(Bytes ct, sender->context.seal({}, request));
  T3N_ASSIGN_OR_RETURN(SecretBytes secret,
                       sender->context.export_secret(common::as_bytes(kResponseLabel), response_nonce_size(aead)));
  Bytes out = common::concat({header, sender->enc, ct});
  auto impl = std::make_unique<OhttpClientContext::Impl>();
  impl->suite = suite;
  impl->secret = std::move(secret);
  impl->enc = std::move(sender->enc);
  return std::make_pair(std::move(out), OhttpClientContext(std::move(impl)));
}

Result<Bytes> OhttpClientContext::decapsulate_response(ByteView data) const {
  const std::size_t n = response_nonce_size(impl_->suite.aead);
  if (data.size() < n + kAeadTagSize) return common::invalid_argument("ohttp: response too short");
  T3N_ASSIGN_OR_RETURN(ResponseKeys k, response_keys(impl_->suite, impl_->secret, impl_->enc, data.first(n)));
  return aead_open(static_cast<AeadAlg>(impl_->suite.aead), k.key, k.nonce, {}, data.subspan(n));
}

}  // namespace t3n::api
