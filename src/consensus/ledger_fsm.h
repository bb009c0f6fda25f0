// The replicated state machine: libraft's raft_fsm over a Store. A log
// entry is one sealed batch of ledger entries (Store::seal_batch); applying
// it is Store::apply_batch, so followers apply committed write-sets and
// never execute contracts.
#pragma once

#include "consensus/libraft.h"

#include <atomic>
#include <cstdint>

#include "common/status.h"
#include "store/store.h"

namespace t3n::consensus {

// What an applied log entry did, carried to the proposer through libraft's
// `result` pointer as an integer (no allocation crosses the C boundary).
ErrorCode apply_outcome(void* result);

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

 private:
  static int apply_cb(raft_fsm* fsm, const raft_buffer* buf, void** result);
  ErrorCode apply(const raft_buffer& buf);

  store::Store& store_;
  raft_fsm fsm_{};
  std::atomic<std::uint64_t> applied_{0}, superseded_{0};
  std::atomic<bool> failed_{false};
  Status failure_;  // written once, before failed_ is set
};

}  // namespace t3n::consensus
