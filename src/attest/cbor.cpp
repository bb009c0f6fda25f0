#include "attest/cbor.h"

#include <cbor.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string>

namespace t3n::attest::cbor {
namespace {

// What the streaming decoder reported for the item header at the cursor.
struct Header {
  enum class Event : std::uint8_t { kNone, kScalar, kArray, kMap, kTag, kIndefinite, kFloat } event = Event::kNone;
  Item scalar;
  std::uint64_t count = 0;  // kArray, kMap: declared length
};

Header& header(void* context) { return *static_cast<Header*>(context); }

void on_scalar(void* context, Kind kind, std::uint64_t value) {
  auto& h = header(context);
  h.event = Header::Event::kScalar;
  h.scalar.kind = kind;
  h.scalar.uint_value = value;
}

void on_string(void* context, Kind kind, cbor_data data, std::size_t length) {
  auto& h = header(context);
  h.event = Header::Event::kScalar;
  h.scalar.kind = kind;
  h.scalar.bytes = ByteView(data, length);
}

void on_event(void* context, Header::Event event, std::uint64_t count = 0) {
  header(context).event = event;
  header(context).count = count;
}

cbor_callbacks make_callbacks() {
  cbor_callbacks cb = cbor_empty_callbacks;
  cb.uint8 = [](void* c, std::uint8_t v) { on_scalar(c, Kind::kUnsigned, v); };
  cb.uint16 = [](void* c, std::uint16_t v) { on_scalar(c, Kind::kUnsigned, v); };
  cb.uint32 = [](void* c, std::uint32_t v) { on_scalar(c, Kind::kUnsigned, v); };
  cb.uint64 = [](void* c, std::uint64_t v) { on_scalar(c, Kind::kUnsigned, v); };
  // libcbor passes the encoded n of -1 - n.
  cb.negint8 = [](void* c, std::uint8_t v) { on_scalar(c, Kind::kNegative, v); };
  cb.negint16 = [](void* c, std::uint16_t v) { on_scalar(c, Kind::kNegative, v); };
  cb.negint32 = [](void* c, std::uint32_t v) { on_scalar(c, Kind::kNegative, v); };
  cb.negint64 = [](void* c, std::uint64_t v) { on_scalar(c, Kind::kNegative, v); };
  cb.byte_string = [](void* c, cbor_data d, std::size_t n) { on_string(c, Kind::kBytes, d, n); };
  cb.string = [](void* c, cbor_data d, std::size_t n) { on_string(c, Kind::kText, d, n); };
  cb.byte_string_start = [](void* c) { on_event(c, Header::Event::kIndefinite); };
  cb.string_start = [](void* c) { on_event(c, Header::Event::kIndefinite); };
  cb.indef_array_start = [](void* c) { on_event(c, Header::Event::kIndefinite); };
  cb.indef_map_start = [](void* c) { on_event(c, Header::Event::kIndefinite); };
  cb.indef_break = [](void* c) { on_event(c, Header::Event::kIndefinite); };
  cb.array_start = [](void* c, std::size_t n) { on_event(c, Header::Event::kArray, n); };
  cb.map_start = [](void* c, std::size_t n) { on_event(c, Header::Event::kMap, n); };
  cb.tag = [](void* c, std::uint64_t v) {
    on_event(c, Header::Event::kTag);
    header(c).scalar.uint_value = v;
  };
  cb.float2 = [](void* c, float) { on_event(c, Header::Event::kFloat); };
  cb.float4 = [](void* c, float) { on_event(c, Header::Event::kFloat); };
  cb.float8 = [](void* c, double) { on_event(c, Header::Event::kFloat); };
  cb.null = [](void* c) { on_scalar(c, Kind::kNull, 0); };
  cb.undefined = [](void* c) { on_scalar(c, Kind::kUndefined, 0); };
  cb.boolean = [](void* c, bool v) {
    on_scalar(c, Kind::kBool, 0);
    header(c).scalar.bool_value = v;
  };
  return cb;
}

const cbor_callbacks& callbacks() {
  static const cbor_callbacks kCallbacks = make_callbacks();  // immutable after first use
  return kCallbacks;
}

bool same_key(const Item& a, const Item& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == Kind::kText) return std::equal(a.bytes.begin(), a.bytes.end(), b.bytes.begin(), b.bytes.end());
  return a.uint_value == b.uint_value;
}

class Decoder {
 public:
  Decoder(ByteView input, std::string_view what, const Limits& limits) : in_(input), what_(what), limits_(limits) {}

  Result<Item> top() {
    if (in_.size() > limits_.max_input_bytes)
      return fail("larger than " + std::to_string(limits_.max_input_bytes) + " bytes");
    T3N_ASSIGN_OR_RETURN(Item item, next(0));
    if (pos_ != in_.size()) return fail(std::to_string(in_.size() - pos_) + " trailing bytes after the item");
    return item;
  }

 private:
  Status fail(const std::string& why) const {
    return common::invalid_argument(std::string(what_) + ": " + why + " (CBOR offset " + std::to_string(pos_) + ")");
  }
  std::size_t remaining() const { return in_.size() - pos_; }

  Result<Item> next(std::size_t depth) {
    if (++item_count_ > limits_.max_items) return fail("more than " + std::to_string(limits_.max_items) + " items");
    if (remaining() == 0) return fail("truncated");
    Header h;
    cbor_decoder_result r{};
    const std::uint8_t initial = in_[pos_];
    if (initial >= 0xc6 && initial <= 0xd4) {
      // libcbor 0.8 refuses tags 6..20 in the initial byte as "unassigned"; COSE_Sign1 is tag 18 (0xd2).
      h.event = Header::Event::kTag;
      h.scalar.uint_value = initial & 0x1fu;
      r.read = 1;
      r.status = CBOR_DECODER_FINISHED;
    } else {
      r = cbor_stream_decode(in_.data() + pos_, remaining(), &callbacks(), &h);
    }
    if (r.status == CBOR_DECODER_NEDATA) return fail("truncated");
    if (r.status != CBOR_DECODER_FINISHED || h.event == Header::Event::kNone || r.read == 0 || r.read > remaining())
      return fail("malformed item");
    pos_ += r.read;
    switch (h.event) {
      case Header::Event::kScalar: return h.scalar;
      case Header::Event::kIndefinite: return fail("indefinite-length items are not allowed");
      case Header::Event::kFloat: return fail("floating-point values are not allowed");
      case Header::Event::kTag: {
        if (depth >= limits_.max_depth) return fail("nested deeper than " + std::to_string(limits_.max_depth));
        Item tag;
        tag.kind = Kind::kTag;
        tag.uint_value = h.scalar.uint_value;
        T3N_ASSIGN_OR_RETURN(Item inner, next(depth + 1));
        tag.items.push_back(std::move(inner));
        return tag;
      }
      case Header::Event::kArray:
      case Header::Event::kMap: return collection(h, depth);
      case Header::Event::kNone: break;
    }
    return fail("malformed item");
  }

  Result<Item> collection(const Header& h, std::size_t depth) {
    const bool is_map = h.event == Header::Event::kMap;
    if (depth >= limits_.max_depth) return fail("nested deeper than " + std::to_string(limits_.max_depth));
    // Every element takes at least one byte: a longer declared length is a lie, refused before allocating.
    if (h.count > remaining() / (is_map ? 2 : 1) || h.count > limits_.max_items)
      return fail(std::string(is_map ? "map" : "array") + " of " + std::to_string(h.count) +
                  " entries does not fit in the input");
    Item out;
    out.kind = is_map ? Kind::kMap : Kind::kArray;
    out.items.reserve(static_cast<std::size_t>(h.count) * (is_map ? 2 : 1));
    for (std::uint64_t i = 0; i < h.count; ++i) {
      T3N_ASSIGN_OR_RETURN(Item element, next(depth + 1));
      if (is_map) {
        if (element.kind != Kind::kUnsigned && element.kind != Kind::kNegative && element.kind != Kind::kText)
          return fail("map keys must be integers or text");
        for (std::size_t k = 0; k < out.items.size(); k += 2)
          if (same_key(out.items[k], element)) return fail("duplicate map key");
        out.items.push_back(std::move(element));
        T3N_ASSIGN_OR_RETURN(Item value, next(depth + 1));
        out.items.push_back(std::move(value));
      } else {
        out.items.push_back(std::move(element));
      }
    }
    return out;
  }

  ByteView in_;
  std::string_view what_;
  Limits limits_;
  std::size_t pos_ = 0;
  std::size_t item_count_ = 0;
};

std::optional<std::int64_t> as_int(const Item& item) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (item.kind == Kind::kUnsigned && item.uint_value <= kMax) return static_cast<std::int64_t>(item.uint_value);
  if (item.kind == Kind::kNegative && item.uint_value <= kMax) return -1 - static_cast<std::int64_t>(item.uint_value);
  return std::nullopt;
}

void append_header(Bytes& out, std::size_t (*encode)(std::size_t, unsigned char*, std::size_t), std::size_t length) {
  std::array<unsigned char, 9> buffer{};
  const std::size_t n = encode(length, buffer.data(), buffer.size());
  out.insert(out.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace

bool Item::is_int(std::int64_t v) const {
  auto i = as_int(*this);
  return i && *i == v;
}

const Item* Item::find(std::int64_t key) const {
  if (kind != Kind::kMap) return nullptr;
  for (std::size_t k = 0; k + 1 < items.size(); k += 2)
    if (items[k].is_int(key)) return &items[k + 1];
  return nullptr;
}

const Item* Item::find(std::string_view key) const {
  if (kind != Kind::kMap) return nullptr;
  for (std::size_t k = 0; k + 1 < items.size(); k += 2)
    if (items[k].kind == Kind::kText && items[k].text() == key) return &items[k + 1];
  return nullptr;
}

Result<Item> decode(ByteView input, std::string_view what, const Limits& limits) {
  return Decoder(input, what, limits).top();
}

Result<CoseSign1> parse_cose_sign1(ByteView input, const Limits& limits) {
  auto fail = [](const std::string& why) { return common::invalid_argument("COSE_Sign1: " + why); };
  T3N_ASSIGN_OR_RETURN(Item top, decode(input, "COSE_Sign1", limits));
  CoseSign1 out;
  const Item* body = &top;
  if (top.kind == Kind::kTag) {
    if (top.uint_value != 18) return fail("tag " + std::to_string(top.uint_value) + " is not COSE_Sign1 (18)");
    out.tagged = true;
    body = &top.items.front();
  }
  if (body->kind != Kind::kArray || body->items.size() != 4) return fail("not an array of 4 items");
  const auto& parts = body->items;
  if (parts[0].kind != Kind::kBytes) return fail("protected header is not a byte string");
  if (parts[1].kind != Kind::kMap) return fail("unprotected header is not a map");
  if (parts[2].kind == Kind::kNull) return fail("detached payloads are not supported");
  if (parts[2].kind != Kind::kBytes) return fail("payload is not a byte string");
  if (parts[3].kind != Kind::kBytes) return fail("signature is not a byte string");
  out.protected_header = parts[0].bytes;
  out.payload = parts[2].bytes;
  out.signature = parts[3].bytes;

  // RFC 9052 §3: a zero-length protected header means an empty map.
  Item protected_map;
  protected_map.kind = Kind::kMap;
  if (!out.protected_header.empty()) {
    T3N_ASSIGN_OR_RETURN(protected_map, decode(out.protected_header, "COSE_Sign1 protected header", limits));
  }
  if (protected_map.kind != Kind::kMap) return fail("protected header is not a map");
  const Item* alg = protected_map.find(1);
  if (alg == nullptr) return fail("protected header has no algorithm (label 1)");
  auto alg_value = as_int(*alg);
  if (!alg_value) return fail("algorithm (label 1) is not an integer");
  out.alg = *alg_value;
  // Critical parameters must be understood; this verifier understands none beyond alg.
  if (protected_map.find(2) != nullptr) return fail("critical header parameters (label 2) are not supported");
  if (parts[1].find(1) != nullptr) return fail("algorithm must not appear in the unprotected header");
  return out;
}

Bytes cose_sign1_sig_structure(ByteView protected_header, ByteView external_aad, ByteView payload) {
  constexpr std::string_view kContext = "Signature1";
  Bytes out;
  out.reserve(protected_header.size() + external_aad.size() + payload.size() + 40);
  append_header(out, cbor_encode_array_start, 4);
  append_header(out, cbor_encode_string_start, kContext.size());
  common::append(out, common::as_bytes(kContext));
  for (ByteView part : {protected_header, external_aad, payload}) {
    append_header(out, cbor_encode_bytestring_start, part.size());
    common::append(out, part);
  }
  return out;
}

}  // namespace t3n::attest::cbor
