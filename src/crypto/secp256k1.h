// secp256k1 ECDSA with public-key recovery (Debian libsecp256k1), and the
// Ethereum helpers built on it: addresses, EIP-191 personal messages.
#pragma once

#include <memory>
#include <string>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/hash.h"

namespace t3n::crypto {

inline constexpr std::size_t kSecp256k1SecretSize = 32;
inline constexpr std::size_t kRecoverableSignatureSize = 65;  // r ‖ s ‖ v

// Owns a randomized signing context (blinding against side channels). One
// per component; safe to share across threads for signing once created.
class Secp256k1Signer {
 public:
  static Result<Secp256k1Signer> create();
  Secp256k1Signer(Secp256k1Signer&&) noexcept;
  Secp256k1Signer& operator=(Secp256k1Signer&&) noexcept;
  ~Secp256k1Signer();

  // 65-byte uncompressed (0x04 ‖ X ‖ Y) or 33-byte compressed public key.
  Result<Bytes> public_key(ByteView secret, bool compressed = false) const;
  // RFC 6979 deterministic, low-S. Returns r ‖ s ‖ recid (recid ∈ {0,1}).
  Result<Bytes> sign_recoverable(ByteView secret, ByteView digest32) const;

 private:
  struct Impl;
  explicit Secp256k1Signer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Recovers the uncompressed public key from r ‖ s ‖ recid (recid 0..3).
Result<Bytes> secp256k1_recover(ByteView digest32, ByteView signature65);
// Verifies a 64-byte r ‖ s signature (low-S only) under a 33/65-byte key.
Status secp256k1_verify(ByteView public_key, ByteView digest32, ByteView signature64);

// Ethereum: keccak256(X ‖ Y)[12..32] of an uncompressed public key.
Result<Bytes> eth_address(ByteView public_key);
// EIP-55 mixed-case checksum form "0x…".
std::string eth_checksum_address(ByteView address20);
// EIP-191 version 0x45: keccak256("\x19Ethereum Signed Message:\n" ‖ len ‖ message).
Digest32 eip191_hash(ByteView message);
// personal_sign: r ‖ s ‖ v with v ∈ {27, 28}.
Result<Bytes> eth_personal_sign(const Secp256k1Signer& signer, ByteView secret, ByteView message);
// Recovers the 20-byte address that produced a personal_sign signature
// (v ∈ {0, 1, 27, 28}).
Result<Bytes> eth_recover_personal_signer(ByteView message, ByteView signature65);

}  // namespace t3n::crypto
