// Replicated 1-key-write transactions on 3-member clusters, same run:
//  - t3n through the public API: three `node::Node`s in this process as a
//    dev cluster ([cluster]: Raft over the attested TCP peer links, synced
//    Raft logs and stores), each client a T3N session (SIWE login, AES-GCM
//    `action.execute`) on member c % 3 calling its own counter contract
//    (one key, read and written) — followers forward their commits to the
//    leader;
//  - t3n at the store level: three RaftNodes, clients commit 100-byte
//    values through the leader's Store::commit (the replication path alone);
//  - etcd: 3 members on loopback (Debian etcd-server) through its HTTP/JSON
//    gateway (POST /v3/kv/put), clients spread over the members the same
//    way, same value size. Skipped, with a message, if no etcd binary.
// <out>/cluster.json: tx/s, p50/p99 of each, the ratios, and CPU per
// transaction (t3n: this process minus the client threads; etcd: its three
// processes from /proc).
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
#include "crypto/random.h"
#include "api/session_client.h"
#include "node/node.h"
#include <sys/resource.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sstream>
#include <time.h>

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

// A port nobody listens on now (bench only: the members need each other's
// peer ports before any of them starts).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    std::fprintf(stderr, "no free port\n");
    std::exit(1);
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

struct ApiRun {
  Result_ r;
  double cpu_us_per_tx = 0;
};

ApiRun run_t3n_api(const std::filesystem::path& base, int clients, double seconds) {
  const int peer[3] = {free_port(), free_port(), free_port()};
  std::vector<std::unique_ptr<node::Node>> nodes(3);
  std::vector<std::thread> starting;
  for (int i = 0; i < 3; ++i)
    starting.emplace_back([&, i] {
      node::NodeConfig cfg;
      cfg.dev = true;
      cfg.listen_port = 0;
      cfg.node_id = "node-" + std::to_string(i + 1);
      cfg.data_dir = base / ("api-" + std::to_string(i + 1));
      cfg.tenant_log_max_entries = 0;
      cfg.cluster.member_id = static_cast<std::uint64_t>(i + 1);
      cfg.cluster.peer_port = peer[i];
      for (int j = 0; j < 3; ++j) cfg.cluster.bootstrap.emplace_back(j + 1, "127.0.0.1:" + std::to_string(peer[j]));
      nodes[static_cast<std::size_t>(i)] = bench::must(node::Node::create(cfg, common::Logger::to_stderr("t3nd", common::LogLevel::kError)));
    });
  for (auto& t : starting) t.join();
  node::Node* leader = nullptr;
  for (auto& n : nodes)
    if (n->leads()) leader = n.get();
  if (leader == nullptr) {
    std::fprintf(stderr, "no t3n leader after start\n");
    std::exit(1);
  }
  std::ifstream in(std::string(T3N_CONTRACTS_DIR) + "/counter.wasm", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const Json manifest = {{"host_capabilities", {"kv_store", "logging", "tenant_context"}}};
  for (int c = 0; c < clients; ++c) {
    std::string tenant(40, '0');
    tenant[39] = "0123456789abcdef"[c % 16];
    tenant[38] = "0123456789abcdef"[(c / 16) % 16];
    bench::must(leader->deploy("counter-" + std::to_string(c), "1.0.0", common::as_bytes(ss.str()), manifest, {"counter"}, tenant));
  }
  std::vector<std::atomic<int>> ports(3);
  std::vector<std::thread> servers;
  for (int i = 0; i < 3; ++i)
    servers.emplace_back([&, i] { (void)nodes[static_cast<std::size_t>(i)]->run([&, i](int p) { ports[static_cast<std::size_t>(i)] = p; }); });
  for (auto& p : ports)
    while (p.load() == 0) std::this_thread::yield();
  std::vector<std::unique_ptr<api::SessionClient>> sessions;
  const double setup_cpu0 = bench::thread_cpu_s();
  for (int c = 0; c < clients; ++c) {
    sessions.push_back(std::make_unique<api::SessionClient>("http://127.0.0.1:" + std::to_string(ports[static_cast<std::size_t>(c % 3)].load())));
    auto wallet = bench::must(crypto::random_secret(32));
    bench::must(sessions.back()->handshake());
    bench::must(sessions.back()->login_ethereum(wallet));
  }
  (void)setup_cpu0;
  std::vector<double> client_cpu(static_cast<std::size_t>(clients), 0);
  const double cpu0 = bench::process_cpu_s();
  Result_ r = drive(clients, seconds, [&](int c, std::uint64_t) {
    const double t0 = bench::thread_cpu_s();
    const Json params = {{"script_name", "counter-" + std::to_string(c)}, {"function_name", "increment"}, {"input", 1}};
    const bool ok = sessions[static_cast<std::size_t>(c)]->call("action.execute", params).ok();
    client_cpu[static_cast<std::size_t>(c)] += bench::thread_cpu_s() - t0;
    return ok;
  });
  double clients_cpu = 0;
  for (double v : client_cpu) clients_cpu += v;
  ApiRun out{std::move(r), 0};
  out.cpu_us_per_tx = out.r.ok > 0 ? (bench::process_cpu_s() - cpu0 - clients_cpu) * 1e6 / static_cast<double>(out.r.ok) : 0;
  sessions.clear();
  for (auto& n : nodes) n->stop();
  for (auto& t : servers) t.join();
  nodes.clear();
  return out;
}

// CPU seconds (user + system) a process has used, from /proc/<pid>/stat.
double proc_cpu_s(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::optional<Result_> run_etcd(const std::filesystem::path& base, int clients, double seconds, double* cpu_us_per_tx) {
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
    conns.push_back(std::make_unique<httplib::Client>("127.0.0.1", client_port[c % 3]));
    conns.back()->set_keep_alive(true);
    conns.back()->set_tcp_nodelay(true);  // else delayed ACKs add ~40 ms to every put
  }
  double etcd_cpu0 = 0;
  for (pid_t p : pids) etcd_cpu0 += proc_cpu_s(p);
  Result_ r = drive(clients, seconds, [&](int c, std::uint64_t k) { return put(*conns[static_cast<std::size_t>(c)], k); });
  double etcd_cpu1 = 0;
  for (pid_t p : pids) etcd_cpu1 += proc_cpu_s(p);
  *cpu_us_per_tx = r.ok > 0 ? (etcd_cpu1 - etcd_cpu0) * 1e6 / static_cast<double>(r.ok) : 0;
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
  ApiRun api = run_t3n_api(base, clients, seconds);
  Result_ t = run_t3n(base, clients, seconds);
  Json j = {{"t3n_api", api.r.to_json()}, {"t3n_store", t.to_json()}, {"clients", clients}, {"value_bytes", kValueSize},
            {"nproc", std::thread::hardware_concurrency()},
            {"t3n_api_side", "3 t3nd members (node::Node, [cluster]) in one process, Raft over attested TCP links, fsync on; "
                             "clients: T3N sessions (SIWE, AES-GCM action.execute) spread over the members, each calling its "
                             "own counter contract (1 key read + written per call)"},
            {"t3n_store_side", "3 RaftNodes in one process over attested TCP links; clients commit through the leader's store"}};
  j["t3n_api"]["cpu_us_per_tx"] = api.cpu_us_per_tx;
  j["t3n"] = j["t3n_api"];  // the figure TARGETS.md compares: through the public API
  auto line = [](const char* name, const Json& x, const std::string& extra) {
    std::printf("%-10s %8.0f tx/s  p50 %6.2f ms  p99 %6.2f ms  failed %llu%s\n", name, x["tx_per_s"].get<double>(), x["p50_ms"].get<double>(),
                x["p99_ms"].get<double>(), static_cast<unsigned long long>(x["failed"].get<std::uint64_t>()), extra.c_str());
  };
  line("t3n api", j["t3n_api"], "  cluster CPU " + std::to_string(static_cast<int>(api.cpu_us_per_tx)) + " us/tx");
  line("t3n store", j["t3n_store"], "");
  double etcd_cpu = 0;
  if (auto e = run_etcd(base, clients, seconds, &etcd_cpu)) {
    j["etcd"] = e->to_json();
    j["etcd"]["cpu_us_per_tx"] = etcd_cpu;
    j["ratio"] = j["t3n_api"]["tx_per_s"].get<double>() / std::max(1e-9, j["etcd"]["tx_per_s"].get<double>());
    j["store_ratio"] = j["t3n_store"]["tx_per_s"].get<double>() / std::max(1e-9, j["etcd"]["tx_per_s"].get<double>());
    j["target_ratio"] = 1.0;
    line("etcd", j["etcd"], "  cluster CPU " + std::to_string(static_cast<int>(etcd_cpu)) + " us/tx");
    std::printf("t3n api / etcd = %.2f (target >= 1.0); t3n store / etcd = %.2f\n", j["ratio"].get<double>(), j["store_ratio"].get<double>());
  } else {
    j["etcd"] = nullptr;
    std::printf("etcd: not run (no /usr/bin/etcd: apt-get install etcd-server)\n");
  }
  std::filesystem::create_directories(out_dir);
  std::ofstream(out_dir + "/cluster.json") << j.dump(2);
  std::filesystem::remove_all(base);
  return 0;
}
