// Per-call bounds of the host interfaces (write budget, scan size), the
// compile cache under concurrency and oversized files, and the injectable
// clock. Host functions are called directly where the contract would only
// add noise.
#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "common/encoding.h"
#include "runtime/runtime_fixture.h"
#include "runtime/values.h"

namespace t3n::runtime {
namespace {

using common::Json;
using testing::manifest_with;
using testing::read_contract;
using wasmtime::component::Val;

// Calls one host function of the core registry as the runtime would.
class HostCall {
 public:
  HostCall() : registry_(host::core_registry()) {}
  Val operator()(CallContext& ctx, const std::string& iface, const std::string& fn, std::vector<Val> args) {
    const HostInterface* i = registry_->find(iface);
    EXPECT_NE(i, nullptr) << iface;
    std::vector<Val> results;
    results.emplace_back(false);
    ValArgs a(args.data(), args.size());
    ValArgs r(results.data(), results.size());
    Status s = i->functions.at(fn).fn(ctx, a, r);
    EXPECT_TRUE(s.ok()) << iface << "#" << fn << ": " << s.to_string();  // typed errors, never a trap
    return results[0];
  }

 private:
  std::shared_ptr<runtime::HostRegistry> registry_;
};

constexpr const char* kKv = "host:interfaces/kv-store@2.1.0";
constexpr const char* kState = "host:interfaces/state@2.1.0";

Val str(const std::string& s) { return Val::string(s); }
Val bytes(std::string_view s) { return bytes_to_val(common::as_bytes(s)); }

bool is_ok(const Val& v) { return v.is_result() && v.get_result().is_ok(); }
std::string err_of(const Val& v) {
  if (!v.is_result() || v.get_result().is_ok() || v.get_result().payload() == nullptr) return "";
  return std::string(v.get_result().payload()->get_string());
}

class HostLimitsTest : public testing::RuntimeFixture {
 protected:
  std::string map(const char* tail) { return store::testing::tenant_map(tail); }
  store::Transaction contract_tx() { return store_->begin(store::Principal::contract(kContractId, store::testing::tid())); }
  CallContext context(store::Transaction& tx) {
    CallContext ctx;
    ctx.tx = &tx;
    ctx.contract_id = kContractId;
    ctx.tenant_tid = store::testing::tid();
    ctx.tenant_did = Bytes(20, 0xaa);
    return ctx;
  }
  Val put(CallContext& ctx, const std::string& key, std::string_view value) {
    return host_(ctx, kKv, "put", {str(map("hostile")), bytes(key), bytes(value)});
  }
  Val scan(CallContext& ctx, std::string_view start, std::string_view end, std::uint32_t limit) {
    return host_(ctx, kKv, "scan", {str(map("hostile")), bytes(start), bytes(end), Val(limit)});
  }
  void seed(const std::vector<std::pair<std::string, Bytes>>& rows) {
    auto tx = store_->begin(store::Principal::system());
    for (const auto& [k, v] : rows) ASSERT_TRUE(tx.put(map("hostile"), common::as_bytes(k), v).ok());
    ASSERT_TRUE(store_->commit(tx).ok());
  }
  static std::vector<std::string> keys_of(const Val& v) {
    std::vector<std::string> out;
    for (const Val& row : v.get_result().payload()->get_list()) {
      const Val& k = *row.get_tuple().begin();
      std::string s;
      for (const Val& b : k.get_list()) s.push_back(static_cast<char>(b.get_u8()));
      out.push_back(s);
    }
    return out;
  }

  HostCall host_;
};

// --- write budget -----------------------------------------------------------

TEST_F(HostLimitsTest, KvWritesStopAtTheDefaultEntryBudget) {
  auto tx = contract_tx();
  CallContext ctx = context(tx);
  const std::size_t n = WriteLimits{}.max_entries;
  for (std::size_t i = 0; i < n; ++i) ASSERT_TRUE(is_ok(put(ctx, "k" + std::to_string(i), "v"))) << i;
  ASSERT_TRUE(is_ok(put(ctx, "k0", "rewritten")));  // an entry already charged is not a new one
  const Val refused = put(ctx, "one-too-many", "v");
  EXPECT_NE(err_of(refused).find("write budget"), std::string::npos) << err_of(refused);
  auto removed = host_(ctx, kKv, "delete", {str(map("hostile")), bytes("another")});
  EXPECT_NE(err_of(removed).find("write budget"), std::string::npos);  // a tombstone is an entry too
  EXPECT_EQ(ctx.writes.entries(), n);
}

TEST_F(HostLimitsTest, KvAndStateShareOneBudget) {
  auto tx = contract_tx();
  CallContext ctx = context(tx);
  ctx.writes = WriteBudget({/*max_bytes=*/map("hostile").size() * 2 + 200, /*max_entries=*/3});
  ASSERT_TRUE(is_ok(put(ctx, "a", std::string(50, 'x'))));
  ASSERT_TRUE(is_ok(host_(ctx, kState, "put-state", {str("s"), bytes(std::string(50, 'y'))})));
  ASSERT_TRUE(is_ok(put(ctx, "b", "1")));
  // Three entries: a fourth of either interface is refused with its typed error.
  EXPECT_FALSE(err_of(host_(ctx, kState, "put-state", {str("t"), bytes("1")})).empty());
  EXPECT_FALSE(err_of(put(ctx, "c", "1")).empty());
  // Bytes: growing an entry past the budget is refused; the old value stays charged.
  EXPECT_FALSE(err_of(put(ctx, "a", std::string(200, 'x'))).empty());
  // A state delete refunds its entry and bytes; the kv write then fits.
  ASSERT_TRUE(is_ok(host_(ctx, kState, "delete-state", {str("s")})));
  EXPECT_TRUE(is_ok(put(ctx, "c", "1")));
  EXPECT_EQ(ctx.writes.entries(), 3u);
  // A refused write never reached the transaction.
  auto got = host_(ctx, kKv, "get", {str(map("hostile")), bytes("a")});
  ASSERT_TRUE(is_ok(got));
  EXPECT_EQ(got.get_result().payload()->get_option().value()->get_list().size(), 50u);
}

TEST_F(HostLimitsTest, StateAloneStopsAtItsBudget) {
  CallContext ctx;
  ctx.writes = WriteBudget({100, 100});
  EXPECT_TRUE(is_ok(host_(ctx, kState, "put-state", {str("k"), bytes(std::string(99, 'x'))})));
  EXPECT_NE(err_of(host_(ctx, kState, "put-state", {str("k"), bytes(std::string(100, 'x'))})).find("write budget"),
            std::string::npos);
  EXPECT_TRUE(is_ok(host_(ctx, kState, "put-state", {str("k"), bytes(std::string(10, 'x'))})));  // shrinking fits
  EXPECT_EQ(ctx.writes.bytes(), 11u);
}

TEST_F(HostLimitsTest, TheRuntimeAppliesItsWriteLimitsToEveryCall) {
  RuntimeOptions o;
  o.write_limits = {8, 100};  // smaller than the counter's map name: no write fits
  o.log = common::Logger::to_memory(node_log_);
  auto rt = std::move(Runtime::create(std::move(o), host::core_registry())).value();
  auto c = rt->load(read_contract("counter"), manifest_with({"kv_store", "logging", "tenant_context"}));
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  auto tx = contract_tx();
  CallContext ctx = context(tx);
  auto r = rt->call(**c, "increment", 1, ctx);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, CallErrorKind::kContractError);
  EXPECT_NE(r.message.find("write budget"), std::string::npos) << r.message;
  EXPECT_FALSE(tx.has_writes());
}

// --- scan bounds ------------------------------------------------------------

TEST_F(HostLimitsTest, ScanAboveTheByteBoundIsATypedError) {
  std::vector<std::pair<std::string, Bytes>> rows;
  for (int i = 0; i < 8; ++i) rows.emplace_back("r" + std::to_string(i), Bytes(600 * 1024, 0x41));
  seed(rows);
  auto tx = contract_tx();
  CallContext ctx = context(tx);
  const Val big = scan(ctx, "", "", 100);  // 4.8 MB of rows
  EXPECT_NE(err_of(big).find("larger than 4194304 bytes"), std::string::npos) << err_of(big);
  const Val fits = scan(ctx, "", "", 6);   // 3.6 MB
  ASSERT_TRUE(is_ok(fits));
  EXPECT_EQ(keys_of(fits), (std::vector<std::string>{"r0", "r1", "r2", "r3", "r4", "r5"}));
  // The contract continues after the last key it got.
  const Val rest = scan(ctx, std::string("r5") + '\0', "", 6);
  ASSERT_TRUE(is_ok(rest));
  EXPECT_EQ(keys_of(rest), (std::vector<std::string>{"r6", "r7"}));
}

TEST_F(HostLimitsTest, ScanOfMoreRowsThanTheCapIsATypedError) {
  std::vector<std::pair<std::string, Bytes>> rows;
  for (int i = 0; i < 10'001; ++i) rows.emplace_back(common::hex_encode(common::as_bytes(std::to_string(100'000 + i))), Bytes{1});
  seed(rows);
  auto tx = contract_tx();
  CallContext ctx = context(tx);
  // Asking for more than 10,000 when more exist: refused, never silently cut.
  EXPECT_NE(err_of(scan(ctx, "", "", 20'000)).find("more than 10000 rows"), std::string::npos);
  const Val capped = scan(ctx, "", "", 10'000);
  ASSERT_TRUE(is_ok(capped));
  EXPECT_EQ(keys_of(capped).size(), 10'000u);
  // A large limit over a range holding fewer rows is fine.
  const Val tail = scan(ctx, rows[9'990].first, "", 20'000);
  ASSERT_TRUE(is_ok(tail));
  EXPECT_EQ(keys_of(tail).size(), 11u);
}

TEST_F(HostLimitsTest, SteppedScanSeesOwnWritesLikeOneShot) {
  seed({{"a", Bytes{1}}, {"b", Bytes{1}}, {"c", Bytes{1}}, {"d", Bytes{1}}, {"e", Bytes{1}},
        {"f", Bytes{1}}, {"g", Bytes{1}}, {"h", Bytes{1}}, {"i", Bytes{1}}, {"j", Bytes{1}}});
  auto tx = contract_tx();
  CallContext ctx = context(tx);
  ASSERT_TRUE(is_ok(host_(ctx, kKv, "delete", {str(map("hostile")), bytes("c")})));
  ASSERT_TRUE(is_ok(host_(ctx, kKv, "delete", {str(map("hostile")), bytes("d")})));
  ASSERT_TRUE(is_ok(put(ctx, "cc", "new")));
  ASSERT_TRUE(is_ok(put(ctx, "f", "changed")));
  const Val all = scan(ctx, "b", "i", 100);
  ASSERT_TRUE(is_ok(all));
  EXPECT_EQ(keys_of(all), (std::vector<std::string>{"b", "cc", "e", "f", "g", "h"}));
  const Val first = scan(ctx, "b", "i", 5);
  ASSERT_TRUE(is_ok(first));
  EXPECT_EQ(keys_of(first), (std::vector<std::string>{"b", "cc", "e", "f", "g"}));
  EXPECT_FALSE(err_of(scan(ctx, "", "", 0)).empty());  // limit 0 is an error (HOST-API.md)
}

// --- compile cache ----------------------------------------------------------

struct CacheDir {
  store::testing::TempDir dir;
  std::shared_ptr<std::vector<std::string>> log = std::make_shared<std::vector<std::string>>();
  std::unique_ptr<Runtime> runtime(std::uint64_t max_artifact = 0) {
    RuntimeOptions o;
    o.cache_dir = dir.path();
    o.cache_secret = SecretBytes(Bytes(32, 5));
    o.max_cached_artifact_bytes = max_artifact;
    o.log = common::Logger::to_memory(log);
    return std::move(Runtime::create(std::move(o), host::core_registry())).value();
  }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) out.push_back(f.path().filename().string());
    return out;
  }
  bool logged(std::string_view what) const {
    for (const auto& l : *log)
      if (l.find(what) != std::string::npos) return true;
    return false;
  }
};

TEST(CompileCache, ConcurrentLoadsOfOneComponentAllSucceedAndLeaveOneValidArtifact) {
  CacheDir cache;
  const Bytes wasm = read_contract("typed");
  const std::string name = common::hex_encode(crypto::sha256(wasm)) + ".cwasm";
  constexpr int kThreads = 8;
  {
    // Two runtimes (as two node processes would) sharing one directory.
    auto a = cache.runtime();
    auto b = cache.runtime();
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < kThreads; ++i)
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        if ((i % 2 == 0 ? a : b)->load(wasm, {}).ok()) ++ok;
      });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), kThreads);
  }
  EXPECT_FALSE(cache.logged("could not write the compile cache"));
  EXPECT_EQ(cache.files(), std::vector<std::string>{name});  // no temporary file left behind
  auto fresh = cache.runtime();
  auto c = fresh->load(wasm, {});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_TRUE((*c)->loaded_from_cache());
  EXPECT_FALSE(cache.logged("failed authentication"));
}

// The interleaving behind the race, made deterministic: another writer has
// opened `<hash>.cwasm.tmp` (the one name every writer used to share) and is
// still writing when this load writes and renames its artifact.
TEST(CompileCache, AWriterNeverWritesIntoAnotherWritersTemporaryFile) {
  CacheDir cache;
  const Bytes wasm = read_contract("typed");
  const auto path = cache.dir.path() / (common::hex_encode(crypto::sha256(wasm)) + ".cwasm");
  auto shared_tmp = path;
  shared_tmp += ".tmp";
  std::ofstream other(shared_tmp, std::ios::binary);
  other << 'x' << std::flush;
  {
    auto rt = cache.runtime();
    ASSERT_TRUE(rt->load(wasm, {}).ok());
  }
  other << std::string(1000, 'y');  // the other writer finishes, into whatever its file now is
  other.close();
  auto rt = cache.runtime();
  auto c = rt->load(wasm, {});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE((*c)->loaded_from_cache());
  EXPECT_FALSE(cache.logged("failed authentication"));
}

TEST(CompileCache, AnOversizedArtifactIsNotReadButReplaced) {
  CacheDir cache;
  const Bytes wasm = read_contract("typed");
  const auto path = cache.dir.path() / (common::hex_encode(crypto::sha256(wasm)) + ".cwasm");
  // Sparse: one byte over the derived cap (64 MiB for a small component), no disk used.
  { std::ofstream(path, std::ios::binary).put('x'); }
  std::filesystem::resize_file(path, (64ull << 20) + 1);
  auto rt = cache.runtime();
  auto c = rt->load(wasm, {});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_FALSE((*c)->loaded_from_cache());
  EXPECT_TRUE(cache.logged("above the cache cap of 67108864 bytes; recompiling"));
  EXPECT_FALSE(cache.logged("failed authentication"));  // it was never read
  EXPECT_LT(std::filesystem::file_size(path), 64ull << 20);
  auto rt2 = cache.runtime();
  auto again = rt2->load(wasm, {});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->loaded_from_cache());
}

TEST(CompileCache, AnArtifactAboveAnExplicitCapIsNotCached) {
  CacheDir cache;
  auto rt = cache.runtime(/*max_artifact=*/1000);
  auto c = rt->load(read_contract("typed"), {});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(cache.logged("not cached"));
  EXPECT_TRUE(cache.files().empty());
}

// --- injectable clock -------------------------------------------------------

TEST(InjectedClock, DrivesTheElapsedTimeOfACall) {
  std::uint64_t now = 5'000'000'000;
  RuntimeOptions o;
  o.clock = [&now] { return now += 7'000'000; };  // every reading is 7 ms later
  o.log = common::Logger::to_memory(std::make_shared<std::vector<std::string>>());
  auto rt = std::move(Runtime::create(std::move(o), host::core_registry())).value();
  auto c = rt->load(read_contract("typed"), {});
  ASSERT_TRUE(c.ok());
  CallContext ctx;
  auto r = rt->call(**c, "add", Json{{"a", 2}, {"b", 3}}, ctx);
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.response, 5);
  EXPECT_EQ(r.elapsed, std::chrono::milliseconds(7));  // one reading at the start, one at the end
  EXPECT_EQ(ctx.started_ns, 5'007'000'000u);
  auto unknown = rt->call(**c, "nope", nullptr, ctx);
  EXPECT_EQ(unknown.elapsed, std::chrono::milliseconds(7));
}

TEST(InjectedClock, DrivesMonotonicNs) {
  std::uint64_t now = 1'000;
  const MonotonicClock clock = [&now] { return now; };
  CallContext ctx;
  ctx.clock = &clock;
  ctx.started_ns = 1'000;
  HostCall host;
  now = 1'234'567;
  EXPECT_EQ(host(ctx, "t3n:host/time@1.0.0", "monotonic-ns", {}).get_u64(), 1'233'567u);
  now = 10;  // a clock that went back reads as no time elapsed
  EXPECT_EQ(host(ctx, "t3n:host/time@1.0.0", "monotonic-ns", {}).get_u64(), 0u);
  // wall-clock-ms is the cluster timestamp, never a clock of this node.
  ctx.cluster_timestamp_ms = 1'700'000'000'123;
  EXPECT_EQ(host(ctx, "t3n:host/time@1.0.0", "wall-clock-ms", {}).get_u64(), 1'700'000'000'123u);
}

TEST(CallErrorNames, EveryKindHasItsName) {
  EXPECT_EQ(call_error_name(CallErrorKind::kHostCallLimit), "host_call_limit");
  EXPECT_EQ(call_error_name(CallErrorKind::kMemoryLimit), "memory_limit");
}

}  // namespace
}  // namespace t3n::runtime
