// Strict, bounded CBOR decoding of hostile input and the COSE_Sign1 envelope
// (RFC 9052) that AWS Nitro attestation documents use.
//
// Item headers are decoded by libcbor's streaming decoder (cbor_stream_decode),
// which allocates nothing and refuses lengths beyond its input. libcbor's tree
// loader (cbor_load) is not used: it pre-allocates a declared array or map
// length before reading a single element (6 input bytes buy a 1 GiB
// allocation in 0.8), and accepts indefinite lengths, duplicate map keys and
// trailing bytes. The tree built here holds views into the input, admits only
// definite lengths, bounds depth and item count, refuses duplicate keys and
// anything after the top-level item.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::attest::cbor {

using common::Bytes;
using common::ByteView;

enum class Kind : std::uint8_t { kUnsigned, kNegative, kBytes, kText, kArray, kMap, kTag, kBool, kNull, kUndefined };

// One decoded item. Byte and text strings are views into the decoded input,
// which must outlive the tree.
struct Item {
  Kind kind = Kind::kNull;
  // kUnsigned: the value; kNegative: n where the value is -1 - n; kTag: the tag number.
  std::uint64_t uint_value = 0;
  bool bool_value = false;
  ByteView bytes;           // kBytes, kText
  std::vector<Item> items;  // kArray: elements; kMap: key, value, key, value…; kTag: the tagged item

  std::string_view text() const { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }
  std::size_t map_size() const { return items.size() / 2; }
  // The value under an integer or text key of a map, or null.
  const Item* find(std::int64_t key) const;
  const Item* find(std::string_view key) const;
  bool is_int(std::int64_t v) const;
};

struct Limits {
  std::size_t max_input_bytes = 64 * 1024;
  std::size_t max_depth = 8;     // nested arrays, maps and tags
  std::size_t max_items = 1024;  // all items in the tree
};

// Exactly one well-formed item of the subset above (no floats, no simple
// values other than false/true/null/undefined, map keys integers or text,
// no duplicate keys), nothing after it. kInvalidArgument naming `what`.
Result<Item> decode(ByteView input, std::string_view what, const Limits& limits = {});
Result<Item> decode(Bytes&& input, std::string_view what, const Limits& limits = {}) = delete;  // views would dangle

// COSE_Sign1 = [protected: bstr, unprotected: map, payload: bstr, signature: bstr],
// optionally under tag 18. Detached payloads (nil) are refused.
struct CoseSign1 {
  ByteView protected_header;  // the serialized protected header map, as signed
  ByteView payload;
  ByteView signature;
  std::int64_t alg = 0;  // protected header label 1
  bool tagged = false;
};
Result<CoseSign1> parse_cose_sign1(ByteView input, const Limits& limits = {});
Result<CoseSign1> parse_cose_sign1(Bytes&& input, const Limits& limits = {}) = delete;  // views would dangle

// Sig_structure = ["Signature1", body_protected, external_aad, payload], encoded.
Bytes cose_sign1_sig_structure(ByteView protected_header, ByteView external_aad, ByteView payload);

}  // namespace t3n::attest::cbor
