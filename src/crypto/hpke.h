// HPKE (RFC 9180): base and PSK modes; KEMs DHKEM(P-256, HKDF-SHA256),
// DHKEM(X25519, HKDF-SHA256), ML-KEM-768 and X-Wing (draft-ietf-hpke-pq);
// KDFs HKDF-SHA256/384/512; AEADs AES-128-GCM, AES-256-GCM,
// ChaCha20-Poly1305 and export-only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/hash.h"

namespace t3n::crypto {

enum class HpkeKem : std::uint16_t {
  kP256HkdfSha256 = 0x0010,
  kX25519HkdfSha256 = 0x0020,
  kMlKem768 = 0x0041,
  kXWing = 0x647A,
};
enum class HpkeKdf : std::uint16_t { kHkdfSha256 = 0x0001, kHkdfSha384 = 0x0002, kHkdfSha512 = 0x0003 };
enum class HpkeAead : std::uint16_t {
  kAes128Gcm = 0x0001,
  kAes256Gcm = 0x0002,
  kChaCha20Poly1305 = 0x0003,
  kExportOnly = 0xFFFF,
};
enum class HpkeMode : std::uint8_t { kBase = 0, kPsk = 1 };

struct HpkeSuite {
  HpkeKem kem;
  HpkeKdf kdf;
  HpkeAead aead;
};

// Validates identifiers read from the wire.
Result<HpkeSuite> hpke_suite_from_ids(std::uint16_t kem, std::uint16_t kdf, std::uint16_t aead);
Result<HpkeKem> hpke_kem_from_id(std::uint16_t kem);

struct HpkeKemSizes {
  std::size_t secret;      // Nsecret
  std::size_t enc;         // Nenc
  std::size_t public_key;  // Npk
  std::size_t private_key; // Nsk
};
HpkeKemSizes hpke_kem_sizes(HpkeKem kem);
std::size_t hpke_aead_key_size(HpkeAead aead);  // Nk (0 for export-only)
HashAlg hpke_kdf_hash(HpkeKdf kdf);

class HpkePrivateKey {
 public:
  // DeriveKeyPair(ikm) as the KEM's specification defines it.
  static Result<HpkePrivateKey> derive(HpkeKem kem, ByteView ikm);
  static Result<HpkePrivateKey> generate(HpkeKem kem);
  // DeserializePrivateKey: X25519/P-256 scalars, ML-KEM 64-byte seed, X-Wing 32-byte seed.
  static Result<HpkePrivateKey> deserialize(HpkeKem kem, ByteView private_key);

  HpkePrivateKey(HpkePrivateKey&&) noexcept;
  HpkePrivateKey& operator=(HpkePrivateKey&&) noexcept;
  ~HpkePrivateKey();

  HpkeKem kem() const;
  const Bytes& public_key() const;
  SecretBytes serialize() const;
  // Decap(enc, skR) → shared secret.
  Result<SecretBytes> decapsulate(ByteView enc) const;

 private:
  struct Impl;
  explicit HpkePrivateKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct HpkePsk {
  ByteView psk;
  ByteView psk_id;
};

// An encryption context (RFC 9180 §5.2). Sender contexts seal, receiver
// contexts open; both export.
class HpkeContext {
 public:
  enum class Role { kSender, kReceiver };

  HpkeContext(HpkeContext&&) noexcept;
  HpkeContext& operator=(HpkeContext&&) noexcept;
  ~HpkeContext();

  Result<Bytes> seal(ByteView aad, ByteView plaintext);
  // A failed open does not advance the sequence number.
  Result<Bytes> open(ByteView aad, ByteView ciphertext);
  Result<SecretBytes> export_secret(ByteView exporter_context, std::size_t length) const;

  const HpkeSuite& suite() const;

 private:
  friend class HpkeContextBuilder;
  struct Impl;
  explicit HpkeContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct HpkeSender {
  Bytes enc;
  HpkeContext context;
};

Result<HpkeSender> hpke_setup_sender(const HpkeSuite& suite, ByteView public_key, ByteView info,
                                     std::optional<HpkePsk> psk = std::nullopt);
// Deterministic encapsulation from `ikm_e` (DHKEM: DeriveKeyPair(ikmE);
// ML-KEM: 32-byte m; X-Wing: 64-byte eseed). For test vectors only.
Result<HpkeSender> hpke_setup_sender_derand(const HpkeSuite& suite, ByteView public_key, ByteView info,
                                            ByteView ikm_e, std::optional<HpkePsk> psk = std::nullopt);
// Encapsulation with a caller-supplied ephemeral key (DHKEMs only): what
// RFC 9458's worked example needs. For test vectors only.
Result<HpkeSender> hpke_setup_sender_with_ephemeral(const HpkeSuite& suite, ByteView public_key, ByteView info,
                                                    const HpkePrivateKey& ephemeral);
Result<HpkeContext> hpke_setup_receiver(const HpkeSuite& suite, const HpkePrivateKey& private_key, ByteView enc,
                                        ByteView info, std::optional<HpkePsk> psk = std::nullopt);

// Single-shot API (RFC 9180 §6.1).
struct HpkeSealed {
  Bytes enc;
  Bytes ciphertext;
};
Result<HpkeSealed> hpke_seal(const HpkeSuite& suite, ByteView public_key, ByteView info, ByteView aad,
                             ByteView plaintext);
Result<Bytes> hpke_open(const HpkeSuite& suite, const HpkePrivateKey& private_key, ByteView enc, ByteView info,
                        ByteView aad, ByteView ciphertext);

}  // namespace t3n::crypto
