#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <map>
#include <thread>

#include "cas/blob_store.h"
#include "common/encoding.h"
#include "store/store_test_util.h"

namespace t3n::cas {
namespace {

TEST(Cid, KnownValuesAndRoundTrip) {
  // CIDv1 raw sha2-256 of the empty block and of "hello world".
  EXPECT_EQ(Cid::of({}).to_string(), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  const Cid hw = Cid::of(common::as_bytes("hello world"));
  EXPECT_EQ(hw.to_string(), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
  auto parsed = Cid::parse(hw.to_string());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, hw);
  EXPECT_TRUE(hw.matches(common::as_bytes("hello world")));
  EXPECT_FALSE(hw.matches(common::as_bytes("hello world!")));
  // Other multibases of the same bytes parse too.
  EXPECT_EQ(*Cid::parse(common::multibase_encode(common::Multibase::kBase58btc, hw.bytes())), hw);
}

TEST(Cid, RejectsMalformed) {
  EXPECT_FALSE(Cid::parse("").ok());
  EXPECT_FALSE(Cid::parse("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG").ok());  // CIDv0 (no multibase prefix)
  EXPECT_FALSE(Cid::parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk").ok());  // truncated
  Bytes b = Cid::of({}).bytes();
  b[1] = 0x71;  // dag-cbor: not supported
  EXPECT_FALSE(Cid::from_bytes(b).ok());
  b = Cid::of({}).bytes();
  b[2] = 0x13;  // sha2-512 multihash code with a 32-byte digest
  EXPECT_FALSE(Cid::from_bytes(b).ok());
  EXPECT_FALSE(Cid::parse(std::string(200, 'b')).ok());
}

TEST(LocalBlobStore, PutGetAndTamperDetection) {
  store::testing::TempDir dir;
  auto s = open_local_blob_store(dir.path(), 1024);
  ASSERT_TRUE(s.ok());
  auto cid = (*s)->put(common::as_bytes("ciphertext"));
  ASSERT_TRUE(cid.ok());
  EXPECT_EQ(*(*s)->put(common::as_bytes("ciphertext")), *cid);  // idempotent
  EXPECT_EQ(common::to_string(*(*s)->get(*cid)), "ciphertext");
  EXPECT_TRUE(*(*s)->contains(*cid));
  EXPECT_EQ((*s)->get(Cid::of(common::as_bytes("other"))).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ((*s)->put(Bytes(2048, 1)).status().code(), ErrorCode::kResourceExhausted);
  // The directory is untrusted: a changed file is detected, never returned.
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir.path()))
    if (f.is_regular_file()) std::ofstream(f.path(), std::ios::binary | std::ios::trunc) << "CIPHERTEXT";
  EXPECT_EQ((*s)->get(*cid).status().code(), ErrorCode::kDataLoss);
}

// A cluster member's store: what it lacks comes from its peers (here a
// function standing in for the peer call), checked against the CID.
TEST(FetchingBlobStore, FetchesWhatItLacksKeepsItAndRefusesSubstitutes) {
  store::testing::TempDir dir;
  auto local = open_local_blob_store(dir.path(), 1024);
  ASSERT_TRUE(local.ok());
  const Cid wanted = Cid::of(common::as_bytes("contract ciphertext"));
  const Cid forged = Cid::of(common::as_bytes("another blob"));
  int fetches = 0;
  auto s = make_fetching_blob_store(std::move(*local), [&](const Cid& cid) -> Result<Bytes> {
    ++fetches;
    if (cid == wanted) return common::to_bytes("contract ciphertext");
    if (cid == forged) return common::to_bytes("substituted bytes");  // a lying peer
    return common::not_found("nobody has it");
  });
  auto got = s->get(wanted);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(common::to_string(*got), "contract ciphertext");
  EXPECT_TRUE(*s->contains(wanted));  // kept locally
  ASSERT_TRUE(s->get(wanted).ok());
  EXPECT_EQ(fetches, 1);
  EXPECT_EQ(s->get(forged).status().code(), ErrorCode::kDataLoss);
  EXPECT_FALSE(*s->contains(forged));
  EXPECT_EQ(s->get(Cid::of(common::as_bytes("absent"))).status().code(), ErrorCode::kNotFound);
}

// A stand-in for a Kubo node's block API (test double).
class FakeKubo {
 public:
  FakeKubo() {
    server_.Post("/api/v0/block/put", [this](const httplib::Request& req, httplib::Response& res) {
      const auto& file = req.get_file_value("file");
      const Cid cid = Cid::of(common::as_bytes(file.content));
      blocks_[cid.to_string()] = corrupt_ ? file.content + "x" : file.content;
      res.set_content(R"({"Key":")" + cid.to_string() + R"(","Size":)" + std::to_string(file.content.size()) + "}",
                      "application/json");
    });
    server_.Post("/api/v0/block/get", [this](const httplib::Request& req, httplib::Response& res) {
      auto it = blocks_.find(req.get_param_value("arg"));
      if (it == blocks_.end()) {
        res.status = 500;
        res.set_content(R"({"Message":"block not found"})", "application/json");
        return;
      }
      res.set_content(it->second, "application/octet-stream");
    });
    server_.Post("/api/v0/block/stat", [this](const httplib::Request& req, httplib::Response& res) {
      res.status = blocks_.count(req.get_param_value("arg")) ? 200 : 500;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeKubo() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void corrupt_next() { corrupt_ = true; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::map<std::string, std::string> blocks_;
  bool corrupt_ = false;
};

TEST(KuboBlobStore, PutGetVerifiesEveryBlob) {
  FakeKubo kubo;
  auto s = open_kubo_blob_store(kubo.url(), std::chrono::seconds(5));
  ASSERT_TRUE(s.ok());
  Bytes blob(300000, 0x5a);  // larger than a default IPFS chunk: still one raw block
  auto cid = (*s)->put(blob);
  ASSERT_TRUE(cid.ok()) << cid.status().to_string();
  EXPECT_EQ(*cid, Cid::of(blob));
  EXPECT_EQ(*(*s)->get(*cid), blob);
  EXPECT_TRUE(*(*s)->contains(*cid));
  EXPECT_EQ((*s)->get(Cid::of(common::as_bytes("absent"))).status().code(), ErrorCode::kNotFound);
  kubo.corrupt_next();
  auto evil = (*s)->put(common::as_bytes("tampered by the node"));
  ASSERT_TRUE(evil.ok());
  EXPECT_EQ((*s)->get(*evil).status().code(), ErrorCode::kDataLoss);
  auto down = open_kubo_blob_store("http://127.0.0.1:1", std::chrono::milliseconds(300));
  EXPECT_EQ((*down)->get(*cid).status().code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(open_kubo_blob_store("ftp://x").ok());
}

}  // namespace
}  // namespace t3n::cas
