// t3nd — the T3N node daemon.
#include <CLI/CLI.hpp>

#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "common/encoding.h"
#include "common/files.h"
#include "common/json.h"
#include "common/log.h"
#include "crypto/self_test.h"
#include "host/host.h"
#include "node/node.h"
#include "runtime/runtime.h"
#include "store/store.h"

namespace {

using namespace t3n;
using t3n::node::parse_oidc_provider_spec;
using t3n::node::load_node_config;
using t3n::node::Node;
using t3n::node::NodeConfig;

int run_self_test(const common::Logger& log) {
  auto report = crypto::run_self_test();
  if (!report.ok()) {
    log.error("crypto self-test failed: {}", report.status().to_string());
    return 1;
  }
  for (const auto& name : report->passed) log.info("self-test passed: {}", name);
  std::printf("t3nd %s: crypto self-test passed (%zu checks).\n", T3N_VERSION, report->passed.size());
  return 0;
}

using common::read_file;

struct ContractRun {
  std::string wasm;
  std::string manifest;
  std::string function;
  std::string input = "null";
  std::string data_dir = ".t3n-dev/contract-run";
  std::string tenant = std::string(40, 'a');
  std::uint32_t contract_id = 1;
  std::vector<std::string> maps;
  bool json_output = false;
};

// Runs one contract call against a local store: the development loop for
// contract authors before a node is involved (see sdk/README.md).
int contract_run(const ContractRun& opts, const common::Logger& log) {
  auto fail = [&](const Status& s) {
    std::fprintf(stderr, "error: %s\n", s.to_string().c_str());
    return 1;
  };
  auto wasm = read_file(opts.wasm);
  if (!wasm.ok()) return fail(wasm.status());
  runtime::Manifest manifest;
  if (!opts.manifest.empty()) {
    auto text = read_file(opts.manifest);
    if (!text.ok()) return fail(text.status());
    auto json = common::parse_json(*text);
    if (!json.ok()) return fail(json.status().with_context(opts.manifest));
    auto m = runtime::parse_manifest(*json);
    if (!m.ok()) return fail(m.status().with_context(opts.manifest));
    manifest = std::move(*m);
  }
  auto input = common::parse_json(opts.input);
  if (!input.ok()) return fail(input.status().with_context("--input"));

  store::StoreOptions so;
  so.path = opts.data_dir;
  // A fixed development secret: this command is for local testing only.
  so.ledger_secrets.push_back({0, SecretBytes(common::as_bytes("t3n contract-run development secret"))});
  auto st = store::Store::open(std::move(so));
  if (!st.ok()) return fail(st.status());
  auto& store = **st;
  {
    auto tx = store.begin(store::Principal::system());
    bool created = false;
    for (const auto& tail : opts.maps) {
      std::string name = "z:" + opts.tenant + ":" + tail;
      if (store.map_spec(name)) continue;
      const auto vis = tail.rfind("public:", 0) == 0 ? store::Visibility::kPublic : store::Visibility::kPrivate;
      if (Status s = tx.create_map({name, vis, {opts.contract_id}, {}}); !s.ok()) return fail(s);
      created = true;
    }
    if (created && !store.commit(tx).ok()) return fail(common::internal_error("creating maps"));
  }
  runtime::RuntimeOptions ro;
  ro.log = log;
  auto rt = runtime::Runtime::create(std::move(ro), host::core_registry());
  if (!rt.ok()) return fail(rt.status());
  auto contract = (*rt)->load(common::as_bytes(*wasm), manifest);
  if (!contract.ok()) return fail(contract.status());

  auto tx = store.begin(store::Principal::contract(opts.contract_id, opts.tenant));
  runtime::CallContext ctx;
  ctx.tx = &tx;
  ctx.contract_id = opts.contract_id;
  ctx.tenant_tid = opts.tenant;
  auto did = common::hex_decode_canonical(opts.tenant, 20);
  if (!did.ok()) return fail(common::invalid_argument("--tenant must be 40 lower-case hex characters"));
  ctx.tenant_did = *did;
  ctx.cluster_timestamp_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  ctx.seqno = store.last_seqno();
  ctx.request_id = "contract-run";
  auto out = (*rt)->call(**contract, opts.function, *input, ctx);
  std::optional<store::Seqno> seqno;
  if (out.ok && tx.has_writes()) {
    auto committed = store.commit(tx);
    if (!committed.ok()) return fail(committed.status());
    seqno = committed->seqno;
  }
  common::Json result = {{"ok", out.ok}, {"fuel", out.fuel_consumed}, {"elapsed_us", out.elapsed.count()},
                         {"log", ctx.contract_log}};
  if (out.ok) result["response"] = out.response;
  else result["error"] = {{"code", std::string(runtime::call_error_name(out.error))}, {"message", out.message}};
  if (seqno) result["tx_seqno"] = *seqno;
  if (opts.json_output) {
    std::printf("%s\n", result.dump().c_str());
  } else {
    for (const auto& line : ctx.contract_log) std::printf("log  %s\n", line.c_str());
    if (out.ok) std::printf("ok   %s\n", out.response.dump().c_str());
    else std::printf("err  %s: %s\n", std::string(runtime::call_error_name(out.error)).c_str(), out.message.c_str());
    std::printf("     fuel %llu, %lld µs%s\n", static_cast<unsigned long long>(out.fuel_consumed),
                static_cast<long long>(out.elapsed.count()),
                seqno ? (", committed at seqno " + std::to_string(*seqno)).c_str() : ", nothing committed");
  }
  return out.ok ? 0 : 3;
}

// Runs the node until SIGINT/SIGTERM.
// SIGINT/SIGTERM are blocked in every thread the node starts and taken by
// one waiter thread with sigwait, which stops the node from ordinary code —
// no signal handler, no global. SIGUSR1 tells the waiter the node is done.
class SignalStop {
 public:
  SignalStop() {
    sigemptyset(&set_);
    for (int sig : {SIGINT, SIGTERM, SIGUSR1}) sigaddset(&set_, sig);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);  // before any thread exists: all inherit it
  }
  SignalStop(const SignalStop&) = delete;
  SignalStop& operator=(const SignalStop&) = delete;
  void watch(Node& node) {
    waiter_ = std::thread([this, &node] {
      int sig = 0;
      if (sigwait(&set_, &sig) == 0 && sig != SIGUSR1) node.stop();
    });
  }
  // Before the node is destroyed: the waiter must not reach a dead node.
  void stop_watching() {
    if (!waiter_.joinable()) return;
    pthread_kill(waiter_.native_handle(), SIGUSR1);
    waiter_.join();
  }
  ~SignalStop() {
    stop_watching();
    pthread_sigmask(SIG_UNBLOCK, &set_, nullptr);
  }

 private:
  sigset_t set_{};
  std::thread waiter_;
};

// The ready signal: once the node listens, its URL and a newline are written
// to --ready-fd (a pipe a supervisor or test holds), which is then closed.
void signal_ready(int fd, const std::string& url) {
  if (fd < 0) return;
  const std::string line = url + "\n";
  std::size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = ::write(fd, line.data() + off, line.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

int serve(NodeConfig config, const common::Logger& log, const std::string& contracts_dir, int ready_fd) {
  SignalStop signals;
  const bool dev = config.dev;
  auto node = Node::create(config, log);
  if (!node.ok()) {
    std::fprintf(stderr, "error: %s\n", node.status().to_string().c_str());
    return 1;
  }
  // A cluster's examples are deployed by the member leading at start (the
  // others receive them through Raft).
  if (dev && !contracts_dir.empty() && (*node)->leads()) {
    // Example contracts, so a new user has something to call.
    struct Example { const char* name; const char* file; common::Json manifest; std::vector<std::string> maps; };
    const std::vector<Example> examples = {
        {"counter", "counter.wasm", {{"host_capabilities", {"kv_store", "logging", "tenant_context"}}}, {"counter"}},
        {"greeter", "js-greeter.wasm", {{"host_capabilities", {"kv_store", "tenant_context"}}}, {"greetings"}},
        {"attachments", "attachments.wasm", {{"host_capabilities", {"stash"}}, {"stash", true}}, {}},
        // Signing with the cluster key and the caller's custodial wallet, SD-JWT VCs,
        // authorisation, provider-config and config (sdk/examples/signer).
        {"signer", "signer.wasm",
         {{"host_capabilities", {"signing", "authorisation", "provider_config", "config"}},
          {"sign_as_user", true},
          {"http_allow_list", {"api.example.com", "*.kyc.example"}},
          {"provider_config", {"kyc", "geo"}}},
         {}},
        // profile-ref handles and OpenID4VP presentations (sdk/examples/presenter).
        {"presenter", "presenter.wasm",
         {{"host_capabilities", {"profile_ref", "http_with_placeholders", "vp"}},
          {"http_allow_list", {"verifier.example"}},
          {"placeholder_allowlist", {"email_address", "verified_contacts"}}},
         {}},
    };
    for (const auto& ex : examples) {
      auto bytes = read_file(contracts_dir + "/" + ex.file);
      if (!bytes.ok()) continue;
      auto r = (*node)->deploy(ex.name, "1.0.0", common::as_bytes(*bytes), ex.manifest, ex.maps, "");
      if (!r.ok() && r.status().code() != ErrorCode::kAlreadyExists)
        log.warn("could not deploy example {}: {}", ex.name, r.status().to_string());
    }
  }
  signals.watch(**node);
  Status s = (*node)->run([&](int port) {
    const std::string url = "http://" + config.listen_host + ":" + std::to_string(port);
    std::printf("t3nd %s listening on %s%s\n", T3N_VERSION, url.c_str(), dev ? " (dev mode: simulated TEE)" : "");
    signal_ready(ready_fd, url);
    if (dev && config.cluster.member_id == 0) {
      std::printf("\nTry it (OHTTP + X-Wing, DID-signed). This node's TEE is SIMULATED, so the CLI refuses it until you\n"
                  "trust its simulated root (your own dev node only; dev data is not confidential):\n"
                  "  export T3N_TRUST_SIMULATED_ROOT=$(build/bin/t3n --node %s attest verify-node --print-simulated-root)\n"
                  "  build/bin/t3n --node %s keygen\n"
                  "  build/bin/t3n --node %s call counter increment --input 5\n"
                  "  build/bin/t3n --node %s call greeter greet --input '\"ada\"'\n"
                  "  build/bin/t3n --node %s attest verify-node   # DCAP over the simulated quote: proves nothing about hardware\n"
                  "Your own contract (tee:tenant; metered, 100 tokens of welcome credits):\n"
                  "  build/bin/t3n --node %s tenant claim\n"
                  "  build/bin/t3n --node %s contract upload build/contracts/tenant-app.wasm --name app --version 1.0.0\n\n"
                  "Or with the official T3N SDK (@terminal3/t3n-sdk: handshake, Ethereum login, execute):\n"
                  "  (cd tests/compat && npm ci && node hello.mjs %s)\n\n",
                  url.c_str(), url.c_str(), url.c_str(), url.c_str(), url.c_str(), url.c_str(), url.c_str(), url.c_str());
    }
    std::fflush(stdout);
  });
  signals.stop_watching();
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.to_string().c_str());
    return 1;
  }
  return 0;
}

// `t3nd dev --nodes N`: N member processes of one dev cluster on this
// machine, each `t3nd start` with a generated node.toml under
// <data>/member-<i>/; this process supervises them (their URLs once all are
// ready; SIGINT/SIGTERM stops them all; a member that exits is reported and
// the others keep running, so failover can be tried by killing one).
struct DevCluster {
  int nodes = 3;
  int api_port = 8080;     // member i: api_port + i - 1 (0: any free port)
  int peer_port = 7100;    // member i: peer_port + i
  std::string data_dir;
  std::string contracts_dir;
  bool dev_plaintext = false;
  std::string log_level;
};

int run_dev_cluster(const DevCluster& dc) {
  if (dc.nodes < 1 || dc.nodes > 9) {
    std::fprintf(stderr, "error: --nodes must be 1..9\n");
    return 2;
  }
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    std::fprintf(stderr, "error: cannot find the t3nd binary: %s\n", ec.message().c_str());
    return 1;
  }
  std::string bootstrap;
  for (int i = 1; i <= dc.nodes; ++i)
    bootstrap += std::string(i > 1 ? ", " : "") + "\"" + std::to_string(i) + "@127.0.0.1:" + std::to_string(dc.peer_port + i) + "\"";
  sigset_t stop_set;
  sigemptyset(&stop_set);
  for (int sig : {SIGINT, SIGTERM, SIGCHLD}) sigaddset(&stop_set, sig);
  pthread_sigmask(SIG_BLOCK, &stop_set, nullptr);
  std::vector<pid_t> pids;
  std::vector<int> ready_fds;
  auto stop_all = [&](int code) {
    for (pid_t p : pids)
      if (p > 0) ::kill(p, SIGTERM);
    for (pid_t p : pids)
      if (p > 0) ::waitpid(p, nullptr, 0);
    return code;
  };
  for (int i = 1; i <= dc.nodes; ++i) {
    const auto dir = std::filesystem::absolute(dc.data_dir) / ("member-" + std::to_string(i));
    std::filesystem::create_directories(dir, ec);
    const int api_port = dc.api_port == 0 ? 0 : dc.api_port + i - 1;
    const auto toml = dir / "node.toml";
    {
      std::ofstream f(toml);
      f << "# generated by t3nd dev --nodes " << dc.nodes << "\n"
        << "[node]\nid = \"node-" << i << "\"\ndata_dir = \"" << dir.string() << "\"\ndev = true\n\n"
        << "[api]\nhost = \"127.0.0.1\"\nport = " << api_port << "\ndev_plaintext = " << (dc.dev_plaintext ? "true" : "false") << "\n\n"
        << "[cluster]\nmember_id = " << i << "\npeer_host = \"127.0.0.1\"\npeer_port = " << dc.peer_port + i
        << "\nbootstrap = [" << bootstrap << "]\n";
      if (!f) {
        std::fprintf(stderr, "error: cannot write %s\n", toml.string().c_str());
        return stop_all(1);
      }
    }
    int fds[2];
    if (::pipe(fds) != 0) return stop_all(1);
    const std::string fd_text = std::to_string(fds[1]);
    std::vector<std::string> args = {exe.string(), "--log-level", dc.log_level, "--ready-fd", fd_text, "start", "--config", toml.string()};
    if (!dc.contracts_dir.empty()) {
      args.push_back("--contracts");
      args.push_back(dc.contracts_dir);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, exe.c_str(), nullptr, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    ::close(fds[1]);
    if (rc != 0) {
      std::fprintf(stderr, "error: cannot start member %d\n", i);
      ::close(fds[0]);
      return stop_all(1);
    }
    pids.push_back(pid);
    ready_fds.push_back(fds[0]);
  }
  std::vector<std::string> urls;
  for (int i = 0; i < dc.nodes; ++i) {
    std::string line;
    char ch = 0;
    while (::read(ready_fds[static_cast<std::size_t>(i)], &ch, 1) == 1 && ch != '\n') line += ch;
    ::close(ready_fds[static_cast<std::size_t>(i)]);
    if (line.empty()) {
      std::fprintf(stderr, "error: member %d exited before it was ready (see its messages above)\n", i + 1);
      return stop_all(1);
    }
    urls.push_back(line);
  }
  std::printf("t3nd %s: a %d-member dev cluster (simulated TEE, Raft over attested peer links)\n", T3N_VERSION, dc.nodes);
  for (int i = 0; i < dc.nodes; ++i)
    std::printf("  member %d  %s  (pid %d, data %s/member-%d)\n", i + 1, urls[static_cast<std::size_t>(i)].c_str(),
                static_cast<int>(pids[static_cast<std::size_t>(i)]), dc.data_dir.c_str(), i + 1);
  std::printf("\nAny member serves clients (writes are forwarded to the leader). Roles:\n");
  for (const auto& u : urls) std::printf("  curl -s %s/status | jq '{node_id, raft_role, term, leader_id}'\n", u.c_str());
  std::printf("Kill a member (kill -9 <pid>) to watch another take over; Ctrl-C stops them all.\n");
  std::fflush(stdout);
  int live = dc.nodes;
  while (live > 0) {
    int sig = 0;
    if (sigwait(&stop_set, &sig) != 0) break;
    if (sig != SIGCHLD) return stop_all(0);
    for (std::size_t i = 0; i < pids.size(); ++i) {
      if (pids[i] <= 0) continue;
      int status = 0;
      if (::waitpid(pids[i], &status, WNOHANG) == pids[i]) {
        std::printf("member %zu (pid %d) exited (%s %d)\n", i + 1, static_cast<int>(pids[i]),
                    WIFSIGNALED(status) ? "signal" : "status", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        std::fflush(stdout);
        pids[i] = 0;
        --live;
      }
    }
  }
  return stop_all(live == 0 ? 1 : 0);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"t3nd — T3N confidential-compute node"};
  app.set_version_flag("--version", std::string("t3nd ") + T3N_VERSION);
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")->capture_default_str();
  int ready_fd = -1;
  app.add_option("--ready-fd", ready_fd, "Write the URL to this file descriptor once listening, then close it");
  app.require_subcommand(0, 1);
  auto* dev = app.add_subcommand("dev", "Run a development node, or with --nodes N a local dev cluster (simulated TEE)");
  NodeConfig dev_config;
  dev_config.dev = true;
  dev_config.dev_plaintext = false;
  std::string data_dir = ".t3n-dev";
  std::string contracts_dir;
  dev->add_option("--port", dev_config.listen_port, "Port on 127.0.0.1 (0 = any free port)")->capture_default_str();
  dev->add_option("--data", data_dir, "Data directory")->capture_default_str();
  dev->add_option("--contracts", contracts_dir, "Directory of example contracts to deploy (build/contracts)");
  dev->add_flag("--dev-plaintext", dev_config.dev_plaintext, "Also serve plaintext /api/rpc (debugging only)");
  dev->add_option("--operator", dev_config.operators, "A DID allowed the operator endpoints (repeatable)");
  dev->add_option("--cors-origin", dev_config.cors_origins,
                  "A browser origin allowed CORS, e.g. http://localhost:5173 (repeatable; none = no CORS)");
  dev->add_option("--signature-interval-ms", dev_config.signature_interval_ms,
                  "Sign unsigned entries at least this often (0 = every 100 entries only)")
      ->capture_default_str();
  dev->add_option("--session-max", dev_config.session_limits.max_sessions,
                  "Most T3N sessions held at once; the least recently used goes first (sessions.max_sessions)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  dev->add_option("--siwe-domain", dev_config.siwe_domains, "A SIWE domain accepted for Ethereum logins (repeatable; none = any)");
  dev->add_option("--smtp-url", dev_config.smtp_url,
                  "Deliver e-mail login codes over SMTP (smtp://host:port, smtps://…); default: the dev mailbox file");
  dev->add_option("--smtp-from", dev_config.smtp_from, "Sender address of login codes")->capture_default_str();
  dev->add_option("--otp-cooldown-seconds", dev_config.otp_cooldown_secs, "Wait between two codes to one address (otp.cooldown_seconds)")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  std::vector<std::string> kyc_specs;
  dev->add_option("--kyc-provider", kyc_specs, "ID=WEBHOOK_SECRET: accept that KYC provider's signed decisions at /api/kyc/webhook/ID (repeatable)");
  dev->add_option("--sms-url", dev_config.sms_url, "POST SMS codes as JSON {to, from, text} to this gateway through the outbox (sms.url); default: data/dev-sms.txt");
  dev->add_option("--sms-authorization", dev_config.sms_authorization, "The gateway's Authorization header value (sms.authorization)");
  dev->add_flag("--egress-allow-private-for-tests", dev_config.egress.allow_private_targets,
                "Let contracts reach loopback/private addresses (tests only; egress.allow_private_for_tests)");
  dev->add_flag("--egress-allow-http", dev_config.egress.allow_plain_http, "Let contracts use plain http:// (egress.allow_plain_http)");
  dev->add_option("--egress-ca-file", dev_config.egress.ca_file, "CA bundle contracts' HTTPS upstreams are checked against");
  std::vector<std::string> egress_resolve;
  dev->add_option("--egress-resolve", egress_resolve,
                  "HOST=ADDRESS: use ADDRESS for HOST instead of DNS (tests; repeatable; still checked by the egress policy)");
  std::vector<std::string> oidc_specs;
  dev->add_option("--oidc", oidc_specs,
                  "An OpenID Connect provider: name=…,issuer=…,jwks_url=https://…,client_id=…[,ca_file=…] (repeatable)");
  std::string metering = "on";
  dev->add_option("--metering", metering, "Meter tenants' contract calls and registrations: on or off ([metering] enabled)")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off"}));
  bool no_self_admit = false;
  dev->add_flag("--no-self-admit", no_self_admit,
                "Admit tenants only through the operator API, as a production node does (tenancy.self_admit = false)");
  std::uint64_t log_entries = 1000;
  dev->add_option("--tenant-log-entries", log_entries, "Each contract's log ring, in entries (0 = off; tenancy.log_max_entries)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  dev->add_option("--admin-address", dev_config.admin_addresses,
                  "An operator key (Ethereum address) allowed POST /api/admin (repeatable; admin.operator_addresses)");
  dev->add_option("--welcome-credits", dev_config.pricing.welcome_credits,
                  "Base units minted to a tenant that admits itself (metering.welcome_credits)")
      ->capture_default_str();
  std::string services_file;
  dev->add_option("--services", services_file,
                  "A node.toml whose [cluster_config], [providers.<id>] and [signing] tables this dev node uses "
                  "(contracts' config, provider-config and SD-JWT issuers)")
      ->check(CLI::ExistingFile);
  dev->add_option("--pcs", dev_config.pcs_url, "PCS/PCCS base URL for TDX collateral the node lacks (attestation.pcs_url)");
  int cluster_nodes = 1;
  int peer_port_base = 7100;
  dev->add_option("--nodes", cluster_nodes,
                  "Members of a local dev cluster (each its own process; 1 = one standalone node; other dev options "
                  "apply to a one-node run only)")
      ->capture_default_str();
  dev->add_option("--peer-port", peer_port_base, "With --nodes: member i's peer links listen on this + i")->capture_default_str();
  auto* start = app.add_subcommand("start", "Run a node from a configuration file");
  std::string config_path;
  std::string start_contracts;
  start->add_option("--config", config_path, "node.toml")->required()->check(CLI::ExistingFile);
  start->add_option("--contracts", start_contracts, "A dev node's example contracts to deploy (build/contracts)");
  auto* self_test = app.add_subcommand("self-test", "Run the cryptographic self test and exit");
  ContractRun run;
  auto* cr = app.add_subcommand("contract-run", "Run one contract call against a local development store");
  cr->add_option("wasm", run.wasm, "The contract component (.wasm)")->required()->check(CLI::ExistingFile);
  cr->add_option("function", run.function, "Exported function of the `contracts` interface")->required();
  cr->add_option("--input", run.input, "JSON input")->capture_default_str();
  cr->add_option("--manifest", run.manifest, "Manifest JSON file (grants and limits)")->check(CLI::ExistingFile);
  cr->add_option("--map", run.maps, "Create tenant map z:<tenant>:<NAME> with the contract as writer (repeatable)");
  cr->add_option("--tenant", run.tenant, "Tenant id (40 hex)")->capture_default_str();
  cr->add_option("--contract-id", run.contract_id, "Contract id")->capture_default_str();
  cr->add_option("--data", run.data_dir, "Store directory (kept between runs)")->capture_default_str();
  cr->add_flag("--json", run.json_output, "Print the outcome as JSON");
  CLI11_PARSE(app, argc, argv);

  auto level = t3n::common::parse_log_level(log_level);
  if (!level.ok()) {
    std::fprintf(stderr, "error: %s\n", level.status().message().c_str());
    return 2;
  }
  auto log = t3n::common::Logger::to_stderr("t3nd", *level);
  if (cr->parsed()) return contract_run(run, log);
  if (self_test->parsed()) return run_self_test(log);
  if (dev->parsed()) {
    if (run_self_test(log) != 0) return 1;
    dev_config.data_dir = data_dir;
    dev_config.metering_enabled = metering == "on";
    dev_config.self_admit = !no_self_admit;
    dev_config.tenant_log_max_entries = log_entries;
    for (const auto& r : egress_resolve) {
      const auto eq = r.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == r.size()) {
        std::fprintf(stderr, "error: --egress-resolve expects HOST=ADDRESS\n");
        return 2;
      }
      dev_config.egress.resolve_overrides[r.substr(0, eq)] = r.substr(eq + 1);
    }
    for (const auto& k : kyc_specs) {
      const auto eq = k.find('=');
      if (eq == std::string::npos || eq == 0 || k.size() - eq - 1 < 16) {
        std::fprintf(stderr, "error: --kyc-provider expects ID=WEBHOOK_SECRET (a secret of at least 16 characters)\n");
        return 2;
      }
      dev_config.kyc_providers[k.substr(0, eq)] = system::KycProvider{k.substr(eq + 1), "x-hmac-signature"};
    }
    for (const auto& spec : oidc_specs) {
      auto provider = parse_oidc_provider_spec(spec);
      if (!provider.ok()) {
        std::fprintf(stderr, "error: %s\n", provider.status().message().c_str());
        return 2;
      }
      dev_config.oidc_providers.push_back(std::move(*provider));
    }
    if (!services_file.empty()) {
      auto extra = load_node_config(services_file);
      if (!extra.ok()) {
        std::fprintf(stderr, "error: %s\n", extra.status().message().c_str());
        return 2;
      }
      dev_config.cluster_config = std::move(extra->cluster_config);
      dev_config.providers = std::move(extra->providers);
      dev_config.sd_jwt_issuers = std::move(extra->sd_jwt_issuers);
      dev_config.default_issuer = std::move(extra->default_issuer);
      dev_config.trusted_issuers = std::move(extra->trusted_issuers);
      dev_config.trust_own_issuers = extra->trust_own_issuers;
    }
    if (contracts_dir.empty()) {
      // Next to the binary when built in the tree: build/bin/t3nd → build/contracts.
      std::error_code ec;
      auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
      if (!ec) contracts_dir = (exe.parent_path().parent_path() / "contracts").string();
    }
    if (cluster_nodes > 1)
      return run_dev_cluster(DevCluster{cluster_nodes, dev_config.listen_port, peer_port_base, data_dir, contracts_dir,
                                        dev_config.dev_plaintext, log_level});
    return serve(dev_config, log, contracts_dir, ready_fd);
  }
  if (start->parsed()) {
    auto cfg = load_node_config(config_path);
    if (!cfg.ok()) {
      std::fprintf(stderr, "error: %s\n", cfg.status().message().c_str());
      return 2;
    }
    if (run_self_test(log) != 0) return 1;
    return serve(*cfg, log, cfg->dev ? start_contracts : "", ready_fd);
  }
  std::printf("%s", app.help().c_str());
  return 0;
}
