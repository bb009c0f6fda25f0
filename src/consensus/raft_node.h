// One Raft server: libraft over our own raft_io. The log, term, vote and
// last snapshot live in RocksDB (<dir>, synced writes; command payloads are
// sealed batches, so the log holds no plaintext state; snapshots compact
// it, see LedgerFsm); messages go through a
// PeerTransport in the wire form of raft_codec.h; time comes from an
// injectable clock. A single loop thread drives libraft (it is not
// thread-safe): ticks, disk and send completions, incoming frames and the
// store's proposals.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/ledger_fsm.h"
#include "consensus/libraft.h"
#include "consensus/proposals.h"

namespace rocksdb {
class DB;
}

namespace t3n::consensus {

// Carries frames between servers. Implementations: a loopback one in tests;
// the attested peer links (issue 16) in the node. A frame names its sender
// inside it; the transport is what must make that claim true.
class PeerTransport {
 public:
  virtual ~PeerTransport() = default;
  // Best effort, in order per peer; an error means the frame was not sent.
  virtual Status send(raft_id to, const std::string& address, Bytes frame) = 0;
};

struct RaftNodeOptions {
  raft_id id = 0;
  std::string address;
  std::filesystem::path log_dir;
  unsigned tick_ms = 10;
  unsigned heartbeat_ms = 50;
  unsigned election_timeout_ms = 300;
  bool sync_writes = true;
  // A snapshot every `snapshot_threshold` applied entries; the log keeps
  // `snapshot_trailing` entries behind it (followers slightly behind catch
  // up from the log, not from a snapshot).
  unsigned snapshot_threshold = 4096;
  unsigned snapshot_trailing = 512;
  std::function<std::uint64_t()> clock_ms;  // default: steady clock
};

struct RaftMember {
  raft_id id = 0;
  std::string address;
  int role = RAFT_VOTER;  // RAFT_VOTER, RAFT_STANDBY, RAFT_SPARE
};

struct RaftInfo {
  int state = RAFT_UNAVAILABLE;  // RAFT_FOLLOWER, RAFT_CANDIDATE, RAFT_LEADER
  raft_term term = 0;
  raft_id leader = 0;
  raft_index commit_index = 0, last_applied = 0;
  // The last snapshot and the log kept on disk ([first, last]; empty when
  // first > last).
  raft_index snapshot_index = 0, first_log_index = 1, last_log_index = 0;
  std::vector<RaftMember> members;  // the current configuration (committed or not)

  const RaftMember* member(raft_id id) const {
    for (const auto& m : members)
      if (m.id == id) return &m;
    return nullptr;
  }
};

// Leader bias towards attested members ("attested validators carry double
// weight"). Raft has no weighted votes; libraft draws each follower's
// election timeout uniformly from [T, 2T], and the first to time out
// usually wins. A member whose attestation is not currently verified runs
// with T' = 1.131·T: in a race between one attested and one unattested
// member, P(attested first) = 1 − (2 − 1.131)²/(2·1.131) = 2/3, i.e. odds
// of 2:1; with one attested and two unattested members its share is 1/2 =
// 2/(2+1+1). tests/consensus/test_leader_bias.cpp measures it in libraft's
// own election code.
unsigned biased_election_timeout(unsigned base_ms, bool attested);

class RaftNode {
 public:
  static Result<std::unique_ptr<RaftNode>> open(RaftNodeOptions options, LedgerFsm& fsm, Proposals& proposals,
                                               PeerTransport& transport);
  // Use open(); public only so that open() can construct it.
  RaftNode(RaftNodeOptions options, LedgerFsm& fsm, Proposals& proposals, PeerTransport& transport);
  ~RaftNode();
  RaftNode(const RaftNode&) = delete;
  RaftNode& operator=(const RaftNode&) = delete;

  // A fresh log only: the first configuration (every listed server a voter).
  // kAlreadyExists if this log already holds one.
  Status bootstrap(const std::vector<std::pair<raft_id, std::string>>& voters);
  // Loads the log, replays it into the FSM's store, starts the loop thread.
  Status start();
  // Closes Raft (what is in flight is answered) and joins the loop.
  void stop();

  // Any thread: a frame from a peer.
  void deliver(Bytes frame);
  // Any thread: a membership change run on the loop thread (leader only);
  // blocks until libraft answered it.
  Status add_voter(raft_id id, const std::string& address);
  // The same for a role change (RAFT_VOTER, RAFT_STANDBY, RAFT_SPARE) and a
  // removal; kNotFound for an unknown server, kUnavailable off the leader.
  Status assign(raft_id id, int role);
  Status remove(raft_id id);
  // Hands leadership to `id` (0: the most up-to-date voter); returns who
  // leads afterwards.
  Result<raft_id> transfer(raft_id id);
  // Any thread: libraft's election timeout from the next timer reset on.
  void set_election_timeout(unsigned ms);

  RaftInfo info() const;
  // Who sent the last frame this server took (id and the address it gave):
  // during an InstallSnapshot, the leader — what a replica restoring a
  // snapshot before it knows any configuration can fetch from.
  RaftMember last_sender() const;
  // Blocks until `pred(info())` holds or `timeout` passes (a ready signal
  // for callers and tests, re-checked after every loop iteration).
  bool wait_until(const std::function<bool(const RaftInfo&)>& pred, std::chrono::milliseconds timeout) const;

 private:
  struct Io;
  friend struct Io;
  void loop();
  std::uint64_t now() const;
  void post(std::function<void()> fn);  // runs on the loop thread, next iteration

  RaftNodeOptions opts_;
  LedgerFsm& fsm_;
  Proposals& proposals_;
  PeerTransport& transport_;
  std::unique_ptr<rocksdb::DB> db_;
  raft_io io_{};
  raft raft_{};
  // Loop-thread state.
  raft_io_tick_cb tick_cb_ = nullptr;
  raft_io_recv_cb recv_cb_ = nullptr;
  raft_index last_index_ = 0;
  raft_index first_index_ = 1;
  raft_index snapshot_index_ = 0;
  raft_term term_ = 0;
  raft_id vote_ = 0;
  std::pair<raft_index, raft_index> members_at_{~raft_index{0}, 0};  // configuration indexes info_.members reflects
  std::mt19937_64 rng_;
  // Shared with other threads.
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;       // work for the loop
  mutable std::condition_variable info_cv_;  // info changed
  std::deque<Bytes> inbox_;
  std::deque<std::function<void()>> posted_;
  // Disk and send completions, run on the next iteration with their status
  // (or RAFT_CANCELED when Raft closes first).
  std::deque<std::pair<std::function<void(int)>, int>> completions_;
  bool work_ = false;  // a proposal or a frame arrived
  bool stopping_ = false, started_ = false, closed_ = false;
  Status start_status_;
  RaftInfo info_;
  RaftMember last_sender_;
  std::thread thread_;
};

}  // namespace t3n::consensus
