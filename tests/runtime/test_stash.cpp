// t3n:host/stash through a real contract (sdk/examples/attachments): the
// request's attached blob lands in a real local CAS; single use per call;
// default deny; no blob is a typed error.
#include "cas/blob_store.h"
#include "runtime/runtime_fixture.h"

namespace t3n::runtime {
namespace {

class StashTest : public testing::RuntimeFixture {
 protected:
  void SetUp() override {
    RuntimeFixture::SetUp();
    auto cas = cas::open_local_blob_store(dir_.path() / "cas");
    ASSERT_TRUE(cas.ok());
    cas_ = std::move(*cas);
    auto r = Runtime::create(RuntimeOptions{}, host::core_registry(cas_.get()));
    ASSERT_TRUE(r.ok());
    stash_runtime_ = std::move(*r);
  }

  CallOutcome call_with(const Manifest& m, std::string_view fn, const std::optional<std::string>& blob) {
    auto c = stash_runtime_->load(testing::read_contract("attachments"), m);
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    if (!c.ok()) return {};
    auto tx = store_->begin(store::Principal::contract(kContractId, store::testing::tid()));
    CallContext ctx;
    ctx.tx = &tx;
    ctx.contract_id = kContractId;
    ctx.tenant_tid = store::testing::tid();
    if (blob) ctx.attached_blob = CallContext::AttachedBlob{common::as_bytes(*blob), "image/png"};
    return stash_runtime_->call(**c, fn, nullptr, ctx);
  }

  static Manifest granted() {
    Manifest m = testing::manifest_with({"stash"});
    m.stash = true;
    return m;
  }

  std::unique_ptr<cas::BlobStore> cas_;
  std::unique_ptr<Runtime> stash_runtime_;
};

TEST_F(StashTest, TheAttachedBlobLandsInTheCasOnce) {
  const std::string blob = "\x89PNG not really, but bytes";
  auto out = call_with(granted(), "keep", blob);
  ASSERT_TRUE(out.ok) << out.message;
  const cas::Cid cid = cas::Cid::of(common::as_bytes(blob));
  EXPECT_EQ(out.response["cid"], cid.to_string());
  EXPECT_EQ(out.response["size"], blob.size());
  EXPECT_EQ(out.response["media-type"], "image/png");
  auto stored = cas_->get(cid);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(common::to_string(*stored), blob);
  auto twice = call_with(granted(), "keep-twice", blob);
  ASSERT_TRUE(twice.ok) << twice.message;
  EXPECT_EQ(twice.response, "already-consumed");
}

TEST_F(StashTest, NoBlobOrNoGrantIsATypedError) {
  auto none = call_with(granted(), "keep", std::nullopt);
  ASSERT_FALSE(none.ok);
  EXPECT_NE(none.message.find("no-blob-attached"), std::string::npos) << none.message;
  Manifest not_allowed = testing::manifest_with({"stash"});  // the interface, without "stash": true
  auto refused = call_with(not_allowed, "keep", "bytes");
  ASSERT_FALSE(refused.ok);
  EXPECT_NE(refused.message.find("not-allowlisted"), std::string::npos) << refused.message;
  // Without the capability the contract does not even link.
  EXPECT_FALSE(stash_runtime_->load(testing::read_contract("attachments"), testing::manifest_with({})).ok());
}

}  // namespace
}  // namespace t3n::runtime
