// Load generator: end-to-end contract calls against a running node on
// loopback — OHTTP (X-Wing) + DID-signed JSON-RPC + one kv write + commit per
// call; the T3N session channel (one handshake and SIWE login per client,
// then AES-256-GCM action.execute); and the plaintext dev path. Writes
// <out>/load-{ohttp,session,plaintext}.json in the TARGETS.md shape, with
// the node's CPU per call: the process's CPU time minus the client threads'
// own (each client reads its thread CPU clock), so it is comparable between
// modes on a shared machine. The metering pair calls the same counter as
// an operator's contract (free) and as a tenant's own upload (reserve,
// settle, ledger rows in the call's transaction): <out>/load-metering.json.
// Each on/off pair runs in alternating rounds in the same run.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <time.h>

#include "api/client.h"
#include "api/session_client.h"
#include "bench_util.h"
#include "common/encoding.h"
#include "crypto/random.h"
#include "node/node.h"

using namespace t3n;
using common::Json;
using Clock = std::chrono::steady_clock;

namespace {

struct Outcome {
  std::string name;
  std::uint64_t requests = 0, errors = 0;
  double seconds = 0;
  double node_cpu_us_per_call = 0;
  std::vector<double> latencies_ms;
};

Json report(Outcome& o) {
  std::sort(o.latencies_ms.begin(), o.latencies_ms.end());
  auto pct = [&](double p) {
    if (o.latencies_ms.empty()) return 0.0;
    return o.latencies_ms[std::min(o.latencies_ms.size() - 1, static_cast<std::size_t>(p * static_cast<double>(o.latencies_ms.size())))];
  };
  return {{"name", o.name}, {"requests", o.requests}, {"seconds", o.seconds},
          {"throughput_rps", static_cast<double>(o.requests) / o.seconds}, {"p50_ms", pct(0.50)}, {"p99_ms", pct(0.99)},
          {"errors", o.errors}, {"node_cpu_us_per_call", o.node_cpu_us_per_call}};
}

enum class Mode { kOhttp, kSession, kPlaintext };

Outcome drive(const std::string& url, const std::string& name, Mode mode, int clients, double seconds,
              const std::vector<std::string>& scripts) {
  Outcome out;
  out.name = name;
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(clients));
  std::vector<std::uint64_t> ok(static_cast<std::size_t>(clients)), err(static_cast<std::size_t>(clients));
  std::vector<std::thread> threads;
  std::vector<double> client_cpu(static_cast<std::size_t>(clients));
  std::atomic<int> ready{0};
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      const double cpu0 = bench::thread_cpu_s();
      api::NodeClient client(url);
      auto signer = bench::must(api::RequestSigner::generate(identity::KeyType::kEd25519));
      api::SessionClient session(url);
      if (mode == Mode::kSession) {
        auto wallet = bench::must(crypto::random_secret(32));
        if (!session.handshake().ok() || !session.login_ethereum(wallet).ok()) {
          std::fprintf(stderr, "session handshake/login failed\n");
          std::exit(1);
        }
      }
      const Json params = {{"script_name", scripts[static_cast<std::size_t>(c)]}, {"function_name", "increment"}, {"input", 1}};
      client_cpu[static_cast<std::size_t>(c)] -= bench::thread_cpu_s() - cpu0;  // setup is not measured
      ++ready;
      while (!stop.load()) {
        const auto s = Clock::now();
        bool ok_call = false;
        if (mode == Mode::kSession) {
          ok_call = session.call("action.execute", params).ok();
        } else {
          ok_call = client.rpc("action.execute", params, &signer, mode == Mode::kPlaintext).ok();
        }
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - s).count();
        if (ok_call) {
          ++ok[static_cast<std::size_t>(c)];
          lat[static_cast<std::size_t>(c)].push_back(ms);
        } else {
          ++err[static_cast<std::size_t>(c)];
        }
      }
      client_cpu[static_cast<std::size_t>(c)] += bench::thread_cpu_s() - cpu0;
    });
  }
  while (ready.load() < clients) std::this_thread::yield();
  const auto t0 = Clock::now();
  const double cpu_start = bench::process_cpu_s();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  double clients_cpu = 0;
  for (double v : client_cpu) clients_cpu += v;
  const double node_cpu = bench::process_cpu_s() - cpu_start - clients_cpu;
  for (int c = 0; c < clients; ++c) {
    out.requests += ok[static_cast<std::size_t>(c)];
    out.errors += err[static_cast<std::size_t>(c)];
    out.latencies_ms.insert(out.latencies_ms.end(), lat[static_cast<std::size_t>(c)].begin(), lat[static_cast<std::size_t>(c)].end());
  }
  out.node_cpu_us_per_call = out.requests > 0 ? node_cpu * 1e6 / static_cast<double>(out.requests) : 0;
  return out;
}

void absorb(Outcome& into, Outcome part) {
  const double cpu = into.node_cpu_us_per_call * static_cast<double>(into.requests) +
                     part.node_cpu_us_per_call * static_cast<double>(part.requests);
  into.requests += part.requests;
  into.errors += part.errors;
  into.seconds += part.seconds;
  into.latencies_ms.insert(into.latencies_ms.end(), part.latencies_ms.begin(), part.latencies_ms.end());
  into.node_cpu_us_per_call = into.requests > 0 ? cpu / static_cast<double>(into.requests) : 0;
}

// An A/B pair in alternating rounds (A B A B …, `seconds` each side in
// total): drift of the shared machine and the store's growth fall on both
// sides alike instead of on whichever runs second. Each round's B/A ratio is
// kept: the median of those is the pair's figure, since a burst of other
// load on the machine moves one round, not the median.
struct Pair {
  Outcome a, b;
  std::vector<double> round_added;  // B's node CPU per call over A's, minus 1, per round

  double added_total() const { return a.node_cpu_us_per_call > 0 ? b.node_cpu_us_per_call / a.node_cpu_us_per_call - 1.0 : 0; }
  double added_median() const {
    if (round_added.empty()) return 0;
    std::vector<double> v = round_added;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
  Json to_json(std::optional<double> target) {
    Json j = {{"off", report(a)}, {"on", report(b)}, {"node_cpu_added_fraction", added_median()},
              {"node_cpu_added_fraction_all_rounds", added_total()}, {"round_added_fractions", round_added}};
    if (target) j["target_added_fraction"] = *target;
    return j;
  }
  void print(const char* what) const {
    for (const Outcome* o : {&a, &b})
      std::printf("%-58s %8.0f calls/s  node CPU %6.1f us/call  errors %llu\n", o->name.c_str(),
                  static_cast<double>(o->requests) / o->seconds, o->node_cpu_us_per_call, static_cast<unsigned long long>(o->errors));
    const auto [lo, hi] = std::minmax_element(round_added.begin(), round_added.end());
    std::printf("%s add %.1f %% node CPU per call (median of %zu rounds, %.1f … %.1f; all rounds pooled %.1f %%)\n", what,
                added_median() * 100.0, round_added.size(), *lo * 100.0, *hi * 100.0, added_total() * 100.0);
  }
};

Pair alternate(const std::string& url, const std::string& name_a, const std::function<void()>& set_a,
               const std::vector<std::string>& scripts_a, const std::string& name_b, const std::function<void()>& set_b,
               const std::vector<std::string>& scripts_b, int clients, double seconds) {
  constexpr int kRounds = 8;
  Pair p{{name_a, 0, 0, 0, 0, {}}, {name_b, 0, 0, 0, 0, {}}, {}};
  for (int round = 0; round < kRounds; ++round) {
    set_a();
    Outcome ra = drive(url, name_a, Mode::kOhttp, clients, seconds / kRounds, scripts_a);
    set_b();
    Outcome rb = drive(url, name_b, Mode::kOhttp, clients, seconds / kRounds, scripts_b);
    if (ra.node_cpu_us_per_call > 0 && rb.node_cpu_us_per_call > 0)
      p.round_added.push_back(rb.node_cpu_us_per_call / ra.node_cpu_us_per_call - 1.0);
    absorb(p.a, std::move(ra));
    absorb(p.b, std::move(rb));
  }
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string out_dir = argc > 1 ? argv[1] : "build/bench";
  const double seconds = argc > 2 ? std::stod(argv[2]) : 5.0;
  const int clients = argc > 3 ? std::stoi(argv[3]) : 4;
  const std::string only = argc > 4 ? argv[4] : "";
  const auto data = std::filesystem::temp_directory_path() / ("t3n-load-" + std::to_string(::getpid()));
  std::filesystem::remove_all(data);

  node::NodeConfig cfg;
  cfg.dev = true;
  cfg.dev_plaintext = true;  // for the comparison run only
  cfg.listen_port = 0;
  cfg.data_dir = data;
  // The metering pair compares metering alone: no log ring for either side.
  cfg.tenant_log_max_entries = 0;
  auto node = bench::must(node::Node::create(cfg, common::Logger::to_stderr("t3nd", common::LogLevel::kWarn)));
  std::ifstream in(std::string(T3N_CONTRACTS_DIR) + "/counter.wasm", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const Json manifest = {{"host_capabilities", {"kv_store", "logging", "tenant_context"}}};
  std::vector<std::string> scripts;
  for (int c = 0; c < clients; ++c) {
    // One tenant (one counter key) per client: calls do not contend on one key.
    const std::string name = "counter-" + std::to_string(c);
    std::string tenant(40, '0');
    tenant[39] = "0123456789abcdef"[c % 16];
    tenant[38] = "0123456789abcdef"[(c / 16) % 16];
    bench::must(node->deploy(name, "1.0.0", common::as_bytes(ss.str()), manifest, {"counter"}, tenant));
    scripts.push_back(name);
  }
  std::atomic<int> port{0};
  std::thread server([&] { (void)node->run([&](int p) { port = p; }); });
  while (port.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const std::string url = "http://127.0.0.1:" + std::to_string(port.load());

  // The same contract uploaded by tenants through tee:tenant (claim,
  // contract-register, map-create): their calls are metered.
  auto tenant_contracts = [&] {
    std::vector<std::string> metered;
    for (int c = 0; c < clients; ++c) {
      api::NodeClient client(url);
      auto signer = bench::must(api::RequestSigner::generate(identity::KeyType::kEd25519));
      auto tenant_call = [&](const std::string& fn, const Json& input, bool blob) {
        Json params = {{"script_name", "tee:tenant/contracts"}, {"function_name", fn}, {"input", input}};
        if (blob) params["blob_base64"] = common::base64_encode(common::as_bytes(ss.str()));
        return bench::must(client.rpc("action.execute", params, &signer))["response"];
      };
      const Json claim = tenant_call("tenant-claim", Json::object(), false);
      const std::string tid = claim["tenant"].get<std::string>().substr(8);
      const Json reg = tenant_call("contract-register", {{"name", "counter"}, {"version", "1.0.0"}, {"manifest", manifest}}, true);
      const auto id = reg["contract_id"].get<std::uint32_t>();
      tenant_call("map-create", {{"map_name", "counter"}, {"visibility", "private"}, {"writers", {{"only", {id}}}}, {"readers", {{"only", {id}}}}},
                  false);
      metered.push_back("z:" + tid + ":counter");
    }
    return metered;
  };
  // One mode alone, for a profiler (bench/README.md): no report files.
  if (!only.empty()) {
    std::vector<std::string> targets = scripts;
    if (only == "tenant-neither" || only == "tenant-both") {
      targets = tenant_contracts();
      node->set_audit(only == "tenant-both");
      node->set_call_metering(only == "tenant-both");
    } else if (only != "ohttp" && only != "session") {
      std::fprintf(stderr, "unknown mode %s (ohttp, session, tenant-neither, tenant-both)\n", only.c_str());
      return 2;
    }
    std::printf("node at %s (GET /metrics for its counters)\n", url.c_str());
    std::fflush(stdout);
    Outcome o = drive(url, only, only == "session" ? Mode::kSession : Mode::kOhttp, clients, seconds, targets);
    std::printf("%-16s %8.0f calls/s  node CPU %6.1f us/call  errors %llu\n", only.c_str(),
                static_cast<double>(o.requests) / o.seconds, o.node_cpu_us_per_call, static_cast<unsigned long long>(o.errors));
    node->stop();
    server.join();
    std::filesystem::remove_all(data);
    return 0;
  }
  std::printf("load: %d clients, %.1f s per run, %u cores\n", clients, seconds, std::thread::hardware_concurrency());
  std::filesystem::create_directories(out_dir);
  struct Run {
    Mode mode;
    const char* file;
    const char* name;
  };
  const Run runs[] = {{Mode::kOhttp, "/load-ohttp.json", "OHTTP X-Wing + DID auth + 1 kv write + commit"},
                      {Mode::kSession, "/load-session.json", "T3N session (AES-GCM, SIWE login) + 1 kv write + commit"},
                      {Mode::kPlaintext, "/load-plaintext.json", "plaintext JSON-RPC (dev), DID auth, 1 kv write"}};
  double ohttp_cpu = 0;
  for (const Run& run : runs) {
    Outcome o = drive(url, run.name, run.mode, clients, seconds, scripts);
    Json j = report(o);
    if (run.mode == Mode::kOhttp) ohttp_cpu = o.node_cpu_us_per_call;
    if (run.mode == Mode::kSession && ohttp_cpu > 0) j["node_cpu_ratio_to_ohttp"] = o.node_cpu_us_per_call / ohttp_cpu;
    std::ofstream(out_dir + run.file) << j.dump(2);
    std::printf("%-58s %8.0f calls/s  p50 %6.2f ms  p99 %6.2f ms  node CPU %6.1f us/call  errors %llu\n", o.name.c_str(),
                j["throughput_rps"].get<double>(), j["p50_ms"].get<double>(), j["p99_ms"].get<double>(),
                o.node_cpu_us_per_call, static_cast<unsigned long long>(o.errors));
  }
  {
    // Audit: one host-stamped batch per dispatch, written in the call's
    // transaction. Off and on in the same run, same calls.
    Pair audit = alternate(
        url, "OHTTP + 1 kv write + commit, audit off", [&] { node->set_audit(false); }, scripts,
        "OHTTP + 1 kv write + commit, audit on", [&] { node->set_audit(true); }, scripts, clients, seconds);
    std::ofstream(out_dir + "/load-audit.json") << audit.to_json(std::nullopt).dump(2);
    audit.print("audit");
  }
  {
    const std::vector<std::string> metered = tenant_contracts();
    Pair metering = alternate(
        url, "OHTTP + 1 kv write + commit, metering off (operator's contract)", [] {}, scripts,
        "OHTTP + 1 kv write + commit, metered (tenant's contract)", [] {}, metered, clients, seconds);
    std::ofstream(out_dir + "/load-metering.json") << metering.to_json(0.10).dump(2);
    metering.print("metering (target <= 10 %)");
    // Audit and metering together against neither, same run, same calls
    // (the accounts issue's target: <= 10 % together).
    // The same tenant contracts both times: only audit and metering differ.
    Pair both = alternate(
        url, "tenant's contract, no audit, no metering",
        [&] {
          node->set_audit(false);
          node->set_call_metering(false);
        },
        metered, "tenant's contract, audit + metering",
        [&] {
          node->set_audit(true);
          node->set_call_metering(true);
        },
        metered, clients, seconds);
    std::ofstream(out_dir + "/load-audit-metering.json") << both.to_json(0.10).dump(2);
    both.print("audit + metering (target <= 10 %)");
  }
  node->stop();
  server.join();
  std::filesystem::remove_all(data);
  return 0;
}
