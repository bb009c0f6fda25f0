#include <gtest/gtest.h>

#include <thread>

#include "runtime/runtime_fixture.h"

namespace t3n::runtime {
namespace {

using testing::manifest_with;
using testing::read_contract;
using common::Json;

class RuntimeTest : public testing::RuntimeFixture {};

TEST_F(RuntimeTest, CounterRunsAgainstTheRealStore) {
  auto c = load("counter", manifest_with({"kv_store", "logging", "tenant_context"}));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->export_interface(), "t3n-examples:counter/contracts@0.1.0");
  auto r1 = call(*c, "increment", 5);
  ASSERT_TRUE(r1.ok) << r1.message;
  EXPECT_EQ(r1.response, 5);
  EXPECT_GT(r1.fuel_consumed, 0u);
  auto r2 = call(*c, "increment", 2);
  EXPECT_EQ(r2.response, 7);
  ASSERT_FALSE(last_log_.empty());
  EXPECT_EQ(last_log_.back(), "info: counter incremented");
  EXPECT_EQ(call(*c, "get").response, 7);
  EXPECT_EQ(read("counter", "count"), common::to_bytes("7"));
  auto keys = call(*c, "keys", 10);
  ASSERT_TRUE(keys.ok) << keys.message;
  EXPECT_EQ(keys.response, Json::array({"count"}));
}

TEST_F(RuntimeTest, WritesOfAFailedCallAreAbsent) {
  auto c = load("counter", manifest_with({"kv_store", "logging", "tenant_context"}));
  ASSERT_TRUE(call(*c, "increment", 1).ok);
  auto failed = call(*c, "fail-after-write");
  ASSERT_FALSE(failed.ok);
  EXPECT_EQ(failed.error, CallErrorKind::kContractError);
  EXPECT_EQ(failed.message, "refusing after a write: nothing may be committed");
  auto trapped = call(*c, "trap-after-write");
  ASSERT_FALSE(trapped.ok);
  EXPECT_EQ(trapped.error, CallErrorKind::kTrap);
  EXPECT_NE(trapped.message.find("unreachable"), std::string::npos);
  EXPECT_EQ(trapped.message.find("backtrace"), std::string::npos);  // backtraces stay in the node log
  EXPECT_EQ(read("counter", "count"), common::to_bytes("1"));
}

TEST_F(RuntimeTest, ABareMapNameIsTheContractsOwnTenantMap) {
  auto c = load("counter", manifest_with({"kv_store", "logging", "tenant_context"}));
  ASSERT_TRUE(call(*c, "increment", 41).ok);
  auto bare = call(*c, "get-bare");
  ASSERT_TRUE(bare.ok) << bare.message;
  EXPECT_EQ(bare.response, 41);
}

TEST_F(RuntimeTest, EveryWasi02MinorVersionLinks) {
  for (const char* v : {"wasi-0.2.0", "wasi-0.2.9"}) {
    auto c = runtime_->load(read_contract(v), {});
    EXPECT_TRUE(c.ok()) << v << ": " << c.status().to_string();
  }
}

TEST_F(RuntimeTest, GenericInputEnvelope) {
  auto c = load("counter", manifest_with({"kv_store", "logging", "tenant_context"}));
  auto r = call(*c, "remember", Json{{"flight", "LH400"}, {"seats", 2}});
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.response["input"], (Json{{"flight", "LH400"}, {"seats", 2}}));
  EXPECT_EQ(r.response["context"]["tenant"], store::testing::tid());
  EXPECT_EQ(r.response["context"]["timestamp_ms"], 1'700'000'000'123ull);
  EXPECT_EQ(read("counter", "last-input"), common::to_bytes(R"({"flight":"LH400","seats":2})"));
}

TEST_F(RuntimeTest, UngrantedInterfacesAreRefusedAtDeploy) {
  auto missing = runtime_->load(read_contract("counter"), manifest_with({"kv_store", "tenant_context"}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(missing.status().message().find("host:interfaces/logging@2.1.0"), std::string::npos);
  auto forbidden = runtime_->load(read_contract("forbidden"), manifest_with({"otp"}));
  ASSERT_FALSE(forbidden.ok());
  EXPECT_NE(forbidden.status().message().find("host:interfaces/http@2.1.0"), std::string::npos);
  // Granted, but not provided by the runtime's registry (every HOST-API
  // interface is provided by a node now; a runtime with fewer shows it):
  // a clear error, not a stub.
  auto partial = std::make_shared<HostRegistry>();
  partial->add(host::http_interface(nullptr));
  auto small = Runtime::create(RuntimeOptions{}, partial);
  ASSERT_TRUE(small.ok());
  auto unprovided = (*small)->load(read_contract("forbidden"), manifest_with({"http", "otp"}));
  ASSERT_FALSE(unprovided.ok());
  EXPECT_EQ(unprovided.status().code(), ErrorCode::kUnimplemented);
  EXPECT_NE(unprovided.status().message().find("host:interfaces/otp@2.1.0"), std::string::npos) << unprovided.status().message();
  EXPECT_FALSE(runtime_->load(common::to_bytes("not wasm at all"), {}).ok());
  EXPECT_TRUE(runtime_->load(read_contract("typed"), {}).ok());  // no imports: nothing to grant
}

TEST_F(RuntimeTest, UnknownImportsDeployAndTrapWhenCalled) {
  auto c = load("stranger", {});
  ASSERT_NE(c, nullptr);
  auto r = call(*c, "infinite-loop");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, CallErrorKind::kHostError);
  EXPECT_NE(r.message.find("t3n-examples:hostile/stranger-api@0.1.0#poke"), std::string::npos) << r.message;
  EXPECT_EQ(call(*c, "memory-bomb").error, CallErrorKind::kContractError);  // the rest of the contract works
}

TEST_F(RuntimeTest, UnknownFunctionAndBadInput) {
  auto c = load("counter", manifest_with({"kv_store", "logging", "tenant_context"}));
  auto unknown = call(*c, "transfer");
  EXPECT_EQ(unknown.error, CallErrorKind::kUnknownFunction);
  auto bad = call(*c, "increment", "five");
  ASSERT_FALSE(bad.ok);
  EXPECT_EQ(bad.error, CallErrorKind::kBadInput);
  auto negative = call(*c, "increment", -1);
  EXPECT_EQ(negative.error, CallErrorKind::kBadInput);
}

class HostileTest : public testing::RuntimeFixture {
 protected:
  std::shared_ptr<const Contract> hostile(Limits limits = {}) {
    return load("hostile", manifest_with({"kv_store", "logging"}, limits));
  }
  void expect_still_serving() {
    auto c = load("counter", manifest_with({"kv_store", "logging", "tenant_context"}));
    auto r = call(*c, "increment", 1);
    EXPECT_TRUE(r.ok) << r.message;
  }
};

TEST_F(HostileTest, InfiniteLoopRunsOutOfFuel) {
  auto c = hostile();
  auto r = call(*c, "infinite-loop");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, CallErrorKind::kOutOfFuel) << r.message;
  EXPECT_EQ(r.fuel_consumed, Limits{}.fuel);
  expect_still_serving();
}

TEST_F(HostileTest, InfiniteLoopHitsTheDeadline) {
  Limits l;
  l.fuel = 100'000'000'000;  // effectively unlimited: the clock must stop it
  l.timeout_ms = 200;
  auto c = hostile(l);
  auto r = call(*c, "infinite-loop");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, CallErrorKind::kDeadlineExceeded) << r.message;
  EXPECT_LT(r.elapsed, std::chrono::milliseconds(2000));
  expect_still_serving();
}

TEST_F(HostileTest, MemoryBombStopsAtTheLimit) {
  // Growth past the manifest's limit traps in the host (the contract never
  // sees memory.grow return -1, so its own `unreachable` never runs) and the
  // call reports memory_limit.
  auto bomb = [&](std::uint64_t mib) {
    Limits l;
    l.memory_mib = mib;
    l.fuel = LimitCeilings{}.fuel;  // touching every page costs fuel: only memory may stop it
    l.timeout_ms = LimitCeilings{}.timeout_ms;
    auto c = hostile(l);
    auto r = call(*c, "memory-bomb");
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error, CallErrorKind::kMemoryLimit) << r.message;
    EXPECT_EQ(r.message.find("unreachable"), std::string::npos) << r.message;
    return r.fuel_consumed;
  };
  // It is the manifest's limit that stops it, not the pool's 256 MiB
  // ceiling: a smaller limit stops it after fewer 1 MiB steps.
  const std::uint64_t at16 = bomb(16);
  const std::uint64_t at64 = bomb(64);
  EXPECT_LT(at16, at64);
  expect_still_serving();
}

TEST_F(HostileTest, DeepRecursionOverflowsTheStack) {
  auto c = hostile();
  auto r = call(*c, "deep-recursion", 100'000'000);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, CallErrorKind::kStackOverflow) << r.message;
  auto shallow = call(*c, "deep-recursion", 100);
  EXPECT_TRUE(shallow.ok) << shallow.message;
  expect_still_serving();
}

TEST_F(HostileTest, HugeReturnIsBoundedByMemory) {
  Limits l;
  l.memory_mib = 16;
  auto c = hostile(l);
  // malloc's growth is refused by the host: the call stops with
  // memory_limit before any 64 MiB result reaches the host.
  auto r = call(*c, "huge-return", 64);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, CallErrorKind::kMemoryLimit) << r.message;
  auto small = call(*c, "huge-return", 1);
  ASSERT_TRUE(small.ok) << small.message;
  expect_still_serving();
}

TEST_F(HostileTest, HostCallFloodIsCut) {
  // Fuel and time at the ceilings: only the host-call cap can stop it.
  Limits l;
  l.fuel = LimitCeilings{}.fuel;
  l.timeout_ms = LimitCeilings{}.timeout_ms;
  auto c = hostile(l);
  auto r = call(*c, "host-call-flood");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, CallErrorKind::kHostCallLimit) << r.message;
  EXPECT_EQ(r.message, "the call exceeded its limit of 1000000 host calls");
  EXPECT_LT(r.fuel_consumed, l.fuel);
  EXPECT_LE(last_log_.size(), kMaxLogBytesPerCall / 10);
  expect_still_serving();
}

TEST_F(HostileTest, WriteThenLoopCommitsNothing) {
  Limits l;
  l.timeout_ms = 100;
  auto c = hostile(l);
  auto r = call(*c, "write-then-loop");
  ASSERT_FALSE(r.ok);
  EXPECT_FALSE(read("hostile", "k").has_value());
}

TEST_F(HostileTest, OtherCallsKeepRunningDuringAHostileOne) {
  Limits l;
  l.fuel = 100'000'000'000;
  l.timeout_ms = 1500;
  auto bad = hostile(l);
  auto good = load("counter", manifest_with({"kv_store", "logging", "tenant_context"}));
  std::thread t([&] {
    auto tx = store_->begin(store::Principal::contract(kContractId, store::testing::tid()));
    CallContext ctx;
    ctx.tx = &tx;
    ctx.tenant_tid = store::testing::tid();
    ctx.tenant_did = Bytes(20, 0xaa);
    auto r = runtime_->call(*bad, "infinite-loop", nullptr, ctx);
    EXPECT_EQ(r.error, CallErrorKind::kDeadlineExceeded);
  });
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(call(*good, "increment", 1).ok);
  t.join();
  EXPECT_EQ(read("counter", "count"), common::to_bytes("20"));
}

TEST_F(RuntimeTest, JavaScriptContract) {
  auto c = load("js-greeter", manifest_with({"kv_store", "tenant_context"}));
  ASSERT_NE(c, nullptr);
  auto r = call(*c, "greet", "ada");
  ASSERT_TRUE(r.ok) << r.message << "\n" << (node_log_->empty() ? "" : node_log_->back());
  EXPECT_EQ(r.response, "Hello, ada! (greeting #1)");
  EXPECT_EQ(call(*c, "greet", "ada").response, "Hello, ada! (greeting #2)");
  EXPECT_EQ(call(*c, "count", "ada").response, 2);
  auto err = call(*c, "greet", "");
  ASSERT_FALSE(err.ok);
  EXPECT_EQ(err.error, CallErrorKind::kContractError);
  EXPECT_EQ(read("greetings", "ada"), common::to_bytes("2"));
}

TEST(RuntimeCache, CompiledComponentsAreCachedEncryptedAndVerified) {
  store::testing::TempDir dir;
  auto make = [&] {
    RuntimeOptions o;
    o.cache_dir = dir.path();
    o.cache_secret = SecretBytes(Bytes(32, 5));
    o.log = common::Logger::to_memory(std::make_shared<std::vector<std::string>>());
    return std::move(Runtime::create(std::move(o), host::core_registry())).value();
  };
  const Bytes wasm = read_contract("typed");
  {
    auto rt = make();
    auto c = rt->load(wasm, {});
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    EXPECT_FALSE((*c)->loaded_from_cache());
  }
  std::vector<std::filesystem::path> files;
  for (const auto& f : std::filesystem::directory_iterator(dir.path())) files.push_back(f.path());
  ASSERT_EQ(files.size(), 1u);
  {
    auto rt = make();
    auto c = rt->load(wasm, {});
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE((*c)->loaded_from_cache());
  }
  // A tampered artifact is never deserialized: it is recompiled.
  {
    // Flip a byte (writing a fixed value left it unchanged 1 time in 256).
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(100);
    const char was = static_cast<char>(f.get());
    f.seekp(100);
    f.put(static_cast<char>(was ^ 0x55));
  }
  auto rt = make();
  auto c = rt->load(wasm, {});
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE((*c)->loaded_from_cache());
}

}  // namespace
}  // namespace t3n::runtime
