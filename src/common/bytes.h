// Byte buffers, views and secret buffers that wipe themselves.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace t3n::common {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;
using MutableByteView = std::span<std::uint8_t>;

// Overwrites memory in a way the compiler may not elide.
void secure_zero(void* data, std::size_t size);
inline void secure_zero(MutableByteView v) { secure_zero(v.data(), v.size()); }

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline Bytes to_bytes(std::string_view s) { return {s.begin(), s.end()}; }
inline Bytes to_bytes(ByteView v) { return {v.begin(), v.end()}; }
inline std::string to_string(ByteView v) { return {v.begin(), v.end()}; }

// Concatenates any number of byte views.
Bytes concat(std::initializer_list<ByteView> parts);
void append(Bytes& out, ByteView part);

// Big-endian fixed-width integer encoding (I2OSP).
void append_u16_be(Bytes& out, std::uint16_t v);
void append_u32_be(Bytes& out, std::uint32_t v);
void append_u64_be(Bytes& out, std::uint64_t v);

// A heap buffer for key material: wiped on destruction and on reassignment,
// not copyable by accident (copy explicitly with clone()), and formatted as
// "<redacted N bytes>" by the logger so it cannot be printed.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size) : data_(size, 0) {}
  explicit SecretBytes(ByteView v) : data_(v.begin(), v.end()) {}
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& o) noexcept : data_(std::move(o.data_)) { o.data_.clear(); }
  SecretBytes& operator=(SecretBytes&& o) noexcept;
  ~SecretBytes() { wipe(); }

  SecretBytes clone() const { return SecretBytes(view()); }
  void wipe() { secure_zero(data_.data(), data_.size()); }

  std::size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  std::uint8_t* data() { return data_.data(); }
  const std::uint8_t* data() const { return data_.data(); }
  ByteView view() const { return data_; }
  MutableByteView mutable_view() { return data_; }
  operator ByteView() const { return data_; }  // NOLINT(google-explicit-constructor)

 private:
  std::vector<std::uint8_t> data_;
};

// Fixed-size secret array wiped on destruction.
template <std::size_t N>
class SecretArray {
 public:
  SecretArray() = default;
  SecretArray(const SecretArray&) = default;
  SecretArray& operator=(const SecretArray&) = default;
  ~SecretArray() { secure_zero(a_.data(), N); }
  std::uint8_t* data() { return a_.data(); }
  const std::uint8_t* data() const { return a_.data(); }
  static constexpr std::size_t size() { return N; }
  ByteView view() const { return a_; }
  MutableByteView mutable_view() { return a_; }
  operator ByteView() const { return a_; }  // NOLINT(google-explicit-constructor)

 private:
  std::array<std::uint8_t, N> a_{};
};

}  // namespace t3n::common

namespace t3n {
using common::Bytes;
using common::ByteView;
using common::MutableByteView;
using common::SecretArray;
using common::SecretBytes;
}  // namespace t3n
