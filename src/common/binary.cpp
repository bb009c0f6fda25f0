#include "common/binary.h"

namespace t3n::common {

Status BinaryReader::truncated(std::size_t need) const {
  return invalid_argument(std::string(what_) + ": truncated at byte " + std::to_string(pos_) + " (need " +
                          std::to_string(need) + ", have " + std::to_string(remaining()) + ")");
}

Result<ByteView> BinaryReader::raw(std::size_t n) {
  if (remaining() < n) return truncated(n);
  ByteView v = in_.subspan(pos_, n);
  pos_ += n;
  return v;
}

Result<std::uint8_t> BinaryReader::u8() {
  T3N_ASSIGN_OR_RETURN(ByteView v, raw(1));
  return v[0];
}

Result<std::uint16_t> BinaryReader::u16() {
  T3N_ASSIGN_OR_RETURN(ByteView v, raw(2));
  return static_cast<std::uint16_t>((v[0] << 8) | v[1]);
}

Result<std::uint32_t> BinaryReader::u32() {
  T3N_ASSIGN_OR_RETURN(ByteView v, raw(4));
  return (std::uint32_t{v[0]} << 24) | (std::uint32_t{v[1]} << 16) | (std::uint32_t{v[2]} << 8) | v[3];
}

Result<std::uint64_t> BinaryReader::u64() {
  T3N_ASSIGN_OR_RETURN(ByteView v, raw(8));
  std::uint64_t out = 0;
  for (auto b : v) out = (out << 8) | b;
  return out;
}

Result<ByteView> BinaryReader::bytes(std::size_t max) {
  T3N_ASSIGN_OR_RETURN(std::uint32_t len, u32());
  if (len > max)
    return invalid_argument(std::string(what_) + ": length " + std::to_string(len) + " exceeds the limit " +
                            std::to_string(max));
  return raw(len);
}

Result<std::string> BinaryReader::string(std::size_t max) {
  T3N_ASSIGN_OR_RETURN(ByteView v, bytes(max));
  return to_string(v);
}

Status BinaryReader::finish() const {
  if (remaining() != 0)
    return invalid_argument(std::string(what_) + ": " + std::to_string(remaining()) + " trailing bytes");
  return {};
}

}  // namespace t3n::common
