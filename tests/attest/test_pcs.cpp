// Collateral from a PCS-compatible service: a local server speaking the PCS
// v4 API with the simulated platform's collateral (the test double), fetched
// over real HTTP, written in the directory layout, then used to verify.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <iterator>
#include <thread>
#include <unistd.h>

#include "attest/pcs.h"
#include "attest/tdx_sim.h"
#include "common/encoding.h"
#include "test_util.h"

namespace t3n::attest {
namespace {

constexpr std::time_t kNotBefore = 1767225600;  // 2026-01-01

using t3n::testing::percent_encode;

class FakePcs : public ::testing::Test {
 protected:
  void SetUp() override {
    SimulatedTdxPlatformOptions o;
    o.not_before = kNotBefore;
    auto created = SimulatedTdxPlatform::create(common::to_bytes("pcs test platform seed"), o);
    ASSERT_TRUE(created.ok());
    platform_ = std::make_unique<SimulatedTdxPlatform>(std::move(created).value());
    const auto& c = platform_->collateral();
    const std::string signing_chain = percent_encode(c.tcb_signing_chain_pem);
    server_.Get("/tdx/certification/v4/tcb", [&, signing_chain](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      last_fmspc_ = req.get_param_value("fmspc");
      if (last_fmspc_ != "54334E53494D" && last_fmspc_ != "54334e53494d") {
        res.status = 404;
        return;
      }
      if (!omit_headers_) res.set_header("TCB-Info-Issuer-Chain", signing_chain);
      res.set_content(c.tcb_info_json, "application/json");
    });
    server_.Get("/tdx/certification/v4/qe/identity", [&, signing_chain](const httplib::Request&, httplib::Response& res) {
      res.set_header("SGX-Enclave-Identity-Issuer-Chain", signing_chain);
      res.set_content(c.qe_identity_json, "application/json");
    });
    server_.Get("/sgx/certification/v4/pckcrl", [&](const httplib::Request& req, httplib::Response& res) {
      last_ca_ = req.get_param_value("ca");
      res.set_header("SGX-PCK-CRL-Issuer-Chain", percent_encode(platform_->root_pem()));
      const Bytes& der = platform_->crls_der()[1];
      res.set_content(std::string(der.begin(), der.end()), "application/pkix-crl");
    });
    server_.Get("/sgx/certification/v4/rootcacrl", [&](const httplib::Request&, httplib::Response& res) {
      // Older PCCS releases answer hex text.
      res.set_content(common::hex_encode(platform_->crls_der()[0]), "text/plain");
    });
    server_.Get("/big/tdx/certification/v4/tcb", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(5u << 20, 'x'), "application/json");
    });
    server_.Get("/moved/tdx/certification/v4/tcb", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("http://example.invalid/elsewhere");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // bind_to_any_port already listens: connections queue until the thread accepts them.
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  PcsOptions options() const {
    PcsOptions o;
    o.base_url = "http://127.0.0.1:" + std::to_string(port_) + "/";
    o.root_ca_crl_url.clear();  // the PCCS path
    o.timeout = std::chrono::seconds(5);
    return o;
  }

  std::unique_ptr<SimulatedTdxPlatform> platform_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  int requests_ = 0;
  bool omit_headers_ = false;
  std::string last_fmspc_, last_ca_;
};

TEST_F(FakePcs, FetchedCollateralVerifiesAQuoteFromTheDirectory) {
  SimulatedTd td;
  ReportData rd{};
  rd.fill(0x33);
  T3N_ASSERT_OK_AND_ASSIGN(Bytes quote, platform_->quote(td, rd));
  T3N_ASSERT_OK_AND_ASSIGN(auto parsed, parse_tdx_quote(quote));
  T3N_ASSERT_OK_AND_ASSIGN(auto pck, pck_extensions(parsed.pck_chain_pem.front()));
  T3N_ASSERT_OK_AND_ASSIGN(std::string ca, pck_ca_of_quote(parsed));
  EXPECT_EQ(ca, "platform");
  T3N_ASSERT_OK_AND_ASSIGN(auto fetched, fetch_tdx_collateral(options(), pck.fmspc, ca));
  EXPECT_EQ(last_ca_, "platform");
  EXPECT_EQ(fetched.collateral.tcb_info_json, platform_->collateral().tcb_info_json);
  EXPECT_EQ(fetched.root_ca_crl_der, platform_->crls_der()[0]) << "hex answer decoded to DER";

  const auto dir = std::filesystem::temp_directory_path() / ("t3n-pcs-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(write_tdx_collateral_dir(dir, fetched).ok());
  TdxCollateral col;
  CertCheckOptions o;
  ASSERT_TRUE(load_tdx_collateral(dir, col, o).ok());
  o.at = kNotBefore + 3600;
  o.root_ca_sha256 = platform_->root_ca_sha256();
  T3N_ASSERT_OK_AND_ASSIGN(auto v, verify_tdx_quote(quote, col, o));
  EXPECT_EQ(v.status, "UpToDate");
  std::filesystem::remove_all(dir);
}

TEST_F(FakePcs, ErrorsNameWhatWentWrong) {
  std::array<std::uint8_t, 6> unknown{1, 2, 3, 4, 5, 6};
  auto missing = fetch_tdx_collateral(options(), unknown);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("fmspc=010203040506"), std::string::npos) << missing.status().message();

  omit_headers_ = true;
  std::array<std::uint8_t, 6> sim{0x54, 0x33, 0x4e, 0x53, 0x49, 0x4d};
  auto headerless = fetch_tdx_collateral(options(), sim);
  ASSERT_FALSE(headerless.ok());
  EXPECT_NE(headerless.status().message().find("TCB-Info-Issuer-Chain"), std::string::npos);

  EXPECT_EQ(fetch_tdx_collateral(options(), sim, "elsewhere").status().code(), ErrorCode::kInvalidArgument);
  PcsOptions big = options();
  big.base_url += "big";
  EXPECT_EQ(fetch_tdx_collateral(big, sim).status().code(), ErrorCode::kResourceExhausted) << "bounded while reading";
  PcsOptions moved = options();
  moved.base_url += "moved";
  auto redirected = fetch_tdx_collateral(moved, sim);
  ASSERT_FALSE(redirected.ok());
  EXPECT_NE(redirected.status().message().find("not followed"), std::string::npos) << redirected.status().message();
  PcsOptions bad = options();
  bad.base_url = "ftp://example.com";
  EXPECT_EQ(fetch_tdx_collateral(bad, sim).status().code(), ErrorCode::kInvalidArgument);
  bad.base_url = "http://127.0.0.1:1";
  EXPECT_EQ(fetch_tdx_collateral(bad, sim).status().code(), ErrorCode::kUnavailable);
}

// A KDS-speaking server with the real Milan VCEK and chain: the fetched
// collateral verifies the real report.
TEST(FakeKds, FetchedVcekAndChainVerifyTheReport) {
  const auto dir = t3n::testing::vectors_dir() / "attestation/sev-snp/go-sev-guest-milan";
  const auto meta = t3n::testing::load_vectors("attestation/sev-snp/go-sev-guest-milan/case.json");
  auto slurp = [](const std::filesystem::path& p) { return common::to_string(t3n::testing::read_bytes(p)); };
  const std::string vcek = slurp(dir / "vcek.der"), chain = slurp(dir / "ask.pem") + slurp(dir / "ark.pem");
  const std::string hwid = meta["chip_id"].get<std::string>();
  httplib::Server server;
  std::string query;
  server.Get("/vcek/v1/Milan/" + hwid, [&](const httplib::Request& req, httplib::Response& res) {
    query = "bl=" + req.get_param_value("blSPL") + " tee=" + req.get_param_value("teeSPL") + " snp=" +
            req.get_param_value("snpSPL") + " ucode=" + req.get_param_value("ucodeSPL");
    res.set_content(vcek, "application/x-x509-ca-cert");
  });
  server.Get("/vcek/v1/Milan/cert_chain", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(chain, "application/x-pem-file");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });

  const Bytes report = t3n::testing::read_bytes(dir / "report.bin");
  T3N_ASSERT_OK_AND_ASSIGN(auto parsed, parse_snp_report(report));
  EXPECT_EQ(snp_product_of_report(parsed).status().code(), ErrorCode::kInvalidArgument) << "a v2 report names no CPU";
  KdsOptions kds;
  kds.base_url = "http://127.0.0.1:" + std::to_string(port);
  kds.timeout = std::chrono::seconds(5);
  auto fetched = fetch_snp_collateral(kds, parsed, AmdProduct::kMilan);
  server.stop();
  thread.join();
  ASSERT_TRUE(fetched.ok()) << fetched.status().to_string();
  EXPECT_EQ(query, "bl=2 tee=0 snp=5 ucode=68");
  EXPECT_TRUE(fetched->crls_der.empty()) << "no CRL served: none used";
  const auto out = std::filesystem::temp_directory_path() / ("t3n-kds-" + std::to_string(::getpid()));
  ASSERT_TRUE(write_snp_collateral_dir(out, *fetched).ok());
  SnpCollateral loaded;
  ASSERT_TRUE(load_snp_collateral(out, loaded).ok());
  CertCheckOptions o;
  o.at = *common::parse_utc_timestamp(meta["verify_at"].get<std::string>());
  T3N_ASSERT_OK_AND_ASSIGN(auto v, verify_snp_report(report, loaded, o));
  EXPECT_EQ(v.product, AmdProduct::kMilan);
  std::filesystem::remove_all(out);
  // Genoa's KDS path does not have this chip.
  kds.base_url = "http://127.0.0.1:1";
  EXPECT_EQ(fetch_snp_collateral(kds, parsed, AmdProduct::kGenoa).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(amd_product_from_name("Bergamo").status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace t3n::attest
