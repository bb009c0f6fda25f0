// The audit trail (SYSTEM-CONTRACTS.md "Audit"): one host-stamped batch per
// dispatch — subject (whose data), actor (who acted), vc_id, `committed`
// (did the call's transaction commit) and its events (action, target,
// outcome, details). Rows live in the `audit` table, private state like any
// other (encrypted at rest with the ledger), keyed per user so a user reads
// their own trail as subject or actor. Bounded: at most 16 events of 1 KiB
// details per batch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/json.h"
#include "common/status.h"
#include "store/store.h"
#include "store/table.h"

namespace t3n::system {

// owner (20) ‖ ~ts_ms (8, newest first) ‖ random (8) → the batch (compact
// binary; audit_page expands it).
inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kAuditTable{"audit"};
Status ensure_audit_tables(store::Store& store);

struct AuditEvent {
  std::string action, target, outcome;
  std::optional<std::string> details;
};

struct AuditBatch {
  std::uint64_t ts_ms = 0;
  Bytes subject;                     // 20-byte user id of the data owner
  std::optional<Bytes> actor_user;   // the actor's user id when it has one
  std::string actor;                 // the actor's DID
  std::optional<std::string> vc_id;  // the delegation, on a delegated call
  bool committed = true;
  std::vector<AuditEvent> events;
};

inline constexpr std::size_t kMaxAuditEvents = 16;
inline constexpr std::size_t kMaxAuditDetails = 1024;

// Writes the batch under the subject and, if another user, the actor.
Status append_audit(store::Transaction& tx, const AuditBatch& batch);

// Deletes every batch kept under `owner` (user removal); returns how many.
Result<std::size_t> erase_audit(store::Transaction& tx, const Bytes& owner);

// A page of `owner`'s batches, newest first: {"batches": [{key, committed,
// events: [...]}], "next_cursor"}. `cursor` is a previous page's
// next_cursor (hex); `only_actor` keeps the batches that actor wrote (a
// delegate reading what it did for the owner). limit 1..200 (default 50).
Result<common::Json> audit_page(store::Transaction& tx, const Bytes& owner, std::uint32_t limit,
                                const std::optional<std::string>& cursor, const std::optional<std::string>& only_actor);

}  // namespace t3n::system
