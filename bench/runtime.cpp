// Contract runtime benchmarks against ../shared/docs/TARGETS.md.
#include <benchmark/benchmark.h>

#include "bench_util.h"
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <curl/curl.h>
#include <httplib.h>

#include <thread>

#include "host/egress.h"
#include "host/host.h"
#include "host/outbox.h"
#include "identity/user_data.h"
#include "identity/wallets.h"
#include "runtime/runtime.h"
#include "store/store.h"

namespace {

using namespace t3n;
using namespace t3n::runtime;
using Clock = std::chrono::steady_clock;
const std::string kTid(40, 'a');

using t3n::bench::must;

Bytes contract(const std::string& name) {
  std::ifstream in(std::string(T3N_CONTRACTS_DIR) + "/" + name + ".wasm", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().empty()) std::exit(1);
  return common::to_bytes(ss.str());
}

Manifest counter_manifest() {
  Manifest m;
  m.host_capabilities = {"kv_store", "logging", "tenant_context"};
  return m;
}

struct Fixture {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("t3n-bench-rt-" + std::to_string(::getpid()));
  std::unique_ptr<store::Store> store;
  std::unique_ptr<Runtime> runtime;
  std::shared_ptr<const Contract> counter;
  Fixture() {
    store::StoreOptions o;
    o.path = dir / "store";
    o.ledger_secrets.push_back({0, SecretBytes(Bytes(32, 1))});
    o.sync_writes = false;
    store = must(store::Store::open(std::move(o)));
    auto tx = store->begin(store::Principal::system());
    if (!tx.create_map({"z:" + kTid + ":counter", store::Visibility::kPrivate, {7}, {}}).ok()) std::exit(1);
    if (!tx.put("z:" + kTid + ":counter", common::as_bytes("count"), common::as_bytes("41")).ok()) std::exit(1);
    if (!store->commit(tx).ok()) std::exit(1);
    RuntimeOptions ro;
    runtime = must(Runtime::create(std::move(ro), host::core_registry()));
    counter = must(runtime->load(contract("counter"), counter_manifest()));
  }
  ~Fixture() {
    counter.reset();
    runtime.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  CallOutcome call(std::string_view fn, const common::Json& input) {
    auto tx = store->begin(store::Principal::contract(7, kTid));
    CallContext ctx;
    ctx.tx = &tx;
    ctx.contract_id = 7;
    ctx.tenant_tid = kTid;
    ctx.tenant_did = Bytes(20, 0xaa);
    auto out = runtime->call(*counter, fn, input, ctx);
    if (!out.ok) {
      std::fprintf(stderr, "call failed: %s\n", out.message.c_str());
      std::exit(1);
    }
    return out;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void report_percentiles(benchmark::State& state, std::vector<double>& us) {
  if (us.empty()) return;
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
}

// Fresh instance (pooling allocator) + call of a no-op export, per call.
void BM_InstantiateAndCallNoop(benchmark::State& state) {
  auto& f = fixture();
  std::vector<double> us;
  for (auto _ : state) {
    auto t0 = Clock::now();
    benchmark::DoNotOptimize(f.call("noop", nullptr));
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  report_percentiles(state, us);
}
BENCHMARK(BM_InstantiateAndCallNoop)->Unit(benchmark::kMicrosecond);

// One kv-store.get host round trip: (call with 1000 gets − call with 0) / 1000, same run.
void BM_KvGetRoundTrip(benchmark::State& state) {
  auto& f = fixture();
  constexpr int kGets = 1000;
  Clock::duration with{}, without{};
  for (auto _ : state) {
    auto t0 = Clock::now();
    f.call("get-many", kGets);
    auto t1 = Clock::now();
    f.call("get-many", 0);
    auto t2 = Clock::now();
    with += t1 - t0;
    without += t2 - t1;
  }
  const double per_get_us =
      std::chrono::duration<double, std::micro>(with - without).count() / (static_cast<double>(state.iterations()) * kGets);
  state.counters["per_get_us"] = per_get_us;
}
BENCHMARK(BM_KvGetRoundTrip)->Unit(benchmark::kMillisecond);

// A call with one kv-store get and one put (the write budget's hot path); not committed.
void BM_IncrementCall(benchmark::State& state) {
  auto& f = fixture();
  std::vector<double> us;
  for (auto _ : state) {
    auto t0 = Clock::now();
    benchmark::DoNotOptimize(f.call("increment", 1));
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  report_percentiles(state, us);
}
BENCHMARK(BM_IncrementCall)->Unit(benchmark::kMicrosecond);

// Loading a compiled component from the encrypted cache (decrypt + deserialize + link + checks).
void BM_CachedComponentLoad(benchmark::State& state) {
  auto dir = std::filesystem::temp_directory_path() / ("t3n-bench-cache-" + std::to_string(::getpid()));
  RuntimeOptions ro;
  ro.cache_dir = dir;
  ro.cache_secret = SecretBytes(Bytes(32, 9));
  auto rt = must(Runtime::create(std::move(ro), host::core_registry()));
  const Bytes wasm = contract(state.range(0) == 0 ? "counter" : "js-greeter");
  Manifest m = counter_manifest();
  must(rt->load(wasm, m));  // compile once, filling the cache
  for (auto _ : state) {
    auto c = must(rt->load(wasm, m));
    if (!c->loaded_from_cache()) std::exit(1);
  }
  state.SetLabel(state.range(0) == 0 ? "counter (C, 90 KB)" : "js-greeter (JS, 12 MB)");
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_CachedComponentLoad)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

// One host:interfaces/http call from a contract to a loopback upstream,
// against raw libcurl doing the same GET in the same run (a fresh handle
// each time, as the host does, and the same pinned address). Host overhead
// = contract call − raw libcurl − an empty contract call.
struct EgressFixture {
  httplib::Server upstream;
  std::thread thread;
  int port = 0;
  std::unique_ptr<host::Egress> egress;
  std::unique_ptr<Runtime> runtime;
  std::shared_ptr<const Contract> fetcher;
  EgressFixture() {
    upstream.Get("/ping", [](const httplib::Request&, httplib::Response& res) { res.set_content("pong", "text/plain"); });
    port = upstream.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { upstream.listen_after_bind(); });
    while (!upstream.is_running()) std::this_thread::yield();
    host::EgressPolicy p;
    p.allow_private_targets = true;
    p.allow_plain_http = true;
    p.resolve_overrides = {{"upstream.test", "127.0.0.1"}};
    egress = std::make_unique<host::Egress>(p);
    runtime = must(Runtime::create(RuntimeOptions{}, host::core_registry(nullptr, egress.get())));
    Manifest m;
    m.host_capabilities = {"http", "http_with_placeholders", "logging", "outbox", "kv_store", "tenant_context"};
    m.http_allow_list = {"upstream.test"};
    m.outbox_hosts = {"upstream.test"};
    fetcher = must(runtime->load(contract("egress"), m));
  }
  ~EgressFixture() {
    upstream.stop();
    thread.join();
  }
  std::string url() const { return "http://upstream.test:" + std::to_string(port) + "/ping"; }
};

EgressFixture& egress_fixture() {
  static EgressFixture f;
  return f;
}

std::size_t discard(char*, std::size_t size, std::size_t n, void*) { return size * n; }

void raw_curl_get(const std::string& url, int port) {
  CURL* h = curl_easy_init();
  const std::string pin = "upstream.test:" + std::to_string(port) + ":127.0.0.1";
  curl_slist* resolve = curl_slist_append(nullptr, pin.c_str());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_RESOLVE, resolve);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  if (curl_easy_perform(h) != CURLE_OK) std::exit(1);
  curl_slist_free_all(resolve);
  curl_easy_cleanup(h);
}

void BM_HttpCallHostOverhead(benchmark::State& state) {
  auto& e = egress_fixture();
  auto& f = fixture();
  const std::string url = e.url();
  Clock::duration via_host{}, raw{}, empty{};
  for (auto _ : state) {
    auto t0 = Clock::now();
    CallContext ctx;
    ctx.tenant_tid = kTid;
    auto out = e.runtime->call(*e.fetcher, "fetch", url, ctx);
    if (!out.ok) {
      std::fprintf(stderr, "fetch failed: %s\n", out.message.c_str());
      std::exit(1);
    }
    auto t1 = Clock::now();
    raw_curl_get(url, e.port);
    auto t2 = Clock::now();
    f.call("noop", nullptr);
    auto t3 = Clock::now();
    via_host += t1 - t0;
    raw += t2 - t1;
    empty += t3 - t2;
  }
  const double n = static_cast<double>(state.iterations());
  auto us = [&](Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count() / n; };
  state.counters["http_call_us"] = us(via_host);
  state.counters["raw_libcurl_us"] = us(raw);
  state.counters["empty_call_us"] = us(empty);
  state.counters["host_overhead_us"] = us(via_host) - us(raw) - us(empty);
}
BENCHMARK(BM_HttpCallHostOverhead)->Unit(benchmark::kMicrosecond);

// One outbox enqueue inside a contract call (its rows join the call's
// transaction, not committed here), minus an empty call, same run.
void BM_OutboxEnqueue(benchmark::State& state) {
  auto& e = egress_fixture();
  auto& f = fixture();
  if (!host::ensure_outbox_tables(*f.store).ok()) std::exit(1);
  Clock::duration with{}, empty{};
  std::uint64_t i = 0;
  for (auto _ : state) {
    auto tx = f.store->begin(store::Principal::contract(7, kTid));
    CallContext ctx;
    ctx.tx = &tx;
    ctx.contract_id = 7;
    ctx.tenant_tid = kTid;
    const common::Json input = {{"idk", "k-" + std::to_string(i++)}, {"url", e.url()}, {"body", "payload"}};
    auto t0 = Clock::now();
    auto out = e.runtime->call(*e.fetcher, "send-later", input, ctx);
    auto t1 = Clock::now();
    if (!out.ok) {
      std::fprintf(stderr, "enqueue failed: %s\n", out.message.c_str());
      std::exit(1);
    }
    f.call("noop", nullptr);
    auto t2 = Clock::now();
    with += t1 - t0;
    empty += t2 - t1;
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["enqueue_us"] = std::chrono::duration<double, std::micro>(with - empty).count() / n;
}
BENCHMARK(BM_OutboxEnqueue)->Unit(benchmark::kMicrosecond);

// Signing and contracts-call, each against an empty call in the same run.
// The custodial wallets are the node's (identity/wallets over this store);
// the nested call goes through the store savepoint and a second sandboxed
// instance exactly as api/call_services does, minus the registry lookup
// (a cached map read on a node).
namespace signing_bench {

struct BenchServices final : CallServices {
  identity::CustodialWallets* wallets = nullptr;
  Runtime* runtime = nullptr;
  const Contract* target = nullptr;
  Result<std::optional<UserWallets>> user_wallets(CallContext& ctx, bool create) override {
    return ctx.tx->as_system([&]() -> Result<std::optional<UserWallets>> {
      T3N_ASSIGN_OR_RETURN(auto p, wallets->primary(*ctx.tx, *ctx.calling_user_did, create, 1));
      if (!p) return std::optional<UserWallets>{};
      return std::optional<UserWallets>(UserWallets{*p, {}});
    });
  }
  Result<std::optional<Bytes>> sign_with_user_wallet(CallContext& ctx, ByteView address, ByteView digest) override {
    return ctx.tx->as_system([&] { return wallets->sign_digest(*ctx.tx, *ctx.calling_user_did, address, digest); });
  }
  Result<bool> has_wallet(CallContext&, ByteView) override { return false; }
  Result<Bytes> holder_public_key(CallContext& ctx) override {
    return ctx.tx->as_system([&] { return wallets->holder_public_key(*ctx.tx, *ctx.calling_user_did, 1); });
  }
  Result<Bytes> holder_sign(CallContext& ctx, ByteView m) override {
    return ctx.tx->as_system([&] { return wallets->holder_sign(*ctx.tx, *ctx.calling_user_did, m, 1); });
  }
  Result<DelegationView> delegation(CallContext&) override { return DelegationView{}; }
  InvokeOutcome invoke(CallContext& ctx, const std::string& target_name, const std::string& function, ByteView input) override {
    CallContext inner;
    inner.tx = ctx.tx;
    inner.contract_id = 8;
    inner.tenant_tid = std::string(40, 'b');
    inner.calling_user_did = ctx.calling_user_did;
    inner.services = this;
    inner.contract_name = target_name;
    inner.call_stack = ctx.call_stack;
    inner.call_stack.push_back(target_name);
    auto in = common::parse_json(std::string_view(reinterpret_cast<const char*>(input.data()), input.size()));
    auto sp = ctx.tx->savepoint();
    CallOutcome out = ctx.tx->as_contract(store::Principal::contract(8, std::string(40, 'b')),
                                          [&] { return runtime->call(*target, function, in.ok() ? *in : common::Json(), inner); });
    InvokeOutcome o;
    if (!out.ok) {
      ctx.tx->rollback_to(std::move(sp));
      o.kind = InvokeOutcome::Kind::kInnerTrapped;
      o.detail = out.message;
      return o;
    }
    o.output = common::to_bytes(out.response.dump());
    return o;
  }
};

constexpr std::uint64_t kNowS = 1'700'000'000;

struct SigningFixture {
  std::unique_ptr<identity::UserDataKeys> keys = std::make_unique<identity::UserDataKeys>(SecretBytes(Bytes(32, 3)));
  std::unique_ptr<identity::CustodialWallets> wallets;
  host::SigningKeys signing;
  std::unique_ptr<Runtime> runtime;
  std::shared_ptr<const Contract> signer, relay_a, relay_b, presenter;
  std::vector<host::TrustedIssuer> trusted;
  std::string credential, presentation;  // bound to the user's holder key
  BenchServices services;
  const Bytes user = Bytes(20, 0x5a);
  SigningFixture() {
    auto& f = fixture();
    if (!store::ensure_tables(*f.store, identity::kUserKeysTable, identity::kWalletsTable).ok()) std::exit(1);
    wallets = std::make_unique<identity::CustodialWallets>(*keys, must(crypto::Secp256k1Signer::create()));
    signing.secp256k1 = std::make_shared<const crypto::Secp256k1Signer>(must(crypto::Secp256k1Signer::create()));
    signing.cluster_secp256k1 = SecretBytes(Bytes(32, 0x11));
    signing.cluster_public = must(signing.secp256k1->public_key(signing.cluster_secp256k1));
    auto issuer_key = std::make_shared<const crypto::P256PrivateKey>(must(crypto::P256PrivateKey::generate()));
    const host::SdJwtIssuer issuer{"bench", "https://issuer.bench", "k1", issuer_key};
    trusted.push_back(host::TrustedIssuer{issuer.iss, {{"k1", issuer_key->public_key()}}});
    host::HostDeps deps;
    deps.signing = &signing;
    deps.trusted_issuers = &trusted;
    runtime = must(Runtime::create(RuntimeOptions{}, host::core_registry(deps)));
    Manifest pm;
    pm.host_capabilities = {"vp", "profile_ref", "http_with_placeholders"};
    presenter = must(runtime->load(contract("presenter"), pm));
    Manifest sm;
    sm.host_capabilities = {"signing", "authorisation", "provider_config", "config"};
    sm.sign_as_user = true;
    signer = must(runtime->load(contract("signer"), sm));
    Manifest a;
    a.host_capabilities = {"contracts_call", "kv_store", "tenant_context"};
    a.contracts_call.push_back(ContractCallGrant{"b", {"write"}, 1});
    relay_a = must(runtime->load(contract("caller"), a));
    Manifest b;
    b.host_capabilities = {"contracts_call", "kv_store", "tenant_context"};
    relay_b = must(runtime->load(contract("caller"), b));
    auto tx = f.store->begin(store::Principal::system());
    if (!tx.create_map({"z:" + kTid + ":calls", store::Visibility::kPrivate, {7}, {7}}).ok()) std::exit(1);
    if (!tx.create_map({"z:" + std::string(40, 'b') + ":calls", store::Visibility::kPrivate, {8}, {8}}).ok()) std::exit(1);
    if (!must(wallets->primary(tx, user, true, 1))) std::exit(1);  // the wallet exists: calls sign, not create
    const Bytes holder = must(wallets->holder_public_key(tx, user, 1));
    if (!f.store->commit(tx).ok()) std::exit(1);
    auto vc = host::issue_sd_jwt_vc(issuer, {{"vct", "https://t3n.test/kyc"}, {"given_name", "Ada"}, {"level", "full"}},
                                    {"given_name", "level"}, host::p256_jwk(holder), kNowS - 10);
    if (!std::holds_alternative<std::string>(vc)) std::exit(1);
    credential = std::get<std::string>(vc);
    services.wallets = wallets.get();
    services.runtime = runtime.get();
    services.target = relay_b.get();
  }
  CallOutcome call(const Contract& c, std::uint32_t id, const std::string& tid, std::string_view fn, const common::Json& input) {
    auto& f = fixture();
    auto tx = f.store->begin(store::Principal::contract(id, tid));
    CallContext ctx;
    ctx.tx = &tx;
    ctx.contract_id = id;
    ctx.tenant_tid = tid;
    ctx.calling_user_did = user;
    ctx.services = &services;
    ctx.contract_name = id == 7 ? "a" : "b";
    ctx.cluster_timestamp_ms = kNowS * 1000;
    ctx.call_stack = {ctx.contract_name};
    auto out = runtime->call(c, fn, input, ctx);
    if (!out.ok) {
      std::fprintf(stderr, "%s failed: %s\n", std::string(fn).c_str(), out.message.c_str());
      std::exit(1);
    }
    return out;
  }
};

SigningFixture& signing_fixture() {
  static SigningFixture f;
  return f;
}

// fn(i) timed against an empty call of the counter, same run: "<name>_us" = the difference.
template <class F>
void against_noop(benchmark::State& state, const char* name, F&& fn) {
  auto& f = fixture();
  Clock::duration with{}, empty{};
  for (auto _ : state) {
    auto t0 = Clock::now();
    fn();
    auto t1 = Clock::now();
    f.call("noop", nullptr);
    auto t2 = Clock::now();
    with += t1 - t0;
    empty += t2 - t1;
  }
  const double n = static_cast<double>(state.iterations());
  state.counters[name] = std::chrono::duration<double, std::micro>(with - empty).count() / n;
  state.counters["call_us"] = std::chrono::duration<double, std::micro>(with).count() / n;
}

// signing.sign: Keccak-256 + secp256k1 with the cluster key, JSON back.
void BM_Sign(benchmark::State& state) {
  auto& s = signing_fixture();
  against_noop(state, "sign_us", [&] { s.call(*s.signer, 7, kTid, "sign-message", "settle invoice 42"); });
}
BENCHMARK(BM_Sign)->Unit(benchmark::kMicrosecond);

// signing.sign-as-user: the wallet row read, the key unsealed with the
// user's data key (itself unsealed), EIP-191 + secp256k1.
void BM_SignAsUser(benchmark::State& state) {
  auto& s = signing_fixture();
  against_noop(state, "sign_as_user_us", [&] { s.call(*s.signer, 7, kTid, "sign-as-me", "I approve transfer #7"); });
}
BENCHMARK(BM_SignAsUser)->Unit(benchmark::kMicrosecond);

// contracts-call: A relays to B#write (savepoint, second instance, B's put)
// against B#write called directly, same run: the round trip's own cost.
void BM_ContractsCallRoundTrip(benchmark::State& state) {
  auto& s = signing_fixture();
  const std::string tid_b(40, 'b');
  const common::Json inner = {{"key", "k"}, {"value", "v"}};
  Clock::duration relayed{}, direct{};
  for (auto _ : state) {
    auto t0 = Clock::now();
    s.call(*s.relay_a, 7, kTid, "relay", {{"target", "b"}, {"function", "write"}, {"input", inner.dump()}});
    auto t1 = Clock::now();
    s.call(*s.relay_b, 8, tid_b, "write", inner);
    auto t2 = Clock::now();
    relayed += t1 - t0;
    direct += t2 - t1;
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["relayed_us"] = std::chrono::duration<double, std::micro>(relayed).count() / n;
  state.counters["direct_us"] = std::chrono::duration<double, std::micro>(direct).count() / n;
  state.counters["round_trip_us"] = std::chrono::duration<double, std::micro>(relayed - direct).count() / n;
}
BENCHMARK(BM_ContractsCallRoundTrip)->Unit(benchmark::kMicrosecond);

// vp.sign: the disclosures checked, the holder key unsealed, a KB-JWT signed
// (ES256) — against an empty call.
void BM_VpPresent(benchmark::State& state) {
  auto& s = signing_fixture();
  const common::Json in = {{"sd-jwt", s.credential}, {"nonce", "n-1"}, {"audience", "https://verifier.bench"}};
  against_noop(state, "vp_sign_us", [&] { s.call(*s.presenter, 7, kTid, "present", in); });
}
BENCHMARK(BM_VpPresent)->Unit(benchmark::kMicrosecond);

// vp.verify: the issuer's and the holder's ES256 signatures, two
// disclosures, sd_hash — against an empty call.
void BM_VpVerify(benchmark::State& state) {
  auto& s = signing_fixture();
  if (s.presentation.empty())
    s.presentation = s.call(*s.presenter, 7, kTid, "present", {{"sd-jwt", s.credential}, {"nonce", "n-1"}, {"audience", "https://verifier.bench"}})
                         .response.get<std::string>();
  const common::Json in = {{"token", s.presentation}, {"audience", "https://verifier.bench"}, {"nonce", "n-1"}, {"issuer", "https://issuer.bench"}};
  against_noop(state, "vp_verify_us", [&] { s.call(*s.presenter, 7, kTid, "verify", in); });
}
BENCHMARK(BM_VpVerify)->Unit(benchmark::kMicrosecond);

}  // namespace signing_bench

BENCHMARK_MAIN();
