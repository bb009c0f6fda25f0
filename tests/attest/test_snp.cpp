// SEV-SNP reports from ../shared/vectors/attestation/sev-snp: a real
// Milan report with its VCEK, ASK and ARK; the AMD roots under roots/.
#include <gtest/gtest.h>

#include <ctime>
#include <memory>
#include <fstream>
#include <sstream>

#include "attest/snp_policy.h"
#include "attest/snp_report.h"
#include "attest/snp_verify.h"
#include "attest/tdx_sim.h"
#include "attest/x509_chain.h"
#include "common/config.h"
#include "common/encoding.h"
#include "crypto/x509.h"
#include "test_util.h"

namespace t3n::attest {
namespace {

using t3n::testing::read_bytes;

std::string text(const std::filesystem::path& p) { return common::to_string(read_bytes(p)); }

// The DER of the first certificate in a PEM text.
Bytes pem_to_der(const std::string& pem) {
  auto cert = crypto::Certificate::from_pem(pem);
  EXPECT_TRUE(cert.ok()) << cert.status().to_string();
  return cert.ok() ? cert->der() : Bytes{};
}

std::time_t utc(const char* s) { return *common::parse_utc_timestamp(s); }

void put_le32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put_le64(Bytes& b, std::size_t at, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
}

class SnpMilan : public ::testing::Test {
 protected:
  static std::filesystem::path dir() { return t3n::testing::vectors_dir() / "attestation/sev-snp/go-sev-guest-milan"; }
  static std::filesystem::path roots() { return t3n::testing::vectors_dir() / "attestation/roots"; }
  common::Json meta() const { return t3n::testing::load_vectors("attestation/sev-snp/go-sev-guest-milan/case.json"); }
  void SetUp() override {
    report = read_bytes(dir() / "report.bin");
    ASSERT_EQ(report.size(), kSnpReportSize);
    ASSERT_TRUE(load_snp_collateral(dir(), collateral).ok());
    options.at = utc(meta()["verify_at"].get<std::string>().c_str());
  }
  Bytes report;
  SnpCollateral collateral;
  CertCheckOptions options;
};

// A CRL must be the ARK's: one from any other issuer fails closed (no AMD CRL
// is among the vectors, so the accepting path is not exercised here).
TEST_F(SnpMilan, ACrlNotIssuedByTheArkFailsClosed) {
  ASSERT_TRUE(verify_snp_report(report, collateral, options).ok());
  SimulatedTdxPlatformOptions o;
  o.not_before = options.at - 3600;
  T3N_ASSERT_OK_AND_ASSIGN(auto other, SimulatedTdxPlatform::create(common::to_bytes("a foreign CRL issuer seed"), o));
  SnpCollateral with_crl = collateral;
  with_crl.crls_der = {other.crls_der()[0]};
  auto v = verify_snp_report(report, with_crl, options);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("ASK revocation"), std::string::npos) << v.status().message();
}

// ---- parsing ----

TEST_F(SnpMilan, ParsesTheReportFields) {
  T3N_ASSERT_OK_AND_ASSIGN(SnpReport r, parse_snp_report(report));
  const common::Json m = meta();
  EXPECT_EQ(r.version, 2u);
  EXPECT_EQ(r.signature_algo, 1u);
  EXPECT_EQ(r.vmpl, 0u);
  EXPECT_EQ(r.signing_key, SnpSigningKey::kVcek);
  EXPECT_FALSE(r.mask_chip_key);
  EXPECT_EQ(r.tcb_layout, SnpTcbLayout::kMilanGenoa);
  EXPECT_FALSE(r.cpuid_family.has_value());
  const auto& tcb = m["reported_tcb"];
  EXPECT_EQ(r.reported_tcb.bootloader, tcb["bootloader"].get<int>());
  EXPECT_EQ(r.reported_tcb.tee, tcb["tee"].get<int>());
  EXPECT_EQ(r.reported_tcb.snp, tcb["snp"].get<int>());
  EXPECT_EQ(r.reported_tcb.microcode, tcb["microcode"].get<int>());
  EXPECT_FALSE(r.reported_tcb.fmc.has_value());
  EXPECT_EQ(r.reported_tcb.raw, 0x4405000000000002ull);
  EXPECT_EQ(common::hex_encode(r.chip_id), m["chip_id"].get<std::string>());
  EXPECT_FALSE(r.chip_id_masked());
  // Policy 0x0B0000: SMT allowed, the must-be-one bit 17, debug allowed.
  EXPECT_EQ(r.policy, 0x0B0000u);
  EXPECT_TRUE(r.smt_allowed());
  EXPECT_TRUE(r.debug_allowed());
  EXPECT_FALSE(r.migration_agent_allowed());
  EXPECT_FALSE(r.single_socket_required());
  EXPECT_EQ(r.report_data[0], 0x01);
  EXPECT_EQ(r.report_data[4], 0x05);
  EXPECT_EQ(r.measurement[0], 0xb0);
  EXPECT_EQ(r.current_firmware.major, 1);
  EXPECT_EQ(r.current_firmware.minor, 49);
  EXPECT_EQ(r.current_firmware.build, 3);
}

TEST_F(SnpMilan, WrongLengthsAreInvalidArguments) {
  for (std::size_t n : {std::size_t{0}, std::size_t{0x2A0}, kSnpReportSize - 1, kSnpReportSize + 1, kSnpReportSize + 4096}) {
    Bytes m = report;
    m.resize(n, 0);
    auto r = parse_snp_report(m);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << n;
    auto v = verify_snp_report(m, collateral, options);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().code(), ErrorCode::kInvalidArgument) << n;
  }
}

TEST_F(SnpMilan, MalformedFieldsAreInvalidArguments) {
  struct Case {
    const char* what;
    void (*mutate)(Bytes&);
    const char* message;
  };
  const Case cases[] = {
      {"version 1", [](Bytes& b) { put_le32(b, 0x00, 1); }, "unsupported version 1"},
      {"version 6", [](Bytes& b) { put_le32(b, 0x00, 6); }, "unsupported version 6"},
      {"signature algo 2", [](Bytes& b) { put_le32(b, 0x34, 2); }, "signature algorithm 2"},
      {"VMPL 4", [](Bytes& b) { put_le32(b, 0x30, 4); }, "VMPL 4"},
      {"policy bit 17 clear", [](Bytes& b) { b[0x0A] &= static_cast<std::uint8_t>(~0x02); }, "bit 17"},
      {"signing key 2", [](Bytes& b) { put_le32(b, 0x48, 2u << 2); }, "SIGNING_KEY 2"},
      {"signer info bit 5", [](Bytes& b) { put_le32(b, 0x48, 1u << 5); }, "31:5"},
      {"reserved 0x4C", [](Bytes& b) { b[0x4C] = 1; }, "[0x4C, 0x50)"},
      {"reserved after reported TCB (v2)", [](Bytes& b) { b[0x188] = 0x19; }, "[0x188, 0x1A0)"},
      {"reserved 0x1EB", [](Bytes& b) { b[0x1EB] = 1; }, "[0x1EB, 0x1EC)"},
      {"reserved 0x1EF", [](Bytes& b) { b[0x1EF] = 1; }, "[0x1EF, 0x1F0)"},
      {"reserved 0x1F8 (v2)", [](Bytes& b) { b[0x1F8] = 1; }, "[0x1F8, 0x208)"},
      {"reserved 0x29F", [](Bytes& b) { b[0x29F] = 1; }, "[0x208, 0x2A0)"},
      {"signature padding", [](Bytes& b) { b[0x4A0 - 1] = 1; }, "[0x330, 0x4A0)"},
  };
  for (const auto& c : cases) {
    Bytes m = report;
    c.mutate(m);
    auto r = parse_snp_report(m);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << c.what;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << c.what << ": " << r.status().message();
  }
}

TEST(SnpReportFormat, DecodesBothTcbLayouts) {
  const SnpTcb milan = decode_snp_tcb(0x4405000000000002ull, SnpTcbLayout::kMilanGenoa);
  EXPECT_EQ(milan.bootloader, 2);
  EXPECT_EQ(milan.tee, 0);
  EXPECT_EQ(milan.snp, 5);
  EXPECT_EQ(milan.microcode, 68);
  EXPECT_FALSE(milan.fmc.has_value());
  // Turin: fmc, bootloader, tee, snp in bytes 0..3, microcode in byte 7.
  const SnpTcb turin = decode_snp_tcb(0x4800000004030201ull, SnpTcbLayout::kTurin);
  ASSERT_TRUE(turin.fmc.has_value());
  EXPECT_EQ(*turin.fmc, 1);
  EXPECT_EQ(turin.bootloader, 2);
  EXPECT_EQ(turin.tee, 3);
  EXPECT_EQ(turin.snp, 4);
  EXPECT_EQ(turin.microcode, 0x48);
}

TEST_F(SnpMilan, Version3ReportsCarryCpuidAndTurinUsesItsTcbLayout) {
  Bytes m = report;
  put_le32(m, 0x00, 3);
  m[0x188] = 0x1A;  // family: Turin
  m[0x189] = 0x02;
  m[0x18A] = 0x01;
  put_le64(m, 0x180, 0x4800000004030201ull);
  put_le64(m, 0x1F8, 0x11);  // launch mitigation vector: reserved before version 5
  EXPECT_EQ(parse_snp_report(m).status().code(), ErrorCode::kInvalidArgument);
  put_le32(m, 0x00, 5);
  T3N_ASSERT_OK_AND_ASSIGN(SnpReport r, parse_snp_report(m));
  EXPECT_EQ(r.tcb_layout, SnpTcbLayout::kTurin);
  EXPECT_EQ(r.cpuid_family.value_or(0), 0x1A);
  EXPECT_EQ(r.cpuid_model.value_or(0), 0x02);
  EXPECT_EQ(r.cpuid_stepping.value_or(0), 0x01);
  EXPECT_EQ(r.reported_tcb.fmc.value_or(0), 1);
  EXPECT_EQ(r.reported_tcb.snp, 4);
  EXPECT_EQ(r.launch_mit_vector.value_or(0), 0x11u);
  // Genoa/Milan family keeps the old layout; the byte after stepping is reserved.
  m[0x188] = 0x19;
  T3N_ASSERT_OK_AND_ASSIGN(SnpReport g, parse_snp_report(m));
  EXPECT_EQ(g.tcb_layout, SnpTcbLayout::kMilanGenoa);
  m[0x18B] = 1;
  EXPECT_FALSE(parse_snp_report(m).ok());
}

// ---- verification ----

TEST_F(SnpMilan, VerifiesAtItsTimeAsMilan) {
  auto v = verify_snp_report(report, collateral, options);
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_EQ(v->product, AmdProduct::kMilan);
  EXPECT_TRUE(v->chip_id_checked);
  const common::Json m = meta();
  const auto& spl = m["vcek_tcb"];
  EXPECT_EQ(v->endorsement_key.bootloader_spl, spl["blSPL"].get<int>());
  EXPECT_EQ(v->endorsement_key.tee_spl, spl["teeSPL"].get<int>());
  EXPECT_EQ(v->endorsement_key.snp_spl, spl["snpSPL"].get<int>());
  EXPECT_EQ(v->endorsement_key.microcode_spl, spl["ucodeSPL"].get<int>());
  EXPECT_EQ(v->endorsement_key.product_name, m["product"].get<std::string>());
  EXPECT_EQ(v->endorsement_key.common_name, "SEV-VCEK");
  EXPECT_EQ(common::hex_encode(v->endorsement_key.hw_id), m["chip_id"].get<std::string>());
  EXPECT_EQ(v->report.reported_tcb.microcode, 68);
}

TEST_F(SnpMilan, CallerRootPinIsReplacedByTheAmdPin) {
  auto o = options;  // defaults to the Intel pin; the verifier chooses from the AMD pins
  o.root_ca_sha256 = "00";
  EXPECT_TRUE(verify_snp_report(report, collateral, o).ok());
}

TEST_F(SnpMilan, RejectedOutsideTheVcekValidity) {
  for (const char* at : {"2029-09-25T00:00:00Z", "2022-09-23T00:00:00Z"}) {
    auto o = options;
    o.at = utc(at);
    auto v = verify_snp_report(report, collateral, o);
    ASSERT_FALSE(v.ok()) << at;
    EXPECT_EQ(v.status().code(), ErrorCode::kVerificationFailed) << at;
    EXPECT_NE(v.status().message().find("VCEK chain"), std::string::npos) << v.status().message();
  }
}

TEST_F(SnpMilan, EveryByteFlipInTheSignedPartAndSignatureIsRejected) {
  std::size_t invalid = 0, failed = 0;
  for (std::size_t i = 0; i < kSnpReportSize; ++i) {
    Bytes m = report;
    m[i] ^= 0x01;
    auto v = verify_snp_report(m, collateral, options);
    ASSERT_FALSE(v.ok()) << "flip at 0x" << std::hex << i << " accepted";
    if (v.status().code() == ErrorCode::kInvalidArgument) {
      ++invalid;
    } else {
      ASSERT_EQ(v.status().code(), ErrorCode::kVerificationFailed) << i;
      ++failed;
      // Parsable flips fail at the signature (or earlier, at the unsigned-report check).
      const auto& msg = v.status().message();
      EXPECT_TRUE(msg.find("signature does not verify") != std::string::npos || msg.find("unsigned") != std::string::npos)
          << "0x" << std::hex << i << ": " << msg;
    }
  }
  EXPECT_EQ(invalid + failed, kSnpReportSize);
  // The 144 bytes of r and s and the signed fields that are not reserved parse, then fail the signature.
  EXPECT_GT(failed, 600u);
}

TEST_F(SnpMilan, HighBitFlipsOfTheSignatureAreRejected) {
  for (std::size_t i = kSnpSignedSize; i < kSnpSignedSize + 2 * kSnpSignatureComponentSize; ++i) {
    Bytes m = report;
    m[i] ^= 0x80;
    EXPECT_FALSE(verify_snp_report(m, collateral, options).ok()) << i;
  }
}

TEST_F(SnpMilan, SignatureCheckNeedsTheRightKey) {
  const Bytes ask = pem_to_der(collateral.ask_pem), ark = pem_to_der(collateral.ark_pem);
  auto o = options;
  o.root_ca_sha256 = std::string(kAmdArkPins[0].sha256);
  T3N_ASSERT_OK_AND_ASSIGN(Bytes vcek_spki, verify_der_chain_to_pinned_root({collateral.vcek_der, ask, ark}, o, "t"));
  EXPECT_TRUE(verify_snp_report_signature(report, vcek_spki).ok());
  // The ASK's RSA key is not a P-384 key.
  T3N_ASSERT_OK_AND_ASSIGN(Bytes ask_spki, verify_der_chain_to_pinned_root({ask, ark}, o, "t"));
  Status s = verify_snp_report_signature(report, ask_spki);
  EXPECT_EQ(s.code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(s.message().find("not an ECDSA P-384 key"), std::string::npos) << s.message();
  EXPECT_FALSE(verify_snp_report_signature(report, Bytes{0x30, 0x00}).ok());
  EXPECT_EQ(verify_snp_report_signature(Bytes(10), vcek_spki).code(), ErrorCode::kInvalidArgument);
}

TEST_F(SnpMilan, ReportWithoutSignatureIsRejected) {
  Bytes m = report;
  put_le32(m, 0x48, 7u << 2);  // SIGNING_KEY none
  auto v = verify_snp_report(m, collateral, options);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(v.status().message().find("SIGNING_KEY none"), std::string::npos);
  put_le32(m, 0x48, 2);  // MASK_CHIP_KEY
  v = verify_snp_report(m, collateral, options);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("MASK_CHIP_KEY"), std::string::npos);
}

TEST_F(SnpMilan, VlekReportNeedsAVlekCertificate) {
  Bytes m = report;
  put_le32(m, 0x48, 1u << 2);  // SIGNING_KEY VLEK, but the certificate is a VCEK
  auto v = verify_snp_report(m, collateral, options);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(v.status().message().find("names a VLEK"), std::string::npos) << v.status().message();
}

TEST_F(SnpMilan, OtherProductsRootsAreRejected) {
  auto col = collateral;
  col.ark_pem = text(roots() / "amd_genoa_ark.pem");
  auto v = verify_snp_report(report, col, options);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(v.status().message().find("VCEK chain"), std::string::npos) << v.status().message();
  col.ask_pem = text(roots() / "amd_genoa_ask.pem");
  EXPECT_FALSE(verify_snp_report(report, col, options).ok());
  col.ask_pem = text(roots() / "amd_turin_ask.pem");
  col.ark_pem = text(roots() / "amd_turin_ark.pem");
  EXPECT_FALSE(verify_snp_report(report, col, options).ok());
}

TEST_F(SnpMilan, UnpinnedRootIsRejected) {
  auto col = collateral;
  col.ark_pem = col.ask_pem;  // a real AMD certificate, but not a root
  auto v = verify_snp_report(report, col, options);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(v.status().message().find("not a pinned AMD root"), std::string::npos) << v.status().message();
  col.ark_pem = collateral.ark_pem + collateral.ark_pem;  // two certificates where one belongs
  EXPECT_EQ(verify_snp_report(report, col, options).status().code(), ErrorCode::kInvalidArgument);
  col.ark_pem = "";
  EXPECT_FALSE(verify_snp_report(report, col, options).ok());
}

TEST_F(SnpMilan, SwappedOrDamagedVcekIsRejected) {
  auto col = collateral;
  // The ASK where the VCEK belongs: a valid chain ASK → ASK → ARK does not exist.
  col.vcek_der = pem_to_der(collateral.ask_pem);
  auto v = verify_snp_report(report, col, options);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(v.status().message().find("the certificate is 'SEV-Milan'"), std::string::npos) << v.status().message();
  col.vcek_der = {};
  EXPECT_FALSE(verify_snp_report(report, col, options).ok());
  // Truncated.
  col.vcek_der = collateral.vcek_der;
  col.vcek_der.resize(col.vcek_der.size() - 10);
  v = verify_snp_report(report, col, options);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::kInvalidArgument);
  // Trailing bytes.
  col.vcek_der = collateral.vcek_der;
  col.vcek_der.push_back(0);
  EXPECT_FALSE(verify_snp_report(report, col, options).ok());
  // A flipped byte in the VCEK's signature, and in its public key.
  col.vcek_der = collateral.vcek_der;
  col.vcek_der[col.vcek_der.size() - 5] ^= 1;
  v = verify_snp_report(report, col, options);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::kVerificationFailed);
  col.vcek_der = collateral.vcek_der;
  const Bytes key_prefix = t3n::testing::hex("0448ec9f362eedee5e");
  auto at = std::search(col.vcek_der.begin(), col.vcek_der.end(), key_prefix.begin(), key_prefix.end());
  ASSERT_NE(at, col.vcek_der.end());
  at[20] ^= 1;
  EXPECT_FALSE(verify_snp_report(report, col, options).ok());
}

TEST_F(SnpMilan, VcekExtensionsAreParsedStrictly) {
  T3N_ASSERT_OK_AND_ASSIGN(VcekExtensions e, vcek_extensions(collateral.vcek_der));
  EXPECT_EQ(e.bootloader_spl, 2);
  EXPECT_EQ(e.microcode_spl, 68);
  EXPECT_FALSE(e.fmc_spl.has_value());
  EXPECT_EQ(e.hw_id.size(), 64u);
  EXPECT_EQ(e.product_name, "Milan-B0");
  // Not a certificate; a certificate without the SPL extensions (the ARK).
  EXPECT_EQ(vcek_extensions(Bytes{0x30, 0x03, 0x02, 0x01, 0x00}).status().code(), ErrorCode::kInvalidArgument);
  auto missing = vcek_extensions(pem_to_der(collateral.ark_pem));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("lacks extension 1.3.6.1.4.1.3704.1.3.1"), std::string::npos);
  // The microcode SPL's INTEGER tag turned into OCTET STRING: refused, naming the extension.
  Bytes m = collateral.vcek_der;
  const Bytes ucode = t3n::testing::hex("060a2b060104019c78010308040302");  // OID .3.8, OCTET STRING 3 bytes
  auto at = std::search(m.begin(), m.end(), ucode.begin(), ucode.end());
  ASSERT_NE(at, m.end());
  at[static_cast<std::ptrdiff_t>(ucode.size()) - 1] = 0x04;
  auto bad = vcek_extensions(m);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("1.3.6.1.4.1.3704.1.3.8"), std::string::npos) << bad.status().message();
}

TEST_F(SnpMilan, ReportedTcbMustEqualTheVcekSpls) {
  T3N_ASSERT_OK_AND_ASSIGN(VcekExtensions e, vcek_extensions(collateral.vcek_der));
  T3N_ASSERT_OK_AND_ASSIGN(SnpReport r, parse_snp_report(report));
  EXPECT_TRUE(check_reported_tcb(r.reported_tcb, e).ok());
  struct Case {
    std::uint8_t SnpTcb::*field;
    const char* name;
  };
  for (auto [field, name] : {Case{&SnpTcb::bootloader, "bootloader"}, Case{&SnpTcb::tee, "TEE"},
                             Case{&SnpTcb::snp, "SNP"}, Case{&SnpTcb::microcode, "microcode"}}) {
    for (int delta : {-1, 1}) {
      SnpTcb t = r.reported_tcb;
      t.*field = static_cast<std::uint8_t>(t.*field + delta);
      Status s = check_reported_tcb(t, e);
      ASSERT_FALSE(s.ok()) << name;
      EXPECT_EQ(s.code(), ErrorCode::kVerificationFailed);
      EXPECT_NE(s.message().find(std::string("reported TCB ") + name + " SPL"), std::string::npos) << s.message();
    }
  }
  SnpTcb turin = r.reported_tcb;
  turin.fmc = 1;
  EXPECT_FALSE(check_reported_tcb(turin, e).ok());  // the certificate has no FMC SPL
  e.fmc_spl = 1;
  EXPECT_TRUE(check_reported_tcb(turin, e).ok());
  e.fmc_spl = 2;
  EXPECT_NE(check_reported_tcb(turin, e).message().find("FMC"), std::string::npos);
}

TEST_F(SnpMilan, ChipIdMustEqualTheVcekHwId) {
  T3N_ASSERT_OK_AND_ASSIGN(VcekExtensions e, vcek_extensions(collateral.vcek_der));
  T3N_ASSERT_OK_AND_ASSIGN(SnpReport r, parse_snp_report(report));
  EXPECT_EQ(check_chip_id(r, e, AmdProduct::kMilan).value_or(false), true);
  SnpReport other = r;
  other.chip_id[63] ^= 1;
  auto mismatch = check_chip_id(other, e, AmdProduct::kMilan);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(mismatch.status().message().find("CHIP_ID does not match"), std::string::npos);
  // A Turin VCEK carries 8 bytes of hwID: a 64-byte one is refused there.
  EXPECT_FALSE(check_chip_id(r, e, AmdProduct::kTurin).ok());
  VcekExtensions turin = e;
  turin.hw_id.resize(8);
  EXPECT_EQ(check_chip_id(r, turin, AmdProduct::kTurin).value_or(false), true);
  // Masked CHIP_ID and VLEK-signed reports are not compared (and say so).
  other.chip_id.fill(0);
  EXPECT_EQ(check_chip_id(other, e, AmdProduct::kMilan).value_or(true), false);
  other = r;
  other.signing_key = SnpSigningKey::kVlek;
  e.hw_id.clear();
  EXPECT_EQ(check_chip_id(other, e, AmdProduct::kMilan).value_or(true), false);
  other.signing_key = SnpSigningKey::kVcek;
  EXPECT_FALSE(check_chip_id(other, e, AmdProduct::kMilan).ok());  // a VCEK without hwID
}

TEST_F(SnpMilan, ReportedTcbBytesFailAtTheSignatureFirst) {
  // The reported TCB is signed: changing it breaks the signature, which is checked first.
  Bytes m = report;
  m[0x187] = 69;  // microcode
  auto v = verify_snp_report(m, collateral, options);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("signature does not verify"), std::string::npos) << v.status().message();
}

TEST_F(SnpMilan, LoadsCollateralFromItsDirectory) {
  SnpCollateral col;
  ASSERT_TRUE(load_snp_collateral(dir(), col).ok());
  EXPECT_EQ(col.vcek_der, read_bytes(dir() / "vcek.der"));
  EXPECT_NE(col.ask_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_TRUE(col.crls_der.empty());
  SnpCollateral none;
  EXPECT_EQ(load_snp_collateral(dir() / "absent", none).code(), ErrorCode::kNotFound);
}

// ---- JSON ----

TEST_F(SnpMilan, JsonReportsTheVerification) {
  auto v = verify_snp_report(report, collateral, options);
  ASSERT_TRUE(v.ok());
  auto j = snp_verification_to_json(v);
  EXPECT_EQ(j["provider"], "AmdSevSnp");
  EXPECT_EQ(j["hardware_verified"], true);
  EXPECT_EQ(j["certificate_chain_valid"], true);
  EXPECT_TRUE(j["measurements_valid"].is_null());
  EXPECT_EQ(j["tcb_status"], "UpToDate");
  EXPECT_TRUE(j["advisories"].is_array() && j["advisories"].empty());
  EXPECT_EQ(j["valid"], false);  // the guest policy allows debugging
  EXPECT_EQ(j["measurements"]["debug"], true);
  EXPECT_EQ(j["measurements"]["product"], "Milan");
  EXPECT_EQ(j["measurements"]["measurement"], common::hex_encode(v->report.measurement));
  EXPECT_EQ(j["measurements"]["reported_tcb"]["microcode"], 68);
  EXPECT_EQ(j["measurements"]["reported_tcb"]["raw"], "4405000000000002");
  EXPECT_EQ(j["report_data"].get<std::string>().substr(0, 10), "0102030405");
  EXPECT_FALSE(j.contains("error"));

  auto failed = snp_verification_to_json(verify_snp_report(Bytes(3), collateral, options));
  EXPECT_EQ(failed["valid"], false);
  EXPECT_EQ(failed["hardware_verified"], false);
  EXPECT_EQ(failed["provider"], "AmdSevSnp");
  EXPECT_NE(failed["error"].get<std::string>().find("bytes"), std::string::npos);
}

// ---- policy ----

class SnpPolicyTest : public SnpMilan {
 protected:
  void SetUp() override {
    SnpMilan::SetUp();
    auto v = verify_snp_report(report, collateral, options);
    ASSERT_TRUE(v.ok());
    verified = *v;
    verified.report.policy &= ~(1ull << 19);  // unit-level: a non-debug guest unless a test says otherwise
  }
  SnpVerification verified;
};

TEST_F(SnpPolicyTest, EmptyPolicyAcceptsANonDebugGuest) {
  auto out = apply_snp_policy(verified, SnpPolicy{});
  EXPECT_TRUE(out.accepted) << (out.violations.empty() ? "" : out.violations.front());
  EXPECT_TRUE(out.measurements_valid);
  EXPECT_FALSE(out.report_data_bound.has_value());
  auto j = snp_verification_to_json(verified, out);
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["measurements_valid"], true);
  EXPECT_EQ(j["policy"]["accepted"], true);
}

TEST_F(SnpPolicyTest, MeasurementAllowList) {
  SnpPolicy p;
  p.measurement = {common::hex_encode(verified.report.measurement)};
  EXPECT_TRUE(apply_snp_policy(verified, p).accepted);
  p.measurement = {std::string(96, 'a')};
  auto out = apply_snp_policy(verified, p);
  EXPECT_FALSE(out.accepted);
  EXPECT_FALSE(out.measurements_valid);
  ASSERT_EQ(out.violations.size(), 1u);
  EXPECT_NE(out.violations[0].find("MEASUREMENT"), std::string::npos);
  p.measurement = {std::string(96, 'a'), common::hex_encode(verified.report.measurement)};
  EXPECT_TRUE(apply_snp_policy(verified, p).accepted);
  p.host_data = {std::string(64, 'b')};
  out = apply_snp_policy(verified, p);
  EXPECT_FALSE(out.measurements_valid);
  EXPECT_NE(out.violations[0].find("HOST_DATA"), std::string::npos);
}

TEST_F(SnpPolicyTest, DebugGuestsAreRejectedUnlessAllowed) {
  verified.report.policy |= 1ull << 19;
  SnpPolicy p;
  auto out = apply_snp_policy(verified, p);
  EXPECT_FALSE(out.accepted);
  ASSERT_EQ(out.violations.size(), 1u);
  EXPECT_NE(out.violations[0].find("debugging"), std::string::npos);
  EXPECT_EQ(snp_verification_to_json(verified, out)["valid"], false);
  p.allow_debug = true;
  out = apply_snp_policy(verified, p);
  EXPECT_TRUE(out.accepted);
  EXPECT_EQ(snp_verification_to_json(verified, out)["valid"], true);
}

TEST_F(SnpPolicyTest, MigrationAgentIsRejectedUnlessAllowed) {
  SnpPolicy p;
  verified.report.policy |= 1ull << 18;
  EXPECT_FALSE(apply_snp_policy(verified, p).accepted);
  p.allow_migration_agent = true;
  EXPECT_TRUE(apply_snp_policy(verified, p).accepted);
  p.allow_migration_agent = false;
  verified.report.policy &= ~(1ull << 18);
  verified.report.report_id_ma[0] = 0x12;  // bound to an agent
  EXPECT_FALSE(apply_snp_policy(verified, p).accepted);
}

TEST_F(SnpPolicyTest, MinimumTcb) {
  SnpPolicy p;
  p.minimum_tcb = {2, 0, 5, 68, 0};
  EXPECT_TRUE(apply_snp_policy(verified, p).accepted);
  p.minimum_tcb.microcode = 69;
  auto out = apply_snp_policy(verified, p);
  EXPECT_FALSE(out.accepted);
  ASSERT_EQ(out.violations.size(), 1u);
  EXPECT_NE(out.violations[0].find("microcode SPL 68 is below the minimum 69"), std::string::npos);
  p.minimum_tcb = {3, 1, 6, 0, 0};
  EXPECT_EQ(apply_snp_policy(verified, p).violations.size(), 3u);
  // FMC only counts on Turin reports.
  p.minimum_tcb = {0, 0, 0, 0, 9};
  EXPECT_TRUE(apply_snp_policy(verified, p).accepted);
  verified.report.reported_tcb.fmc = 8;
  EXPECT_FALSE(apply_snp_policy(verified, p).accepted);
}

TEST_F(SnpPolicyTest, GuestSvnVmplAndAge) {
  SnpPolicy p;
  p.minimum_guest_svn = 1;
  EXPECT_FALSE(apply_snp_policy(verified, p).accepted);
  p.minimum_guest_svn = 0;
  verified.report.vmpl = 2;
  p.maximum_vmpl = 1;
  EXPECT_FALSE(apply_snp_policy(verified, p).accepted);
  p.maximum_vmpl = 2;
  EXPECT_TRUE(apply_snp_policy(verified, p).accepted);
  const std::time_t now = utc("2022-10-25T00:00:00Z");
  auto out = apply_snp_policy(verified, p, now - 3600, now);
  EXPECT_TRUE(out.accepted);
  EXPECT_EQ(out.evidence_age_seconds.value_or(-1), 3600);
  EXPECT_FALSE(apply_snp_policy(verified, p, now - 25 * 3600, now).accepted);
  EXPECT_FALSE(apply_snp_policy(verified, p, now + 3600, now).accepted);
}

TEST_F(SnpPolicyTest, ReportDataBinding) {
  SnpPolicy p;
  ReportData expected{};
  std::copy(verified.report.report_data.begin(), verified.report.report_data.end(), expected.begin());
  p.report_data = expected;
  auto out = apply_snp_policy(verified, p);
  EXPECT_TRUE(out.accepted);
  EXPECT_EQ(out.report_data_bound, std::optional<bool>(true));
  (*p.report_data)[63] ^= 1;
  out = apply_snp_policy(verified, p);
  EXPECT_FALSE(out.accepted);
  EXPECT_EQ(out.report_data_bound, std::optional<bool>(false));
  EXPECT_NE(out.violations[0].find("REPORT_DATA"), std::string::npos);
}

// ---- policy TOML ----

TEST(SnpPolicyToml, ParsesEveryKey) {
  const std::string m = std::string(96, 'A');
  const std::string toml = "[snp]\nmeasurement = [\"" + m + "\"]\nhost_data = [\"" + std::string(64, '0') +
                           "\"]\nminimum_tcb = { bootloader = 2, tee = 0, snp = 5, microcode = 68 }\n"
                           "allow_debug = true\nallow_migration_agent = true\nminimum_guest_svn = 3\n"
                           "maximum_vmpl = 0\nmax_evidence_age_seconds = 600\nreport_data = \"" +
                           std::string(128, 'f') + "\"\n";
  T3N_ASSERT_OK_AND_ASSIGN(SnpPolicy p, snp_policy_from_toml(toml));
  ASSERT_EQ(p.measurement.size(), 1u);
  EXPECT_EQ(p.measurement[0], std::string(96, 'a'));  // canonical lower case
  EXPECT_EQ(p.host_data.size(), 1u);
  EXPECT_EQ(p.minimum_tcb.bootloader, 2);
  EXPECT_EQ(p.minimum_tcb.snp, 5);
  EXPECT_EQ(p.minimum_tcb.microcode, 68);
  EXPECT_TRUE(p.allow_debug);
  EXPECT_TRUE(p.allow_migration_agent);
  EXPECT_EQ(p.minimum_guest_svn, 3u);
  EXPECT_EQ(p.maximum_vmpl, 0u);
  EXPECT_EQ(p.max_evidence_age_seconds, 600);
  ASSERT_TRUE(p.report_data.has_value());
  EXPECT_EQ((*p.report_data)[0], 0xff);
  // The table form of minimum_tcb, and the defaults.
  T3N_ASSERT_OK_AND_ASSIGN(SnpPolicy q, snp_policy_from_toml("[snp.minimum_tcb]\nmicrocode = 200\n"));
  EXPECT_EQ(q.minimum_tcb.microcode, 200);
  EXPECT_FALSE(q.allow_debug);
  EXPECT_EQ(q.maximum_vmpl, 3u);
  EXPECT_EQ(q.max_evidence_age_seconds, 24 * 3600);
  EXPECT_FALSE(q.report_data.has_value());
}

TEST(SnpPolicyToml, RejectsUnknownKeysAndBadValues) {
  auto expect_error = [](const std::string& toml, const std::string& fragment) {
    auto p = snp_policy_from_toml(toml, "policy.toml");
    ASSERT_FALSE(p.ok()) << toml;
    EXPECT_EQ(p.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find(fragment), std::string::npos) << p.status().message();
  };
  expect_error("[snp]\nmeasurment = []\n", "did you mean 'snp.measurement'");
  expect_error("[snp.minimum_tcb]\nucode = 1\n", "unknown key 'snp.minimum_tcb.ucode'");
  expect_error("[tdx]\nmrtd = []\n", "unknown key 'tdx.mrtd'");
  expect_error("[snp]\nmeasurement = [\"zz\"]\n", "snp.measurement");
  expect_error("[snp]\nmeasurement = [\"" + std::string(94, 'a') + "\"]\n", "48 bytes");
  expect_error("[snp]\nhost_data = [\"" + std::string(96, 'a') + "\"]\n", "32 bytes");
  expect_error("[snp]\nreport_data = \"abcd\"\n", "snp.report_data");
  expect_error("[snp]\nminimum_tcb = { microcode = 256 }\n", "snp.minimum_tcb.microcode");
  expect_error("[snp]\nminimum_tcb = { snp = -1 }\n", "negative");
  expect_error("[snp]\nmaximum_vmpl = 4\n", "snp.maximum_vmpl");
  expect_error("[snp]\nmax_evidence_age_seconds = 0\n", "max_evidence_age_seconds");
  expect_error("[snp]\nallow_debug = \"no\"\n", "snp.allow_debug");
  expect_error("[snp\n", "policy.toml");
}

TEST(SnpPolicyToml, ConfigReaderTakesOnlySnpKeys) {
  // A combined file: the lead's parser rejects unknown keys; snp_policy_from_config ignores other sections.
  auto t = common::ConfigTable::parse_string("[tdx]\nallow_debug = true\n[snp]\nminimum_guest_svn = 7\n");
  ASSERT_TRUE(t.ok());
  T3N_ASSERT_OK_AND_ASSIGN(SnpPolicy p, snp_policy_from_config(*t));
  EXPECT_EQ(p.minimum_guest_svn, 7u);
  EXPECT_FALSE(p.allow_debug);
  auto scalar = common::ConfigTable::parse_string("[snp]\nminimum_tcb = 5\n");
  ASSERT_TRUE(scalar.ok());
  EXPECT_FALSE(snp_policy_from_config(*scalar).ok());
  for (auto key : kSnpPolicyKeys) EXPECT_EQ(key.substr(0, 4), "snp.");
}

}  // namespace
}  // namespace t3n::attest
