// Intel TDX quotes (DCAP, quote format v4 and v5) — strict parsing by length
// fields, and the checks that need no collateral: the quote signature by the
// attestation key, the QE report signature by the PCK key, the QE report's
// binding of the attestation key, and the PCK chain to the pinned Intel SGX
// Root CA (validity at a given time, optional CRLs).
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::attest {

using Hash48 = std::array<std::uint8_t, 48>;

struct TdReport {
  std::array<std::uint8_t, 16> tee_tcb_svn{};
  Hash48 mr_seam{};
  Hash48 mr_signer_seam{};
  std::array<std::uint8_t, 8> seam_attributes{};
  std::array<std::uint8_t, 8> td_attributes{};
  std::array<std::uint8_t, 8> xfam{};
  Hash48 mr_td{};
  Hash48 mr_config_id{};
  Hash48 mr_owner{};
  Hash48 mr_owner_config{};
  std::array<Hash48, 4> rtmr{};
  std::array<std::uint8_t, 64> report_data{};
  // TDX 1.5 bodies (v5, body type 3) only.
  std::array<std::uint8_t, 16> tee_tcb_svn2{};
  Hash48 mr_service_td{};
  bool tdx15 = false;

  bool debug() const { return (td_attributes[0] & 0x01) != 0; }
};

struct QeReport {  // SGX report body of the quoting enclave (384 bytes)
  std::array<std::uint8_t, 16> cpu_svn{};
  std::uint32_t misc_select = 0;
  std::array<std::uint8_t, 16> attributes{};
  std::array<std::uint8_t, 32> mr_enclave{};
  std::array<std::uint8_t, 32> mr_signer{};
  std::uint16_t isv_prod_id = 0;
  std::uint16_t isv_svn = 0;
  std::array<std::uint8_t, 64> report_data{};
  Bytes raw;  // the 384 signed bytes
};

struct TdxQuote {
  std::uint16_t version = 0;       // 4 or 5
  std::uint16_t qe_svn = 0;
  std::uint16_t pce_svn = 0;
  std::array<std::uint8_t, 16> qe_vendor_id{};
  TdReport report;
  Bytes signed_part;               // header ‖ body: what the attestation key signs
  std::array<std::uint8_t, 64> signature{};      // ECDSA P-256 r ‖ s
  std::array<std::uint8_t, 64> attestation_key{};  // P-256 x ‖ y
  QeReport qe_report;
  std::array<std::uint8_t, 64> qe_report_signature{};
  Bytes qe_auth_data;
  std::vector<std::string> pck_chain_pem;  // leaf, intermediate, root
  std::size_t trailing_bytes = 0;          // unsigned padding after the signature data
};

// Parses a quote strictly by its length fields. Up to 4 KiB of unsigned
// padding after the signature data is tolerated (quotes are shipped padded).
Result<TdxQuote> parse_tdx_quote(ByteView quote);

// SHA-256 (DER) of the Intel SGX Root CA, pinned.
inline constexpr std::string_view kIntelSgxRootCaSha256 =
    "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";

class VerificationCache;

struct CertCheckOptions {
  std::time_t at = 0;                      // verification time (0 = now)
  std::string root_ca_sha256{kIntelSgxRootCaSha256};  // the trust anchor to pin
  std::vector<Bytes> crls_der;             // root CA CRL, PCK CRL (optional)
  // With CRLs: every certificate needs its issuer's CRL (Intel publishes one
  // per CA), or — false — only the leaf's (AMD's ARK CRL covers the ASK).
  bool crl_check_whole_chain = true;
  // Remembers verified chains and collateral across calls (not owned; may be null).
  VerificationCache* cache = nullptr;
};

// Quote signature, QE report signature (PCK leaf key), QE report data =
// SHA-256(attestation key ‖ QE auth data), and the PCK chain to the pinned
// root. kVerificationFailed with the failing check named.
Status verify_tdx_quote_signatures(const TdxQuote& quote, const CertCheckOptions& options);

// The PCK leaf's SGX extension values (OID 1.2.840.113741.1.13.1).
struct PckExtensions {
  std::array<std::uint8_t, 6> fmspc{};
  std::array<std::uint8_t, 2> pce_id{};
  std::array<std::uint8_t, 16> cpu_svn_components{};
  std::uint16_t pce_svn = 0;
};
Result<PckExtensions> pck_extensions(const std::string& pck_leaf_pem);

}  // namespace t3n::attest
