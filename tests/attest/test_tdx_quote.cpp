// TDX quotes from ../shared/vectors/attestation/tdx: real Intel-signed evidence.
#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <sstream>

#include "attest/tdx_quote.h"
#include "attest/detect.h"
#include "attest/tdx_verify.h"
#include "attest/verification_cache.h"
#include <unistd.h>
#include "common/encoding.h"
#include "test_util.h"

namespace t3n::attest {
namespace {

using t3n::testing::read_bytes;

class TdxCases : public ::testing::TestWithParam<std::string> {
 protected:
  std::filesystem::path dir() const { return t3n::testing::vectors_dir() / "attestation/tdx" / GetParam(); }
  common::Json meta() const { return t3n::testing::load_vectors("attestation/tdx/" + GetParam() + "/case.json"); }
  CertCheckOptions options() const {
    CertCheckOptions o;
    o.at = *common::parse_utc_timestamp(meta()["verify_at"].get<std::string>());
    o.crls_der = {read_bytes(dir() / "root_ca_crl.der"), read_bytes(dir() / "pck_crl.der")};
    return o;
  }
};

TEST_P(TdxCases, ParsesAndVerifiesAtItsTime) {
  auto q = parse_tdx_quote(read_bytes(dir() / "quote.bin"));
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  EXPECT_EQ(q->version, meta()["quote_version"].get<int>());
  EXPECT_EQ(q->pck_chain_pem.size(), 3u);
  auto ext = pck_extensions(q->pck_chain_pem.front());
  ASSERT_TRUE(ext.ok()) << ext.status().to_string();
  EXPECT_EQ(common::hex_encode(ext->fmspc), meta()["fmspc"].get<std::string>());
  Status s = verify_tdx_quote_signatures(*q, options());
  EXPECT_TRUE(s.ok()) << s.to_string();
}

TEST_P(TdxCases, EveryMutationIsRejected) {
  const Bytes quote = read_bytes(dir() / "quote.bin");
  auto q = parse_tdx_quote(quote);
  ASSERT_TRUE(q.ok());
  const auto o = options();
  // A byte of the signed TD report, the QE report, the attestation key, either signature.
  for (std::size_t off : {10ul, 100ul, 400ul, q->signed_part.size() - 1}) {
    Bytes m = quote;
    m[off] ^= 0x01;
    auto mq = parse_tdx_quote(m);
    if (mq.ok()) {
      EXPECT_FALSE(verify_tdx_quote_signatures(*mq, o).ok()) << "offset " << off;
    }
  }
  auto mut = *q;
  mut.qe_report.raw[10] ^= 1;
  EXPECT_FALSE(verify_tdx_quote_signatures(mut, o).ok());
  mut = *q;
  mut.attestation_key[5] ^= 1;
  EXPECT_FALSE(verify_tdx_quote_signatures(mut, o).ok());
  mut = *q;
  mut.qe_report_signature[40] ^= 1;
  EXPECT_FALSE(verify_tdx_quote_signatures(mut, o).ok());
  mut = *q;
  mut.qe_auth_data.push_back(1);
  EXPECT_FALSE(verify_tdx_quote_signatures(mut, o).ok());
  // Outside the certificates' validity, or under another trust anchor.
  auto later = o;
  later.at = *common::parse_utc_timestamp("2045-01-01T00:00:00Z");
  EXPECT_FALSE(verify_tdx_quote_signatures(*q, later).ok());
  auto other_root = o;
  other_root.root_ca_sha256 = std::string(64, '0');
  auto s = verify_tdx_quote_signatures(*q, other_root);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("pinned root"), std::string::npos);
  // A chain missing its intermediate does not verify.
  mut = *q;
  mut.pck_chain_pem.erase(mut.pck_chain_pem.begin() + 1);
  EXPECT_FALSE(verify_tdx_quote_signatures(mut, o).ok());
  // Truncations and trailing garbage are parse errors.
  for (std::size_t cut : {0ul, 47ul, 48ul, 600ul, q->signed_part.size() + 3, quote.size() / 2})
    EXPECT_FALSE(parse_tdx_quote(ByteView(quote).first(cut)).ok()) << cut;
  Bytes padded = quote;
  padded.insert(padded.end(), 5000, 0);
  EXPECT_FALSE(parse_tdx_quote(padded).ok());  // padding is bounded
  Bytes v3 = quote;
  v3[0] = 3;
  EXPECT_FALSE(parse_tdx_quote(v3).ok());
}

TEST_P(TdxCases, FullDcapVerificationGivesTheExpectedStatus) {
  TdxCollateral col{common::to_string(read_bytes(dir() / "tcb_info.json")), common::to_string(read_bytes(dir() / "qe_identity.json")),
                    common::to_string(read_bytes(dir() / "tcb_signing_chain.pem"))};
  auto v = verify_tdx_quote(read_bytes(dir() / "quote.bin"), col, options());
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_EQ(v->status, meta()["expected_status"].get<std::string>());
  if (v->status != "TcbNotSupported") {
    EXPECT_EQ(v->tcb_date, meta()["tcb_level_date"].get<std::string>());
    EXPECT_EQ(v->qe_status, "UpToDate");
  }
  // Collateral tampering: a changed byte inside the signed tcbInfo or
  // enclaveIdentity value, an expired TCB info, a foreign TCB info.
  auto bad = col;
  bad.tcb_info_json[bad.tcb_info_json.find("\"tcbEvaluationDataNumber\":") + 27] ^= 1;
  EXPECT_FALSE(verify_tdx_quote(read_bytes(dir() / "quote.bin"), bad, options()).ok());
  bad = col;
  bad.qe_identity_json[bad.qe_identity_json.find("\"isvprodid\":") + 12] ^= 1;
  EXPECT_FALSE(verify_tdx_quote(read_bytes(dir() / "quote.bin"), bad, options()).ok());
  auto late = options();
  late.at += 90 * 24 * 3600;
  EXPECT_FALSE(verify_tdx_quote(read_bytes(dir() / "quote.bin"), col, late).ok());
  const std::string other = GetParam() == "dcap-qvl-v4-uptodate" ? "go-tdx-guest-spr-v4" : "dcap-qvl-v4-uptodate";
  auto foreign = col;
  foreign.tcb_info_json = common::to_string(read_bytes(dir().parent_path() / other / "tcb_info.json"));
  EXPECT_FALSE(verify_tdx_quote(read_bytes(dir() / "quote.bin"), foreign, options()).ok());
}

// The signature must cover the copy of tcbInfo that is used: a second,
// forged tcbInfo (duplicate key, nested, or escaped) never gets through.
TEST_P(TdxCases, CollateralWithASecondTcbInfoIsRejected) {
  TdxCollateral col{common::to_string(read_bytes(dir() / "tcb_info.json")), common::to_string(read_bytes(dir() / "qe_identity.json")),
                    common::to_string(read_bytes(dir() / "tcb_signing_chain.pem"))};
  const Bytes quote = read_bytes(dir() / "quote.bin");
  ASSERT_TRUE(verify_tdx_quote(quote, col, options()).ok());
  T3N_ASSERT_OK_AND_ASSIGN(std::string genuine, raw_json_object(col.tcb_info_json, "tcbInfo"));
  const std::string sig = common::parse_json(col.tcb_info_json)->at("signature").get<std::string>();
  // Semantically the same as the genuine body but other bytes: the old
  // "first match is signed, last match is used" reading accepted this.
  std::string forged = genuine;
  const auto at = forged.find("\"version\":3");
  ASSERT_NE(at, std::string::npos);
  forged.replace(at, 11, "\"version\": 3");
  for (const std::string& attack :
       {"{\"tcbInfo\":" + genuine + ",\"tcbInfo\":" + forged + ",\"signature\":\"" + sig + "\"}",
        "{\"x\":{\"tcbInfo\":" + genuine + "},\"tcbInfo\":" + forged + ",\"signature\":\"" + sig + "\"}",
        "{\"tcb\\u0049nfo\":" + genuine + ",\"tcbInfo\":" + forged + ",\"signature\":\"" + sig + "\"}",
        "{\"tcbInfo\":" + genuine + ",\"signature\":\"" + sig + "\",\"extra\":1}",
        "{\"tcbInfo\":" + genuine + ",\"signature\":\"" + sig + "\"} trailing"}) {
    auto bad = col;
    bad.tcb_info_json = attack;
    auto v = verify_tdx_quote(quote, bad, options());
    ASSERT_FALSE(v.ok()) << attack.substr(0, 80);
    EXPECT_EQ(v.status().code(), ErrorCode::kVerificationFailed);
  }
  // A PCK leaf is not a collateral signer, even though it chains to the root.
  auto wrong_signer = col;
  T3N_ASSERT_OK_AND_ASSIGN(auto parsed, parse_tdx_quote(quote));
  wrong_signer.tcb_signing_chain_pem = parsed.pck_chain_pem.front() + parsed.pck_chain_pem.back();
  auto v = verify_tdx_quote(quote, wrong_signer, options());
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("not an SGX TCB Signing"), std::string::npos) << v.status().message();
}

TEST(RawJson, ExtractsTheExactSignedBytes) {
  auto r = raw_json_object(R"({"tcbInfo" : {"a":"}{\"","b":{"c":1}} ,"signature":"00"})", "tcbInfo");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, R"({"a":"}{\"","b":{"c":1}})");
  EXPECT_FALSE(raw_json_object(R"({"tcbInfo": [1]})", "tcbInfo").ok());
  EXPECT_FALSE(raw_json_object(R"({"tcbInfo": {"a":1)", "tcbInfo").ok());
  EXPECT_FALSE(raw_json_object(R"({"other": {}})", "tcbInfo").ok());
}

TEST_P(TdxCases, CachedVerificationAgreesAndStillRejects) {
  TdxCollateral col{common::to_string(read_bytes(dir() / "tcb_info.json")), common::to_string(read_bytes(dir() / "qe_identity.json")),
                    common::to_string(read_bytes(dir() / "tcb_signing_chain.pem"))};
  const Bytes quote = read_bytes(dir() / "quote.bin");
  VerificationCache cache;
  auto o = options();
  o.cache = &cache;
  auto first = verify_tdx_quote(quote, col, o);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ(cache.hits(), 0u);
  auto second = verify_tdx_quote(quote, col, o);
  ASSERT_TRUE(second.ok());
  EXPECT_GE(cache.hits(), 3u);  // PCK chain, TCB signing chain, both collateral bodies
  EXPECT_EQ(second->status, first->status);
  EXPECT_EQ(second->tcb_date, first->tcb_date);

  // Outside the validity window of the cached chains: verified afresh, and rejected.
  auto late = o;
  late.at += 40ll * 365 * 24 * 3600;
  EXPECT_FALSE(verify_tdx_quote(quote, col, late).ok());
  auto early = o;
  early.at = 1'000'000'000;  // 2001, before any of these certificates
  EXPECT_FALSE(verify_tdx_quote(quote, col, early).ok());
  // A warm cache does not vouch for a changed quote, collateral or anchor.
  Bytes bad_quote = quote;
  bad_quote[100] ^= 1;
  EXPECT_FALSE(verify_tdx_quote(bad_quote, col, o).ok());
  auto bad_col = col;
  const auto pos = bad_col.tcb_info_json.find("\"tcbDate\"");
  ASSERT_NE(pos, std::string::npos);
  bad_col.tcb_info_json[pos + 13] = bad_col.tcb_info_json[pos + 13] == '1' ? '2' : '1';
  EXPECT_FALSE(verify_tdx_quote(quote, bad_col, o).ok());
  auto other_anchor = o;
  other_anchor.root_ca_sha256 = std::string(64, '0');
  EXPECT_FALSE(verify_tdx_quote(quote, col, other_anchor).ok());
}

// Every single byte: of the quote's signed parts (header, TD report, quote
// signature, attestation key, QE report and signature, QE auth data), of both
// collateral JSON texts, and of both CRLs. Each flip is rejected.
TEST_P(TdxCases, EverySingleByteFlipIsRejected) {
  TdxCollateral col{common::to_string(read_bytes(dir() / "tcb_info.json")), common::to_string(read_bytes(dir() / "qe_identity.json")),
                    common::to_string(read_bytes(dir() / "tcb_signing_chain.pem"))};
  const Bytes quote = read_bytes(dir() / "quote.bin");
  VerificationCache cache;  // flips elsewhere stay cheap; a changed input never hits
  auto o = options();
  o.cache = &cache;
  ASSERT_TRUE(verify_tdx_quote(quote, col, o).ok());
  T3N_ASSERT_OK_AND_ASSIGN(auto parsed, parse_tdx_quote(quote));
  const std::size_t covered = parsed.signed_part.size() + 4 + 128 + 6 + 384 + 64 + 2 + parsed.qe_auth_data.size();
  std::size_t checked = 0;
  for (std::size_t i = 0; i < covered; ++i, ++checked) {
    Bytes bad = quote;
    bad[i] ^= 0x01;
    EXPECT_FALSE(verify_tdx_quote(bad, col, o).ok()) << "quote byte " << i;
  }
  for (std::string TdxCollateral::*field : {&TdxCollateral::tcb_info_json, &TdxCollateral::qe_identity_json}) {
    for (std::size_t i = 0; i < (col.*field).size(); ++i, ++checked) {
      auto bad = col;
      (bad.*field)[i] = static_cast<char>((bad.*field)[i] ^ 0x01);
      EXPECT_FALSE(verify_tdx_quote(quote, bad, o).ok()) << (field == &TdxCollateral::tcb_info_json ? "tcb_info" : "qe_identity")
                                                        << " byte " << i;
    }
  }
  for (std::size_t which = 0; which < o.crls_der.size(); ++which) {
    for (std::size_t i = 0; i < o.crls_der[which].size(); ++i, ++checked) {
      auto bad = o;
      bad.crls_der[which][i] ^= 0x01;
      EXPECT_FALSE(verify_tdx_quote(quote, col, bad).ok()) << "CRL " << which << " byte " << i;
    }
  }
  EXPECT_GT(checked, 4000u);
}

INSTANTIATE_TEST_SUITE_P(Vectors, TdxCases,
                         ::testing::Values("dcap-qvl-v4-uptodate", "go-tdx-guest-spr-v4", "go-tdx-guest-v5-uptodate"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace t3n::attest

namespace t3n::attest {
namespace {

TEST(Detect, HonestNoneAndWhatAFakeTreeShows) {

  const auto root = std::filesystem::temp_directory_path() / ("t3n-detect-" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  EXPECT_TRUE(detect_tees(root).empty());
  EXPECT_TRUE(detected_to_json(detect_tees(root))["none"].get<bool>());
  std::filesystem::create_directories(root / "dev");
  std::filesystem::create_directories(root / "sys/kernel/config/tsm/report");
  std::ofstream(root / "dev/tdx_guest") << "";
  std::ofstream(root / "dev/nsm") << "";
  auto tees = detect_tees(root);
  ASSERT_EQ(tees.size(), 2u);
  EXPECT_EQ(tees[0].kind, "IntelTdx");
  EXPECT_TRUE(tees[0].can_attest);
  EXPECT_EQ(tees[1].kind, "AwsNitro");
  std::filesystem::remove_all(root);
}

TEST(VerificationJson, ShapesResultsAndErrors) {
  auto j = tdx_verification_to_json(Result<TdxVerification>(common::verification_failed("tdx: bad")));
  EXPECT_FALSE(j["valid"].get<bool>());
  EXPECT_EQ(j["error"], "tdx: bad");
  EXPECT_EQ(j["provider"], "IntelTdx");
}

}  // namespace
}  // namespace t3n::attest
