#include "attest/snp_verify.h"

#include <algorithm>

#include "attest/x509_chain.h"
#include "common/encoding.h"
#include "common/files.h"
#include "crypto/hash.h"
#include "crypto/p384.h"
#include "crypto/x509.h"

namespace t3n::attest {
namespace {

Status fail(const std::string& why) { return common::verification_failed("snp: " + why); }
Status malformed(const std::string& why) { return common::invalid_argument("snp: " + why); }

// One PEM certificate → its DER.
Result<Bytes> pem_certificate_der(const std::string& pem, std::string_view what) {
  T3N_ASSIGN_OR_RETURN(auto certs, split_pem_certificates(pem));
  if (certs.size() != 1) return malformed(std::string(what) + ": expected exactly one PEM certificate");
  auto cert = crypto::Certificate::from_pem(certs.front());
  if (!cert.ok()) return malformed(std::string(what) + ": unparsable certificate");
  Bytes der = cert->der();
  if (der.empty()) return malformed(std::string(what) + ": unencodable certificate");
  return der;
}

// The value of extension `oid` (its OCTET STRING contents), nullopt when absent;
// an extension present twice is an error.
Result<std::optional<Bytes>> extension_value(const crypto::Certificate& cert, const char* oid) {
  auto values = cert.extensions(oid);
  if (!values.ok()) return common::internal_error(std::string("bad OID ") + oid);
  if (values->empty()) return std::optional<Bytes>{};
  if (values->size() > 1) return malformed(std::string("extension ") + oid + " appears twice");
  return std::optional<Bytes>(std::move(values->front()));
}

// A DER INTEGER 0..255 in minimal encoding, and nothing else.
Result<std::uint8_t> spl_value(ByteView v, const char* oid) {
  auto bad = [&] { return malformed(std::string("extension ") + oid + " is not a DER INTEGER 0..255"); };
  if (v.size() == 3 && v[0] == 0x02 && v[1] == 0x01 && v[2] < 0x80) return v[2];
  if (v.size() == 4 && v[0] == 0x02 && v[1] == 0x02 && v[2] == 0x00 && v[3] >= 0x80) return v[3];
  return bad();
}

Result<std::uint8_t> required_spl(const crypto::Certificate& cert, const char* oid) {
  T3N_ASSIGN_OR_RETURN(auto v, extension_value(cert, oid));
  if (!v) return malformed(std::string("certificate lacks extension ") + oid);
  return spl_value(*v, oid);
}

std::string leaf_common_name(ByteView der) {
  auto cert = crypto::Certificate::from_der(der);
  return cert.ok() ? cert->subject_common_name() : std::string();
}

std::string tcb_mismatch(const char* component, unsigned reported, unsigned certified) {
  return "reported TCB " + std::string(component) + " SPL " + std::to_string(reported) +
         " does not match the endorsement key's " + std::to_string(certified);
}

common::Json tcb_json(const SnpTcb& t) {
  common::Json j = {{"bootloader", t.bootloader}, {"tee", t.tee}, {"snp", t.snp}, {"microcode", t.microcode}};
  if (t.fmc) j["fmc"] = *t.fmc;
  char raw[17];
  std::snprintf(raw, sizeof raw, "%016llx", static_cast<unsigned long long>(t.raw));
  j["raw"] = raw;
  return j;
}

}  // namespace

std::string_view amd_product_name(AmdProduct product) {
  switch (product) {
    case AmdProduct::kMilan: return "Milan";
    case AmdProduct::kGenoa: return "Genoa";
    case AmdProduct::kTurin: return "Turin";
  }
  return "unknown";
}

Status load_snp_collateral(const std::filesystem::path& dir, SnpCollateral& col) {
  auto leaf = common::read_file(dir / "vcek.der");
  if (!leaf.ok()) leaf = common::read_file(dir / "vlek.der");
  if (!leaf.ok()) return common::not_found("no vcek.der or vlek.der in " + dir.string());
  col.vcek_der = common::to_bytes(*leaf);
  auto ask = common::read_file(dir / "ask.pem");
  if (!ask.ok()) ask = common::read_file(dir / "asvk.pem");
  if (!ask.ok()) return common::not_found("no ask.pem or asvk.pem in " + dir.string());
  col.ask_pem = std::move(*ask);
  T3N_ASSIGN_OR_RETURN(col.ark_pem, common::read_file(dir / "ark.pem"));
  if (auto crl = common::read_file(dir / "crl.der"); crl.ok()) col.crls_der.push_back(common::to_bytes(*crl));
  return {};
}

Result<VcekExtensions> vcek_extensions(ByteView der) {
  auto parsed = crypto::Certificate::from_der(der);
  if (!parsed.ok()) return malformed("endorsement key certificate is unparsable");
  const crypto::Certificate& cert = *parsed;
  VcekExtensions e;
  T3N_ASSIGN_OR_RETURN(e.bootloader_spl, required_spl(cert, "1.3.6.1.4.1.3704.1.3.1"));
  T3N_ASSIGN_OR_RETURN(e.tee_spl, required_spl(cert, "1.3.6.1.4.1.3704.1.3.2"));
  T3N_ASSIGN_OR_RETURN(e.snp_spl, required_spl(cert, "1.3.6.1.4.1.3704.1.3.3"));
  T3N_ASSIGN_OR_RETURN(e.microcode_spl, required_spl(cert, "1.3.6.1.4.1.3704.1.3.8"));
  T3N_ASSIGN_OR_RETURN(auto fmc, extension_value(cert, "1.3.6.1.4.1.3704.1.3.9"));
  if (fmc) {
    T3N_ASSIGN_OR_RETURN(e.fmc_spl, spl_value(*fmc, "1.3.6.1.4.1.3704.1.3.9"));
  }
  T3N_ASSIGN_OR_RETURN(auto hw_id, extension_value(cert, "1.3.6.1.4.1.3704.1.4"));
  if (hw_id) {
    if (hw_id->size() != 64 && hw_id->size() != 8) return malformed("hwID extension is not 64 (or 8) bytes");
    e.hw_id.assign(hw_id->begin(), hw_id->end());
  }
  T3N_ASSIGN_OR_RETURN(auto product, extension_value(cert, "1.3.6.1.4.1.3704.1.2"));
  if (product) {
    // IA5String with a short length: tag 0x16, length, the characters.
    const ByteView v = *product;
    if (v.size() < 2 || v[0] != 0x16 || v[1] >= 0x80 || v[1] != v.size() - 2)
      return malformed("productName extension is not an IA5String");
    e.product_name.assign(v.begin() + 2, v.end());
  }
  e.common_name = cert.subject_common_name();
  return e;
}

Status check_reported_tcb(const SnpTcb& r, const VcekExtensions& e) {
  if (r.bootloader != e.bootloader_spl) return fail(tcb_mismatch("bootloader", r.bootloader, e.bootloader_spl));
  if (r.tee != e.tee_spl) return fail(tcb_mismatch("TEE", r.tee, e.tee_spl));
  if (r.snp != e.snp_spl) return fail(tcb_mismatch("SNP", r.snp, e.snp_spl));
  if (r.microcode != e.microcode_spl) return fail(tcb_mismatch("microcode", r.microcode, e.microcode_spl));
  if (r.fmc.has_value() != e.fmc_spl.has_value())
    return fail("reported TCB and endorsement key disagree on whether there is an FMC SPL (Turin)");
  if (r.fmc && *r.fmc != *e.fmc_spl) return fail(tcb_mismatch("FMC", *r.fmc, *e.fmc_spl));
  return {};
}

Status verify_snp_report_signature(ByteView report, ByteView leaf_spki_der) {
  if (report.size() != kSnpReportSize) return malformed("report is not " + std::to_string(kSnpReportSize) + " bytes");
  auto key = crypto::p384_public_key_from_spki(leaf_spki_der);
  if (!key.ok()) return fail("endorsement key is not an ECDSA P-384 key");
  // r and s are little-endian 72-byte integers; P-384 wants big-endian 48-byte
  // ones. Anything above 48 bytes makes the value exceed the group order, so
  // such a signature cannot verify.
  constexpr std::size_t kHalf = crypto::kP384RawSignatureSize / 2;
  const ByteView sig = report.subspan(kSnpSignedSize, 2 * kSnpSignatureComponentSize);
  Bytes raw(crypto::kP384RawSignatureSize);
  for (std::size_t part = 0; part < 2; ++part) {
    const ByteView le = sig.subspan(part * kSnpSignatureComponentSize, kSnpSignatureComponentSize);
    if (std::any_of(le.begin() + kHalf, le.end(), [](std::uint8_t b) { return b != 0; }))
      return fail("report signature does not verify with the endorsement key");
    std::reverse_copy(le.begin(), le.begin() + kHalf, raw.begin() + static_cast<std::ptrdiff_t>(part * kHalf));
  }
  if (!crypto::p384_verify_raw(*key, report.first(kSnpSignedSize), raw).ok())
    return fail("report signature does not verify with the endorsement key");
  return {};
}

Result<SnpVerification> verify_snp_report(ByteView report_bytes, const SnpCollateral& col, const CertCheckOptions& options) {
  SnpVerification v;
  T3N_ASSIGN_OR_RETURN(v.report, parse_snp_report(report_bytes));
  const SnpReport& r = v.report;
  if (r.signing_key == SnpSigningKey::kNone) return fail("the report is unsigned (SIGNING_KEY none)");
  if (r.mask_chip_key) return fail("the report is unsigned (MASK_CHIP_KEY set)");
  const bool vlek = r.signing_key == SnpSigningKey::kVlek;

  // The root: one of AMD's pinned ARKs decides the product.
  T3N_ASSIGN_OR_RETURN(Bytes ark_der, pem_certificate_der(col.ark_pem, "ARK"));
  T3N_ASSIGN_OR_RETURN(Bytes ask_der, pem_certificate_der(col.ask_pem, vlek ? "ASVK" : "ASK"));
  const std::string ark_sha256 = common::hex_encode(crypto::sha256(ark_der));
  const auto pin = std::find_if(kAmdArkPins.begin(), kAmdArkPins.end(),
                                [&](const AmdArkPin& p) { return p.sha256 == ark_sha256; });
  if (pin == kAmdArkPins.end()) return fail("ARK " + ark_sha256 + " is not a pinned AMD root (Milan, Genoa, Turin)");
  v.product = pin->product;

  CertCheckOptions chain_options = options;
  chain_options.root_ca_sha256 = std::string(pin->sha256);
  std::vector<Bytes> crls = chain_options.crls_der;
  crls.insert(crls.end(), col.crls_der.begin(), col.crls_der.end());
  chain_options.crls_der.clear();
  T3N_ASSIGN_OR_RETURN(Bytes leaf_spki, verify_der_chain_to_pinned_root({col.vcek_der, ask_der, ark_der}, chain_options,
                                                                        vlek ? "snp: VLEK chain" : "snp: VCEK chain"));
  if (!crls.empty()) {
    // AMD's KDS publishes one CRL, signed by the ARK, revoking ASKs/ASVKs;
    // VCEKs are not revoked by CRL (a new TCB gives a new VCEK).
    CertCheckOptions revocation = chain_options;
    revocation.crls_der = std::move(crls);
    revocation.crl_check_whole_chain = false;
    T3N_RETURN_IF_ERROR(verify_der_chain_to_pinned_root({ask_der, ark_der}, revocation,
                                                        vlek ? "snp: ASVK revocation" : "snp: ASK revocation")
                            .status());
  }
  // The chain holds, so the leaf parses; an AMD certificate of another kind (an ASK) is a verification failure.
  const std::string_view expected_cn = vlek ? "SEV-VLEK" : "SEV-VCEK";
  if (const std::string cn = leaf_common_name(col.vcek_der); cn != expected_cn)
    return fail("the report names a " + std::string(vlek ? "VLEK" : "VCEK") + " but the certificate is '" + cn + "'");
  auto extensions = vcek_extensions(col.vcek_der);
  if (!extensions.ok()) return common::verification_failed(extensions.status().message());
  v.endorsement_key = std::move(extensions).value();
  const VcekExtensions& e = v.endorsement_key;
  if (!e.product_name.empty() && e.product_name.rfind(amd_product_name(v.product), 0) != 0)
    return fail("endorsement key is for " + e.product_name + " but its chain ends at the " +
                std::string(amd_product_name(v.product)) + " ARK");

  T3N_RETURN_IF_ERROR(verify_snp_report_signature(report_bytes, leaf_spki));

  // Signed fields from here on: a mismatch is a platform/certificate mismatch, not tampering.
  if ((r.tcb_layout == SnpTcbLayout::kTurin) != (v.product == AmdProduct::kTurin))
    return fail("report CPU family does not match the " + std::string(amd_product_name(v.product)) + " ARK");
  T3N_RETURN_IF_ERROR(check_reported_tcb(r.reported_tcb, e));
  T3N_ASSIGN_OR_RETURN(v.chip_id_checked, check_chip_id(r, e, v.product));
  return v;
}

Result<bool> check_chip_id(const SnpReport& r, const VcekExtensions& e, AmdProduct product) {
  if (r.signing_key == SnpSigningKey::kVlek || r.chip_id_masked()) return false;
  const std::size_t expected_len = product == AmdProduct::kTurin ? 8 : 64;
  if (e.hw_id.size() != expected_len) return fail("VCEK hwID is missing or has the wrong length");
  if (!std::equal(e.hw_id.begin(), e.hw_id.end(), r.chip_id.begin())) return fail("CHIP_ID does not match the VCEK hwID");
  return true;
}

common::Json snp_verification_to_json(const Result<SnpVerification>& v) {
  using common::hex_encode;
  if (!v.ok()) {
    return {{"valid", false}, {"provider", "AmdSevSnp"}, {"hardware_verified", false}, {"measurements_valid", nullptr},
            {"certificate_chain_valid", false}, {"tcb_status", nullptr}, {"advisories", common::Json::array()},
            {"error", v.status().message()}};
  }
  const SnpReport& r = v->report;
  common::Json m = {{"measurement", hex_encode(r.measurement)},
                    {"host_data", hex_encode(r.host_data)},
                    {"id_key_digest", hex_encode(r.id_key_digest)},
                    {"author_key_digest", hex_encode(r.author_key_digest)},
                    {"family_id", hex_encode(r.family_id)},
                    {"image_id", hex_encode(r.image_id)},
                    {"guest_svn", r.guest_svn},
                    {"policy", r.policy},
                    {"debug", r.debug_allowed()},
                    {"migration_agent_allowed", r.migration_agent_allowed()},
                    {"vmpl", r.vmpl},
                    {"reported_tcb", tcb_json(r.reported_tcb)},
                    {"product", std::string(amd_product_name(v->product))}};
  return {{"valid", !r.debug_allowed()},
          {"provider", "AmdSevSnp"},
          {"hardware_verified", true},
          {"measurements_valid", nullptr},
          {"certificate_chain_valid", true},
          {"tcb_status", "UpToDate"},
          {"advisories", common::Json::array()},
          {"report_version", r.version},
          {"signing_key", r.signing_key == SnpSigningKey::kVlek ? "VLEK" : "VCEK"},
          {"chip_id_checked", v->chip_id_checked},
          {"current_tcb", tcb_json(r.current_tcb)},
          {"committed_tcb", tcb_json(r.committed_tcb)},
          {"launch_tcb", tcb_json(r.launch_tcb)},
          {"measurements", m},
          {"report_data", hex_encode(r.report_data)}};
}

}  // namespace t3n::attest
