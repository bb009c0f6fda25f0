// Cluster members assembled (ClusterMember over real stores, Raft and the
// attested TCP links on 127.0.0.1): peer calls, commits on a follower
// forwarded to the leader, a follower's stale read refused and caught up.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "common/encoding.h"
#include "consensus/cluster_member.h"
#include "crypto/ed25519.h"
#include "crypto/mldsa.h"

namespace t3n::consensus {
namespace {

using namespace std::chrono_literals;
const std::string kMap = "z:" + std::string(40, 'e') + ":data";

LocalPeer local_peer(raft_id id, bool good_evidence = true) {
  LocalPeer p;
  p.id = id;
  p.cluster_id = Bytes(32, 0x4c);
  auto ed = crypto::Ed25519PrivateKey::generate();
  auto pq = crypto::mldsa65_keygen();
  EXPECT_TRUE(ed.ok() && pq.ok());
  p.keys = std::make_shared<const store::NodeSigningKeys>(store::NodeSigningKeys{std::move(*ed), std::move(*pq)});
  p.evidence = good_evidence ? simulated_evidence(*p.keys) : Bytes{9, 9, 9};
  return p;
}

std::unique_ptr<TcpPeerTransport> transport(raft_id id, bool good_evidence = true) {
  TcpTransportOptions o;
  o.self = local_peer(id, good_evidence);
  o.policy = dev_cluster_policy();
  auto t = TcpPeerTransport::start(std::move(o));
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(*t) : nullptr;
}

std::string addr(const TcpPeerTransport& t) { return "127.0.0.1:" + std::to_string(t.port()); }

TEST(PeerCall, AnswersComeBackOnTheCallersLink) {
  auto a = transport(1), b = transport(2);
  ASSERT_TRUE(a && b);
  b->set_call_handler("echo", [](const PeerIdentity& from, Bytes req, std::function<void(Result<Bytes>)> answer) {
    req.push_back(static_cast<std::uint8_t>(from.id));  // the caller as its link attested it
    answer(std::move(req));
  });
  b->set_call_handler("fail", [](const PeerIdentity&, Bytes, std::function<void(Result<Bytes>)> answer) {
    answer(Status(ErrorCode::kConflict, "no such luck"));
  });
  auto r = a->call(2, addr(*b), "echo", Bytes{7, 8}, 10s);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, (Bytes{7, 8, 1}));
  auto f = a->call(2, addr(*b), "fail", Bytes{}, 10s);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(f.status().message(), "no such luck");
  auto u = a->call(2, addr(*b), "nothing-here", Bytes{}, 10s);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), ErrorCode::kUnimplemented);
  EXPECT_EQ(b->stats().calls_answered, 2u);
  EXPECT_EQ(b->stats().calls_refused, 1u);
}

TEST(PeerCall, UnreachableOrUnattestedPeersFailTheCall) {
  auto a = transport(1);
  ASSERT_TRUE(a);
  std::uint16_t dead_port = 0;
  {
    auto gone = transport(2);
    dead_port = gone->port();
  }
  auto r = a->call(2, "127.0.0.1:" + std::to_string(dead_port), "echo", Bytes{1}, 10s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(call_not_sent(r.status())) << r.status().message();  // never left: safe to send elsewhere
  // A server whose evidence fails the policy never sees the request.
  auto bad = transport(3, false);
  bool ran = false;
  bad->set_call_handler("echo", [&](const PeerIdentity&, Bytes req, std::function<void(Result<Bytes>)> answer) {
    ran = true;
    answer(std::move(req));
  });
  auto refused = a->call(3, addr(*bad), "echo", Bytes{1}, 10s);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(call_not_sent(refused.status()));
  EXPECT_FALSE(ran);
}

TEST(PeerCall, ATimedOutCallReportsTheDeadline) {
  auto a = transport(1), b = transport(2);
  std::function<void(Result<Bytes>)> held;
  std::mutex mu;
  b->set_call_handler("slow", [&](const PeerIdentity&, Bytes, std::function<void(Result<Bytes>)> answer) {
    std::lock_guard lock(mu);
    held = std::move(answer);  // never answered in time
  });
  auto r = a->call(2, addr(*b), "slow", Bytes{}, 200ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kDeadlineExceeded);
  std::lock_guard lock(mu);
  if (held) held(Bytes{1});  // a late answer goes nowhere
}

class Members {
 public:
  // n founding members; snapshots every `snapshot_threshold` entries; every
  // member's policy is the dev one, refusing the member named in refused().
  explicit Members(unsigned n, unsigned snapshot_threshold = 4096) : threshold_(snapshot_threshold) {
    base_ = std::filesystem::temp_directory_path() / ("t3n-members-" + std::to_string(::getpid()));
    std::filesystem::remove_all(base_);
    std::vector<std::pair<raft_id, std::string>> voters;
    for (unsigned i = 0; i < n; ++i) {
      members_.push_back(create(i + 1, true));
      voters.emplace_back(i + 1, members_.back()->address());
    }
    for (unsigned i = 0; i < n; ++i) {
      members_[i]->set_initial_voters(voters);
      open_and_start(i);
    }
  }
  ~Members() {
    for (auto& m : members_) m->stop();
    stores_.clear();
    members_.clear();
    std::filesystem::remove_all(base_);
  }
  // A new member with a fresh log and no voters: it waits to be added.
  unsigned spawn(bool good_evidence = true) {
    const unsigned i = static_cast<unsigned>(members_.size());
    members_.push_back(create(i + 1, good_evidence));
    open_and_start(i);
    return i;
  }
  unsigned leader() {
    for (;;) {
      for (unsigned i = 0; i < members_.size(); ++i)
        if (members_[i]->wait_until([](const RaftInfo& r) { return r.state == RAFT_LEADER; }, 50ms)) return i;
    }
  }
  ClusterMember& member(unsigned i) { return *members_[i]; }
  store::Store& store(unsigned i) { return *stores_[i]; }
  std::atomic<raft_id>& refused() { return *refused_; }

 private:
  std::unique_ptr<ClusterMember> create(raft_id id, bool good_evidence) {
    ClusterMemberOptions o;
    o.self = local_peer(id, good_evidence);
    o.policy = [base = dev_cluster_policy(), refused = refused_](const PeerIdentity& p) -> Status {
      if (p.id == refused->load()) return common::permission_denied("member " + std::to_string(p.id) + " is refused by the test's policy");
      return base(p);
    };
    o.raft_dir = base_ / std::to_string(id) / "raft";
    o.sync_writes = false;
    o.snapshot_threshold = threshold_;
    o.snapshot_trailing = 2;
    auto m = ClusterMember::create(std::move(o));
    EXPECT_TRUE(m.ok()) << m.status().message();
    return std::move(*m);
  }
  void open_and_start(unsigned i) {
    store::StoreOptions so;
    so.path = base_ / std::to_string(i + 1) / "store";
    so.ledger_secrets.push_back({0, SecretBytes(Bytes(32, 5))});
    so.sync_writes = false;
    members_[i]->install_store_hooks(so);
    auto s = store::Store::open(std::move(so));
    EXPECT_TRUE(s.ok()) << s.status().message();
    stores_.push_back(std::move(*s));
    EXPECT_TRUE(members_[i]->start(*stores_[i]).ok());
  }

  unsigned threshold_;
  std::shared_ptr<std::atomic<raft_id>> refused_ = std::make_shared<std::atomic<raft_id>>(0);
  std::filesystem::path base_;
  std::vector<std::unique_ptr<ClusterMember>> members_;
  std::vector<std::unique_ptr<store::Store>> stores_;
};

Result<std::optional<Bytes>> read(store::Store& s, const std::string& key) {
  auto tx = s.begin(store::Principal::system());
  return tx.get(kMap, common::to_bytes(key));
}

TEST(ClusterMemberTest, AFollowersCommitsAreForwardedAndAppliedEverywhere) {
  Members c(3);
  const unsigned leader = c.leader();
  const unsigned follower = (leader + 1) % 3;
  {
    auto tx = c.store(follower).begin(store::Principal::system());
    ASSERT_TRUE(tx.create_map({kMap, store::Visibility::kPrivate, {1}, {}}).ok());
    auto committed = c.store(follower).commit(tx);
    ASSERT_TRUE(committed.ok()) << committed.status().message();
  }
  auto tx = c.store(follower).begin(store::Principal::system());
  ASSERT_TRUE(tx.put(kMap, common::to_bytes("k"), common::to_bytes("from a follower")).ok());
  auto committed = c.store(follower).commit(tx);
  ASSERT_TRUE(committed.ok()) << committed.status().message();
  EXPECT_TRUE(committed->wrote);
  // Answered only once the follower itself has it: read-your-writes there.
  EXPECT_GE(c.store(follower).last_seqno(), committed->seqno);
  for (unsigned i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.member(i).wait_applied(committed->seqno, 10s)) << i;
    auto v = read(c.store(i), "k");
    ASSERT_TRUE(v.ok() && v->has_value()) << i;
    EXPECT_EQ(common::to_string(**v), "from a follower");
  }
}

TEST(ClusterMemberTest, AStaleReadOnAFollowerConflictsAndTheFollowerCatchesUp) {
  Members c(3);
  const unsigned leader = c.leader();
  const unsigned follower = (leader + 1) % 3;
  {
    auto tx = c.store(leader).begin(store::Principal::system());
    ASSERT_TRUE(tx.create_map({kMap, store::Visibility::kPrivate, {1}, {}}).ok());
    ASSERT_TRUE(tx.put(kMap, common::to_bytes("n"), common::to_bytes("1")).ok());
    auto done = c.store(leader).commit(tx);
    ASSERT_TRUE(done.ok());
    ASSERT_TRUE(c.member(follower).wait_applied(done->seqno, 10s));
  }
  // The follower reads n, then the leader changes it before the follower commits.
  auto stale = c.store(follower).begin(store::Principal::system());
  ASSERT_TRUE(stale.get(kMap, common::to_bytes("n")).ok());
  ASSERT_TRUE(stale.put(kMap, common::to_bytes("n"), common::to_bytes("from the stale read")).ok());
  store::Seqno changed = 0;
  {
    auto tx = c.store(leader).begin(store::Principal::system());
    ASSERT_TRUE(tx.put(kMap, common::to_bytes("n"), common::to_bytes("2")).ok());
    auto done = c.store(leader).commit(tx);
    ASSERT_TRUE(done.ok());
    changed = done->seqno;
  }
  auto refused = c.store(follower).commit(stale);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kConflict);
  // The conflict answer waited until the follower had the change: a retry sees it.
  EXPECT_GE(c.store(follower).last_seqno(), changed);
  auto v = read(c.store(follower), "n");
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ(common::to_string(**v), "2");
}

TEST(ClusterMemberTest, ReadsAreConfirmedAtTheLeaderAfterABarrier) {
  Members c(3);
  const unsigned leader = c.leader();
  const unsigned follower = (leader + 1) % 3;
  store::Seqno first = 0;
  {
    auto tx = c.store(leader).begin(store::Principal::system());
    ASSERT_TRUE(tx.create_map({kMap, store::Visibility::kPrivate, {1}, {}}).ok());
    ASSERT_TRUE(tx.put(kMap, common::to_bytes("r"), common::to_bytes("old")).ok());
    auto done = c.store(leader).commit(tx);
    ASSERT_TRUE(done.ok());
    first = done->seqno;
  }
  ASSERT_TRUE(c.member(follower).wait_applied(first, 10s));
  // A read on the follower, then a write at the leader before the read is
  // confirmed: the read is no longer the state at any moment after it, so
  // it is refused (the API re-runs it) and the follower has caught up.
  auto reader = c.store(follower).begin(store::Principal::system());
  auto seen = reader.get(kMap, common::to_bytes("r"));
  ASSERT_TRUE(seen.ok() && seen->has_value());
  EXPECT_EQ(common::to_string(**seen), "old");
  store::Seqno changed = 0;
  {
    auto tx = c.store(leader).begin(store::Principal::system());
    ASSERT_TRUE(tx.put(kMap, common::to_bytes("r"), common::to_bytes("new")).ok());
    auto done = c.store(leader).commit(tx);
    ASSERT_TRUE(done.ok());
    changed = done->seqno;
  }
  Status stale = c.store(follower).confirm_reads(reader);
  EXPECT_EQ(stale.code(), ErrorCode::kConflict) << stale.message();
  EXPECT_GE(c.store(follower).last_seqno(), changed);
  auto again = c.store(follower).begin(store::Principal::system());
  auto now = again.get(kMap, common::to_bytes("r"));
  ASSERT_TRUE(now.ok() && now->has_value());
  EXPECT_EQ(common::to_string(**now), "new");
  EXPECT_TRUE(c.store(follower).confirm_reads(again).ok());
  // On the leader too (it proves it still leads with the barrier).
  auto at_leader = c.store(leader).begin(store::Principal::system());
  ASSERT_TRUE(at_leader.get(kMap, common::to_bytes("r")).ok());
  EXPECT_TRUE(c.store(leader).confirm_reads(at_leader).ok());
}

TEST(ClusterMemberTest, TheLeaderRefusesForwardedBytesThatDoNotDecode) {
  Members c(3);
  const unsigned leader = c.leader();
  auto results = c.store(leader).commit_forwarded({Bytes{1, 2, 3}, Bytes{}});
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  }
}

Status put(store::Store& s, const std::string& key, const std::string& value, bool create = false) {
  auto tx = s.begin(store::Principal::system());
  if (create) T3N_RETURN_IF_ERROR(tx.create_map({kMap, store::Visibility::kPrivate, {1}, {}}));
  T3N_RETURN_IF_ERROR(tx.put(kMap, common::to_bytes(key), common::to_bytes(value)));
  return s.commit(tx).status();
}

TEST(ClusterMemberTest, AMemberAddedOverAnAttestedLinkCatchesUpFromASnapshotAndVotes) {
  Members c(3, 8);
  const unsigned leader = c.leader();
  ASSERT_TRUE(put(c.store(leader), "k0", "v0", true).ok());
  for (int k = 1; k < 30; ++k) ASSERT_TRUE(put(c.store(leader), "k" + std::to_string(k), "v").ok());
  ASSERT_GT(c.member(leader).info().first_log_index, 1u);  // compacted
  const unsigned j = c.spawn();
  EXPECT_TRUE(c.member(j).info().members.empty());  // waiting to be added
  // Only the leader changes the configuration.
  const unsigned follower = (leader + 1) % 3;
  EXPECT_EQ(c.member(follower).add_member(j + 1, c.member(j).address()).code(), ErrorCode::kFailedPrecondition);
  Status added = c.member(leader).add_member(j + 1, c.member(j).address());
  ASSERT_TRUE(added.ok()) << added.message();
  EXPECT_EQ(c.member(leader).add_member(j + 1, c.member(j).address()).code(), ErrorCode::kAlreadyExists);
  ASSERT_TRUE(c.member(j).wait_applied(c.store(leader).last_seqno(), 10s));
  auto v = read(c.store(j), "k0");
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ(common::to_string(**v), "v0");
  // Behind the compacted log, it restored a snapshot and fetched the sealed
  // entries over the peer links ("store.entries").
  ASSERT_NE(c.member(j).fsm(), nullptr);
  EXPECT_GE(c.member(j).fsm()->snapshots_restored(), 1u);
  EXPECT_GE(c.member(j).fsm()->entries_fetched(), 30u);
  const RaftMember* m = c.member(leader).info().member(j + 1);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->role, RAFT_VOTER);
  // Removal: out of the configuration; the leader does not remove itself.
  EXPECT_EQ(c.member(leader).remove_member(leader + 1).code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(c.member(leader).remove_member(j + 1).ok());
  EXPECT_EQ(c.member(leader).info().member(j + 1), nullptr);
  EXPECT_EQ(c.member(leader).remove_member(j + 1).code(), ErrorCode::kNotFound);
}

TEST(ClusterMemberTest, AMemberWhoseEvidenceFailsThePolicyIsNotAdded) {
  Members c(3);
  const unsigned leader = c.leader();
  const unsigned bad = c.spawn(false);
  Status refused = c.member(leader).add_member(bad + 1, c.member(bad).address());
  ASSERT_EQ(refused.code(), ErrorCode::kFailedPrecondition) << refused.message();
  EXPECT_NE(refused.message().find("attested peer link"), std::string::npos);
  EXPECT_EQ(c.member(leader).info().member(bad + 1), nullptr);
  EXPECT_TRUE(c.member(bad).info().members.empty());  // it learned nothing, and no entry
  EXPECT_EQ(c.store(bad).last_seqno(), 0u);
}

TEST(ClusterMemberTest, LeadershipMovesToTheChosenVoter) {
  Members c(3);
  const unsigned leader = c.leader();
  const unsigned target = (leader + 2) % 3;
  EXPECT_EQ(c.member(target).transfer_leadership(0).status().code(), ErrorCode::kFailedPrecondition);
  auto now = c.member(leader).transfer_leadership(target + 1);
  ASSERT_TRUE(now.ok()) << now.status().message();
  EXPECT_EQ(*now, target + 1);
  EXPECT_TRUE(c.member(target).wait_until([](const RaftInfo& i) { return i.state == RAFT_LEADER; }, 10s));
  EXPECT_EQ(c.member(target).transfer_leadership(99).status().code(), ErrorCode::kNotFound);
}

TEST(ClusterMemberTest, TheTeeRegistryDemotesARefusedMemberAndPromotesItWhenVerifiedAgain) {
  Members c(3);
  const unsigned leader = c.leader();
  const unsigned follower = (leader + 1) % 3;
  const TeeRegistryPolicy timing{1000, 60'000};
  // Links come up as the leader replicates; each member's evidence is seen.
  ASSERT_TRUE(put(c.store(leader), "x", "1", true).ok());
  ASSERT_TRUE(ensure_tee_registry_table(c.store(leader)).ok());
  const std::uint64_t t0 = 1'800'000'000'000;
  auto first = c.member(leader).refresh_tee_registry(t0, timing);
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_EQ(*first, 3u);
  EXPECT_TRUE(c.member(leader).last_enforcement().demoted.empty());
  // The policy turns against the follower; its record is re-checked when due.
  c.refused() = follower + 1;
  auto r = c.member(leader).refresh_tee_registry(t0 + 1000, timing);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(c.member(leader).last_enforcement().demoted, std::vector<raft_id>{follower + 1});
  const RaftMember* m = c.member(leader).info().member(follower + 1);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->role, RAFT_STANDBY);
  // It still replicates (standby) but no longer votes; writes go on.
  ASSERT_TRUE(put(c.store(leader), "y", "2").ok());
  // Its own record says refused: it runs with the longer election timeout.
  ASSERT_TRUE(c.member(follower).wait_applied(c.store(leader).last_seqno(), 10s));
  EXPECT_FALSE(c.member(follower).apply_leader_bias(t0 + 1000));
  EXPECT_TRUE(c.member(leader).apply_leader_bias(t0 + 1000));
  // Verified again at the next re-check: it votes again.
  c.refused() = 0;
  ASSERT_TRUE(c.member(leader).refresh_tee_registry(t0 + 2000, timing).ok());
  EXPECT_EQ(c.member(leader).last_enforcement().promoted, std::vector<raft_id>{follower + 1});
  EXPECT_EQ(c.member(leader).info().member(follower + 1)->role, RAFT_VOTER);
}

}  // namespace
}  // namespace t3n::consensus
