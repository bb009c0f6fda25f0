// Fetching TDX collateral from Intel's Provisioning Certification Service
// (PCS, API v4) or a PCCS caching service speaking the same API, at a URL the
// operator configures — never from anywhere else:
//
//   GET {base}/tdx/certification/v4/tcb?fmspc=…        body {"tcbInfo",…}; TCB-Info-Issuer-Chain
//   GET {base}/tdx/certification/v4/qe/identity        body {"enclaveIdentity",…}; SGX-Enclave-Identity-Issuer-Chain
//   GET {base}/sgx/certification/v4/pckcrl?ca=…&encoding=der   SGX-PCK-CRL-Issuer-Chain
//   the root CA CRL: {root_ca_crl_url}, or {base}/sgx/certification/v4/rootcacrl
//
// Nothing fetched is trusted for being fetched: the verifier checks every
// signature against the pinned root. The result is written in the directory
// layout load_tdx_collateral reads, so a node or CLI can use it offline.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "attest/snp_report.h"
#include "attest/snp_verify.h"
#include "attest/tdx_verify.h"
#include "common/bytes.h"
#include "common/status.h"

namespace t3n::attest {

struct PcsOptions {
  std::string base_url = "https://api.trustedservices.intel.com";
  // Intel publishes the root CA CRL outside the PCS API; a PCCS serves it
  // under /sgx/certification/v4/rootcacrl (used when this is empty).
  std::string root_ca_crl_url = "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der";
  std::chrono::seconds timeout{30};
};

// Options for a base URL: Intel's PCS takes the root CA CRL from Intel's
// certificate site, any other service (a PCCS) from its own rootcacrl path.
PcsOptions pcs_options_for(const std::string& base_url);

struct FetchedTdxCollateral {
  TdxCollateral collateral;
  Bytes root_ca_crl_der;
  Bytes pck_crl_der;
  std::string pck_crl_issuer_chain_pem;
};

// `pck_ca` is "platform" or "processor" (the PCK leaf's issuer). kUnavailable
// when the service cannot be reached or answers an error, naming the URL.
Result<FetchedTdxCollateral> fetch_tdx_collateral(const PcsOptions& options, const std::array<std::uint8_t, 6>& fmspc,
                                                  const std::string& pck_ca = "platform");

// Which PCK CA issued the quote's PCK leaf: "platform" or "processor".
Result<std::string> pck_ca_of_quote(const TdxQuote& quote);

// Writes tcb_info.json, qe_identity.json, tcb_signing_chain.pem,
// root_ca_crl.der, pck_crl.der and pck_crl_issuer_chain.pem into `dir`.
Status write_tdx_collateral_dir(const std::filesystem::path& dir, const FetchedTdxCollateral& fetched);

// AMD's Key Distribution Service (or a caching proxy with the same paths):
//   GET {base}/vcek/v1/{product}/{hwid}?blSPL=…&teeSPL=…&snpSPL=…&ucodeSPL=…[&fmcSPL=…]   the VCEK (DER)
//   GET {base}/vcek/v1/{product}/cert_chain                                    ASK then ARK (PEM)
//   GET {base}/vcek/v1/{product}/crl                                           the ARK's CRL (DER; optional)
// The VCEK requested is the one for the report's CHIP_ID and reported TCB.
struct KdsOptions {
  std::string base_url = "https://kdsintf.amd.com";
  std::chrono::seconds timeout{30};
};

// The product from a version 3+ report's CPUID family/model; a version 2
// report does not say (kInvalidArgument: the caller must name it).
Result<AmdProduct> snp_product_of_report(const SnpReport& report);
Result<AmdProduct> amd_product_from_name(std::string_view name);  // "Milan", "Genoa", "Turin"

// kFailedPrecondition for a report signed by a VLEK (KDS does not serve
// VLEKs publicly) or with a masked CHIP_ID.
Result<SnpCollateral> fetch_snp_collateral(const KdsOptions& options, const SnpReport& report, AmdProduct product);

// vcek.der, ask.pem, ark.pem and (when fetched) crl.der: what load_snp_collateral reads.
Status write_snp_collateral_dir(const std::filesystem::path& dir, const SnpCollateral& collateral);

}  // namespace t3n::attest
