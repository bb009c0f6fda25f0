// Raft over the TCP peer transport on 127.0.0.1: attested hybrid links,
// sealed frames, a server with bad evidence shut out.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "consensus/raft_node.h"
#include "consensus/tcp_transport.h"
#include "crypto/ed25519.h"
#include "crypto/mldsa.h"
#include "store/store.h"

namespace t3n::consensus {
namespace {

using namespace std::chrono_literals;
const std::string kMap = "z:" + std::string(40, 'c') + ":data";

struct Member {
  std::filesystem::path dir;
  std::unique_ptr<TcpPeerTransport> net;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<LedgerFsm> fsm;
  std::unique_ptr<Proposals> proposals;
  std::unique_ptr<RaftNode> raft;
};

std::shared_ptr<const store::NodeSigningKeys> node_keys() {
  auto ed = crypto::Ed25519PrivateKey::generate();
  auto pq = crypto::mldsa65_keygen();
  EXPECT_TRUE(ed.ok() && pq.ok());
  return std::make_shared<const store::NodeSigningKeys>(store::NodeSigningKeys{std::move(*ed), std::move(*pq)});
}

class TcpCluster {
 public:
  // `bad`: servers whose evidence does not bind their keys.
  TcpCluster(unsigned n, std::set<unsigned> bad = {}) : members_(n) { init(n, bad); }
  void init(unsigned n, const std::set<unsigned>& bad) {
    base_ = std::filesystem::temp_directory_path() / ("t3n-tcp-" + std::to_string(::getpid()));
    std::filesystem::remove_all(base_);
    for (unsigned i = 0; i < n; ++i) {
      TcpTransportOptions o;
      o.self.id = i + 1;
      o.self.cluster_id = Bytes(32, 0xd7);
      o.self.keys = node_keys();
      o.self.evidence = bad.count(i) != 0 ? Bytes{1, 2, 3} : simulated_evidence(*o.self.keys);
      o.policy = dev_cluster_policy();
      auto t = TcpPeerTransport::start(std::move(o));
      ASSERT_TRUE(t.ok()) << t.status().message();
      members_[i].net = std::move(*t);
    }
    std::vector<std::pair<raft_id, std::string>> voters;
    for (unsigned i = 0; i < n; ++i) voters.emplace_back(i + 1, "127.0.0.1:" + std::to_string(members_[i].net->port()));
    for (unsigned i = 0; i < n; ++i) {
      Member& m = members_[i];
      m.dir = base_ / std::to_string(i + 1);
      store::StoreOptions so;
      so.path = m.dir / "store";
      so.ledger_secrets.push_back({0, SecretBytes(Bytes(32, 5))});
      so.sync_writes = false;
      so.replicate = [&m](const std::vector<store::LedgerEntry>& e) { return m.proposals->propose(e); };
      so.replication_ready = [&m] { return m.proposals->await_ready(); };
      auto st = store::Store::open(std::move(so));
      ASSERT_TRUE(st.ok());
      m.store = std::move(*st);
      m.fsm = std::make_unique<LedgerFsm>(*m.store);
      m.proposals = std::make_unique<Proposals>(*m.store);
      RaftNodeOptions ro;
      ro.id = i + 1;
      ro.address = voters[i].second;
      ro.log_dir = m.dir / "raft";
      ro.heartbeat_ms = 50;
      ro.election_timeout_ms = 1000;
      ro.sync_writes = false;
      auto r = RaftNode::open(std::move(ro), *m.fsm, *m.proposals, *m.net);
      ASSERT_TRUE(r.ok()) << r.status().message();
      m.raft = std::move(*r);
      RaftNode* raft = m.raft.get();
      m.net->set_receiver([raft](Bytes f) { raft->deliver(std::move(f)); });
      ASSERT_TRUE(m.raft->bootstrap(voters).ok());
    }
    for (auto& m : members_) ASSERT_TRUE(m.raft->start().ok());
  }
  ~TcpCluster() {
    for (auto& m : members_) {
      if (m.net) m.net->set_receiver(nullptr);
      m.raft.reset();
      m.proposals.reset();
      m.fsm.reset();
      m.store.reset();
      m.net.reset();
    }
    std::filesystem::remove_all(base_);
  }
  std::optional<unsigned> leader() {
    for (int round = 0; round < 100; ++round)
      for (unsigned i = 0; i < members_.size(); ++i)
        if (members_[i].raft->wait_until([](const RaftInfo& r) { return r.state == RAFT_LEADER; }, 50ms)) return i;
    return std::nullopt;
  }
  Member& at(unsigned i) { return members_[i]; }

 private:
  std::filesystem::path base_;
  std::vector<Member> members_;
};

Status put(store::Store& s, const std::string& k, const std::string& v) {
  auto tx = s.begin(store::Principal::system());
  T3N_RETURN_IF_ERROR(tx.put(kMap, common::as_bytes(k), common::as_bytes(v)));
  return s.commit(tx).status();
}

Status create_map(store::Store& s) {
  auto tx = s.begin(store::Principal::system());
  T3N_RETURN_IF_ERROR(tx.create_map({kMap, store::Visibility::kPrivate, {1}, {}}));
  return s.commit(tx).status();
}

bool caught_up(Member& m, const store::Store& of) {
  const auto want = of.last_seqno();
  return m.raft->wait_until([&](const RaftInfo&) { return m.store->last_seqno() >= want; }, 10s);
}

TEST(TcpTransport, ThreeServersReplicateOverAttestedHybridLinks) {
  TcpCluster c(3);
  auto l = c.leader();
  ASSERT_TRUE(l.has_value());
  store::Store& leader = *c.at(*l).store;
  ASSERT_TRUE(create_map(leader).ok());
  for (int k = 0; k < 10; ++k) ASSERT_TRUE(put(leader, "k" + std::to_string(k), "over tcp").ok());
  for (unsigned i = 0; i < 3; ++i) {
    ASSERT_TRUE(caught_up(c.at(i), leader)) << i;
    EXPECT_EQ(c.at(i).store->state_root(), leader.state_root());
    EXPECT_GE(c.at(i).net->stats().links_up, 2u);
    EXPECT_EQ(c.at(i).net->stats().handshakes_refused, 0u);
  }
}

TEST(TcpTransport, AServerWithBadEvidenceGetsNothingAndTheOthersGoOn) {
  TcpCluster c(3, {2});
  auto l = c.leader();
  ASSERT_TRUE(l.has_value());
  ASSERT_NE(*l, 2u);
  store::Store& leader = *c.at(*l).store;
  ASSERT_TRUE(create_map(leader).ok());
  ASSERT_TRUE(put(leader, "secret", "not for server 3").ok());
  const unsigned other = *l == 0 ? 1 : 0;
  ASSERT_TRUE(caught_up(c.at(other), leader));
  EXPECT_EQ(c.at(2).store->last_seqno(), 0u);
  EXPECT_EQ(c.at(2).net->stats().frames_delivered, 0u);
  EXPECT_GT(c.at(*l).net->stats().handshakes_refused + c.at(other).net->stats().handshakes_refused, 0u);
}

}  // namespace
}  // namespace t3n::consensus
