// The contract registry against a real store, local CAS and Wasmtime.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cas/blob_store.h"
#include "common/encoding.h"
#include "host/host.h"
#include "registry/registry.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "store/store_test_util.h"

namespace t3n::registry {
namespace {

Bytes counter_component() {
  std::ifstream in(std::string(T3N_CONTRACTS_DIR) + "/counter.wasm", std::ios::binary);
  EXPECT_TRUE(in.good()) << "contract counter not built (target `contracts`)";
  std::stringstream ss;
  ss << in.rdbuf();
  return common::to_bytes(ss.str());
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::Store::open(store::testing::options_for(dir_.path() / "store"));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(*s);
    auto c = cas::open_local_blob_store(dir_.path() / "cas");
    ASSERT_TRUE(c.ok());
    cas_ = std::move(*c);
    runtime::RuntimeOptions o;
    auto r = runtime::Runtime::create(std::move(o), host::core_registry());
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    runtime_ = std::move(*r);
    ASSERT_TRUE(ensure_registry_tables(*store_).ok());
    registry_ = std::make_unique<ContractRegistry>(*store_, *cas_, *runtime_, SecretBytes(Bytes(32, 9)),
                                                   common::Logger::to_memory(log_));
  }

  DeployRequest request(const std::string& name, const std::string& version, std::vector<std::string> maps = {"counter"},
                        std::optional<std::string> tenant = std::nullopt) {
    return {name, version, component_, {{"host_capabilities", {"kv_store", "logging", "tenant_context"}}}, std::move(maps),
            std::move(tenant), {}};
  }

  Result<Deployed> deploy(const DeployRequest& req, const Registrant& who) {
    T3N_ASSIGN_OR_RETURN(auto prepared, registry_->prepare(req));
    auto tx = store_->begin(store::Principal::system());
    T3N_ASSIGN_OR_RETURN(auto deployed, registry_->record(tx, prepared, who));
    T3N_RETURN_IF_ERROR(store_->commit(tx).status());
    registry_->remember(prepared);
    return deployed;
  }

  store::testing::TempDir dir_;
  std::shared_ptr<std::vector<std::string>> log_ = std::make_shared<std::vector<std::string>>();
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<cas::BlobStore> cas_;
  std::unique_ptr<runtime::Runtime> runtime_;
  std::unique_ptr<ContractRegistry> registry_;
  Bytes component_ = counter_component();
  Registrant alice_{false, Bytes(20, 0xa1)};
  Registrant bob_{false, Bytes(20, 0xb0)};
};

TEST_F(RegistryTest, VersionsKeepTheContractIdAndResolve) {
  auto v1 = deploy(request("counter", "1.0.0"), alice_);
  ASSERT_TRUE(v1.ok()) << v1.status().to_string();
  EXPECT_EQ(v1->version.tenant, common::hex_encode(alice_.user));  // a user's own tenant by default
  auto v2 = deploy(request("counter", "1.1.0"), alice_);
  ASSERT_TRUE(v2.ok()) << v2.status().to_string();
  EXPECT_EQ(v2->version.contract_id, v1->version.contract_id);
  auto latest = registry_->resolve("counter", std::nullopt);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version, "1.1.0");
  auto old = registry_->resolve("counter", std::string("1.0.0"));
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->cid, v1->version.cid);
  EXPECT_EQ(registry_->resolve("counter", std::string("9.9.9")).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(registry_->resolve("nothing", std::nullopt).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(deploy(request("counter", "1.1.0"), alice_).status().code(), ErrorCode::kAlreadyExists);
  // A loaded contract comes back from CAS (CID-checked, decrypted) in a fresh registry.
  ContractRegistry fresh(*store_, *cas_, *runtime_, SecretBytes(Bytes(32, 9)), common::Logger::to_memory(log_));
  auto loaded = fresh.load(*latest);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  ContractRegistry wrong_key(*store_, *cas_, *runtime_, SecretBytes(Bytes(32, 8)), common::Logger::to_memory(log_));
  EXPECT_FALSE(wrong_key.load(*latest).ok());
}

// Defect (issue 10): any caller naming a tenant could publish a new
// `latest` of another's contract, inheriting its id and map ACLs.
TEST_F(RegistryTest, AnotherUserCannotPublishAVersionOfMyContract) {
  auto mine = deploy(request("payments", "1.0.0"), alice_);
  ASSERT_TRUE(mine.ok()) << mine.status().to_string();
  auto hijack = deploy(request("payments", "6.6.6", {"counter"}, mine->version.tenant), bob_);
  EXPECT_EQ(hijack.status().code(), ErrorCode::kPermissionDenied) << hijack.status().to_string();
  auto no_tenant = deploy(request("payments", "6.6.6"), bob_);
  EXPECT_EQ(no_tenant.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(registry_->resolve("payments", std::nullopt)->version, "1.0.0");
  // An operator may.
  EXPECT_TRUE(deploy(request("payments", "1.0.1"), Registrant{true, {}}).ok());
}

TEST_F(RegistryTest, TenantsBelongToTheirFirstRegistrant) {
  const std::string tenant(40, 'c');
  ASSERT_TRUE(deploy(request("first", "1", {"a"}, tenant), alice_).ok());
  auto other = deploy(request("second", "1", {"b"}, tenant), bob_);
  EXPECT_EQ(other.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(deploy(request("third", "1", {"c"}, tenant), alice_).ok());
}

TEST_F(RegistryTest, MapsOfAnotherContractCannotBeClaimed) {
  const std::string tenant(40, 'd');
  ASSERT_TRUE(deploy(request("one", "1", {"shared"}, tenant), alice_).ok());
  auto two = deploy(request("two", "1", {"shared"}, tenant), alice_);
  EXPECT_EQ(two.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(two.status().message().find("belongs to another contract"), std::string::npos);
}

TEST_F(RegistryTest, TenantIdsAreCanonical) {
  for (const std::string& bad : {std::string(40, 'A'), "0x" + std::string(38, 'a'), std::string(38, 'a'), std::string(40, 'g')})
    EXPECT_EQ(registry_->prepare(request("x", "1", {}, bad)).status().code(), ErrorCode::kInvalidArgument) << bad;
  EXPECT_EQ(registry_->prepare(request("has space", "1")).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry_->prepare(request("x", std::string(65, '1'))).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(RegistryTest, RowsRoundTripAndCorruptRowsAreDataLoss) {
  ContractRow row{7, std::string(40, 'e'), "2.0", {{"1.0", {"bafkreia", "{}", "ab", ""}}, {"2.0", {"bafkreib", "{\"x\":1}", "cd", "ef"}}},
                  ContractStatus::kDisabled};
  auto back = ContractRowCodec::decode(ContractRowCodec::encode(row));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->contract_id, 7u);
  EXPECT_EQ(back->versions.at("2.0").manifest_json, "{\"x\":1}");
  Bytes truncated = ContractRowCodec::encode(row);
  truncated.pop_back();
  EXPECT_FALSE(ContractRowCodec::decode(truncated).ok());
  auto tx = store_->begin(store::Principal::system());
  ASSERT_TRUE(tx.put("contracts", common::as_bytes("broken"), truncated).ok());
  ASSERT_TRUE(store_->commit(tx).ok());
  EXPECT_EQ(registry_->resolve("broken", std::nullopt).status().code(), ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace t3n::registry
