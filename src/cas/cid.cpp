#include "cas/cid.h"

#include <algorithm>

#include "common/encoding.h"

namespace t3n::cas {
namespace {

Result<std::uint64_t> read_uvarint(ByteView in, std::size_t& pos) {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 63; shift += 7) {
    if (pos >= in.size()) return common::invalid_argument("cid: truncated varint");
    const std::uint8_t b = in[pos++];
    v |= std::uint64_t{b & 0x7Fu} << shift;
    if ((b & 0x80) == 0) {
      if (b == 0 && shift > 0) return common::invalid_argument("cid: non-minimal varint");
      return v;
    }
  }
  return common::invalid_argument("cid: varint too long");
}

}  // namespace

void append_uvarint(Bytes& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

Cid Cid::of(ByteView data) { return Cid(kCodecRaw, crypto::sha256(data)); }

Bytes Cid::bytes() const {
  Bytes out;
  append_uvarint(out, 1);
  append_uvarint(out, codec_);
  append_uvarint(out, kMultihashSha256);
  append_uvarint(out, 32);
  common::append(out, digest_);
  return out;
}

std::string Cid::to_string() const { return common::multibase_encode(common::Multibase::kBase32, bytes()); }

bool Cid::matches(ByteView data) const { return codec_ == kCodecRaw && crypto::sha256(data) == digest_; }

Result<Cid> Cid::from_bytes(ByteView b) {
  std::size_t pos = 0;
  T3N_ASSIGN_OR_RETURN(std::uint64_t version, read_uvarint(b, pos));
  if (version != 1) return common::invalid_argument("cid: only CIDv1 is supported");
  T3N_ASSIGN_OR_RETURN(std::uint64_t codec, read_uvarint(b, pos));
  if (codec != kCodecRaw && codec != kCodecDagPb) return common::invalid_argument("cid: unsupported codec");
  T3N_ASSIGN_OR_RETURN(std::uint64_t mh, read_uvarint(b, pos));
  if (mh != kMultihashSha256) return common::invalid_argument("cid: only sha2-256 multihashes are supported");
  T3N_ASSIGN_OR_RETURN(std::uint64_t len, read_uvarint(b, pos));
  if (len != 32 || b.size() - pos != 32) return common::invalid_argument("cid: bad digest length");
  crypto::Digest32 d{};
  std::copy(b.begin() + static_cast<std::ptrdiff_t>(pos), b.end(), d.begin());
  return Cid(codec, d);
}

Result<Cid> Cid::parse(std::string_view text) {
  if (text.size() > 128) return common::invalid_argument("cid: too long");
  auto bytes = common::multibase_decode(text);
  if (!bytes.ok()) return bytes.status().with_context("cid");
  return from_bytes(*bytes);
}

}  // namespace t3n::cas
