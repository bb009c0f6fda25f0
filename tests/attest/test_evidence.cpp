// Evidence providers: configfs-tsm against a fake kernel (deterministic:
// it answers inblob writes with simulated TDX quotes, and can be told to be
// busy or to let another writer interfere), /dev/tdx_guest absence, and the
// simulated provider.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "attest/cbor.h"
#include "attest/evidence.h"
#include "attest/nitro_verify.h"
#include "attest/tdx_verify.h"
#include "common/encoding.h"
#include "test_util.h"

namespace t3n::attest {
namespace {

constexpr std::time_t kNotBefore = 1767225600;  // 2026-01-01

SimulatedTdxPlatform sim_platform() {
  SimulatedTdxPlatformOptions o;
  o.not_before = kNotBefore;
  auto p = SimulatedTdxPlatform::create(common::to_bytes("evidence test platform seed"), o);
  EXPECT_TRUE(p.ok());
  return std::move(*p);
}

// What the kernel's configfs-tsm does, reduced to the behaviour the provider relies on.
struct FakeKernel {
  std::string provider = "tdx_guest";
  std::set<std::filesystem::path> dirs;
  std::map<std::filesystem::path, std::uint64_t> generation;
  std::map<std::filesystem::path, Bytes> outblob;
  int busy_reads = 0;           // outblob reads answered EBUSY
  int interfering_writes = 0;   // another writer bumps generation this many times
  int outblob_reads = 0;
  SimulatedTdxPlatform platform = sim_platform();
};

class FakeTsm final : public TsmFilesystem {
 public:
  explicit FakeTsm(std::shared_ptr<FakeKernel> k) : k_(std::move(k)) {}
  Status make_dir(const std::filesystem::path& dir) override {
    k_->dirs.insert(dir);
    k_->generation[dir] = 7;  // any starting value
    return {};
  }
  Status remove_dir(const std::filesystem::path& dir) override {
    k_->dirs.erase(dir);
    return {};
  }
  Result<Bytes> read(const std::filesystem::path& file) override {
    const auto dir = file.parent_path();
    if (!k_->dirs.count(dir)) return common::not_found("no entry " + dir.string());
    const auto name = file.filename().string();
    if (name == "provider") return common::to_bytes(k_->provider + "\n");
    if (name == "generation") return common::to_bytes(std::to_string(k_->generation[dir]) + "\n");
    if (name == "outblob") {
      ++k_->outblob_reads;
      if (k_->busy_reads > 0) {
        --k_->busy_reads;
        return Status(ErrorCode::kUnavailable, "busy");
      }
      if (k_->interfering_writes > 0) {
        --k_->interfering_writes;
        ++k_->generation[dir];
      }
      return k_->outblob[dir];
    }
    return common::not_found(file.string());
  }
  Status write(const std::filesystem::path& file, ByteView data) override {
    const auto dir = file.parent_path();
    if (!k_->dirs.count(dir) || file.filename() != "inblob" || data.size() > 64)
      return common::invalid_argument("bad write");
    ++k_->generation[dir];
    ReportData rd{};
    std::copy(data.begin(), data.end(), rd.begin());
    SimulatedTd td;
    td.mr_td.fill(0x42);
    auto quote = k_->platform.quote(td, rd);
    if (!quote.ok()) return quote.status();
    k_->outblob[dir] = *quote;
    return {};
  }

 private:
  std::shared_ptr<FakeKernel> k_;
};

std::unique_ptr<ConfigfsTsmProvider> provider(const std::shared_ptr<FakeKernel>& k, const std::string& kind = "IntelTdx") {
  auto p = ConfigfsTsmProvider::create(kind, "/fake/tsm/report", std::make_unique<FakeTsm>(k));
  EXPECT_TRUE(p.ok()) << p.status().to_string();
  return std::move(*p);
}

ReportData rd(std::uint8_t v) {
  ReportData r{};
  r.fill(v);
  return r;
}

TEST(ConfigfsTsm, QuoteCarriesTheReportDataAndVerifies) {
  auto k = std::make_shared<FakeKernel>();
  auto p = provider(k);
  EXPECT_EQ(p->kind(), "IntelTdx");
  EXPECT_FALSE(p->simulated());
  T3N_ASSERT_OK_AND_ASSIGN(Bytes quote, p->evidence(rd(0x77)));
  T3N_ASSERT_OK_AND_ASSIGN(auto v, verify_tdx_quote(quote, k->platform.collateral(), k->platform.trust(kNotBefore + 60)));
  EXPECT_EQ(v.quote.report.report_data, rd(0x77));
  EXPECT_TRUE(k->dirs.empty()) << "the entry is removed after use";
  // A second request uses a fresh entry and its own report data.
  T3N_ASSERT_OK_AND_ASSIGN(Bytes again, p->evidence(rd(0x78)));
  EXPECT_NE(again, quote);
}

TEST(ConfigfsTsm, RetriesWhileBusyThenGivesUp) {
  auto k = std::make_shared<FakeKernel>();
  k->busy_reads = 2;
  auto p = provider(k);
  ASSERT_TRUE(p->evidence(rd(1)).ok());
  EXPECT_EQ(k->outblob_reads, 3);

  k->busy_reads = 1000;
  auto busy = p->evidence(rd(2));
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(busy.status().message().find("gave up after 5 attempts"), std::string::npos) << busy.status().message();
  EXPECT_TRUE(k->dirs.empty());
}

TEST(ConfigfsTsm, AnotherWriterBetweenInblobAndOutblobIsDetected) {
  auto k = std::make_shared<FakeKernel>();
  k->interfering_writes = 1;
  auto p = provider(k);
  T3N_ASSERT_OK_AND_ASSIGN(Bytes quote, p->evidence(rd(3)));  // retried once
  EXPECT_EQ(k->outblob_reads, 2);
  T3N_ASSERT_OK_AND_ASSIGN(auto parsed, parse_tdx_quote(quote));
  EXPECT_EQ(parsed.report.report_data, rd(3));

  k->interfering_writes = 1000;
  auto raced = p->evidence(rd(4));
  ASSERT_FALSE(raced.ok());
  EXPECT_NE(raced.status().message().find("changed under us"), std::string::npos) << raced.status().message();
}

TEST(ConfigfsTsm, WrongProviderAndKindAreRefused) {
  auto k = std::make_shared<FakeKernel>();
  k->provider = "sev_guest";
  auto p = provider(k);
  auto wrong = p->evidence(rd(5));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(wrong.status().message().find("expected 'tdx_guest'"), std::string::npos);
  EXPECT_EQ(k->outblob_reads, 0) << "nothing is requested from the wrong provider";

  auto snp = provider(k, "AmdSevSnp");  // sev_guest is right for SEV-SNP
  EXPECT_TRUE(snp->evidence(rd(6)).ok());
  EXPECT_EQ(ConfigfsTsmProvider::create("AwsNitro").status().code(), ErrorCode::kInvalidArgument);
}

TEST(ConfigfsTsm, RealFilesystemWithoutConfigfsTsmIsUnavailable) {
  const auto missing = std::filesystem::temp_directory_path() / "t3n-no-such-tsm-dir" / "report";
  T3N_ASSERT_OK_AND_ASSIGN(auto p, ConfigfsTsmProvider::create("IntelTdx", missing));
  auto e = p->evidence(rd(7));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), ErrorCode::kUnavailable) << e.status().to_string();
}

TEST(TdxGuestDevice, AbsentDeviceIsUnavailable) {
  auto r = tdx_local_report(rd(8), "/nonexistent/tdx_guest");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.status().message().find("not a TDX guest"), std::string::npos);
}

TEST(NitroNsm, RequestIsTheNsmApiCbor) {
  const Bytes request = nsm_attestation_request(Bytes(64, 0xAB));
  T3N_ASSERT_OK_AND_ASSIGN(cbor::Item root, cbor::decode(request, "request"));
  const cbor::Item* att = root.find("Attestation");
  ASSERT_NE(att, nullptr);
  ASSERT_EQ(att->map_size(), 3u);
  ASSERT_NE(att->find("user_data"), nullptr);
  EXPECT_EQ(common::to_bytes(att->find("user_data")->bytes), Bytes(64, 0xAB));
  EXPECT_EQ(att->find("nonce")->kind, cbor::Kind::kNull);
  EXPECT_EQ(att->find("public_key")->kind, cbor::Kind::kNull);
  // Byte-exact head: map(1), "Attestation", map(3), "user_data", bytes(64).
  EXPECT_EQ(common::hex_encode(ByteView(request).first(26)), "a16b4174746573746174696f6ea369757365725f646174615840");
}

TEST(NitroNsm, ResponseYieldsTheDocumentWhichVerifies) {
  const auto dir = t3n::testing::vectors_dir() / "attestation/nitro/nitrite-prod";
  const Bytes document = t3n::testing::read_bytes(dir / "document.cbor");
  ASSERT_GT(document.size(), 1000u);
  Bytes response = t3n::testing::hex("a16b4174746573746174696f6ea168646f63756d656e74");  // {"Attestation": {"document": …
  response.push_back(0x59);  // bytes, 2-byte length
  response.push_back(static_cast<std::uint8_t>(document.size() >> 8));
  response.push_back(static_cast<std::uint8_t>(document.size()));
  common::append(response, document);
  T3N_ASSERT_OK_AND_ASSIGN(Bytes extracted, nsm_attestation_document(response));
  EXPECT_EQ(extracted, document);
  const auto at = *common::parse_utc_timestamp("2024-09-07T14:37:40Z");
  EXPECT_TRUE(verify_nitro_document(extracted, nitro_cert_options(at)).ok());

  auto refused = nsm_attestation_document(t3n::testing::hex("a1654572726f726f496e76616c6964417267756d656e74"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("InvalidArgument"), std::string::npos);
  EXPECT_EQ(nsm_attestation_document(t3n::testing::hex("a0")).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(nsm_attestation_document(t3n::testing::hex("ff")).status().code(), ErrorCode::kInvalidArgument);
  NitroNsmProvider absent("/nonexistent/nsm");
  EXPECT_EQ(absent.evidence(rd(1)).status().code(), ErrorCode::kUnavailable);
}

TEST(SimulatedProvider, IsMarkedSimulatedAndBindsReportData) {
  SimulatedTd td;
  td.mr_td.fill(0x24);
  SimulatedTdxProvider p(sim_platform(), td);
  EXPECT_TRUE(p.simulated());
  T3N_ASSERT_OK_AND_ASSIGN(Bytes quote, p.evidence(rd(9)));
  T3N_ASSERT_OK_AND_ASSIGN(auto v, verify_tdx_quote(quote, p.platform().collateral(), p.platform().trust(kNotBefore + 1)));
  EXPECT_EQ(v.quote.report.report_data, rd(9));
  EXPECT_EQ(v.quote.report.mr_td, td.mr_td);
}

}  // namespace
}  // namespace t3n::attest
