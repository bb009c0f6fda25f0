// AEADs: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 (96-bit nonces, 128-bit
// tags), and the sealed-box wire format nonce(12) ‖ ciphertext ‖ tag(16).
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::crypto {

// Values are the HPKE AEAD identifiers (RFC 9180 §7.3).
enum class AeadAlg : std::uint16_t { kAes128Gcm = 0x0001, kAes256Gcm = 0x0002, kChaCha20Poly1305 = 0x0003 };

inline constexpr std::size_t kAeadNonceSize = 12;
inline constexpr std::size_t kAeadTagSize = 16;
std::size_t aead_key_size(AeadAlg alg);
std::string_view aead_name(AeadAlg alg);

// Returns ciphertext ‖ tag.
Result<Bytes> aead_seal(AeadAlg alg, ByteView key, ByteView nonce, ByteView aad, ByteView plaintext);
// Takes ciphertext ‖ tag; a wrong key, nonce, AAD or any flipped bit →
// kVerificationFailed, and no plaintext is returned.
Result<Bytes> aead_open(AeadAlg alg, ByteView key, ByteView nonce, ByteView aad, ByteView ciphertext_and_tag);

// Sealed box with a fresh random nonce: nonce ‖ ciphertext ‖ tag. Random
// 96-bit nonces are safe for up to 2^32 messages per key; keys are rotated
// (per epoch, per user) well before that.
Result<Bytes> seal_box(AeadAlg alg, ByteView key, ByteView aad, ByteView plaintext);
Result<Bytes> open_box(AeadAlg alg, ByteView key, ByteView aad, ByteView box);

}  // namespace t3n::crypto
