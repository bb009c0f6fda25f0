// Replication of the store through libraft, driven by libraft's
// deterministic fixture (raft/fixture.h): simulated time and network, real
// stores (RocksDB, sealed entries, Merkle roots) as each server's FSM. No
// sleeps: every wait is on a fixture step or a ready signal.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <filesystem>
#include <thread>

#include "consensus/ledger_fsm.h"
#include "consensus/libraft.h"
extern "C" {
#include <raft/fixture.h>
}
#include "consensus/proposals.h"
#include "store/store.h"

namespace t3n::consensus {
namespace {

using store::Principal;
using store::Store;

const std::string kMap = "z:" + std::string(40, 'a') + ":data";

Bytes key(int i) { return common::to_bytes("k" + std::to_string(i)); }

struct Replica {
  std::filesystem::path dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<LedgerFsm> fsm;
  std::unique_ptr<Proposals> proposals;
};

class Cluster {
 public:
  explicit Cluster(unsigned n) {
    EXPECT_EQ(raft_fixture_initialize(&f_), 0);
    for (unsigned i = 0; i < n; ++i) add_replica();
    raft_configuration conf;
    EXPECT_EQ(raft_fixture_configuration(&f_, n, &conf), 0);
    EXPECT_EQ(raft_fixture_bootstrap(&f_, &conf), 0);
    raft_configuration_close(&conf);
    EXPECT_EQ(raft_fixture_start(&f_), 0);
    started_ = true;
  }
  ~Cluster() {
    raft_fixture_close(&f_);  // fires what is still in flight
    for (auto& r : replicas_) {
      r.proposals.reset();
      r.fsm.reset();
      r.store.reset();
      std::filesystem::remove_all(r.dir);
    }
  }

  // A new server (not yet in the configuration); returns its index.
  unsigned add_replica() {
    const unsigned i = static_cast<unsigned>(replicas_.size());
    Replica r;
    r.dir = std::filesystem::temp_directory_path() / ("t3n-raft-" + std::to_string(::getpid()) + "-" + std::to_string(i));
    std::filesystem::remove_all(r.dir);
    store::StoreOptions o;
    o.path = r.dir;
    o.ledger_secrets.push_back({0, SecretBytes(Bytes(32, 7))});  // the cluster's ledger secret
    o.signing_keys = keys_;
    o.signature_interval_entries = 4;
    o.signature_interval_ms = UINT64_MAX / 2;
    o.sync_writes = false;
    o.clock_ms = [] { return std::uint64_t{1'700'000'000'000}; };
    replicas_.push_back(std::move(r));
    Replica& ref = replicas_.back();
    o.replicate = [this, i](const std::vector<store::LedgerEntry>& e) { return replicas_[i].proposals->propose(e); };
    o.replication_ready = [this, i] { return replicas_[i].proposals->await_ready(); };
    auto opened = Store::open(std::move(o));
    EXPECT_TRUE(opened.ok()) << opened.status().message();
    ref.store = std::move(*opened);
    ref.fsm = std::make_unique<LedgerFsm>(*ref.store);
    ref.proposals = std::make_unique<Proposals>(*ref.store);
    EXPECT_EQ(raft_fixture_grow(&f_, ref.fsm->fsm()), 0);
    // The log is kept whole unless a test turns snapshots on.
    raft_set_snapshot_threshold(raft_fixture_get(&f_, i), threshold_);
    raft_set_snapshot_trailing(raft_fixture_get(&f_, i), trailing_);
    // What a replica behind a snapshot fetches: the current leader's
    // committed entries (the node does this over the peer links).
    ref.fsm->set_entry_source([this](store::Seqno from, store::Seqno to) -> Result<std::vector<store::LedgerEntry>> {
      ++fetches_;
      const unsigned leader = raft_fixture_leader_index(&f_);
      if (leader >= replicas_.size()) return Status(ErrorCode::kUnavailable, "no leader");
      std::vector<store::LedgerEntry> out;
      for (store::Seqno s = from; s <= to && out.size() < 5; ++s) {
        auto e = replicas_[leader].store->entry(s);
        if (!e.ok()) break;
        out.push_back(std::move(*e));
      }
      return out;
    });
    if (started_) {  // a joiner, empty
      EXPECT_EQ(raft_start(raft_fixture_get(&f_, i)), 0);
    }
    return i;
  }

  raft_fixture* f() { return &f_; }
  Replica& at(unsigned i) { return replicas_[i]; }
  unsigned size() const { return static_cast<unsigned>(replicas_.size()); }
  raft* raft_of(unsigned i) { return raft_fixture_get(&f_, i); }

  // Runs `fn` (which commits through replica i's store) on its own thread
  // while this thread drives Raft: submits what the store proposes and
  // steps the fixture until each proposal is answered.
  template <typename Fn>
  auto with_raft(unsigned i, Fn fn) {
    std::optional<decltype(fn())> out;
    std::atomic<bool> done{false};
    std::thread worker([&] {
      out.emplace(fn());
      done = true;
      at(i).proposals->interrupt();
    });
    for (;;) {
      at(i).proposals->wait_queued_or_interrupted();
      if (at(i).proposals->queued() == 0 && done) break;
      at(i).proposals->submit(raft_of(i));
      // Until the submitted batches are answered (or 5 s of simulated time).
      raft_fixture_step_until(
          &f_, [](raft_fixture*, void* p) { return static_cast<Proposals*>(p)->in_flight() == 0; },
          at(i).proposals.get(), 5000);
      if (at(i).proposals->in_flight() != 0) break;  // never answered: the caller's outcome says so
    }
    worker.join();
    return std::move(*out);
  }

  Result<store::CommitInfo> put(unsigned i, int k, const std::string& v) {
    return with_raft(i, [&] {
      auto tx = at(i).store->begin(Principal::system());
      if (Status st = tx.put(kMap, key(k), common::as_bytes(v)); !st.ok()) return Result<store::CommitInfo>(st);
      return at(i).store->commit(tx);
    });
  }

  Status create_map(unsigned i) {
    return with_raft(i, [&] {
      auto tx = at(i).store->begin(Principal::system());
      if (Status st = tx.create_map({kMap, store::Visibility::kPrivate, {1}, {}}); !st.ok()) return st;
      return at(i).store->commit(tx).status();
    });
  }

  std::optional<std::string> get(unsigned i, int k) {
    auto tx = at(i).store->begin(Principal::system());
    auto v = tx.get(kMap, key(k));
    if (!v.ok() || !*v) return std::nullopt;
    return common::to_string(**v);
  }

  // Every listed replica holds the same ledger: seqno, state and history roots.
  void expect_agree(std::initializer_list<unsigned> which) {
    const unsigned first = *which.begin();
    for (unsigned i : which) {
      EXPECT_EQ(at(i).store->last_seqno(), at(first).store->last_seqno()) << "replica " << i;
      EXPECT_EQ(at(i).store->state_root(), at(first).store->state_root()) << "replica " << i;
      EXPECT_EQ(at(i).store->history_root(), at(first).store->history_root()) << "replica " << i;
      EXPECT_TRUE(at(i).fsm->healthy()) << "replica " << i << ": " << at(i).fsm->failure().message();
    }
  }

  // Steps until replica i applied everything the leader committed.
  bool catch_up(unsigned i, unsigned leader) {
    return raft_fixture_step_until_applied(&f_, i, raft_last_applied(raft_of(leader)), 5000);
  }

  // Every replica (and those added later) snapshots every `threshold`
  // applied entries, keeping `trailing` behind.
  void enable_snapshots(unsigned threshold, unsigned trailing) {
    threshold_ = threshold;
    trailing_ = trailing;
    for (unsigned i = 0; i < size(); ++i) {
      raft_set_snapshot_threshold(raft_of(i), threshold);
      raft_set_snapshot_trailing(raft_of(i), trailing);
    }
  }
  unsigned fetches() const { return fetches_; }

 private:
  unsigned threshold_ = UINT_MAX, trailing_ = 128;
  unsigned fetches_ = 0;
  raft_fixture f_{};
  bool started_ = false;
  static std::shared_ptr<const store::NodeSigningKeys> make_keys() {
    auto ed = crypto::Ed25519PrivateKey::generate();
    auto pq = crypto::mldsa65_keygen();
    EXPECT_TRUE(ed.ok() && pq.ok());
    return std::make_shared<const store::NodeSigningKeys>(store::NodeSigningKeys{std::move(*ed), std::move(*pq)});
  }
  std::shared_ptr<const store::NodeSigningKeys> keys_ = make_keys();
  std::deque<Replica> replicas_;  // stable addresses: the fixture holds their FSMs
};

TEST(Replication, ThreeReplicasApplyTheLeadersCommitsAndAgreeOnEveryRoot) {
  Cluster c(3);
  raft_fixture_elect(c.f(), 0);
  ASSERT_TRUE(c.create_map(0).ok());
  for (int k = 0; k < 10; ++k) {
    auto r = c.put(0, k, "v" + std::to_string(k));
    ASSERT_TRUE(r.ok()) << r.status().message();
  }
  ASSERT_TRUE(c.catch_up(1, 0));
  ASSERT_TRUE(c.catch_up(2, 0));
  c.expect_agree({0, 1, 2});
  EXPECT_EQ(c.get(2, 7), "v7");
  // Signature entries (every 4 entries) were built by the leader and
  // checked by each follower against its own roots.
  EXPECT_GE(c.at(0).store->last_seqno(), 13u);
  auto receipt = c.at(1).store->receipt(3);
  EXPECT_TRUE(receipt.ok()) << receipt.status().message();
}

TEST(Replication, AFollowerRefusesWritesAndChangesNothing) {
  Cluster c(3);
  raft_fixture_elect(c.f(), 0);
  ASSERT_TRUE(c.create_map(0).ok());
  ASSERT_TRUE(c.catch_up(1, 0));
  const auto before = c.at(1).store->last_seqno();
  auto r = c.put(1, 1, "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.status().message().find("not the leader"), std::string::npos);
  ASSERT_TRUE(c.catch_up(1, 0));
  EXPECT_EQ(c.at(1).store->last_seqno(), before);
  EXPECT_EQ(c.get(0, 1), std::nullopt);
}

TEST(Replication, APartitionedFollowerCatchesUpAfterReconnecting) {
  Cluster c(3);
  raft_fixture_elect(c.f(), 0);
  ASSERT_TRUE(c.create_map(0).ok());
  raft_fixture_disconnect(c.f(), 0, 2);
  raft_fixture_disconnect(c.f(), 1, 2);
  for (int k = 0; k < 6; ++k) ASSERT_TRUE(c.put(0, k, "p" + std::to_string(k)).ok());  // a quorum of two
  EXPECT_EQ(c.get(2, 3), std::nullopt);
  raft_fixture_reconnect(c.f(), 0, 2);
  raft_fixture_reconnect(c.f(), 1, 2);
  ASSERT_TRUE(c.catch_up(2, 0));
  ASSERT_TRUE(c.catch_up(1, 0));
  c.expect_agree({0, 1, 2});
  EXPECT_EQ(c.get(2, 5), "p5");
}

TEST(Replication, LosingTheLeaderElectsAnotherAndNoCommittedBatchIsLost) {
  Cluster c(3);
  raft_fixture_elect(c.f(), 0);
  ASSERT_TRUE(c.create_map(0).ok());
  for (int k = 0; k < 5; ++k) ASSERT_TRUE(c.put(0, k, "a").ok());
  ASSERT_TRUE(c.catch_up(1, 0));
  ASSERT_TRUE(c.catch_up(2, 0));
  raft_fixture_kill(c.f(), 0);
  ASSERT_TRUE(raft_fixture_step_until_has_no_leader(c.f(), 10000));
  ASSERT_TRUE(raft_fixture_step_until_has_leader(c.f(), 10000));
  const unsigned leader = raft_fixture_leader_index(c.f());
  ASSERT_NE(leader, 0u);
  for (int k = 5; k < 9; ++k) ASSERT_TRUE(c.put(leader, k, "b").ok());
  raft_fixture_revive(c.f(), 0);
  for (unsigned i = 0; i < 3; ++i) ASSERT_TRUE(c.catch_up(i, leader));
  c.expect_agree({0, 1, 2});
  for (int k = 0; k < 9; ++k) EXPECT_TRUE(c.get(0, k).has_value()) << k;
}

TEST(Replication, ADeposedLeadersUnconfirmedBatchIsNeverApplied) {
  Cluster c(3);
  raft_fixture_elect(c.f(), 0);
  ASSERT_TRUE(c.create_map(0).ok());
  ASSERT_TRUE(c.catch_up(1, 0));
  ASSERT_TRUE(c.catch_up(2, 0));
  // The leader is cut off from both followers: its next batch cannot commit.
  raft_fixture_disconnect(c.f(), 0, 1);
  raft_fixture_disconnect(c.f(), 0, 2);
  auto lost = c.put(0, 1, "never");
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), ErrorCode::kUnavailable) << lost.status().message();
  // The other two elect a leader and commit over the same seqno.
  ASSERT_TRUE(raft_fixture_step_until_has_leader(c.f(), 10000));
  unsigned leader = raft_fixture_leader_index(c.f());
  if (leader == 0) {  // the fixture may still report the old one: wait for a new term's leader
    ASSERT_TRUE(raft_fixture_step_until_state_is(c.f(), 1, RAFT_LEADER, 10000) ||
                raft_fixture_step_until_state_is(c.f(), 2, RAFT_LEADER, 10000));
    leader = raft_state(c.raft_of(1)) == RAFT_LEADER ? 1 : 2;
  }
  ASSERT_TRUE(c.put(leader, 2, "kept").ok());
  raft_fixture_reconnect(c.f(), 0, 1);
  raft_fixture_reconnect(c.f(), 0, 2);
  for (unsigned i = 0; i < 3; ++i) ASSERT_TRUE(c.catch_up(i, leader));
  c.expect_agree({0, 1, 2});
  EXPECT_EQ(c.get(0, 1), std::nullopt);
  EXPECT_EQ(c.get(0, 2), "kept");
}

TEST(Replication, ANewMemberCatchesUpFromTheLogAndVotes) {
  Cluster c(3);
  raft_fixture_elect(c.f(), 0);
  ASSERT_TRUE(c.create_map(0).ok());
  for (int k = 0; k < 6; ++k) ASSERT_TRUE(c.put(0, k, "m").ok());
  const unsigned joiner = c.add_replica();
  raft_change add{}, assign{};
  int changes_done = 0;
  add.data = assign.data = &changes_done;
  auto changed = [](raft_change* req, int status) {
    if (status == 0) ++*static_cast<int*>(req->data);
  };
  ASSERT_EQ(raft_add(c.raft_of(0), &add, joiner + 1, "4", changed), 0);
  ASSERT_TRUE(raft_fixture_step_until_applied(c.f(), 0, raft_last_applied(c.raft_of(0)) + 1, 5000));
  ASSERT_EQ(raft_assign(c.raft_of(0), &assign, joiner + 1, RAFT_VOTER, changed), 0);
  ASSERT_TRUE(raft_fixture_step_until(
      c.f(), [](raft_fixture*, void* n) { return *static_cast<int*>(n) == 2; }, &changes_done, 10000));
  for (unsigned i = 1; i <= joiner; ++i) ASSERT_TRUE(c.catch_up(i, 0));
  c.expect_agree({0, 1, 2, joiner});
  EXPECT_EQ(c.get(joiner, 4), "m");
  // With four voters, two followers down leave no quorum; the joiner's vote
  // counts: with it up, writes go on.
  raft_fixture_kill(c.f(), 1);
  ASSERT_TRUE(c.put(0, 9, "after").ok());
  ASSERT_TRUE(c.catch_up(joiner, 0));
  EXPECT_EQ(c.get(joiner, 9), "after");
}

TEST(Replication, SnapshotsCompactTheLogAndAFollowerBehindThemCatchesUpFromOne) {
  Cluster c(3);
  c.enable_snapshots(8, 2);
  raft_fixture_elect(c.f(), 0);
  ASSERT_TRUE(c.create_map(0).ok());
  raft_fixture_disconnect(c.f(), 0, 2);
  raft_fixture_disconnect(c.f(), 1, 2);
  for (int k = 0; k < 30; ++k) ASSERT_TRUE(c.put(0, k, "s" + std::to_string(k)).ok());
  // The leader snapshotted and dropped the log behind it: entries the cut-off
  // follower needs are gone from the log.
  EXPECT_GE(c.at(0).fsm->snapshots_taken(), 2u);
  const raft_index compacted = c.raft_of(0)->log.snapshot.last_index;
  EXPECT_GT(compacted, 16u);
  EXPECT_GT(c.raft_of(0)->log.offset, c.raft_of(2)->last_applied);
  EXPECT_EQ(c.get(2, 20), std::nullopt);
  raft_fixture_reconnect(c.f(), 0, 2);
  raft_fixture_reconnect(c.f(), 1, 2);
  ASSERT_TRUE(c.catch_up(2, 0));
  c.expect_agree({0, 1, 2});
  EXPECT_EQ(c.get(2, 29), "s29");
  // It installed a snapshot (a descriptor) and fetched the entries it named.
  EXPECT_GE(c.at(2).fsm->snapshots_restored(), 1u);
  EXPECT_GT(c.at(2).fsm->entries_fetched(), 20u);
  EXPECT_GT(c.fetches(), 1u);
}

TEST(Replication, ANewMemberCatchesUpFromASnapshotAndVotes) {
  Cluster c(3);
  c.enable_snapshots(6, 1);
  raft_fixture_elect(c.f(), 0);
  ASSERT_TRUE(c.create_map(0).ok());
  for (int k = 0; k < 20; ++k) ASSERT_TRUE(c.put(0, k, "n").ok());
  ASSERT_GT(c.raft_of(0)->log.offset, 1u);  // the first entries are gone
  const unsigned joiner = c.add_replica();
  raft_change add{}, assign{};
  int changes_done = 0;
  add.data = assign.data = &changes_done;
  auto changed = [](raft_change* req, int status) {
    if (status == 0) ++*static_cast<int*>(req->data);
  };
  ASSERT_EQ(raft_add(c.raft_of(0), &add, joiner + 1, "4", changed), 0);
  ASSERT_TRUE(raft_fixture_step_until_applied(c.f(), 0, raft_last_applied(c.raft_of(0)) + 1, 5000));
  ASSERT_EQ(raft_assign(c.raft_of(0), &assign, joiner + 1, RAFT_VOTER, changed), 0);
  ASSERT_TRUE(raft_fixture_step_until(
      c.f(), [](raft_fixture*, void* n) { return *static_cast<int*>(n) == 2; }, &changes_done, 10000));
  ASSERT_TRUE(c.catch_up(joiner, 0));
  c.expect_agree({0, joiner});
  EXPECT_EQ(c.get(joiner, 0), "n");
  EXPECT_GE(c.at(joiner).fsm->snapshots_restored(), 1u);
}

TEST(Replication, ASnapshotOfAnotherLedgerIsRefused) {
  Cluster c(3);
  raft_fixture_elect(c.f(), 0);
  ASSERT_TRUE(c.create_map(0).ok());
  ASSERT_TRUE(c.put(0, 1, "x").ok());
  ASSERT_TRUE(c.catch_up(1, 0));
  auto d = c.at(0).fsm->describe();
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(c.at(1).fsm->restore_to(*d).ok());  // the same ledger: nothing to do
  SnapshotDescriptor other = *d;
  other.entry_digest[0] ^= 1;
  EXPECT_EQ(c.at(1).fsm->restore_to(other).code(), ErrorCode::kDataLoss);
  // Malformed descriptors are refused before anything is touched.
  Bytes bad = encode_snapshot_descriptor(*d);
  bad[0] ^= 1;
  EXPECT_FALSE(decode_snapshot_descriptor(bad).ok());
  EXPECT_FALSE(decode_snapshot_descriptor(ByteView(bad.data(), 3)).ok());
  auto round = decode_snapshot_descriptor(encode_snapshot_descriptor(*d));
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(round->seqno, d->seqno);
}

TEST(Replication, SealedBatchesOpenOnlyUnaltered) {
  Cluster c(3);
  raft_fixture_elect(c.f(), 0);
  ASSERT_TRUE(c.create_map(0).ok());
  auto e = c.at(0).store->entry(1);
  ASSERT_TRUE(e.ok());
  auto sealed = c.at(0).store->seal_batch({*e});
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(common::to_string(*sealed).find(kMap), std::string::npos);  // no plaintext map name
  auto opened = c.at(0).store->open_batch(*sealed);
  ASSERT_TRUE(opened.ok());
  ASSERT_EQ(opened->size(), 1u);
  EXPECT_EQ(store::encode_entry((*opened)[0]), store::encode_entry(*e));
  Bytes bad = *sealed;
  bad[bad.size() / 2] ^= 1;
  auto refused = c.at(0).store->open_batch(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kDataLoss);
}

TEST(Replication, ApplyingABatchAgainIsRecognisedAndAStaleOneIsAConflict) {
  Cluster c(3);
  raft_fixture_elect(c.f(), 0);
  ASSERT_TRUE(c.create_map(0).ok());
  ASSERT_TRUE(c.put(0, 1, "one").ok());
  Store& s = *c.at(0).store;
  auto first = s.entry(1);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(s.apply_batch({*first}).ok());  // a log replay after a restart
  store::LedgerEntry other = *first;
  other.timestamp_ms += 1;  // another leader's entry at the same seqno
  auto st = s.apply_batch({other});
  EXPECT_EQ(st.code(), ErrorCode::kConflict) << st.message();
  store::LedgerEntry gap = *first;
  gap.seqno = s.last_seqno() + 5;
  EXPECT_EQ(s.apply_batch({gap}).code(), ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace t3n::consensus
