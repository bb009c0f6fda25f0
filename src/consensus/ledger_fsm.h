// The replicated state machine: libraft's raft_fsm over a Store. A log
// entry is one sealed batch of ledger entries (Store::seal_batch); applying
// it is Store::apply_batch, so followers apply committed write-sets and
// never execute contracts.
//
// Snapshots: every replica's store already keeps its ledger durably, so a
// snapshot is a small descriptor (the store seqno at that Raft index and
// the digest of that ledger entry), taken after a flush so the state it
// names is on disk before libraft drops the log behind it. Restoring one
// on a replica that is behind (a new member, or one cut off past the
// compacted log) fetches the missing sealed entries from a peer through the
// entry source and applies them; the descriptor's digest must match at the
// end, so a peer cannot hand over another ledger.
#pragma once

#include "consensus/libraft.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace t3n::consensus {

// What an applied log entry did, carried to the proposer through libraft's
// `result` pointer as an integer (no allocation crosses the C boundary).
ErrorCode apply_outcome(void* result);

// Committed ledger entries from `from` (inclusive), at most up to `to`, at
// least one: what a peer hands a replica restoring a snapshot.
using EntrySource = std::function<Result<std::vector<store::LedgerEntry>>(store::Seqno from, store::Seqno to)>;

// A snapshot's data, encoded (what travels in InstallSnapshot and is kept
// beside the log).
struct SnapshotDescriptor {
  store::Seqno seqno = 0;
  Bytes entry_digest;  // SHA-256 of the encoded entry at `seqno` (empty at 0)
};
Bytes encode_snapshot_descriptor(const SnapshotDescriptor& d);
Result<SnapshotDescriptor> decode_snapshot_descriptor(ByteView data);

class LedgerFsm {
 public:
  explicit LedgerFsm(store::Store& store);
  LedgerFsm(const LedgerFsm&) = delete;
  LedgerFsm& operator=(const LedgerFsm&) = delete;

  // Stable for the FSM's lifetime: hand it to raft_init / raft_fixture_grow.
  raft_fsm* fsm() { return &fsm_; }
  store::Store& store() { return store_; }

  // Batches applied, skipped as superseded, and failed (a replica that
  // failed to apply one has diverged: it stops applying and reports it).
  std::uint64_t applied() const { return applied_.load(); }
  std::uint64_t superseded() const { return superseded_.load(); }
  bool healthy() const { return !failed_.load(); }
  const Status& failure() const { return failure_; }

  // Where a replica behind a snapshot fetches what it misses. Without one,
  // restoring such a snapshot fails (libraft retries the install later).
  void set_entry_source(EntrySource source);
  std::uint64_t snapshots_taken() const { return snapshots_taken_.load(); }
  std::uint64_t snapshots_restored() const { return snapshots_restored_.load(); }
  std::uint64_t entries_fetched() const { return entries_fetched_.load(); }
  // Describes the store as it is (for snapshot()).
  Result<SnapshotDescriptor> describe() const;
  // Brings the store to the descriptor's state (for restore()).
  Status restore_to(const SnapshotDescriptor& d);

 private:
  static int apply_cb(raft_fsm* fsm, const raft_buffer* buf, void** result);
  static int snapshot_cb(raft_fsm* fsm, raft_buffer* bufs[], unsigned* n_bufs);
  static int restore_cb(raft_fsm* fsm, raft_buffer* buf);
  ErrorCode apply(const raft_buffer& buf);

  store::Store& store_;
  raft_fsm fsm_{};
  std::atomic<std::uint64_t> applied_{0}, superseded_{0};
  std::atomic<bool> failed_{false};
  Status failure_;  // written once, before failed_ is set
  std::mutex source_mu_;
  EntrySource source_;
  std::atomic<std::uint64_t> snapshots_taken_{0}, snapshots_restored_{0}, entries_fetched_{0};
};

}  // namespace t3n::consensus
