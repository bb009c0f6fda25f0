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
#include <functional>
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

  // Any thread (the store's replication_ready hook): blocks until this
  // node leads and its term's barrier was applied (ok), or it is known not
  // to lead (kUnavailable). Counts as work for the Raft thread.
  Status await_ready();

  // Any thread (the store's replicate hook): blocks until the batch was
  // applied here (ok), skipped as superseded (kConflict), refused (not the
  // leader: kUnavailable) or its outcome became unknown (leadership lost
  // before the commit was confirmed: kUnavailable, "outcome unknown").
  Status propose(const std::vector<store::LedgerEntry>& entries);

  // Any thread: blocks until a Raft barrier issued after this call was
  // applied here while this node leads (ok: everything committed before the
  // call is applied, and this node was leader when the barrier committed),
  // or kUnavailable. Concurrent callers share one barrier.
  Status read_barrier();

  // The Raft thread: passes every queued batch to raft_apply on `r`.
  // Returns how many were submitted. In a term this node leads, the first
  // call appends a barrier instead and batches wait until it is applied: a
  // new leader builds on everything its log holds, never on less.
  std::size_t submit(raft* r);
  // The Raft thread, closing: refuses everything queued and not yet
  // submitted, and everyone waiting in await_ready.
  void refuse_queued(const Status& why);

  // For drivers and tests: batches waiting to be submitted, and submitted
  // but not answered yet. wait_queued_or_interrupted blocks until a batch
  // is queued or interrupt() was called (a ready signal, not a sleep).
  std::size_t queued() const;  // batches, and callers waiting in await_ready
  std::size_t in_flight() const;
  void wait_queued_or_interrupted() const;
  void interrupt();
  // Called (on the proposing thread) after each batch is queued: how the
  // thread that drives Raft learns there is work.
  void set_on_queued(std::function<void()> fn);

 private:
  struct Pending;
  struct ReadWait;
  static void read_barrier_cb(struct raft_barrier* req, int status);
  void finish_reads(std::vector<std::shared_ptr<ReadWait>>& waiters, const Status& st);
  std::deque<std::shared_ptr<ReadWait>> read_queue_;     // guarded by mu_
  std::vector<std::shared_ptr<ReadWait>> read_batch_;    // Raft thread: waiting for the read barrier in flight
  struct raft_barrier read_req_{};
  bool read_pending_ = false;                            // Raft thread
  static void applied_cb(struct raft_apply* req, int status, void* result);
  static void barrier_cb(struct raft_barrier* req, int status);
  void finish(Pending& p, Status st);

  store::Store& store_;
  mutable std::mutex mu_;
  mutable std::condition_variable queued_cv_;
  std::deque<std::shared_ptr<Pending>> queue_;          // waiting for submit()
  std::list<std::shared_ptr<Pending>> in_flight_;       // handed to raft_apply
  bool interrupted_ = false;
  bool interrupted_closing_ = false;  // refuse_queued ran: the node is closing
  std::function<void()> on_queued_;
  // Raft thread only.
  struct raft_barrier barrier_req_{};
  bool barrier_pending_ = false;
  raft_term barrier_term_ = 0;     // the term whose barrier was applied
  raft_term barrier_for_term_ = 0;  // the term of the pending one
  enum class Readiness { kUnknown, kNotLeader, kBarrierPending, kReady };
  Readiness readiness_ = Readiness::kUnknown;  // guarded by mu_
  std::size_t awaiting_ready_ = 0;             // guarded by mu_
  mutable std::condition_variable ready_cv_;
  void set_readiness(Readiness r);
};

}  // namespace t3n::consensus
