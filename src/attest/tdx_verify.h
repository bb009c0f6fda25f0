// Full DCAP verification of a TDX quote with collateral: the PCS TCB Info
// (TDX, v3) and QE Identity (v2) bodies, each signed over the exact raw bytes
// of its JSON value by the TCB Signing certificate; TCB level selection
// (SGX components, PCESVN, TDX components, TDX module identities) and the
// final status as Intel's reference verifier computes it.
#pragma once

#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "attest/tdx_quote.h"
#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"

namespace t3n::attest {

struct TdxCollateral {
  std::string tcb_info_json;      // {"tcbInfo": {...}, "signature": "..."}
  std::string qe_identity_json;   // {"enclaveIdentity": {...}, "signature": "..."}
  std::string tcb_signing_chain_pem;  // TCB Signing cert, then the root
};

struct TdxVerification {
  TdxQuote quote;
  PckExtensions pck;
  // UpToDate, SWHardeningNeeded, ConfigurationNeeded,
  // ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded,
  // Revoked, or TcbNotSupported when no TCB level matches.
  std::string status;
  std::vector<std::string> advisory_ids;
  std::string tcb_date;
  std::string qe_status;
  std::string module_status;
};

// Collateral in the layout of ../shared/vectors/attestation/tdx/<case>/:
// tcb_info.json, qe_identity.json, tcb_signing_chain.pem; root_ca_crl.der and
// pck_crl.der when present are appended to options.crls_der.
Status load_tdx_collateral(const std::filesystem::path& dir, TdxCollateral& collateral, CertCheckOptions& options);

// 0 UpToDate, 1 SWHardeningNeeded, 2 ConfigurationNeeded,
// 3 ConfigurationAndSWHardeningNeeded, 4 OutOfDate,
// 5 OutOfDateConfigurationNeeded, 6 Revoked, 7 anything else (TcbNotSupported).
int tcb_status_severity(std::string_view status);

// kVerificationFailed for any signature, chain, date or identity failure;
// a valid quote whose platform matches no TCB level gets status TcbNotSupported.
Result<TdxVerification> verify_tdx_quote(ByteView quote, const TdxCollateral& collateral,
                                         const CertCheckOptions& options);

// The collateral alone, before it is stored: the TCB Signing chain to the
// pinned root (with options.crls_der), both signatures, TDX v3 / TD_QE v2,
// and both issue/next-update windows at options.at.
Status verify_tdx_collateral(const TdxCollateral& collateral, const CertCheckOptions& options);

// When the collateral must be refreshed: the earliest nextUpdate of the TCB
// Info, the QE Identity and the CRLs.
Result<std::time_t> tdx_collateral_expiry(const TdxCollateral& collateral, const std::vector<Bytes>& crls_der);

// The top-level members of a JSON object text, in order, each with the exact
// bytes of its value. A repeated member is an error (JSON parsers disagree
// on which copy wins; a signature must cover the one that is used).
Result<std::vector<std::pair<std::string, std::string_view>>> top_level_json_members(std::string_view json);

// The exact bytes of the top-level member `key`, an object (what PCS signs).
Result<std::string> raw_json_object(std::string_view json, std::string_view key);

}  // namespace t3n::attest

namespace t3n::attest {

// The verification result as the REST API and `t3n attest verify` report it:
// {valid, provider, hardware_verified, measurements_valid, certificate_chain_valid,
//  tcb_status, advisories, measurements, report_data}. `measurements_valid` is
// null until a policy is applied.
common::Json tdx_verification_to_json(const Result<TdxVerification>& v);

}  // namespace t3n::attest
