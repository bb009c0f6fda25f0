// Typed tables over the untyped store (as CCF's MapHandle over its untyped
// map): a table is declared once — name, key codec, value codec, visibility —
// and every read decodes through its codec, so no call site parses rows.
//
//   struct ScriptRowCodec { using Value = ScriptRow;
//     static Bytes encode(const ScriptRow&); static Result<ScriptRow> decode(ByteView); };
//   inline constexpr TableDef<StringKey, ScriptRowCodec> kScripts{"scripts"};
//   auto scripts = kScripts.in(tx);  T3N_ASSIGN_OR_RETURN(auto row, scripts.get(name));
#pragma once

#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/binary.h"
#include "common/bytes.h"
#include "common/status.h"
#include "store/store.h"

namespace t3n::store {

template <class C>
concept TableCodec = requires(const typename C::Value& v, ByteView b) {
  { C::encode(v) } -> std::convertible_to<Bytes>;
  { C::decode(b) } -> std::same_as<Result<typename C::Value>>;
};

// Codecs for common key and value types.
struct BytesCodec {
  using Value = Bytes;
  static Bytes encode(const Bytes& v) { return v; }
  static Result<Bytes> decode(ByteView b) { return Bytes(b.begin(), b.end()); }
};
struct StringCodec {
  using Value = std::string;
  static Bytes encode(const std::string& v) { return common::to_bytes(v); }
  static Result<std::string> decode(ByteView b) { return common::to_string(b); }
};
struct U64Codec {
  using Value = std::uint64_t;
  static Bytes encode(std::uint64_t v) {
    Bytes out;
    common::append_u64_be(out, v);
    return out;
  }
  static Result<std::uint64_t> decode(ByteView b) {
    common::BinaryReader r(b, "u64 value");
    T3N_ASSIGN_OR_RETURN(std::uint64_t v, r.u64());
    T3N_RETURN_IF_ERROR(r.finish());
    return v;
  }
};

template <TableCodec K, TableCodec V>
class Table;

// One system table, declared once.
template <TableCodec K, TableCodec V>
struct TableDef {
  std::string_view name;
  Visibility visibility = Visibility::kPrivate;
  Table<K, V> in(Transaction& tx) const { return Table<K, V>(tx, name); }
  MapSpec spec() const { return {std::string(name), visibility, {}, {}}; }
};

// A typed view of one map inside one transaction (reads enter its read-set
// exactly as untyped reads do). A row that does not decode is kDataLoss
// naming the table: it was written by this code, so it is corruption.
template <TableCodec K, TableCodec V>
class Table {
 public:
  Table(Transaction& tx, std::string_view name) : tx_(&tx), name_(name) {}

  Result<std::optional<typename V::Value>> get(const typename K::Value& key) {
    T3N_ASSIGN_OR_RETURN(auto raw, tx_->get(name_, K::encode(key)));
    if (!raw) return std::optional<typename V::Value>{};
    auto v = V::decode(*raw);
    if (!v.ok()) return Status(ErrorCode::kDataLoss, "table " + std::string(name_) + ": bad row: " + v.status().message());
    return std::optional<typename V::Value>(std::move(*v));
  }
  Status put(const typename K::Value& key, const typename V::Value& value) {
    return tx_->put(name_, K::encode(key), V::encode(value));
  }
  Result<bool> remove(const typename K::Value& key) { return tx_->remove(name_, K::encode(key)); }
  // Rows in [start, end) (encoded key order), at most `limit`.
  Result<std::vector<std::pair<typename K::Value, typename V::Value>>> scan(ByteView start, ByteView end, std::uint32_t limit) {
    T3N_ASSIGN_OR_RETURN(auto rows, tx_->scan(name_, start, end, limit));
    std::vector<std::pair<typename K::Value, typename V::Value>> out;
    out.reserve(rows.size());
    for (auto& [k, v] : rows) {
      auto key = K::decode(k);
      auto value = V::decode(v);
      if (!key.ok() || !value.ok()) return Status(ErrorCode::kDataLoss, "table " + std::string(name_) + ": bad row");
      out.emplace_back(std::move(*key), std::move(*value));
    }
    return out;
  }

 private:
  Transaction* tx_;
  std::string_view name_;
};

// Creates every table of `defs` that does not exist yet, in one transaction.
template <class... Defs>
Status ensure_tables(Store& store, const Defs&... defs) {
  auto tx = store.begin(Principal::system());
  bool created = false;
  Status s;
  auto one = [&](const MapSpec& spec) {
    if (!s.ok() || store.map_spec(spec.name)) return;
    s = tx.create_map(spec);
    created = true;
  };
  (one(defs.spec()), ...);
  T3N_RETURN_IF_ERROR(s);
  if (created) T3N_RETURN_IF_ERROR(store.commit(tx).status());
  return {};
}

}  // namespace t3n::store
