// The simulated TDX platform: its quotes go through the real DCAP verifier,
// pass only under its own (explicitly pinned) test anchor, and are
// byte-identical for the same seed.
#include <gtest/gtest.h>

#include <unistd.h>

#include "attest/policy.h"
#include "attest/tdx_sim.h"
#include "attest/tdx_verify.h"
#include "attest/verification_cache.h"
#include "common/encoding.h"
#include "test_util.h"

namespace t3n::attest {
namespace {

constexpr std::time_t kNotBefore = 1767225600;  // 2026-01-01T00:00:00Z
constexpr std::time_t kAt = kNotBefore + 86400;

Bytes seed(const char* label = "t3n test platform") { return common::to_bytes(std::string(label) + " seed 0123456789"); }

SimulatedTdxPlatform platform(SimulatedTdxPlatformOptions o = {}, const Bytes& s = seed()) {
  if (o.not_before == 0) o.not_before = kNotBefore;
  auto p = SimulatedTdxPlatform::create(s, o);
  EXPECT_TRUE(p.ok()) << p.status().to_string();
  return std::move(*p);
}

SimulatedTd td(int version = 4, bool tdx15 = false) {
  SimulatedTd t;
  t.mr_td.fill(0xA1);
  t.rtmr[0].fill(0xB0);
  t.rtmr[3].fill(0xB3);
  t.mr_config_id.fill(0xC0);
  t.quote_version = version;
  t.tdx15 = tdx15;
  return t;
}

ReportData report_data(std::uint8_t fill = 0x5A) {
  ReportData r{};
  r.fill(fill);
  return r;
}

TEST(SimulatedTdx, QuotesOfEveryLayoutVerifyUnderTheTestAnchor) {
  auto p = platform();
  for (auto [version, tdx15] : {std::pair{4, false}, std::pair{5, false}, std::pair{5, true}}) {
    T3N_ASSERT_OK_AND_ASSIGN(Bytes quote, p.quote(td(version, tdx15), report_data()));
    auto v = verify_tdx_quote(quote, p.collateral(), p.trust(kAt));
    ASSERT_TRUE(v.ok()) << "v" << version << (tdx15 ? " TDX 1.5: " : ": ") << v.status().to_string();
    EXPECT_EQ(v->status, "UpToDate");
    EXPECT_EQ(v->qe_status, "UpToDate");
    EXPECT_EQ(v->module_status, "UpToDate");
    EXPECT_EQ(v->quote.version, version);
    EXPECT_EQ(v->quote.report.tdx15, tdx15);
    EXPECT_EQ(v->quote.report.report_data, report_data());
    EXPECT_EQ(v->quote.report.mr_td, td().mr_td);
    EXPECT_EQ(v->quote.report.rtmr[3], td().rtmr[3]);
    EXPECT_FALSE(v->quote.report.debug());
    EXPECT_EQ(common::hex_encode(v->pck.fmspc), "54334e53494d");
    const auto json = tdx_verification_to_json(v);
    EXPECT_TRUE(json["valid"].get<bool>());
  }
}

TEST(SimulatedTdx, RejectedUnderTheProductionAnchor) {
  auto p = platform();
  T3N_ASSERT_OK_AND_ASSIGN(Bytes quote, p.quote(td(), report_data()));
  CertCheckOptions production;  // pins the Intel SGX Root CA
  production.at = kAt;
  production.crls_der = p.crls_der();
  auto v = verify_tdx_quote(quote, p.collateral(), production);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(v.status().message().find("pinned root"), std::string::npos) << v.status().message();
  EXPECT_NE(p.root_ca_sha256(), kIntelSgxRootCaSha256);
  // And one platform's anchor does not trust another's quotes.
  auto other = platform({}, seed("another platform"));
  EXPECT_FALSE(verify_tdx_quote(quote, p.collateral(), other.trust(kAt)).ok());
}

TEST(SimulatedTdx, SameSeedGivesIdenticalEvidence) {
  auto a = platform(), b = platform();
  EXPECT_EQ(a.root_ca_sha256(), b.root_ca_sha256());
  EXPECT_EQ(a.root_pem(), b.root_pem());
  EXPECT_EQ(a.collateral().tcb_info_json, b.collateral().tcb_info_json);
  EXPECT_EQ(a.crls_der(), b.crls_der());
  T3N_ASSERT_OK_AND_ASSIGN(Bytes qa, a.quote(td(5, true), report_data()));
  T3N_ASSERT_OK_AND_ASSIGN(Bytes qb, b.quote(td(5, true), report_data()));
  EXPECT_EQ(qa, qb);
  auto c = platform({}, seed("a different seed"));
  EXPECT_NE(a.root_ca_sha256(), c.root_ca_sha256());
}

TEST(SimulatedTdx, TcbLevelsSelectOutOfDateAndNotSupported) {
  SimulatedTdxPlatformOptions old;
  old.pck_component_svn = 3;
  auto p = platform(old);
  T3N_ASSERT_OK_AND_ASSIGN(Bytes quote, p.quote(td(), report_data()));
  T3N_ASSERT_OK_AND_ASSIGN(auto v, verify_tdx_quote(quote, p.collateral(), p.trust(kAt)));
  EXPECT_EQ(v.status, "OutOfDate");
  EXPECT_EQ(v.advisory_ids, std::vector<std::string>{"T3N-SIM-SA-0001"});
  EXPECT_FALSE(apply_tdx_policy(v, TdxPolicy{}, std::nullopt, kAt).accepted);

  SimulatedTdxPlatformOptions ancient;
  ancient.pck_component_svn = 1;
  auto q = platform(ancient);
  T3N_ASSERT_OK_AND_ASSIGN(Bytes quote2, q.quote(td(), report_data()));
  T3N_ASSERT_OK_AND_ASSIGN(auto v2, verify_tdx_quote(quote2, q.collateral(), q.trust(kAt)));
  EXPECT_EQ(v2.status, "TcbNotSupported");
}

TEST(SimulatedTdx, RevokedPckAndTimeWindowAreRejected) {
  SimulatedTdxPlatformOptions revoked;
  revoked.revoke_pck = true;
  auto p = platform(revoked);
  T3N_ASSERT_OK_AND_ASSIGN(Bytes quote, p.quote(td(), report_data()));
  auto v = verify_tdx_quote(quote, p.collateral(), p.trust(kAt));
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("revoked"), std::string::npos) << v.status().message();

  auto good = platform();
  T3N_ASSERT_OK_AND_ASSIGN(Bytes fine, good.quote(td(), report_data()));
  EXPECT_FALSE(verify_tdx_quote(fine, good.collateral(), good.trust(kNotBefore - 60)).ok());
  EXPECT_FALSE(verify_tdx_quote(fine, good.collateral(), good.trust(kNotBefore + 6ll * 365 * 86400)).ok());
}

TEST(SimulatedTdx, EveryByteOfTheSignedQuoteIsCovered) {
  auto p = platform();
  T3N_ASSERT_OK_AND_ASSIGN(Bytes quote, p.quote(td(5, true), report_data()));
  VerificationCache cache;
  CertCheckOptions o = p.trust(kAt);
  o.cache = &cache;
  ASSERT_TRUE(verify_tdx_quote(quote, p.collateral(), o).ok());
  T3N_ASSERT_OK_AND_ASSIGN(auto parsed, parse_tdx_quote(quote));
  // Header, body, quote signature, attestation key, QE report and its signature.
  const std::size_t covered = parsed.signed_part.size() + 4 + 128 + 6 + 384 + 64;
  std::size_t rejected = 0;
  for (std::size_t i = 0; i < covered; ++i) {
    Bytes bad = quote;
    bad[i] ^= 0x01;
    if (!verify_tdx_quote(bad, p.collateral(), o).ok()) ++rejected;
    else ADD_FAILURE() << "flipping byte " << i << " went unnoticed";
  }
  EXPECT_EQ(rejected, covered);
}

TEST(SimulatedTdx, CollateralDirectoryRoundTripsAndPolicyApplies) {
  auto p = platform();
  const auto dir = std::filesystem::temp_directory_path() / ("t3n-sim-collateral-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(p.write_collateral_dir(dir).ok());
  TdxCollateral col;
  CertCheckOptions o;
  ASSERT_TRUE(load_tdx_collateral(dir, col, o).ok());
  EXPECT_EQ(o.crls_der.size(), 2u);
  o.at = kAt;
  o.root_ca_sha256 = p.root_ca_sha256();
  SimulatedTd debug_td = td();
  debug_td.debug = true;
  T3N_ASSERT_OK_AND_ASSIGN(Bytes quote, p.quote(debug_td, report_data(0x11)));
  T3N_ASSERT_OK_AND_ASSIGN(auto v, verify_tdx_quote(quote, col, o));
  EXPECT_TRUE(v.quote.report.debug());
  TdxPolicy policy;
  policy.report_data = report_data(0x22);
  policy.mrtd = {common::hex_encode(td().mr_td)};
  auto outcome = apply_tdx_policy(v, policy, std::nullopt, kAt);
  EXPECT_FALSE(outcome.accepted);
  EXPECT_TRUE(outcome.measurements_valid);
  EXPECT_EQ(outcome.report_data_bound, false);
  EXPECT_EQ(outcome.violations.size(), 2u);  // debug, REPORTDATA
  std::filesystem::remove_all(dir);
}

TEST(SimulatedTdx, RefusesBadOptions) {
  SimulatedTdxPlatformOptions o;
  o.not_before = kNotBefore;
  EXPECT_EQ(SimulatedTdxPlatform::create(Bytes(8, 1), o).status().code(), ErrorCode::kInvalidArgument);
  o.not_after = kNotBefore - 1;
  EXPECT_EQ(SimulatedTdxPlatform::create(seed(), o).status().code(), ErrorCode::kInvalidArgument);
  auto p = platform();
  SimulatedTd bad = td(4, true);
  EXPECT_EQ(p.quote(bad, report_data()).status().code(), ErrorCode::kInvalidArgument);
  bad = td(6);
  EXPECT_EQ(p.quote(bad, report_data()).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace t3n::attest
