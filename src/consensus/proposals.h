// Proposals: the bridge from the store's commit threads to the Raft thread.
// libraft is single-threaded, so a commit (Store's `replicate` hook, any
// thread) queues its sealed batch and waits; the thread that drives Raft
// hands queued batches to raft_apply and completes each waiter from the
// apply callback with what the batch did on this replica.
#pragma once

#include "consensus/libraft.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace t3n::consensus {

class Proposals {
 public:
  explicit Proposals(store::Store& store) : store_(store) {}
  ~Proposals();
  Proposals(const Proposals&) = delete;
  Proposals& operator=(const Proposals&) = delete;

  // Any thread (the store's replicate hook): blocks until the batch was
  // applied here (ok), skipped as superseded (kConflict), refused (not the
  // leader: kUnavailable) or its outcome became unknown (leadership lost
  // before the commit was confirmed: kUnavailable, "outcome unknown").
  Status propose(const std::vector<store::LedgerEntry>& entries);

  // The Raft thread: passes every queued batch to raft_apply on `r`.
  // Returns how many were submitted.
  std::size_t submit(raft* r);
  // The Raft thread: refuses everything queued and not yet submitted (this
  // node stopped leading, or is closing).
  void refuse_queued(const Status& why);

  // For drivers and tests: batches waiting to be submitted, and submitted
  // but not answered yet. wait_queued_or_interrupted blocks until a batch
  // is queued or interrupt() was called (a ready signal, not a sleep).
  std::size_t queued() const;
  std::size_t in_flight() const;
  void wait_queued_or_interrupted() const;
  void interrupt();

 private:
  struct Pending;
  static void applied_cb(struct raft_apply* req, int status, void* result);
  void finish(Pending& p, Status st);

  store::Store& store_;
  mutable std::mutex mu_;
  mutable std::condition_variable queued_cv_;
  std::deque<std::shared_ptr<Pending>> queue_;          // waiting for submit()
  std::list<std::shared_ptr<Pending>> in_flight_;       // handed to raft_apply
  bool interrupted_ = false;
};

}  // namespace t3n::consensus
