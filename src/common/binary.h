// Bounds-checked big-endian binary encoding for stable on-wire/on-disk
// formats (ledger entries, proofs). A Reader never reads past its input: every
// read returns a Result, and `finish()` refuses trailing bytes.
#pragma once

#include <cstdint>
#include <cstddef>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::common {

class BinaryWriter {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { append_u16_be(out_, v); }
  void u32(std::uint32_t v) { append_u32_be(out_, v); }
  void u64(std::uint64_t v) { append_u64_be(out_, v); }
  void raw(ByteView v) { append(out_, v); }
  // u32 length prefix, then the bytes.
  void bytes(ByteView v) {
    u32(static_cast<std::uint32_t>(v.size()));
    raw(v);
  }
  void string(std::string_view s) { bytes(as_bytes(s)); }

  Bytes& buffer() { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

class BinaryReader {
 public:
  explicit BinaryReader(ByteView in, std::string_view what = "record") : in_(in), what_(what) {}

  Result<std::uint8_t> u8();
  Result<std::uint16_t> u16();
  Result<std::uint32_t> u32();
  Result<std::uint64_t> u64();
  Result<ByteView> raw(std::size_t n);
  // u32 length prefix; refuses lengths beyond `max` or the remaining input.
  Result<ByteView> bytes(std::size_t max = SIZE_MAX);
  Result<std::string> string(std::size_t max = SIZE_MAX);

  std::size_t remaining() const { return in_.size() - pos_; }
  Status finish() const;  // error if bytes are left over

 private:
  Status truncated(std::size_t need) const;
  ByteView in_;
  std::size_t pos_ = 0;
  std::string_view what_;
};

}  // namespace t3n::common
