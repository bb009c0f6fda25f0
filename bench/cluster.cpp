// Replicated 1-key-write transactions: a 3-server t3n cluster (RaftNode over
// the attested TCP transport, synced Raft logs and stores) against etcd (3
// members on loopback, the same client threads and value size), same run.
// <out>/cluster.json: tx/s, p50/p99 of each and the ratio.
//
// What the t3n side is, honestly: the three servers run in this process and
// the clients commit through the leader's Store::commit, not the public API
// (t3nd does not run a cluster yet, issue 16). etcd is driven through its
// HTTP/JSON gateway (POST /v3/kv/put). Skipped, with a message, if no etcd
// binary is found (Debian: etcd-server).
#include <httplib.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "bench_util.h"
#include "common/encoding.h"
#include "common/json.h"
#include "consensus/raft_node.h"
#include "consensus/tcp_transport.h"
#include "crypto/ed25519.h"
#include "crypto/mldsa.h"

using namespace t3n;
using namespace t3n::consensus;
using Clock = std::chrono::steady_clock;
using common::Json;

namespace {

constexpr std::size_t kValueSize = 100;
const std::string kMap = "z:" + std::string(40, 'e') + ":bench";

struct Result_ {
  std::uint64_t ok = 0, failed = 0;
  double seconds = 0;
  std::vector<double> ms;
  Json to_json() {
    std::sort(ms.begin(), ms.end());
    auto pct = [&](double p) { return ms.empty() ? 0.0 : ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * static_cast<double>(ms.size())))]; };
    return {{"tx", ok}, {"failed", failed}, {"seconds", seconds}, {"tx_per_s", static_cast<double>(ok) / seconds},
            {"p50_ms", pct(0.5)}, {"p99_ms", pct(0.99)}};
  }
};

template <typename Fn>
Result_ drive(int clients, double seconds, Fn one) {
  Result_ r;
  std::atomic<bool> stop{false};
  std::vector<Result_> per(static_cast<std::size_t>(clients));
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      std::mt19937_64 rng(static_cast<std::uint64_t>(c) + 1);
      auto& mine = per[static_cast<std::size_t>(c)];
      while (!stop.load()) {
        const auto t0 = Clock::now();
        const bool ok = one(c, rng() % 100000);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (ok) {
          ++mine.ok;
          mine.ms.push_back(ms);
        } else {
          ++mine.failed;
        }
      }
    });
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (auto& p : per) {
    r.ok += p.ok;
    r.failed += p.failed;
    r.ms.insert(r.ms.end(), p.ms.begin(), p.ms.end());
  }
  return r;
}

struct Member {
  std::unique_ptr<TcpPeerTransport> net;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<LedgerFsm> fsm;
  std::unique_ptr<Proposals> proposals;
  std::unique_ptr<RaftNode> raft;
};

Result_ run_t3n(const std::filesystem::path& base, int clients, double seconds) {
  std::vector<Member> m(3);
  for (unsigned i = 0; i < 3; ++i) {
    TcpTransportOptions o;
    o.self.id = i + 1;
    o.self.cluster_id = Bytes(32, 0xbe);
    auto ed = bench::must(crypto::Ed25519PrivateKey::generate());
    auto pq = bench::must(crypto::mldsa65_keygen());
    o.self.keys = std::make_shared<const store::NodeSigningKeys>(store::NodeSigningKeys{std::move(ed), std::move(pq)});
    o.self.evidence = simulated_evidence(*o.self.keys);
    o.policy = dev_cluster_policy();
    m[i].net = bench::must(TcpPeerTransport::start(std::move(o)));
  }
  std::vector<std::pair<raft_id, std::string>> voters;
  for (unsigned i = 0; i < 3; ++i) voters.emplace_back(i + 1, "127.0.0.1:" + std::to_string(m[i].net->port()));
  for (unsigned i = 0; i < 3; ++i) {
    Member& x = m[i];
    store::StoreOptions so;
    so.path = base / ("t3n-" + std::to_string(i + 1)) / "store";
    so.ledger_secrets.push_back({0, SecretBytes(Bytes(32, 3))});
    so.replicate = [&x](const std::vector<store::LedgerEntry>& e) { return x.proposals->propose(e); };
    so.replication_ready = [&x] { return x.proposals->await_ready(); };
    x.store = bench::must(store::Store::open(std::move(so)));
    x.fsm = std::make_unique<LedgerFsm>(*x.store);
    x.proposals = std::make_unique<Proposals>(*x.store);
    RaftNodeOptions ro;
    ro.id = i + 1;
    ro.address = voters[i].second;
    ro.log_dir = base / ("t3n-" + std::to_string(i + 1)) / "raft";
    x.raft = bench::must(RaftNode::open(std::move(ro), *x.fsm, *x.proposals, *x.net));
    RaftNode* raft = x.raft.get();
    x.net->set_receiver([raft](Bytes f) { raft->deliver(std::move(f)); });
    bench::must(x.raft->bootstrap(voters));
  }
  for (auto& x : m) bench::must(x.raft->start());
  std::optional<unsigned> leader;
  for (int round = 0; round < 200 && !leader; ++round)
    for (unsigned i = 0; i < 3 && !leader; ++i)
      if (m[i].raft->wait_until([](const RaftInfo& r) { return r.state == RAFT_LEADER; }, std::chrono::milliseconds(50))) leader = i;
  if (!leader) {
    std::fprintf(stderr, "no t3n leader\n");
    std::exit(1);
  }
  store::Store& s = *m[*leader].store;
  {
    auto tx = s.begin(store::Principal::system());
    bench::must(tx.create_map({kMap, store::Visibility::kPrivate, {1}, {}}));
    bench::must(s.commit(tx));
  }
  const Bytes value(kValueSize, 0x5a);
  Result_ r = drive(clients, seconds, [&](int, std::uint64_t k) {
    auto tx = s.begin(store::Principal::system());
    Bytes key;
    common::append_u64_be(key, k);
    return tx.put(kMap, key, value).ok() && s.commit(tx).ok();
  });
  for (auto& x : m) x.net->set_receiver(nullptr);
  for (auto& x : m) {
    x.raft.reset();
    x.proposals.reset();
    x.fsm.reset();
    x.store.reset();
    x.net.reset();
  }
  return r;
}

std::optional<Result_> run_etcd(const std::filesystem::path& base, int clients, double seconds) {
  const char* bin = "/usr/bin/etcd";
  if (::access(bin, X_OK) != 0) return std::nullopt;
  const int client_port[3] = {23791, 23792, 23793}, peer_port[3] = {23801, 23802, 23803};
  std::string initial;
  for (int i = 0; i < 3; ++i)
    initial += (i ? "," : "") + std::string("e") + std::to_string(i + 1) + "=http://127.0.0.1:" + std::to_string(peer_port[i]);
  std::vector<pid_t> pids;
  for (int i = 0; i < 3; ++i) {
    const std::string name = "e" + std::to_string(i + 1), dir = (base / ("etcd-" + name)).string();
    const std::string client = "http://127.0.0.1:" + std::to_string(client_port[i]);
    const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port[i]);
    std::vector<std::string> args = {bin, "--name", name, "--data-dir", dir, "--listen-client-urls", client,
                                     "--advertise-client-urls", client, "--listen-peer-urls", peer,
                                     "--initial-advertise-peer-urls", peer, "--initial-cluster", initial,
                                     "--initial-cluster-state", "new", "--initial-cluster-token", "t3n-bench",
                                     "--log-level", "error"};
    std::filesystem::create_directories(base);
    const std::string log = (base / (name + ".log")).string();
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);  // etcd's chatter, not ours
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(bin, argv.data());
      ::_exit(127);
    }
    pids.push_back(pid);
  }
  auto stop_all = [&] {
    for (pid_t p : pids) ::kill(p, SIGTERM);
    for (pid_t p : pids) ::waitpid(p, nullptr, 0);
  };
  // Ready: a put through member 1 succeeds (polling with a deadline).
  const std::string v64 = common::base64_encode(Bytes(kValueSize, 0x5a));
  auto put = [&](httplib::Client& c, std::uint64_t k) {
    Bytes key;
    common::append_u64_be(key, k);
    const Json body = {{"key", common::base64_encode(key)}, {"value", v64}};
    auto res = c.Post("/v3/kv/put", body.dump(), "application/json");
    return res && res->status == 200;
  };
  {
    httplib::Client probe("127.0.0.1", client_port[0]);
    probe.set_connection_timeout(1);
    probe.set_tcp_nodelay(true);
    bool ready = false;
    for (int i = 0; i < 300 && !ready; ++i) {
      ready = put(probe, 0);
      // etcd gives this process no ready signal: poll, with a deadline.
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!ready) {
      std::fprintf(stderr, "etcd did not become ready\n");
      stop_all();
      return std::nullopt;
    }
  }
  std::vector<std::unique_ptr<httplib::Client>> conns;
  for (int c = 0; c < clients; ++c) {
    conns.push_back(std::make_unique<httplib::Client>("127.0.0.1", client_port[0]));
    conns.back()->set_keep_alive(true);
    conns.back()->set_tcp_nodelay(true);  // else delayed ACKs add ~40 ms to every put
  }
  Result_ r = drive(clients, seconds, [&](int c, std::uint64_t k) { return put(*conns[static_cast<std::size_t>(c)], k); });
  conns.clear();
  stop_all();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string out_dir = argc > 1 ? argv[1] : "build/bench";
  const double seconds = argc > 2 ? std::stod(argv[2]) : 5.0;
  const int clients = argc > 3 ? std::stoi(argv[3]) : 8;
  const auto base = std::filesystem::temp_directory_path() / ("t3n-cluster-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(base);
  std::printf("cluster: 3 members each, %d clients, %.1f s, %u cores, 1-key writes of %zu bytes, fsync on\n", clients, seconds,
              std::thread::hardware_concurrency(), kValueSize);
  Result_ t = run_t3n(base, clients, seconds);
  Json j = {{"t3n", t.to_json()}, {"clients", clients}, {"value_bytes", kValueSize},
            {"t3n_side", "3 RaftNodes in one process over attested TCP links; clients commit through the leader's store "
                         "(not the public API yet)"}};
  std::printf("t3n  %8.0f tx/s  p50 %6.2f ms  p99 %6.2f ms  failed %llu\n", j["t3n"]["tx_per_s"].get<double>(),
              j["t3n"]["p50_ms"].get<double>(), j["t3n"]["p99_ms"].get<double>(), static_cast<unsigned long long>(t.failed));
  if (auto e = run_etcd(base, clients, seconds)) {
    j["etcd"] = e->to_json();
    j["ratio"] = j["t3n"]["tx_per_s"].get<double>() / std::max(1e-9, j["etcd"]["tx_per_s"].get<double>());
    j["target_ratio"] = 1.0;
    std::printf("etcd %8.0f tx/s  p50 %6.2f ms  p99 %6.2f ms  failed %llu\n", j["etcd"]["tx_per_s"].get<double>(),
                j["etcd"]["p50_ms"].get<double>(), j["etcd"]["p99_ms"].get<double>(), static_cast<unsigned long long>(e->failed));
    std::printf("t3n / etcd = %.2f (target >= 1.0)\n", j["ratio"].get<double>());
  } else {
    j["etcd"] = nullptr;
    std::printf("etcd: not run (no /usr/bin/etcd: apt-get install etcd-server)\n");
  }
  std::filesystem::create_directories(out_dir);
  std::ofstream(out_dir + "/cluster.json") << j.dump(2);
  std::filesystem::remove_all(base);
  return 0;
}
