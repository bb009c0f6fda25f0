// Content identifiers: CIDv1 with a sha2-256 multihash, text form multibase
// base32 lower-case ("bafkrei…" for raw blocks).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/hash.h"

namespace t3n::cas {

inline constexpr std::uint64_t kCodecRaw = 0x55;
inline constexpr std::uint64_t kCodecDagPb = 0x70;
inline constexpr std::uint64_t kMultihashSha256 = 0x12;

class Cid {
 public:
  // CIDv1, codec raw, sha2-256 of `data`.
  static Cid of(ByteView data);
  // Parses the text form (multibase; v1; sha2-256 multihash).
  static Result<Cid> parse(std::string_view text);
  static Result<Cid> from_bytes(ByteView bytes);

  std::uint64_t codec() const { return codec_; }
  const crypto::Digest32& digest() const { return digest_; }
  Bytes bytes() const;
  std::string to_string() const;
  // True when `data` hashes to this CID (raw codec).
  bool matches(ByteView data) const;

  bool operator==(const Cid&) const = default;

 private:
  Cid(std::uint64_t codec, const crypto::Digest32& digest) : codec_(codec), digest_(digest) {}
  std::uint64_t codec_;
  crypto::Digest32 digest_;
};

// Unsigned LEB128 (multiformats varint).
void append_uvarint(Bytes& out, std::uint64_t v);

}  // namespace t3n::cas
