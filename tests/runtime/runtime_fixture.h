// A store, a runtime with the core host interfaces, and the example contracts.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "host/host.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "store/store_test_util.h"

namespace t3n::runtime::testing {

inline Bytes read_contract(const std::string& name) {
  std::ifstream in(std::string(T3N_CONTRACTS_DIR) + "/" + name + ".wasm", std::ios::binary);
  EXPECT_TRUE(in.good()) << "contract " << name << " not built (target `contracts`)";
  std::stringstream ss;
  ss << in.rdbuf();
  return common::to_bytes(ss.str());
}

inline Manifest manifest_with(std::initializer_list<const char*> caps, Limits limits = {}) {
  Manifest m;
  for (const char* c : caps) m.host_capabilities.insert(c);
  m.limits = limits;
  return m;
}

class RuntimeFixture : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kContractId = 7;

  void SetUp() override {
    auto s = store::Store::open(store::testing::options_for(dir_.path()));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(s).value();
    auto tx = store_->begin(store::Principal::system());
    for (const char* tail : {"counter", "hostile", "greetings"})
      ASSERT_TRUE(tx.create_map({store::testing::tenant_map(tail), store::Visibility::kPrivate, {kContractId}, {}}).ok());
    ASSERT_TRUE(store_->commit(tx).ok());
    RuntimeOptions o;
    o.log = common::Logger::to_memory(node_log_);
    auto r = Runtime::create(std::move(o), host::core_registry());
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    runtime_ = std::move(r).value();
  }

  std::shared_ptr<const Contract> load(const std::string& name, Manifest m) {
    auto c = runtime_->load(read_contract(name), std::move(m));
    EXPECT_TRUE(c.ok()) << name << ": " << c.status().to_string();
    return c.ok() ? *c : nullptr;
  }

  // One call in its own transaction, committed only if the contract returned ok.
  CallOutcome call(const Contract& c, std::string_view fn, const common::Json& input = nullptr) {
    auto tx = store_->begin(store::Principal::contract(kContractId, store::testing::tid()));
    CallContext ctx;
    ctx.tx = &tx;
    ctx.contract_id = kContractId;
    ctx.tenant_tid = store::testing::tid();
    ctx.tenant_did = Bytes(20, 0xaa);
    ctx.cluster_timestamp_ms = 1'700'000'000'123;
    ctx.seqno = store_->last_seqno();
    ctx.request_id = "req-1";
    CallOutcome out = runtime_->call(c, fn, input, ctx);
    last_log_ = ctx.contract_log;
    if (out.ok) {
      auto committed = store_->commit(tx);
      EXPECT_TRUE(committed.ok()) << committed.status().to_string();
    }
    return out;
  }

  std::optional<Bytes> read(const std::string& tail, std::string_view key) {
    auto tx = store_->begin(store::Principal::system());
    auto v = tx.get(store::testing::tenant_map(tail), common::as_bytes(key));
    return v.ok() ? *v : std::nullopt;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Runtime> runtime_;
  std::shared_ptr<std::vector<std::string>> node_log_ = std::make_shared<std::vector<std::string>>();
  std::vector<std::string> last_log_;
};

}  // namespace t3n::runtime::testing
