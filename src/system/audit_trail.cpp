#include "system/audit_trail.h"

#include "common/binary.h"
#include "common/encoding.h"
#include "crypto/random.h"
#include "identity/did.h"

namespace t3n::system {
namespace {

using common::Json;

Bytes key_of(const Bytes& owner, std::uint64_t ts_ms, ByteView suffix) {
  Bytes k = owner;
  const std::uint64_t inverted = ~ts_ms;
  for (int shift = 56; shift >= 0; shift -= 8) k.push_back(static_cast<std::uint8_t>(inverted >> shift));
  k.insert(k.end(), suffix.begin(), suffix.end());
  return k;
}

// A batch row: format byte, u64 ts_ms, subject (20), actor, optional vc_id,
// committed, then its events; subject, actor and time are stored once and
// repeated per event only when read. Rows written before this format are
// the JSON of audit_page's batches (they begin with '{').
constexpr std::uint8_t kBatchFormat = 2;

void optional_string(common::BinaryWriter& w, const std::optional<std::string>& v, std::size_t max) {
  w.u8(v ? 1 : 0);
  if (v) w.string(std::string_view(*v).substr(0, max));
}

Bytes encode_batch(const AuditBatch& b) {
  common::BinaryWriter w;
  w.u8(kBatchFormat);
  w.u64(b.ts_ms);
  w.raw(b.subject);
  w.string(b.actor);
  optional_string(w, b.vc_id, 256);
  w.u8(b.committed ? 1 : 0);
  const std::size_t n = std::min(b.events.size(), kMaxAuditEvents);
  w.u8(static_cast<std::uint8_t>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const auto& e = b.events[i];
    w.string(std::string_view(e.action).substr(0, 256));
    w.string(std::string_view(e.target).substr(0, 256));
    w.string(std::string_view(e.outcome).substr(0, 64));
    optional_string(w, e.details, kMaxAuditDetails);
  }
  return w.take();
}

Result<std::optional<std::string>> read_optional_string(common::BinaryReader& r) {
  T3N_ASSIGN_OR_RETURN(std::uint8_t present, r.u8());
  if (present == 0) return std::optional<std::string>{};
  T3N_ASSIGN_OR_RETURN(std::string v, r.string(64 * 1024));
  return std::optional<std::string>(std::move(v));
}

// The batch as audit_page shows it: {committed, events: [{ts_ms, subject,
// actor, vc_id, action, target, outcome, details}]}.
Result<Json> decode_batch(ByteView value) {
  if (!value.empty() && value[0] == '{') return common::parse_json(common::to_string(value), 8);
  common::BinaryReader r(value, "audit batch");
  T3N_ASSIGN_OR_RETURN(std::uint8_t format, r.u8());
  if (format != kBatchFormat) return common::data_loss("unknown audit batch format");
  T3N_ASSIGN_OR_RETURN(std::uint64_t ts, r.u64());
  T3N_ASSIGN_OR_RETURN(ByteView subject, r.raw(20));
  T3N_ASSIGN_OR_RETURN(std::string actor, r.string(4096));
  T3N_ASSIGN_OR_RETURN(auto vc_id, read_optional_string(r));
  T3N_ASSIGN_OR_RETURN(std::uint8_t committed, r.u8());
  T3N_ASSIGN_OR_RETURN(std::uint8_t n, r.u8());
  const std::string subject_did = identity::t3n_did(subject);
  Json events = Json::array();
  for (std::uint8_t i = 0; i < n; ++i) {
    T3N_ASSIGN_OR_RETURN(std::string action, r.string(4096));
    T3N_ASSIGN_OR_RETURN(std::string target, r.string(4096));
    T3N_ASSIGN_OR_RETURN(std::string outcome, r.string(4096));
    T3N_ASSIGN_OR_RETURN(auto details, read_optional_string(r));
    events.push_back(Json{{"ts_ms", ts},
                          {"subject", subject_did},
                          {"actor", actor},
                          {"vc_id", vc_id ? Json(*vc_id) : Json(nullptr)},
                          {"action", std::move(action)},
                          {"target", std::move(target)},
                          {"outcome", std::move(outcome)},
                          {"details", details ? Json(*details) : Json(nullptr)}});
  }
  T3N_RETURN_IF_ERROR(r.finish());
  return Json{{"committed", committed != 0}, {"events", std::move(events)}};
}

// Just past every key of `owner` (owner ‖ 17 × 0xff).
Bytes owner_end(const Bytes& owner) {
  Bytes end = owner;
  end.insert(end.end(), 17, 0xff);
  return end;
}

}  // namespace

Status ensure_audit_tables(store::Store& store) { return store::ensure_tables(store, kAuditTable); }

Status append_audit(store::Transaction& tx, const AuditBatch& batch) {
  if (batch.subject.size() != 20) return common::invalid_argument("an audit subject is a 20-byte user id");
  T3N_ASSIGN_OR_RETURN(Bytes suffix, crypto::random_vector(8));
  const Bytes value = encode_batch(batch);
  auto table = kAuditTable.in(tx);
  T3N_RETURN_IF_ERROR(table.put(key_of(batch.subject, batch.ts_ms, suffix), value));
  if (batch.actor_user && batch.actor_user->size() == 20 && *batch.actor_user != batch.subject)
    T3N_RETURN_IF_ERROR(table.put(key_of(*batch.actor_user, batch.ts_ms, suffix), value));
  return {};
}

Result<std::size_t> erase_audit(store::Transaction& tx, const Bytes& owner) {
  const Bytes end = owner_end(owner);
  auto table = kAuditTable.in(tx);
  std::size_t erased = 0;
  Bytes start = owner;
  for (;;) {  // in bounded steps, each after the last key seen
    T3N_ASSIGN_OR_RETURN(auto rows, table.scan(start, end, 1000));
    if (rows.empty()) return erased;
    for (const auto& [key, _] : rows) {
      T3N_ASSIGN_OR_RETURN(bool gone, table.remove(key));
      erased += gone ? 1 : 0;
    }
    start = rows.back().first;
    start.push_back(0);
    if (erased > 100'000) return Status(ErrorCode::kResourceExhausted, "more than 100000 audit batches to erase in one call");
  }
}

Result<Json> audit_page(store::Transaction& tx, const Bytes& owner, std::uint32_t limit, const std::optional<std::string>& cursor,
                        const std::optional<std::string>& only_actor) {
  if (limit == 0) limit = 50;
  if (limit > 200) limit = 200;
  Bytes start = owner;
  if (cursor) {
    // A cursor is the first key of the next page (36 bytes), or one past a
    // scanned window's last key (37: that key ‖ 0x00).
    T3N_ASSIGN_OR_RETURN(Bytes c, common::hex_decode(*cursor));
    if ((c.size() != 36 && c.size() != 37) || !std::equal(owner.begin(), owner.end(), c.begin()))
      return common::invalid_argument("'cursor' is not one of yours");
    start = std::move(c);
  }
  const Bytes end = owner_end(owner);
  Json batches = Json::array();
  std::optional<std::string> next;
  // A bounded window: filtered batches (a delegate's view) may leave a page short.
  const std::uint32_t window = std::min<std::uint32_t>(limit * 4 + 1, 1000);
  T3N_ASSIGN_OR_RETURN(auto rows, kAuditTable.in(tx).scan(start, end, window));
  for (const auto& [key, value] : rows) {
    if (batches.size() == limit) {
      next = common::hex_encode(key);
      break;
    }
    auto j = decode_batch(value);
    if (!j.ok()) continue;
    if (only_actor && (!(*j)["events"].is_array() || (*j)["events"].empty() || (*j)["events"][0]["actor"] != *only_actor)) continue;
    (*j)["key"] = common::hex_encode(key);
    batches.push_back(std::move(*j));
  }
  if (!next && rows.size() == window) {
    Bytes after = rows.back().first;
    after.push_back(0);
    next = common::hex_encode(after);
  }
  return Json{{"batches", std::move(batches)}, {"next_cursor", next ? Json(*next) : Json(nullptr)}};
}

}  // namespace t3n::system
