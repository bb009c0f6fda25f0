#include "consensus/proposals.h"

#include <cstring>

#include "consensus/ledger_fsm.h"

namespace t3n::consensus {

struct Proposals::Pending {
  Bytes sealed;
  struct raft_apply req{};
  std::list<std::shared_ptr<Pending>>::iterator where;
  std::mutex mu;
  std::condition_variable done_cv;
  std::optional<Status> outcome;
  Proposals* owner = nullptr;
};

struct Proposals::ReadWait {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Status> outcome;
};

Status Proposals::read_barrier() {
  auto w = std::make_shared<ReadWait>();
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (interrupted_closing_) return Status(ErrorCode::kUnavailable, "the node is closing");
    read_queue_.push_back(w);
    wake = on_queued_;
  }
  queued_cv_.notify_all();
  if (wake) wake();
  std::unique_lock lock(w->mu);
  w->cv.wait(lock, [&] { return w->outcome.has_value(); });
  return *w->outcome;
}

void Proposals::finish_reads(std::vector<std::shared_ptr<ReadWait>>& waiters, const Status& st) {
  for (auto& w : waiters) {
    {
      std::lock_guard lock(w->mu);
      w->outcome = st;
    }
    w->cv.notify_all();
  }
  waiters.clear();
}

void Proposals::read_barrier_cb(struct raft_barrier* req, int status) {
  auto& self = *static_cast<Proposals*>(req->data);
  self.read_pending_ = false;
  self.finish_reads(self.read_batch_, status == 0 ? Status{}
                                                  : Status(ErrorCode::kUnavailable, std::string("read barrier failed (leadership changed?): ") +
                                                                                        raft_strerror(status)));
}

Proposals::~Proposals() { refuse_queued(Status(ErrorCode::kUnavailable, "the node is closing")); }

Status Proposals::await_ready() {
  std::function<void()> wake;
  std::unique_lock lock(mu_);
  ++awaiting_ready_;
  wake = on_queued_;
  queued_cv_.notify_all();
  lock.unlock();
  if (wake) wake();
  lock.lock();
  ready_cv_.wait(lock, [&] {
    return readiness_ == Readiness::kReady || readiness_ == Readiness::kNotLeader || interrupted_closing_;
  });
  --awaiting_ready_;
  if (readiness_ == Readiness::kReady) return {};
  if (interrupted_closing_) return Status(ErrorCode::kUnavailable, "the node is closing");
  return Status(ErrorCode::kUnavailable, "not the leader: writes go to the cluster's leader");
}

void Proposals::set_readiness(Readiness r) {
  {
    std::lock_guard lock(mu_);
    if (readiness_ == r) return;
    readiness_ = r;
  }
  ready_cv_.notify_all();
}

Status Proposals::propose(const std::vector<store::LedgerEntry>& entries) {
  auto p = std::make_shared<Pending>();
  T3N_ASSIGN_OR_RETURN(p->sealed, store_.seal_batch(entries));
  p->owner = this;
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(p);
    wake = on_queued_;
  }
  queued_cv_.notify_all();
  if (wake) wake();
  std::unique_lock lock(p->mu);
  p->done_cv.wait(lock, [&] { return p->outcome.has_value(); });
  return *p->outcome;
}

void Proposals::finish(Pending& p, Status st) {
  {
    std::lock_guard lock(p.mu);
    p.outcome = std::move(st);
  }
  p.done_cv.notify_all();
}

std::size_t Proposals::submit(raft* r) {
  if (raft_state(r) != RAFT_LEADER) {
    set_readiness(Readiness::kNotLeader);
    std::vector<std::shared_ptr<ReadWait>> refused;
    {
      std::lock_guard lock(mu_);
      refused.assign(read_queue_.begin(), read_queue_.end());
      read_queue_.clear();
    }
    finish_reads(refused, Status(ErrorCode::kUnavailable, "not the leader: linearizable reads go to the cluster's leader"));
  }
  if (raft_state(r) == RAFT_LEADER && barrier_term_ != r->current_term) {
    set_readiness(Readiness::kBarrierPending);
    if (!barrier_pending_) {
      barrier_req_.data = this;
      barrier_for_term_ = r->current_term;
      if (raft_barrier(r, &barrier_req_, &Proposals::barrier_cb) == 0) {
        std::lock_guard lock(mu_);
        barrier_pending_ = true;
      }
    }
    return 0;  // the batches wait for the barrier
  }
  if (raft_state(r) == RAFT_LEADER) set_readiness(Readiness::kReady);
  if (raft_state(r) == RAFT_LEADER && !read_pending_) {
    {
      std::lock_guard lock(mu_);
      read_batch_.assign(read_queue_.begin(), read_queue_.end());
      read_queue_.clear();
    }
    if (!read_batch_.empty()) {
      read_req_.data = this;
      const int rv = raft_barrier(r, &read_req_, &Proposals::read_barrier_cb);
      if (rv == 0) read_pending_ = true;
      else finish_reads(read_batch_, Status(ErrorCode::kUnavailable, std::string("read barrier refused: ") + raft_strerror(rv)));
    }
  }
  std::deque<std::shared_ptr<Pending>> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(queue_);
  }
  std::size_t submitted = 0;
  for (auto& p : batch) {
    if (raft_state(r) != RAFT_LEADER) {
      finish(*p, Status(ErrorCode::kUnavailable, "not the leader: writes go to the cluster's leader"));
      continue;
    }
    raft_buffer buf{};
    buf.len = p->sealed.size();
    buf.base = raft_malloc(buf.len);
    if (buf.base == nullptr) {
      finish(*p, Status(ErrorCode::kResourceExhausted, "out of memory proposing a batch"));
      continue;
    }
    std::memcpy(buf.base, p->sealed.data(), buf.len);
    p->req.data = p.get();
    {
      std::lock_guard lock(mu_);
      p->where = in_flight_.insert(in_flight_.end(), p);
    }
    const int rv = raft_apply(r, &p->req, &buf, 1, &Proposals::applied_cb);
    if (rv != 0) {
      raft_free(buf.base);  // ownership passes to libraft only on success
      {
        std::lock_guard lock(mu_);
        in_flight_.erase(p->where);
      }
      finish(*p, Status(ErrorCode::kUnavailable, std::string("the leader refused the batch: ") + raft_strerror(rv)));
      continue;
    }
    ++submitted;
  }
  return submitted;
}

void Proposals::applied_cb(struct raft_apply* req, int status, void* result) {
  auto* raw = static_cast<Pending*>(req->data);
  Proposals& self = *raw->owner;
  std::shared_ptr<Pending> p;
  {
    std::lock_guard lock(self.mu_);
    p = *raw->where;
    self.in_flight_.erase(raw->where);
  }
  if (status != 0) {
    // Appended but not known to be committed: another leader may still
    // commit it, so the caller must not assume either outcome.
    self.finish(*p, Status(ErrorCode::kUnavailable,
                           std::string("outcome unknown: leadership changed before the commit was confirmed (") +
                               raft_strerror(status) + ")"));
    return;
  }
  switch (apply_outcome(result)) {
    case ErrorCode::kOk: self.finish(*p, {}); break;
    case ErrorCode::kConflict:
      self.finish(*p, Status(ErrorCode::kConflict, "superseded: the batch was built on a state a new leader replaced; retry"));
      break;
    default: self.finish(*p, Status(apply_outcome(result), "this replica could not apply the committed batch")); break;
  }
}

void Proposals::barrier_cb(struct raft_barrier* req, int status) {
  auto& self = *static_cast<Proposals*>(req->data);
  {
    std::lock_guard lock(self.mu_);
    self.barrier_pending_ = false;
    if (status == 0) self.barrier_term_ = self.barrier_for_term_;  // else: retried at the next submit
  }
  if (status == 0) self.set_readiness(Readiness::kReady);
}

void Proposals::refuse_queued(const Status& why) {
  std::deque<std::shared_ptr<Pending>> batch;
  std::vector<std::shared_ptr<ReadWait>> reads;
  {
    std::lock_guard lock(mu_);
    batch.swap(queue_);
    reads.assign(read_queue_.begin(), read_queue_.end());
    read_queue_.clear();
    interrupted_closing_ = true;  // and nobody waits for readiness any more
  }
  ready_cv_.notify_all();
  for (auto& p : batch) finish(*p, why);
  finish_reads(reads, why);
  if (!read_pending_) finish_reads(read_batch_, why);  // in flight: libraft cancels it through the callback
}

std::size_t Proposals::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size() + awaiting_ready_ + read_queue_.size();
}

std::size_t Proposals::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_.size() + (barrier_pending_ ? 1 : 0);
}

void Proposals::wait_queued_or_interrupted() const {
  std::unique_lock lock(mu_);
  queued_cv_.wait(lock, [&] { return !queue_.empty() || awaiting_ready_ > 0 || !read_queue_.empty() || interrupted_; });
}

void Proposals::set_on_queued(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  on_queued_ = std::move(fn);
}

void Proposals::interrupt() {
  {
    std::lock_guard lock(mu_);
    interrupted_ = true;
  }
  queued_cv_.notify_all();
}

}  // namespace t3n::consensus
