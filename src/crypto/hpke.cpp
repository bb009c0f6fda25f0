#include "crypto/hpke.h"

#include <limits>
#include <variant>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/kdf.h"
#include "crypto/mlkem.h"
#include "crypto/p256.h"
#include "crypto/random.h"
#include "crypto/x25519.h"
#include "crypto/xwing.h"

namespace t3n::crypto {
namespace {

constexpr std::string_view kVersionLabel = "HPKE-v1";

Bytes kem_suite_id(HpkeKem kem) {
  Bytes id = common::to_bytes("KEM");
  common::append_u16_be(id, static_cast<std::uint16_t>(kem));
  return id;
}

Bytes hpke_suite_id(const HpkeSuite& s) {
  Bytes id = common::to_bytes("HPKE");
  common::append_u16_be(id, static_cast<std::uint16_t>(s.kem));
  common::append_u16_be(id, static_cast<std::uint16_t>(s.kdf));
  common::append_u16_be(id, static_cast<std::uint16_t>(s.aead));
  return id;
}

HashAlg kdf_hash_of(HpkeKdf kdf) {
  switch (kdf) {
    case HpkeKdf::kHkdfSha256: return HashAlg::kSha256;
    case HpkeKdf::kHkdfSha384: return HashAlg::kSha384;
    case HpkeKdf::kHkdfSha512: return HashAlg::kSha512;
  }
  return HashAlg::kSha256;
}

// LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm)
SecretBytes labeled_extract(HashAlg h, ByteView suite_id, ByteView salt, std::string_view label, ByteView ikm) {
  Bytes labeled = common::concat({common::as_bytes(kVersionLabel), suite_id, common::as_bytes(label), ikm});
  SecretBytes prk = hkdf_extract(h, salt, labeled);
  common::secure_zero(labeled);
  return prk;
}

// LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ label ‖ info, L)
Result<SecretBytes> labeled_expand(HashAlg h, ByteView suite_id, ByteView prk, std::string_view label, ByteView info,
                                   std::size_t length) {
  if (length > 0xFFFF) return common::invalid_argument("HPKE: requested length too large");
  Bytes labeled;
  common::append_u16_be(labeled, static_cast<std::uint16_t>(length));
  common::append(labeled, common::as_bytes(kVersionLabel));
  common::append(labeled, suite_id);
  common::append(labeled, common::as_bytes(label));
  common::append(labeled, info);
  return hkdf_expand(h, prk, labeled, length);
}

// draft-ietf-hpke-pq: SHAKE256.LabeledDerive(ikm, label, context, L) =
// SHAKE256(ikm ‖ "HPKE-v1" ‖ suite_id ‖ I2OSP(len(label), 2) ‖ label ‖ I2OSP(L, 2) ‖ context, L)
SecretBytes shake_labeled_derive(ByteView suite_id, ByteView ikm, std::string_view label, ByteView context,
                                 std::size_t length) {
  Bytes input = common::concat({ikm, common::as_bytes(kVersionLabel), suite_id});
  common::append_u16_be(input, static_cast<std::uint16_t>(label.size()));
  common::append(input, common::as_bytes(label));
  common::append_u16_be(input, static_cast<std::uint16_t>(length));
  common::append(input, context);
  Bytes out = shake256(input, length);
  common::secure_zero(input);
  SecretBytes secret(out);
  common::secure_zero(out);
  return secret;
}

// DHKEM ExtractAndExpand(dh, kem_context).
Result<SecretBytes> dhkem_shared_secret(HpkeKem kem, ByteView dh, ByteView kem_context) {
  Bytes suite = kem_suite_id(kem);
  SecretBytes eae_prk = labeled_extract(HashAlg::kSha256, suite, {}, "eae_prk", dh);
  return labeled_expand(HashAlg::kSha256, suite, eae_prk, "shared_secret", kem_context, 32);
}

struct MlKemKey {
  SecretBytes seed;  // 64-byte d ‖ z: the serialized private key
  MlKem768KeyPair pair;
};

using KemKey = std::variant<X25519PrivateKey, P256PrivateKey, MlKemKey, XWingPrivateKey>;

Result<KemKey> kem_key_from_secret(HpkeKem kem, ByteView sk) {
  switch (kem) {
    case HpkeKem::kX25519HkdfSha256: {
      T3N_ASSIGN_OR_RETURN(X25519PrivateKey k, X25519PrivateKey::from_bytes(sk));
      return KemKey(std::move(k));
    }
    case HpkeKem::kP256HkdfSha256: {
      T3N_ASSIGN_OR_RETURN(P256PrivateKey k, P256PrivateKey::from_scalar(sk));
      return KemKey(std::move(k));
    }
    case HpkeKem::kMlKem768: {
      T3N_ASSIGN_OR_RETURN(MlKem768KeyPair pair, mlkem768_keygen_derand(sk));
      return KemKey(MlKemKey{SecretBytes(sk), std::move(pair)});
    }
    case HpkeKem::kXWing: {
      T3N_ASSIGN_OR_RETURN(XWingPrivateKey k, XWingPrivateKey::from_seed(sk));
      return KemKey(std::move(k));
    }
  }
  return common::invalid_argument("unsupported HPKE KEM");
}

struct Encapsulated {
  SecretBytes shared_secret;
  Bytes enc;
};

// Encap(pkR) with ephemeral material from `ikm_e` (derand) or fresh randomness.
Result<Encapsulated> dhkem_encapsulate(HpkeKem kem, ByteView pk_r, const HpkePrivateKey& ephemeral);

Result<Encapsulated> encapsulate(HpkeKem kem, ByteView pk_r, std::optional<ByteView> ikm_e) {
  switch (kem) {
    case HpkeKem::kX25519HkdfSha256:
    case HpkeKem::kP256HkdfSha256: {
      auto sk_e = ikm_e ? HpkePrivateKey::derive(kem, *ikm_e) : HpkePrivateKey::generate(kem);
      if (!sk_e.ok()) return sk_e.status();
      return dhkem_encapsulate(kem, pk_r, *sk_e);
    }
    case HpkeKem::kMlKem768: {
      auto e = ikm_e ? mlkem768_encapsulate_derand(pk_r, *ikm_e) : mlkem768_encapsulate(pk_r);
      if (!e.ok()) return e.status();
      return Encapsulated{std::move(e->shared_secret), std::move(e->ciphertext)};
    }
    case HpkeKem::kXWing: {
      auto e = ikm_e ? xwing_encapsulate_derand(pk_r, *ikm_e) : xwing_encapsulate(pk_r);
      if (!e.ok()) return e.status();
      return Encapsulated{std::move(e->shared_secret), std::move(e->ciphertext)};
    }
  }
  return common::invalid_argument("unsupported HPKE KEM");
}

Result<Encapsulated> dhkem_encapsulate(HpkeKem kem, ByteView pk_r, const HpkePrivateKey& sk_e) {
  if (sk_e.kem() != kem) return common::invalid_argument("HPKE: ephemeral key is for another KEM");
  const Bytes& enc = sk_e.public_key();
  Result<SecretBytes> dh = common::internal_error("unreachable");
  if (kem == HpkeKem::kX25519HkdfSha256) {
    T3N_ASSIGN_OR_RETURN(X25519PrivateKey k, X25519PrivateKey::from_bytes(sk_e.serialize()));
    dh = k.agree(pk_r);
  } else if (kem == HpkeKem::kP256HkdfSha256) {
    T3N_ASSIGN_OR_RETURN(P256PrivateKey k, P256PrivateKey::from_scalar(sk_e.serialize()));
    dh = k.ecdh(pk_r);
  } else {
    return common::invalid_argument("HPKE: an explicit ephemeral key needs a DHKEM");
  }
  if (!dh.ok()) return dh.status();
  Bytes kem_context = common::concat({enc, pk_r});
  T3N_ASSIGN_OR_RETURN(SecretBytes ss, dhkem_shared_secret(kem, *dh, kem_context));
  return Encapsulated{std::move(ss), enc};
}

Status verify_psk_inputs(HpkeMode mode, const std::optional<HpkePsk>& psk) {
  const bool got_psk = psk && !psk->psk.empty();
  const bool got_id = psk && !psk->psk_id.empty();
  if (got_psk != got_id) return common::invalid_argument("HPKE: psk and psk_id must both be given or both be empty");
  if (mode == HpkeMode::kPsk && !got_psk) return common::invalid_argument("HPKE: PSK mode needs a psk");
  return {};
}

}  // namespace

Result<HpkeKem> hpke_kem_from_id(std::uint16_t kem) {
  switch (kem) {
    case 0x0010: return HpkeKem::kP256HkdfSha256;
    case 0x0020: return HpkeKem::kX25519HkdfSha256;
    case 0x0041: return HpkeKem::kMlKem768;
    case 0x647A: return HpkeKem::kXWing;
    default: return common::invalid_argument("unsupported HPKE KEM id " + std::to_string(kem));
  }
}

Result<HpkeSuite> hpke_suite_from_ids(std::uint16_t kem, std::uint16_t kdf, std::uint16_t aead) {
  T3N_ASSIGN_OR_RETURN(HpkeKem k, hpke_kem_from_id(kem));
  if (kdf < 1 || kdf > 3) return common::invalid_argument("unsupported HPKE KDF id " + std::to_string(kdf));
  if (!(aead >= 1 && aead <= 3) && aead != 0xFFFF)
    return common::invalid_argument("unsupported HPKE AEAD id " + std::to_string(aead));
  return HpkeSuite{k, static_cast<HpkeKdf>(kdf), static_cast<HpkeAead>(aead)};
}

HpkeKemSizes hpke_kem_sizes(HpkeKem kem) {
  switch (kem) {
    case HpkeKem::kP256HkdfSha256: return {32, 65, 65, 32};
    case HpkeKem::kX25519HkdfSha256: return {32, 32, 32, 32};
    case HpkeKem::kMlKem768: return {32, kMlKem768CiphertextSize, kMlKem768EncapsulationKeySize, 64};
    case HpkeKem::kXWing: return {32, kXWingCiphertextSize, kXWingPublicKeySize, kXWingSeedSize};
  }
  return {0, 0, 0, 0};
}

HashAlg hpke_kdf_hash(HpkeKdf kdf) { return kdf_hash_of(kdf); }

std::size_t hpke_aead_key_size(HpkeAead aead) {
  if (aead == HpkeAead::kExportOnly) return 0;
  return aead_key_size(static_cast<AeadAlg>(aead));
}

// ---- Private keys ----

struct HpkePrivateKey::Impl {
  Impl(HpkeKem k, KemKey kk, Bytes pub) : kem(k), key(std::move(kk)), public_key(std::move(pub)) {}
  HpkeKem kem;
  KemKey key;
  Bytes public_key;
};

HpkePrivateKey::HpkePrivateKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HpkePrivateKey::HpkePrivateKey(HpkePrivateKey&&) noexcept = default;
HpkePrivateKey& HpkePrivateKey::operator=(HpkePrivateKey&&) noexcept = default;
HpkePrivateKey::~HpkePrivateKey() = default;

Result<HpkePrivateKey> HpkePrivateKey::deserialize(HpkeKem kem, ByteView private_key) {
  if (private_key.size() != hpke_kem_sizes(kem).private_key)
    return common::invalid_argument("HPKE private key has the wrong length for this KEM");
  T3N_ASSIGN_OR_RETURN(KemKey key, kem_key_from_secret(kem, private_key));
  Bytes pub = std::visit(
      [](const auto& k) -> Bytes {
        using K = std::decay_t<decltype(k)>;
        if constexpr (std::is_same_v<K, MlKemKey>) return k.pair.encapsulation_key;
        else return k.public_key();
      },
      key);
  return HpkePrivateKey(std::make_unique<Impl>(kem, std::move(key), std::move(pub)));
}

Result<HpkePrivateKey> HpkePrivateKey::derive(HpkeKem kem, ByteView ikm) {
  Bytes suite = kem_suite_id(kem);
  switch (kem) {
    case HpkeKem::kX25519HkdfSha256: {
      SecretBytes dkp_prk = labeled_extract(HashAlg::kSha256, suite, {}, "dkp_prk", ikm);
      T3N_ASSIGN_OR_RETURN(SecretBytes sk, labeled_expand(HashAlg::kSha256, suite, dkp_prk, "sk", {}, 32));
      return deserialize(kem, sk);
    }
    case HpkeKem::kP256HkdfSha256: {
      SecretBytes dkp_prk = labeled_extract(HashAlg::kSha256, suite, {}, "dkp_prk", ikm);
      for (unsigned counter = 0; counter < 256; ++counter) {
        const std::uint8_t c = static_cast<std::uint8_t>(counter);
        T3N_ASSIGN_OR_RETURN(SecretBytes candidate,
                             labeled_expand(HashAlg::kSha256, suite, dkp_prk, "candidate", ByteView(&c, 1), 32));
        // bitmask 0xFF: nothing to clear for P-256. Out of range → next counter.
        auto key = deserialize(kem, candidate);
        if (key.ok()) return key;
      }
      return common::internal_error("HPKE DeriveKeyPair: no valid P-256 scalar");
    }
    case HpkeKem::kMlKem768:
      return deserialize(kem, shake_labeled_derive(suite, ikm, "DeriveKeyPair", {}, 64));
    case HpkeKem::kXWing:
      return deserialize(kem, shake_labeled_derive(suite, ikm, "DeriveKeyPair", {}, 32));
  }
  return common::invalid_argument("unsupported HPKE KEM");
}

Result<HpkePrivateKey> HpkePrivateKey::generate(HpkeKem kem) {
  T3N_ASSIGN_OR_RETURN(SecretBytes ikm, random_secret(64));
  return derive(kem, ikm);
}

HpkeKem HpkePrivateKey::kem() const { return impl_->kem; }
const Bytes& HpkePrivateKey::public_key() const { return impl_->public_key; }

SecretBytes HpkePrivateKey::serialize() const {
  return std::visit(
      [](const auto& k) -> SecretBytes {
        using K = std::decay_t<decltype(k)>;
        if constexpr (std::is_same_v<K, X25519PrivateKey>) return k.private_bytes();
        else if constexpr (std::is_same_v<K, P256PrivateKey>) return k.scalar();
        else if constexpr (std::is_same_v<K, MlKemKey>) return k.seed.clone();
        else return k.seed().clone();
      },
      impl_->key);
}

Result<SecretBytes> HpkePrivateKey::decapsulate(ByteView enc) const {
  if (enc.size() != hpke_kem_sizes(impl_->kem).enc)
    return common::invalid_argument("HPKE: encapsulated key has the wrong length (" + std::to_string(enc.size()) +
                                    " bytes)");
  return std::visit(
      [&](const auto& k) -> Result<SecretBytes> {
        using K = std::decay_t<decltype(k)>;
        if constexpr (std::is_same_v<K, X25519PrivateKey> || std::is_same_v<K, P256PrivateKey>) {
          Result<SecretBytes> dh = common::internal_error("unreachable");
          if constexpr (std::is_same_v<K, X25519PrivateKey>) dh = k.agree(enc);
          else dh = k.ecdh(enc);
          if (!dh.ok()) return dh.status();
          Bytes kem_context = common::concat({enc, impl_->public_key});
          return dhkem_shared_secret(impl_->kem, *dh, kem_context);
        } else if constexpr (std::is_same_v<K, MlKemKey>) {
          return mlkem768_decapsulate(k.pair.decapsulation_key, enc);
        } else {
          return k.decapsulate(enc);
        }
      },
      impl_->key);
}

// ---- Contexts ----

struct HpkeContext::Impl {
  HpkeSuite suite;
  Role role;
  SecretBytes key;
  SecretBytes base_nonce;
  SecretBytes exporter_secret;
  std::uint64_t seq = 0;
};

class HpkeContextBuilder {
 public:
  static Result<HpkeContext> key_schedule(const HpkeSuite& suite, HpkeContext::Role role, ByteView shared_secret,
                                          ByteView info, const std::optional<HpkePsk>& psk) {
    const HpkeMode mode = psk ? HpkeMode::kPsk : HpkeMode::kBase;
    T3N_RETURN_IF_ERROR(verify_psk_inputs(mode, psk));
    const HashAlg h = kdf_hash_of(suite.kdf);
    const Bytes suite_id = hpke_suite_id(suite);
    ByteView psk_bytes = psk ? psk->psk : ByteView{};
    ByteView psk_id = psk ? psk->psk_id : ByteView{};

    SecretBytes psk_id_hash = labeled_extract(h, suite_id, {}, "psk_id_hash", psk_id);
    SecretBytes info_hash = labeled_extract(h, suite_id, {}, "info_hash", info);
    Bytes ksc{static_cast<std::uint8_t>(mode)};
    common::append(ksc, psk_id_hash);
    common::append(ksc, info_hash);
    SecretBytes secret = labeled_extract(h, suite_id, shared_secret, "secret", psk_bytes);

    auto impl = std::make_unique<HpkeContext::Impl>();
    impl->suite = suite;
    impl->role = role;
    const std::size_t nk = hpke_aead_key_size(suite.aead);
    if (nk > 0) {
      T3N_ASSIGN_OR_RETURN(impl->key, labeled_expand(h, suite_id, secret, "key", ksc, nk));
      T3N_ASSIGN_OR_RETURN(impl->base_nonce, labeled_expand(h, suite_id, secret, "base_nonce", ksc, kAeadNonceSize));
    }
    T3N_ASSIGN_OR_RETURN(impl->exporter_secret, labeled_expand(h, suite_id, secret, "exp", ksc, hash_size(h)));
    return HpkeContext(std::move(impl));
  }
};

HpkeContext::HpkeContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HpkeContext::HpkeContext(HpkeContext&&) noexcept = default;
HpkeContext& HpkeContext::operator=(HpkeContext&&) noexcept = default;
HpkeContext::~HpkeContext() = default;

const HpkeSuite& HpkeContext::suite() const { return impl_->suite; }

namespace {

Bytes compute_nonce(ByteView base_nonce, std::uint64_t seq) {
  Bytes nonce(base_nonce.begin(), base_nonce.end());
  for (std::size_t i = 0; i < 8; ++i) nonce[nonce.size() - 1 - i] ^= static_cast<std::uint8_t>(seq >> (8 * i));
  return nonce;
}

}  // namespace

Result<Bytes> HpkeContext::seal(ByteView aad, ByteView plaintext) {
  if (impl_->suite.aead == HpkeAead::kExportOnly) return common::failed_precondition("HPKE: export-only suite cannot seal");
  if (impl_->role != Role::kSender) return common::failed_precondition("HPKE: only a sender context seals");
  if (impl_->seq == std::numeric_limits<std::uint64_t>::max())
    return Status(ErrorCode::kResourceExhausted, "HPKE: message limit reached");
  Bytes nonce = compute_nonce(impl_->base_nonce, impl_->seq);
  T3N_ASSIGN_OR_RETURN(Bytes ct, aead_seal(static_cast<AeadAlg>(impl_->suite.aead), impl_->key, nonce, aad, plaintext));
  ++impl_->seq;
  return ct;
}

Result<Bytes> HpkeContext::open(ByteView aad, ByteView ciphertext) {
  if (impl_->suite.aead == HpkeAead::kExportOnly) return common::failed_precondition("HPKE: export-only suite cannot open");
  if (impl_->role != Role::kReceiver) return common::failed_precondition("HPKE: only a receiver context opens");
  if (impl_->seq == std::numeric_limits<std::uint64_t>::max())
    return Status(ErrorCode::kResourceExhausted, "HPKE: message limit reached");
  Bytes nonce = compute_nonce(impl_->base_nonce, impl_->seq);
  T3N_ASSIGN_OR_RETURN(Bytes pt, aead_open(static_cast<AeadAlg>(impl_->suite.aead), impl_->key, nonce, aad, ciphertext));
  ++impl_->seq;
  return pt;
}

Result<SecretBytes> HpkeContext::export_secret(ByteView exporter_context, std::size_t length) const {
  const HashAlg h = kdf_hash_of(impl_->suite.kdf);
  if (length > 255 * hash_size(h)) return common::invalid_argument("HPKE: export length too large");
  return labeled_expand(h, hpke_suite_id(impl_->suite), impl_->exporter_secret, "sec", exporter_context, length);
}

// ---- Setup ----

namespace {

Result<HpkeSender> setup_sender(const HpkeSuite& suite, ByteView public_key, ByteView info,
                                std::optional<ByteView> ikm_e, const std::optional<HpkePsk>& psk) {
  if (public_key.size() != hpke_kem_sizes(suite.kem).public_key)
    return common::invalid_argument("HPKE: recipient public key has the wrong length (" +
                                    std::to_string(public_key.size()) + " bytes)");
  T3N_ASSIGN_OR_RETURN(Encapsulated e, encapsulate(suite.kem, public_key, ikm_e));
  T3N_ASSIGN_OR_RETURN(HpkeContext ctx, HpkeContextBuilder::key_schedule(suite, HpkeContext::Role::kSender,
                                                                         e.shared_secret, info, psk));
  return HpkeSender{std::move(e.enc), std::move(ctx)};
}

}  // namespace

Result<HpkeSender> hpke_setup_sender(const HpkeSuite& suite, ByteView public_key, ByteView info,
                                     std::optional<HpkePsk> psk) {
  return setup_sender(suite, public_key, info, std::nullopt, psk);
}

Result<HpkeSender> hpke_setup_sender_derand(const HpkeSuite& suite, ByteView public_key, ByteView info,
                                            ByteView ikm_e, std::optional<HpkePsk> psk) {
  return setup_sender(suite, public_key, info, ikm_e, psk);
}

Result<HpkeSender> hpke_setup_sender_with_ephemeral(const HpkeSuite& suite, ByteView public_key, ByteView info,
                                                    const HpkePrivateKey& ephemeral) {
  if (public_key.size() != hpke_kem_sizes(suite.kem).public_key)
    return common::invalid_argument("HPKE: recipient public key has the wrong length");
  T3N_ASSIGN_OR_RETURN(Encapsulated e, dhkem_encapsulate(suite.kem, public_key, ephemeral));
  T3N_ASSIGN_OR_RETURN(HpkeContext ctx, HpkeContextBuilder::key_schedule(suite, HpkeContext::Role::kSender,
                                                                         e.shared_secret, info, std::nullopt));
  return HpkeSender{std::move(e.enc), std::move(ctx)};
}

Result<HpkeContext> hpke_setup_receiver(const HpkeSuite& suite, const HpkePrivateKey& private_key, ByteView enc,
                                        ByteView info, std::optional<HpkePsk> psk) {
  if (private_key.kem() != suite.kem) return common::invalid_argument("HPKE: private key is for another KEM");
  T3N_ASSIGN_OR_RETURN(SecretBytes ss, private_key.decapsulate(enc));
  return HpkeContextBuilder::key_schedule(suite, HpkeContext::Role::kReceiver, ss, info, psk);
}

Result<HpkeSealed> hpke_seal(const HpkeSuite& suite, ByteView public_key, ByteView info, ByteView aad,
                             ByteView plaintext) {
  T3N_ASSIGN_OR_RETURN(HpkeSender s, hpke_setup_sender(suite, public_key, info));
  T3N_ASSIGN_OR_RETURN(Bytes ct, s.context.seal(aad, plaintext));
  return HpkeSealed{std::move(s.enc), std::move(ct)};
}

Result<Bytes> hpke_open(const HpkeSuite& suite, const HpkePrivateKey& private_key, ByteView enc, ByteView info,
                        ByteView aad, ByteView ciphertext) {
  T3N_ASSIGN_OR_RETURN(HpkeContext ctx, hpke_setup_receiver(suite, private_key, enc, info));
  return ctx.open(aad, ciphertext);
}

}  // namespace t3n::crypto
