// Hashes, XOFs and HMAC (OpenSSL EVP; Keccak-256 from native/).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::crypto {

using Digest32 = std::array<std::uint8_t, 32>;
using Digest48 = std::array<std::uint8_t, 48>;
using Digest64 = std::array<std::uint8_t, 64>;

enum class HashAlg : std::uint8_t { kSha256, kSha384, kSha512 };
std::size_t hash_size(HashAlg alg);

Digest32 sha256(ByteView data);
Digest48 sha384(ByteView data);
Digest64 sha512(ByteView data);
Digest32 sha3_256(ByteView data);
Bytes shake128(ByteView data, std::size_t out_len);
Bytes shake256(ByteView data, std::size_t out_len);
// Keccak-256 with the original padding (Ethereum), not SHA3-256.
Digest32 keccak256(ByteView data);
Digest64 keccak512(ByteView data);
Bytes hash(HashAlg alg, ByteView data);

// Any digest OpenSSL knows by name ("SHA2-512/224", "SHA3-384", "SHAKE-128", …).
// XOFs produce `xof_len` bytes. Used for HashML-DSA pre-hashing.
Result<Bytes> digest_by_name(std::string_view name, ByteView data, std::size_t xof_len = 0);

Digest32 hmac_sha256(ByteView key, ByteView data);
Bytes hmac(HashAlg alg, ByteView key, ByteView data);

// HMAC-SHA256 under one key for many messages (RFC 2104): the padded key is
// absorbed once, so each MAC is two compressions of the message, not a fetch
// and key schedule like the one-shot call. Thread-safe; the key's state is
// wiped when the object goes.
class HmacSha256 {
 public:
  explicit HmacSha256(ByteView key);
  HmacSha256(HmacSha256&&) noexcept;
  HmacSha256& operator=(HmacSha256&&) noexcept;
  ~HmacSha256();
  Digest32 mac(ByteView data) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Incremental SHA-256 for streams (blobs, write-sets).
class Sha256 {
 public:
  Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  ~Sha256();
  void update(ByteView data);
  Digest32 finish();  // the object can be reused after finish()

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace t3n::crypto
