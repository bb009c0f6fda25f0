// Raft servers on our own raft_io (RocksDB log, real threads, real stores),
// connected by an in-process transport that can cut links. Waits are ready
// signals with deadlines (RaftNode::wait_until), never sleeps.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include "consensus/raft_codec.h"
#include "consensus/raft_node.h"
#include "store/store.h"

namespace t3n::consensus {
namespace {

using namespace std::chrono_literals;
using store::Principal;
using store::Store;

const std::string kMap = "z:" + std::string(40, 'b') + ":data";

class Loopback : public PeerTransport {
 public:
  Status send(raft_id to, const std::string&, Bytes frame) override {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(to);
    if (it == nodes_.end() || it->second == nullptr) return Status(ErrorCode::kUnavailable, "no such peer");
    const raft_id from = raft_frame_sender(frame);
    if (cut_.count(from) != 0 || cut_.count(to) != 0) return Status(ErrorCode::kUnavailable, "link cut");
    it->second->deliver(std::move(frame));
    return {};
  }
  void attach(raft_id id, RaftNode* n) {
    std::lock_guard lock(mu_);
    nodes_[id] = n;
  }
  void isolate(raft_id id, bool on) {
    std::lock_guard lock(mu_);
    if (on) cut_.insert(id);
    else cut_.erase(id);
  }

 private:
  std::mutex mu_;
  std::map<raft_id, RaftNode*> nodes_;
  std::set<raft_id> cut_;
};

struct Server {
  std::filesystem::path dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<LedgerFsm> fsm;
  std::unique_ptr<Proposals> proposals;
  std::unique_ptr<RaftNode> raft;
};

class Cluster {
 public:
  explicit Cluster(unsigned n, unsigned snapshot_threshold = 4096, unsigned snapshot_trailing = 512)
      : threshold_(snapshot_threshold), trailing_(snapshot_trailing) {
    base_ = std::filesystem::temp_directory_path() / ("t3n-raftnode-" + std::to_string(::getpid()));
    std::filesystem::remove_all(base_);
    servers_.reserve(8);  // stable while a joiner is added
    servers_.resize(n);
    for (unsigned i = 0; i < n; ++i) open(i);
    std::vector<std::pair<raft_id, std::string>> voters;
    for (unsigned i = 0; i < n; ++i) voters.emplace_back(i + 1, "node-" + std::to_string(i + 1));
    for (unsigned i = 0; i < n; ++i) EXPECT_TRUE(servers_[i].raft->bootstrap(voters).ok());
    for (unsigned i = 0; i < n; ++i) EXPECT_TRUE(servers_[i].raft->start().ok());
  }
  ~Cluster() {
    for (unsigned i = 0; i < servers_.size(); ++i) close(i);
    std::filesystem::remove_all(base_);
  }

  void open(unsigned i) {
    Server& s = servers_[i];
    s.dir = base_ / std::to_string(i + 1);
    store::StoreOptions o;
    o.path = s.dir / "store";
    o.ledger_secrets.push_back({0, SecretBytes(Bytes(32, 9))});
    o.signature_interval_entries = 1000;
    o.sync_writes = false;
    o.replicate = [this, i](const std::vector<store::LedgerEntry>& e) { return servers_[i].proposals->propose(e); };
    o.replication_ready = [this, i] { return servers_[i].proposals->await_ready(); };
    auto st = Store::open(std::move(o));
    ASSERT_TRUE(st.ok()) << st.status().message();
    s.store = std::move(*st);
    s.fsm = std::make_unique<LedgerFsm>(*s.store);
    // Behind a snapshot, a server fetches committed entries from any other
    // running one that has them (the node does this over its peer links).
    s.fsm->set_entry_source([this, i](store::Seqno from, store::Seqno to) -> Result<std::vector<store::LedgerEntry>> {
      for (unsigned j = 0; j < servers_.size(); ++j) {
        if (j == i || !servers_[j].store || servers_[j].store->last_seqno() < from) continue;
        std::vector<store::LedgerEntry> out;
        for (store::Seqno q = from; q <= to && out.size() < 16; ++q) {
          auto e = servers_[j].store->entry(q);
          if (!e.ok()) break;
          out.push_back(std::move(*e));
        }
        if (!out.empty()) return out;
      }
      return Status(ErrorCode::kUnavailable, "no server has the entries");
    });
    s.proposals = std::make_unique<Proposals>(*s.store);
    RaftNodeOptions ro;
    ro.id = i + 1;
    ro.address = "node-" + std::to_string(i + 1);
    ro.log_dir = s.dir / "raft";
    ro.tick_ms = 10;
    // Generous against a loaded CI machine: a starved follower must not
    // start elections in the middle of a test.
    ro.heartbeat_ms = 50;
    ro.election_timeout_ms = 1000;
    ro.sync_writes = false;
    ro.snapshot_threshold = threshold_;
    ro.snapshot_trailing = trailing_;
    auto r = RaftNode::open(std::move(ro), *s.fsm, *s.proposals, net_);
    ASSERT_TRUE(r.ok()) << r.status().message();
    s.raft = std::move(*r);
    net_.attach(i + 1, s.raft.get());
  }
  void close(unsigned i) {
    Server& s = servers_[i];
    if (!s.raft) return;
    net_.attach(i + 1, nullptr);
    s.raft.reset();
    s.proposals.reset();
    s.fsm.reset();
    s.store.reset();
  }
  void restart(unsigned i) {
    open(i);
    ASSERT_TRUE(servers_[i].raft->start().ok());
  }

  // The index of the server that leads (of those running, other than
  // `except`), waiting up to 10 s for one.
  std::optional<unsigned> leader(std::optional<unsigned> except = std::nullopt) {
    for (int round = 0; round < 200; ++round) {
      for (unsigned i = 0; i < servers_.size(); ++i) {
        if (!servers_[i].raft || i == except) continue;
        if (servers_[i].raft->wait_until([](const RaftInfo& r) { return r.state == RAFT_LEADER; }, 50ms)) return i;
      }
    }
    return std::nullopt;
  }

  Status put(unsigned i, const std::string& k, const std::string& v) {
    auto tx = servers_[i].store->begin(Principal::system());
    T3N_RETURN_IF_ERROR(tx.put(kMap, common::as_bytes(k), common::as_bytes(v)));
    return servers_[i].store->commit(tx).status();
  }
  Status create_map(unsigned i) {
    auto tx = servers_[i].store->begin(Principal::system());
    T3N_RETURN_IF_ERROR(tx.create_map({kMap, store::Visibility::kPrivate, {1}, {}}));
    return servers_[i].store->commit(tx).status();
  }
  std::optional<std::string> get(unsigned i, const std::string& k) {
    auto tx = servers_[i].store->begin(Principal::system());
    auto v = tx.get(kMap, common::as_bytes(k));
    if (!v.ok() || !*v) return std::nullopt;
    return common::to_string(**v);
  }
  // Waits until server i applied as far as server `of` has.
  bool caught_up(unsigned i, unsigned of) {
    // The leader's store is ahead of its published info by one loop
    // iteration at most; its seqno is what counts.
    const auto want = servers_[of].store->last_seqno();
    Store& mine = *servers_[i].store;
    return servers_[i].raft->wait_until([&](const RaftInfo&) { return mine.last_seqno() >= want; }, 10s) &&
           mine.last_seqno() == want;
  }
  Server& at(unsigned i) { return servers_[i]; }
  Loopback& net() { return net_; }
  // A new, empty server, started but in no configuration yet.
  unsigned add_server() {
    const unsigned i = static_cast<unsigned>(servers_.size());
    servers_.resize(i + 1);
    open(i);
    EXPECT_TRUE(servers_[i].raft->start().ok());
    return i;
  }

 private:
  unsigned threshold_, trailing_;
  std::filesystem::path base_;
  Loopback net_;
  std::vector<Server> servers_;
};

TEST(RaftNode, ThreeServersElectALeaderAndReplicateThroughTheirRocksDbLogs) {
  Cluster c(3);
  auto l = c.leader();
  ASSERT_TRUE(l.has_value());
  ASSERT_TRUE(c.create_map(*l).ok());
  for (int k = 0; k < 20; ++k) ASSERT_TRUE(c.put(*l, "k" + std::to_string(k), "v" + std::to_string(k)).ok());
  for (unsigned i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.caught_up(i, *l)) << i;
    EXPECT_EQ(c.get(i, "k19"), "v19");
    EXPECT_EQ(c.at(i).store->state_root(), c.at(*l).store->state_root());
  }
  // A follower refuses writes.
  const unsigned f = (*l + 1) % 3;
  auto st = c.put(f, "x", "y");
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable) << st.message();
}

TEST(RaftNode, AFollowerRestartedFromDiskCatchesUp) {
  Cluster c(3);
  auto l = c.leader();
  ASSERT_TRUE(l.has_value());
  ASSERT_TRUE(c.create_map(*l).ok());
  const unsigned f = (*l + 1) % 3;
  ASSERT_TRUE(c.caught_up(f, *l));
  c.close(f);
  for (int k = 0; k < 10; ++k) ASSERT_TRUE(c.put(*l, "a" + std::to_string(k), "while down").ok());  // quorum of two
  c.restart(f);
  ASSERT_TRUE(c.caught_up(f, *l));
  EXPECT_EQ(c.get(f, "a9"), "while down");
  EXPECT_EQ(c.at(f).store->history_root(), c.at(*l).store->history_root());
}

TEST(RaftNode, LosingTheLeaderElectsAnotherAndWritesGoOn) {
  Cluster c(3);
  auto l = c.leader();
  ASSERT_TRUE(l.has_value());
  ASSERT_TRUE(c.create_map(*l).ok());
  ASSERT_TRUE(c.put(*l, "before", "1").ok());
  const unsigned old = *l;
  c.net().isolate(old + 1, true);
  std::optional<unsigned> next = c.leader(old);
  ASSERT_TRUE(next.has_value());
  Status after = c.put(*next, "after", "2");
  ASSERT_TRUE(after.ok()) << after.message();
  c.net().isolate(old + 1, false);
  ASSERT_TRUE(c.caught_up(old, *next));
  EXPECT_EQ(c.get(old, "after"), "2");
  EXPECT_EQ(c.get(old, "before"), "1");
}

TEST(RaftNode, SnapshotsCompactTheRocksDbLogAndARestartLoadsFromOne) {
  Cluster c(3, 10, 3);
  auto l = c.leader();
  ASSERT_TRUE(l.has_value());
  ASSERT_TRUE(c.create_map(*l).ok());
  for (int k = 0; k < 40; ++k) ASSERT_TRUE(c.put(*l, "c" + std::to_string(k), std::to_string(k)).ok());
  for (unsigned i = 0; i < 3; ++i) ASSERT_TRUE(c.caught_up(i, *l)) << i;
  const RaftInfo at_leader = c.at(*l).raft->info();
  EXPECT_GE(at_leader.snapshot_index, 30u);
  EXPECT_GT(at_leader.first_log_index, 20u);
  // The disk keeps the trailing entries and what came after the snapshot only.
  EXPECT_LE(at_leader.last_log_index - at_leader.first_log_index + 1, 3u + 10u + 1u);
  EXPECT_GE(c.at(*l).fsm->snapshots_taken(), 3u);
  const unsigned f = (*l + 1) % 3;
  c.close(f);
  ASSERT_TRUE(c.put(*l, "late", "yes").ok());
  c.restart(f);
  ASSERT_TRUE(c.caught_up(f, *l));
  EXPECT_GT(c.at(f).raft->info().first_log_index, 20u);  // loaded from the compacted log
  EXPECT_EQ(c.get(f, "c39"), "39");
  EXPECT_EQ(c.get(f, "late"), "yes");
  EXPECT_EQ(c.at(f).store->history_root(), c.at(*l).store->history_root());
}

TEST(RaftNode, ANewServerCatchesUpFromASnapshotAndVotes) {
  Cluster c(3, 8, 2);
  auto l = c.leader();
  ASSERT_TRUE(l.has_value());
  ASSERT_TRUE(c.create_map(*l).ok());
  for (int k = 0; k < 30; ++k) ASSERT_TRUE(c.put(*l, "j" + std::to_string(k), "old").ok());
  ASSERT_GT(c.at(*l).raft->info().first_log_index, 1u);
  const unsigned j = c.add_server();
  Status added = c.at(*l).raft->add_voter(j + 1, "node-" + std::to_string(j + 1));
  ASSERT_TRUE(added.ok()) << added.message();
  ASSERT_TRUE(c.caught_up(j, *l));
  EXPECT_EQ(c.get(j, "j0"), "old");
  EXPECT_GE(c.at(j).fsm->snapshots_restored(), 1u);
  EXPECT_GT(c.at(j).fsm->entries_fetched(), 25u);
  EXPECT_EQ(c.at(j).store->state_root(), c.at(*l).store->state_root());
  const RaftInfo info = c.at(*l).raft->info();
  ASSERT_NE(info.member(j + 1), nullptr);
  EXPECT_EQ(info.member(j + 1)->role, RAFT_VOTER);
}

}  // namespace
}  // namespace t3n::consensus
