// One member of a replicated cluster, assembled: the attested TCP peer
// links, the ledger FSM, the proposal bridge and the Raft server over a
// store. The node (and the tests and benches that need real members) build
// a member, let it install its hooks into the StoreOptions, open the store
// and start the member over it.
//
// A follower's commits are forwarded: the store hands the batch's
// transactions (Store::encode_transaction) to the member, which sends them
// to the leader over the peer link ("store.commit"), where
// Store::commit_forwarded validates and commits them; the follower answers
// once it has applied the result itself, so a client reads its own write on
// the node it asked. A conflict answer waits until this replica caught up
// with the leader, so the caller's retry runs on fresh state.
//
// Snapshots: a replica behind one (a new member, or one cut off past the
// compacted log) fetches the committed entries it misses, sealed, from
// another member ("store.entries"); LedgerFsm checks where they end.
//
// Reads: a read-only call's point reads are confirmed (Store::confirm_reads)
// on the leader after a Raft barrier — "store.confirm_reads" from a
// follower — so every member answers linearizable reads.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "consensus/ledger_fsm.h"
#include "consensus/peer_channel.h"
#include "consensus/proposals.h"
#include "consensus/raft_node.h"
#include "consensus/tcp_transport.h"
#include "consensus/tee_registry.h"
#include "store/store.h"

namespace t3n::consensus {

struct ClusterMemberOptions {
  LocalPeer self;      // Raft id, cluster id, node keys, evidence
  PeerPolicy policy;   // who may link with us
  std::string peer_host = "127.0.0.1";
  std::uint16_t peer_port = 0;      // 0: any free port
  std::string advertise_host;       // what peers dial (default: peer_host)
  std::filesystem::path raft_dir;   // the Raft log (RocksDB)
  // A fresh log starts with these voters (each "host:port" of its peer
  // links); an existing log keeps its own configuration. Empty: no bootstrap.
  std::vector<std::pair<raft_id, std::string>> initial_voters;
  unsigned tick_ms = 10, heartbeat_ms = 50, election_timeout_ms = 300;
  bool sync_writes = true;
  // Raft snapshots (log compaction): every `snapshot_threshold` applied
  // entries, keeping `snapshot_trailing` behind (raft_node.h).
  unsigned snapshot_threshold = 4096, snapshot_trailing = 512;
  std::chrono::milliseconds forward_timeout{10'000};
  unsigned call_workers = 8;  // peer-call handlers (forwarded commits block one each)
};

class ClusterMember {
 public:
  // Starts the peer links (listening); Raft starts with start().
  static Result<std::unique_ptr<ClusterMember>> create(ClusterMemberOptions options);
  ~ClusterMember();
  ClusterMember(const ClusterMember&) = delete;
  ClusterMember& operator=(const ClusterMember&) = delete;

  // Before start(): the first voters of a fresh log (replaces the
  // options'; for members whose ports are known only once listening).
  void set_initial_voters(std::vector<std::pair<raft_id, std::string>> voters) { opts_.initial_voters = std::move(voters); }
  // Before Store::open: replicate, replication_ready and forward.
  void install_store_hooks(store::StoreOptions& options);
  // Raft over `store` (opened with the hooks): bootstraps a fresh log with
  // the initial voters, replays the log into the store, starts.
  Status start(store::Store& store);
  // Stops Raft (what is in flight is answered) and the peer links.
  void stop();

  raft_id id() const { return opts_.self.id; }
  std::string address() const;  // "host:port" of this member's peer links
  RaftInfo info() const;
  bool is_leader() const;
  // Blocks until `pred(info())` holds (re-checked after every Raft loop
  // iteration, so after every apply too) or `timeout` passes.
  bool wait_until(const std::function<bool(const RaftInfo&)>& pred, std::chrono::milliseconds timeout) const;
  // Until this replica's store has applied `seqno`.
  bool wait_applied(store::Seqno seqno, std::chrono::milliseconds timeout) const;

  // Peer calls for other modules (e.g. CAS blobs): a handler for `service`
  // here, and a call to one member or to each other member in turn.
  void set_call_handler(const std::string& service, PeerCallHandler handler);
  Result<Bytes> call(raft_id to, const std::string& service, Bytes request, std::chrono::milliseconds timeout);
  Result<Bytes> call_any(const std::string& service, const Bytes& request, std::chrono::milliseconds timeout);

  TcpPeerTransport& transport() { return *net_; }
  const LedgerFsm* fsm() const { return fsm_.get(); }

  // The leader's pass over the TEE registry (tee_registry.h): every member
  // of the configuration, with what its latest attested link showed (this
  // member's own evidence included). Then it enforces the records: a voter
  // whose record is refused or expired is demoted to standby (it still
  // replicates but no longer votes or leads); a standby verified again
  // votes again. The leader never demotes itself.
  Result<std::size_t> refresh_tee_registry(std::uint64_t now_ms, const TeeRegistryPolicy& timing);
  // The operator's membership changes, on the leader (kFailedPrecondition
  // elsewhere, naming the leader). add_member first reaches the new member
  // over an attested peer link (its evidence must pass the cluster policy,
  // and the link proves it holds the member's keys); it joins as a spare,
  // catches up (from a snapshot when the log was compacted) and then votes.
  Status add_member(raft_id id, const std::string& address);
  Status remove_member(raft_id id);
  Result<raft_id> transfer_leadership(raft_id to);  // 0: the most up-to-date voter
  // What refresh_tee_registry enforced on its last pass: members demoted
  // to standby (no vote) because their record is refused or expired, and
  // members promoted back once verified.
  struct Enforcement {
    std::vector<raft_id> demoted, promoted;
  };
  Enforcement last_enforcement() const;

  // Any member: its own record in the replicated registry decides its
  // election timeout (biased_election_timeout): verified and unexpired →
  // the base; otherwise the longer one. Returns whether it counts as attested.
  bool apply_leader_bias(std::uint64_t now_ms);

 private:
  explicit ClusterMember(ClusterMemberOptions options);
  Result<RaftMember> leader_to_forward_to(raft_id not_this = 0) const;
  Result<Bytes> call_leader(const std::string& service, Bytes request);
  std::vector<Result<store::CommitInfo>> forward(const std::vector<Bytes>& encoded_txs);
  void serve_commit(Bytes request, const std::function<void(Result<Bytes>)>& answer);
  Status forward_reads(Bytes encoded_tx);
  void serve_reads(Bytes request, const std::function<void(Result<Bytes>)>& answer);
  void serve_entries(Bytes request, const std::function<void(Result<Bytes>)>& answer);
  Result<std::vector<store::LedgerEntry>> fetch_entries(store::Seqno from, store::Seqno to);

  ClusterMemberOptions opts_;
  std::uint64_t started_at_ms_ = 0;  // when this member's own evidence was last presented (its start)
  std::unique_ptr<TcpPeerTransport> net_;
  store::Store* store_ = nullptr;
  std::unique_ptr<LedgerFsm> fsm_;
  std::unique_ptr<Proposals> proposals_;
  std::unique_ptr<RaftNode> raft_;
  std::optional<bool> attested_;  // what the election timeout was last set for
  mutable std::mutex enforcement_mu_;
  Enforcement enforcement_;
  Status enforce_tee_registry();
  Status leader_only(const char* what) const;
};

}  // namespace t3n::consensus
