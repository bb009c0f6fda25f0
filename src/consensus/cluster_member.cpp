#include "consensus/cluster_member.h"

#include <algorithm>

#include "common/binary.h"
#include "store/ledger_entry.h"

namespace t3n::consensus {

namespace {
constexpr std::size_t kMaxForwardedTxs = 4096;
// One "store.entries" answer: at most this many entries or bytes.
constexpr std::uint64_t kMaxEntriesPerFetch = 256;
constexpr std::size_t kMaxFetchBytes = 4 << 20;

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
  m->net_->set_call_handler("store.entries", [self](const PeerIdentity&, Bytes request, std::function<void(Result<Bytes>)> answer) {
    self->serve_entries(std::move(request), answer);
  });
  // What add_member reaches first: the link's handshake is the check.
  m->net_->set_call_handler("cluster.hello", [](const PeerIdentity&, Bytes, std::function<void(Result<Bytes>)> answer) {
    answer(Bytes{});
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
  fsm_->set_entry_source([this](store::Seqno from, store::Seqno to) { return fetch_entries(from, to); });
  proposals_ = std::make_unique<Proposals>(store);
  RaftNodeOptions ro;
  ro.id = opts_.self.id;
  ro.address = address();
  ro.log_dir = opts_.raft_dir;
  ro.tick_ms = opts_.tick_ms;
  ro.heartbeat_ms = opts_.heartbeat_ms;
  ro.election_timeout_ms = opts_.election_timeout_ms;
  ro.sync_writes = opts_.sync_writes;
  ro.snapshot_threshold = opts_.snapshot_threshold;
  ro.snapshot_trailing = opts_.snapshot_trailing;
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
  T3N_ASSIGN_OR_RETURN(std::size_t written, consensus::refresh_tee_registry(*store_, ids, seen, opts_.policy, now_ms, timing, id()));
  T3N_RETURN_IF_ERROR(enforce_tee_registry());
  return written;
}

Status ClusterMember::enforce_tee_registry() {
  T3N_ASSIGN_OR_RETURN(std::vector<TeeRecord> records, list_tee_registry(*store_));
  Enforcement done;
  const RaftInfo now = info();
  for (const TeeRecord& r : records) {
    if (r.member_id == id()) continue;
    const RaftMember* m = now.member(r.member_id);
    if (m == nullptr) continue;
    const bool verified = r.status == "verified";
    if (!verified && m->role == RAFT_VOTER) {
      T3N_RETURN_IF_ERROR(raft_->assign(m->id, RAFT_STANDBY));
      done.demoted.push_back(m->id);
    } else if (verified && m->role == RAFT_STANDBY) {
      T3N_RETURN_IF_ERROR(raft_->assign(m->id, RAFT_VOTER));
      done.promoted.push_back(m->id);
    }
  }
  std::lock_guard lock(enforcement_mu_);
  enforcement_ = std::move(done);
  return {};
}

ClusterMember::Enforcement ClusterMember::last_enforcement() const {
  std::lock_guard lock(enforcement_mu_);
  return enforcement_;
}

Status ClusterMember::leader_only(const char* what) const {
  if (!raft_) return common::failed_precondition("cluster member not started");
  const RaftInfo now = info();
  if (now.state == RAFT_LEADER) return {};
  return common::failed_precondition(std::string(what) + " runs on the leader; " +
                                     (now.leader != 0 ? "member " + std::to_string(now.leader) + " leads" : "no leader is known now"));
}

Status ClusterMember::add_member(raft_id id, const std::string& address) {
  T3N_RETURN_IF_ERROR(leader_only("adding a member"));
  if (id == 0) return common::invalid_argument("a member id is 1 or more");
  if (address.empty() || address.find(':') == std::string::npos) return common::invalid_argument("a member's peer address is host:port");
  if (info().member(id) != nullptr) return Status(ErrorCode::kAlreadyExists, "member " + std::to_string(id) + " is already in the cluster");
  // The handshake checks its evidence against the policy and that it holds
  // the keys the evidence binds; a member that fails learns nothing.
  auto hello = net_->call(id, address, "cluster.hello", {}, std::chrono::milliseconds(5000));
  if (!hello.ok())
    return common::failed_precondition("member " + std::to_string(id) + " at " + address +
                                       " did not complete an attested peer link: " + hello.status().message());
  return raft_->add_voter(id, address);
}

Status ClusterMember::remove_member(raft_id id) {
  T3N_RETURN_IF_ERROR(leader_only("removing a member"));
  if (id == this->id()) return common::failed_precondition("the leader does not remove itself: transfer leadership first");
  if (info().member(id) == nullptr) return common::not_found("no cluster member " + std::to_string(id));
  return raft_->remove(id);
}

Result<raft_id> ClusterMember::transfer_leadership(raft_id to) {
  T3N_RETURN_IF_ERROR(leader_only("transferring leadership"));
  if (to == id()) return to;
  if (to != 0) {
    const RaftMember* m = info().member(to);
    if (m == nullptr) return common::not_found("no cluster member " + std::to_string(to));
    if (m->role != RAFT_VOTER) return common::failed_precondition("member " + std::to_string(to) + " does not vote");
  }
  return raft_->transfer(to);
}

bool ClusterMember::apply_leader_bias(std::uint64_t now_ms) {
  if (store_ == nullptr || !raft_) return false;
  bool attested = false;
  if (!store_->map_spec(std::string(kTeeRegistryTable.name))) return false;  // not written yet
  auto tx = store_->begin(store::Principal::system());
  if (auto rec = kTeeRegistryTable.in(tx).get(id()); rec.ok() && rec->has_value())
    attested = (*rec)->status == "verified" && (*rec)->expires_at_ms > now_ms;
  if (attested_ != attested) {
    raft_->set_election_timeout(biased_election_timeout(opts_.election_timeout_ms, attested));
    attested_ = attested;
  }
  return attested;
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

// Committed entries only (what this store applied), sealed with the
// ledger secret: a peer without it learns nothing, and one that alters
// them is caught by the AEAD.
void ClusterMember::serve_entries(Bytes request, const std::function<void(Result<Bytes>)>& answer) {
  if (store_ == nullptr) return answer(Status(ErrorCode::kUnavailable, "not started"));
  common::BinaryReader r(request, "entry fetch");
  auto from = r.u64();
  auto to = r.u64();
  if (!from.ok() || !to.ok() || !r.finish().ok() || *from == 0 || *to < *from)
    return answer(common::invalid_argument("entry fetch: a range from ≥ 1 to ≥ from"));
  const store::Seqno last = store_->last_seqno();
  if (*from > last) return answer(common::not_found("entry fetch: this member has applied up to " + std::to_string(last)));
  const store::Seqno end = std::min({*to, last, *from + kMaxEntriesPerFetch - 1});
  std::vector<store::LedgerEntry> entries;
  std::size_t bytes = 0;
  for (store::Seqno q = *from; q <= end && bytes < kMaxFetchBytes; ++q) {
    auto e = store_->entry(q);
    if (!e.ok()) return answer(e.status());
    bytes += store::encode_entry(*e).size();
    entries.push_back(std::move(*e));
  }
  answer(store_->seal_batch(entries));
}

Result<std::vector<store::LedgerEntry>> ClusterMember::fetch_entries(store::Seqno from, store::Seqno to) {
  common::BinaryWriter w;
  w.u64(from);
  w.u64(to);
  const Bytes request = w.take();
  // A replica restoring a snapshot before it knows any configuration (a new
  // member) asks the server that sent it: the leader.
  Result<Bytes> answer = Status(ErrorCode::kNotFound, "no member to fetch entries from");
  if (info().members.empty() && raft_) {
    const RaftMember from_leader = raft_->last_sender();
    if (from_leader.id != 0 && from_leader.id != id())
      answer = net_->call(from_leader.id, from_leader.address, "store.entries", request, opts_.forward_timeout);
  } else {
    answer = call_any("store.entries", request, opts_.forward_timeout);
  }
  T3N_ASSIGN_OR_RETURN(Bytes sealed, std::move(answer));
  T3N_ASSIGN_OR_RETURN(std::vector<store::LedgerEntry> entries, store_->open_batch(sealed));
  if (entries.empty() || entries.front().seqno != from)
    return common::data_loss("entry fetch: the answer does not start at " + std::to_string(from));
  return entries;
}

}  // namespace t3n::consensus
