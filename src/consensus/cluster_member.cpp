#include "consensus/cluster_member.h"

#include "common/binary.h"

namespace t3n::consensus {

namespace {
constexpr std::size_t kMaxForwardedTxs = 4096;

Bytes encode_commit_request(const std::vector<Bytes>& txs) {
  common::BinaryWriter w;
  w.u32(static_cast<std::uint32_t>(txs.size()));
  for (const auto& t : txs) w.bytes(t);
  return w.take();
}

Result<std::vector<Bytes>> decode_commit_request(ByteView b) {
  common::BinaryReader r(b, "forwarded commit");
  T3N_ASSIGN_OR_RETURN(std::uint32_t n, r.u32());
  if (n == 0 || n > kMaxForwardedTxs) return common::invalid_argument("forwarded commit: bad transaction count");
  std::vector<Bytes> out;
  out.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    T3N_ASSIGN_OR_RETURN(ByteView t, r.bytes());
    out.emplace_back(t.begin(), t.end());
  }
  T3N_RETURN_IF_ERROR(r.finish());
  return out;
}

// The leader's answer: its last seqno, then per transaction a status and
// what it committed.
Bytes encode_commit_answer(store::Seqno leader_last, const std::vector<Result<store::CommitInfo>>& results) {
  common::BinaryWriter w;
  w.u64(leader_last);
  w.u32(static_cast<std::uint32_t>(results.size()));
  for (const auto& r : results) {
    w.u8(static_cast<std::uint8_t>(r.ok() ? ErrorCode::kOk : r.status().code()));
    w.string(r.ok() ? std::string() : r.status().message());
    w.u64(r.ok() ? r->seqno : 0);
    w.u8(r.ok() && r->wrote ? 1 : 0);
  }
  return w.take();
}

struct CommitAnswer {
  store::Seqno leader_last = 0;
  std::vector<Result<store::CommitInfo>> results;
};

Result<CommitAnswer> decode_commit_answer(ByteView b, std::size_t expected) {
  common::BinaryReader r(b, "forwarded commit answer");
  CommitAnswer a;
  T3N_ASSIGN_OR_RETURN(a.leader_last, r.u64());
  T3N_ASSIGN_OR_RETURN(std::uint32_t n, r.u32());
  if (n != expected) return common::data_loss("forwarded commit answer: wrong count");
  for (std::uint32_t i = 0; i < n; ++i) {
    T3N_ASSIGN_OR_RETURN(std::uint8_t code, r.u8());
    T3N_ASSIGN_OR_RETURN(std::string message, r.string(64 * 1024));
    T3N_ASSIGN_OR_RETURN(std::uint64_t seqno, r.u64());
    T3N_ASSIGN_OR_RETURN(std::uint8_t wrote, r.u8());
    if (code == 0) {
      a.results.emplace_back(store::CommitInfo{seqno, wrote == 1});
    } else {
      const auto ec = code <= static_cast<std::uint8_t>(ErrorCode::kInternal) ? static_cast<ErrorCode>(code) : ErrorCode::kInternal;
      a.results.emplace_back(Status(ec, std::move(message)));
    }
  }
  T3N_RETURN_IF_ERROR(r.finish());
  return a;
}
}  // namespace

ClusterMember::ClusterMember(ClusterMemberOptions options) : opts_(std::move(options)) {}

ClusterMember::~ClusterMember() { stop(); }

Result<std::unique_ptr<ClusterMember>> ClusterMember::create(ClusterMemberOptions options) {
  if (options.self.id == 0) return common::invalid_argument("cluster member: the Raft id must not be 0");
  if (!options.self.keys) return common::invalid_argument("cluster member: node keys missing");
  if (!options.policy) return common::invalid_argument("cluster member: no attestation policy");
  std::unique_ptr<ClusterMember> m(new ClusterMember(std::move(options)));  // NOLINT(cppcoreguidelines-owning-memory): private constructor
  TcpTransportOptions t;
  t.self = m->opts_.self;
  t.policy = m->opts_.policy;
  t.listen_host = m->opts_.peer_host;
  t.listen_port = m->opts_.peer_port;
  t.call_workers = m->opts_.call_workers;
  T3N_ASSIGN_OR_RETURN(m->net_, TcpPeerTransport::start(std::move(t)));
  m->started_at_ms_ = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  ClusterMember* self = m.get();
  m->net_->set_call_handler("store.confirm_reads", [self](const PeerIdentity&, Bytes request, std::function<void(Result<Bytes>)> answer) {
    self->serve_reads(std::move(request), answer);
  });
  m->net_->set_call_handler("store.commit", [self](const PeerIdentity&, Bytes request, std::function<void(Result<Bytes>)> answer) {
    self->serve_commit(std::move(request), answer);
  });
  return m;
}

std::string ClusterMember::address() const {
  const std::string host = opts_.advertise_host.empty() ? opts_.peer_host : opts_.advertise_host;
  return host + ":" + std::to_string(net_->port());
}

void ClusterMember::install_store_hooks(store::StoreOptions& so) {
  so.replicate = [this](const std::vector<store::LedgerEntry>& e) { return proposals_->propose(e); };
  so.replication_ready = [this] { return proposals_->await_ready(); };
  so.forward = [this](const std::vector<Bytes>& txs) { return forward(txs); };
  so.read_barrier = [this] { return proposals_->read_barrier(); };
  so.forward_reads = [this](Bytes tx) { return forward_reads(std::move(tx)); };
}

Status ClusterMember::start(store::Store& store) {
  if (raft_) return common::failed_precondition("cluster member already started");
  store_ = &store;
  fsm_ = std::make_unique<LedgerFsm>(store);
  proposals_ = std::make_unique<Proposals>(store);
  RaftNodeOptions ro;
  ro.id = opts_.self.id;
  ro.address = address();
  ro.log_dir = opts_.raft_dir;
  ro.tick_ms = opts_.tick_ms;
  ro.heartbeat_ms = opts_.heartbeat_ms;
  ro.election_timeout_ms = opts_.election_timeout_ms;
  ro.sync_writes = opts_.sync_writes;
  T3N_ASSIGN_OR_RETURN(raft_, RaftNode::open(std::move(ro), *fsm_, *proposals_, *net_));
  RaftNode* raft = raft_.get();
  net_->set_receiver([raft](Bytes f) { raft->deliver(std::move(f)); });
  if (!opts_.initial_voters.empty()) {
    Status st = raft_->bootstrap(opts_.initial_voters);
    if (!st.ok() && st.code() != ErrorCode::kAlreadyExists) return st;
  }
  return raft_->start();
}

void ClusterMember::stop() {
  if (net_) net_->set_receiver(nullptr);
  if (raft_) raft_->stop();  // proposals in flight are answered, so blocked handlers return
  if (net_) net_->stop_calls();
}

RaftInfo ClusterMember::info() const { return raft_ ? raft_->info() : RaftInfo{}; }

bool ClusterMember::is_leader() const { return info().state == RAFT_LEADER; }

bool ClusterMember::wait_until(const std::function<bool(const RaftInfo&)>& pred, std::chrono::milliseconds timeout) const {
  if (!raft_) return false;
  return raft_->wait_until(pred, timeout);
}

bool ClusterMember::wait_applied(store::Seqno seqno, std::chrono::milliseconds timeout) const {
  if (store_ == nullptr) return false;
  if (store_->last_seqno() >= seqno) return true;
  return wait_until([&](const RaftInfo&) { return store_->last_seqno() >= seqno; }, timeout);
}

void ClusterMember::set_call_handler(const std::string& service, PeerCallHandler handler) {
  net_->set_call_handler(service, std::move(handler));
}

Result<Bytes> ClusterMember::call(raft_id to, const std::string& service, Bytes request, std::chrono::milliseconds timeout) {
  const RaftInfo now = info();
  const RaftMember* m = now.member(to);
  if (m == nullptr) return common::not_found("no cluster member " + std::to_string(to));
  return net_->call(to, m->address, service, std::move(request), timeout);
}

Result<Bytes> ClusterMember::call_any(const std::string& service, const Bytes& request, std::chrono::milliseconds timeout) {
  const RaftInfo now = info();
  Status last(ErrorCode::kNotFound, "no other cluster member has it");
  for (const auto& m : now.members) {
    if (m.id == id()) continue;
    auto r = net_->call(m.id, m.address, service, request, timeout);
    if (r.ok()) return r;
    if (r.status().code() != ErrorCode::kNotFound) last = r.status();
  }
  return last;
}

Result<std::size_t> ClusterMember::refresh_tee_registry(std::uint64_t now_ms, const TeeRegistryPolicy& timing) {
  if (store_ == nullptr) return common::failed_precondition("not started");
  const RaftInfo now = info();
  std::vector<std::uint64_t> ids;
  for (const auto& m : now.members) ids.push_back(m.id);
  std::vector<std::pair<PeerIdentity, std::uint64_t>> seen;
  PeerIdentity self{opts_.self.id, opts_.self.keys->ed25519.public_key(), opts_.self.keys->mldsa.public_key, opts_.self.evidence};
  seen.emplace_back(std::move(self), started_at_ms_);
  for (auto& v : net_->verified_peers()) seen.emplace_back(std::move(v.identity), v.verified_at_ms);
  return consensus::refresh_tee_registry(*store_, ids, seen, opts_.policy, now_ms, timing, id());
}

Result<RaftMember> ClusterMember::leader_to_forward_to(raft_id not_this) const {
  // A leader is normally known; right after a loss, wait (bounded) for one
  // (other than a leader a call could not reach).
  RaftInfo now;
  wait_until(
      [&](const RaftInfo& i) {
        now = i;
        return i.leader != 0 && i.leader != not_this;
      },
      opts_.forward_timeout);
  if (now.leader == not_this && not_this != 0)
    return Status(ErrorCode::kUnavailable, "the leader is unreachable and no other was elected in time");
  if (now.leader == 0) return Status(ErrorCode::kUnavailable, "no cluster leader (no quorum of members reachable)");
  if (now.leader == id()) return Status(ErrorCode::kUnavailable, "not the leader: leadership changed meanwhile; retry");
  const RaftMember* leader = now.member(now.leader);
  if (leader == nullptr) return Status(ErrorCode::kUnavailable, "the leader is not in this member's configuration yet");
  return *leader;
}

Result<Bytes> ClusterMember::call_leader(const std::string& service, Bytes request) {
  // A call that never left (the leader's link could not be set up: it
  // died) did not run, so it goes again to whoever leads next.
  const auto deadline = std::chrono::steady_clock::now() + opts_.forward_timeout;
  raft_id unreachable = 0;
  for (;;) {
    auto to = leader_to_forward_to(unreachable);
    if (!to.ok()) return Status(ErrorCode::kUnavailable, std::string(kCallNotSent) + to.status().message());
    const RaftMember& leader = *to;
    auto answer = net_->call(leader.id, leader.address, service, request, opts_.forward_timeout);
    if (answer.ok() || !call_not_sent(answer.status()) || std::chrono::steady_clock::now() >= deadline) {
      common::secure_zero(request);
      return answer;
    }
    unreachable = leader.id;
  }
}

std::vector<Result<store::CommitInfo>> ClusterMember::forward(const std::vector<Bytes>& txs) {
  auto all = [&](const Status& st) { return std::vector<Result<store::CommitInfo>>(txs.size(), Result<store::CommitInfo>(st)); };
  auto answer = call_leader("store.commit", encode_commit_request(txs));
  if (!answer.ok()) {
    if (call_not_sent(answer.status()))  // never reached a leader: nothing committed
      return all(Status(ErrorCode::kUnavailable, "not committed: " + answer.status().message().substr(kCallNotSent.size())));
    // The request may have run: the commit's outcome is unknown.
    return all(Status(ErrorCode::kUnavailable, "outcome unknown: forwarding to the leader failed: " + answer.status().message()));
  }
  auto decoded = decode_commit_answer(*answer, txs.size());
  if (!decoded.ok()) return all(Status(ErrorCode::kUnavailable, "outcome unknown: " + decoded.status().message()));
  store::Seqno wait_for = 0;
  bool conflicted = false;
  for (const auto& r : decoded->results) {
    if (r.ok() && r->wrote) wait_for = std::max(wait_for, r->seqno);
    if (!r.ok() && r.status().code() == ErrorCode::kConflict) conflicted = true;
  }
  if (conflicted) wait_for = std::max(wait_for, decoded->leader_last);
  // Committed cluster-wide already; waiting makes this node's next read see
  // it (read-your-writes here). A timeout still reports the commit.
  if (wait_for > 0) wait_applied(wait_for, opts_.forward_timeout);
  return std::move(decoded->results);
}

Status ClusterMember::forward_reads(Bytes encoded_tx) {
  auto answer = call_leader("store.confirm_reads", std::move(encoded_tx));
  if (!answer.ok()) return Status(ErrorCode::kUnavailable, "confirming a read at the leader failed: " + answer.status().message());
  common::BinaryReader r(*answer, "read confirmation");
  T3N_ASSIGN_OR_RETURN(std::uint64_t leader_last, r.u64());
  T3N_ASSIGN_OR_RETURN(std::uint8_t code, r.u8());
  T3N_ASSIGN_OR_RETURN(std::string message, r.string(64 * 1024));
  T3N_RETURN_IF_ERROR(r.finish());
  if (code == 0) return {};
  // Stale here: catch up before the caller re-runs the read.
  wait_applied(leader_last, opts_.forward_timeout);
  const auto ec = code <= static_cast<std::uint8_t>(ErrorCode::kInternal) ? static_cast<ErrorCode>(code) : ErrorCode::kInternal;
  return Status(ec, std::move(message));
}

void ClusterMember::serve_reads(Bytes request, const std::function<void(Result<Bytes>)>& answer) {
  if (store_ == nullptr) return answer(Status(ErrorCode::kUnavailable, "not started"));
  const Status st = store_->confirm_forwarded_reads(request);
  common::secure_zero(request);
  common::BinaryWriter w;
  w.u64(store_->last_seqno());
  w.u8(static_cast<std::uint8_t>(st.ok() ? ErrorCode::kOk : st.code()));
  w.string(st.ok() ? std::string() : st.message());
  answer(w.take());
}

void ClusterMember::serve_commit(Bytes request, const std::function<void(Result<Bytes>)>& answer) {
  if (store_ == nullptr) return answer(Status(ErrorCode::kUnavailable, "not started"));
  auto txs = decode_commit_request(request);
  common::secure_zero(request);
  if (!txs.ok()) return answer(txs.status());
  auto results = store_->commit_forwarded(*txs);
  for (auto& t : *txs) common::secure_zero(t);
  answer(encode_commit_answer(store_->last_seqno(), results));
}

}  // namespace t3n::consensus
