// Policy over real, fully verified TDX quotes from ../shared/vectors.
#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <sstream>

#include "attest/policy.h"
#include "common/encoding.h"
#include "crypto/hash.h"
#include "test_util.h"

namespace t3n::attest {
namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in.good()) << p;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The v4 quote from dcap-qvl: UpToDate, production TD (debug off).
class TdxPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto dir = t3n::testing::vectors_dir() / "attestation/tdx/dcap-qvl-v4-uptodate";
    const auto meta = t3n::testing::load_vectors("attestation/tdx/dcap-qvl-v4-uptodate/case.json");
    CertCheckOptions o;
    o.at = *common::parse_utc_timestamp(meta["verify_at"].get<std::string>());
    o.crls_der = {common::to_bytes(read(dir / "root_ca_crl.der")), common::to_bytes(read(dir / "pck_crl.der"))};
    TdxCollateral col{read(dir / "tcb_info.json"), read(dir / "qe_identity.json"), read(dir / "tcb_signing_chain.pem")};
    auto v = verify_tdx_quote(common::as_bytes(read(dir / "quote.bin")), col, o);
    ASSERT_TRUE(v.ok()) << v.status().to_string();
    ASSERT_EQ(v->status, "UpToDate");
    verified_ = std::move(*v);
  }
  std::string mrtd() const { return common::hex_encode(verified_.quote.report.mr_td); }
  TdxVerification verified_;
};

TEST_F(TdxPolicyTest, DefaultPolicyAcceptsAnUpToDateProductionTd) {
  const auto out = apply_tdx_policy(verified_, TdxPolicy{});
  EXPECT_TRUE(out.accepted);
  EXPECT_TRUE(out.violations.empty());
  EXPECT_TRUE(out.measurements_valid);
  EXPECT_FALSE(out.report_data_bound.has_value());
  EXPECT_FALSE(out.evidence_age_seconds.has_value());
}

TEST_F(TdxPolicyTest, MeasurementsMustBeAllowed) {
  TdxPolicy p;
  p.mrtd = {mrtd()};
  EXPECT_TRUE(apply_tdx_policy(verified_, p).accepted);
  p.mrtd = {std::string(96, '0')};
  auto out = apply_tdx_policy(verified_, p);
  EXPECT_FALSE(out.accepted);
  EXPECT_FALSE(out.measurements_valid);
  ASSERT_EQ(out.violations.size(), 1u);
  EXPECT_NE(out.violations[0].find("MRTD"), std::string::npos);
  p = TdxPolicy{};
  p.rtmr[2] = {std::string(96, 'a')};
  out = apply_tdx_policy(verified_, p);
  EXPECT_FALSE(out.accepted);
  EXPECT_NE(out.violations.at(0).find("RTMR2"), std::string::npos);
}

TEST_F(TdxPolicyTest, TcbStatusDebugAndAge) {
  auto v = verified_;
  v.status = "OutOfDate";
  EXPECT_FALSE(apply_tdx_policy(v, TdxPolicy{}).accepted);
  TdxPolicy lenient;
  lenient.minimum_tcb_status = "OutOfDateConfigurationNeeded";
  EXPECT_TRUE(apply_tdx_policy(v, lenient).accepted);
  for (const char* never : {"Revoked", "TcbNotSupported"}) {
    v.status = never;
    EXPECT_FALSE(apply_tdx_policy(v, lenient).accepted) << never;
  }
  v = verified_;
  v.quote.report.td_attributes[0] |= 0x01;
  EXPECT_FALSE(apply_tdx_policy(v, TdxPolicy{}).accepted);
  TdxPolicy debug_ok;
  debug_ok.allow_debug = true;
  EXPECT_TRUE(apply_tdx_policy(v, debug_ok).accepted);

  const std::time_t now = 2'000'000'000;
  auto fresh = apply_tdx_policy(verified_, TdxPolicy{}, now - 60, now);
  EXPECT_TRUE(fresh.accepted);
  EXPECT_EQ(fresh.evidence_age_seconds, 60);
  EXPECT_FALSE(apply_tdx_policy(verified_, TdxPolicy{}, now - 25 * 3600, now).accepted);
  EXPECT_FALSE(apply_tdx_policy(verified_, TdxPolicy{}, now + 3600, now).accepted);
}

TEST_F(TdxPolicyTest, ReportDataMustBindTheExpectedKeys) {
  TdxPolicy p;
  ReportData rd{};
  std::copy(verified_.quote.report.report_data.begin(), verified_.quote.report.report_data.end(), rd.begin());
  p.report_data = rd;
  auto out = apply_tdx_policy(verified_, p);
  EXPECT_TRUE(out.accepted);
  EXPECT_EQ(out.report_data_bound, true);
  for (std::size_t i = 0; i < rd.size(); i += 13) {
    auto q = p;
    (*q.report_data)[i] ^= 0x80;
    out = apply_tdx_policy(verified_, q);
    EXPECT_FALSE(out.accepted) << i;
    EXPECT_EQ(out.report_data_bound, false);
  }
}

TEST(NodeKeyBinding, IsSha512OverTheLabelAndKeysAndSensitiveToEachKey) {
  const Bytes ed(32, 1), pq(1952, 2), ohttp(41, 3);
  Bytes expected = common::to_bytes("t3n-attestation-v1");
  common::append(expected, ed);
  common::append(expected, pq);
  common::append(expected, ohttp);
  const auto d = crypto::sha512(expected);
  const auto rd = node_key_binding(ed, pq, ohttp);
  EXPECT_TRUE(std::equal(d.begin(), d.end(), rd.begin()));
  Bytes ohttp2 = ohttp;
  ohttp2[40] ^= 1;
  EXPECT_NE(node_key_binding(ed, pq, ohttp2), rd);
  Bytes ed2 = ed;
  ed2[0] ^= 1;
  EXPECT_NE(node_key_binding(ed2, pq, ohttp), rd);
}

TEST(TdxPolicyToml, ParsesAndRejectsMistakes) {
  const std::string m(96, 'A');
  auto p = tdx_policy_from_toml("[tdx]\nmrtd = [\"" + m + "\"]\nrtmr3 = [\"" + m + "\"]\nminimum_tcb_status = \"UpToDate\"\n"
                                "max_evidence_age_seconds = 600\nreport_data = \"" + std::string(128, 'f') + "\"\n");
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->mrtd, std::vector<std::string>{std::string(96, 'a')});  // normalised to lowercase
  EXPECT_EQ(p->rtmr[3].size(), 1u);
  EXPECT_EQ(p->minimum_tcb_status, "UpToDate");
  EXPECT_EQ(p->max_evidence_age_seconds, 600);
  ASSERT_TRUE(p->report_data.has_value());
  EXPECT_EQ((*p->report_data)[63], 0xff);

  auto defaults = tdx_policy_from_toml("");
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(defaults->allow_debug);
  EXPECT_EQ(defaults->max_evidence_age_seconds, 86400);

  for (const std::string bad : {"[tdx]\nmrdt = []\n",                         // typo
                                "[tdx]\nmrtd = [\"abcd\"]\n",                  // wrong length
                                "[tdx]\nminimum_tcb_status = \"Fine\"\n",      // unknown status
                                "[tdx]\nreport_data = \"00\"\n",               // wrong length
                                "[tdx]\nmax_evidence_age_seconds = 0\n",       // nonsense
                                "[tdx]\nallow_debug = \"yes\"\n"}) {           // wrong type
    auto r = tdx_policy_from_toml(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << r.status().to_string();
    }
  }
}

TEST_F(TdxPolicyTest, JsonReportCombinesVerificationAndPolicy) {
  TdxPolicy p;
  p.mrtd = {std::string(96, '0')};
  const auto j = tdx_verification_to_json(Result<TdxVerification>(verified_), apply_tdx_policy(verified_, p));
  EXPECT_FALSE(j["valid"].get<bool>());
  EXPECT_TRUE(j["hardware_verified"].get<bool>());
  EXPECT_FALSE(j["measurements_valid"].get<bool>());
  EXPECT_EQ(j["policy"]["violations"].size(), 1u);
  const auto ok = tdx_verification_to_json(Result<TdxVerification>(verified_), apply_tdx_policy(verified_, TdxPolicy{}));
  EXPECT_TRUE(ok["valid"].get<bool>());
  EXPECT_TRUE(ok["measurements_valid"].get<bool>());
}

}  // namespace
}  // namespace t3n::attest
