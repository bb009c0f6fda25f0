// A simulated Intel TDX platform for dev nodes and tests: quotes in the exact
// v4/v5 binary layout, signed through a test PKI shaped like Intel's
// (root CA → PCK Platform CA → PCK leaf with the SGX extensions; a TCB
// Signing certificate; signed TCB Info v3 and QE Identity v2 JSON; root and
// PCK CRLs). Everything derives from a seed — keys by HKDF, signatures by
// RFC 6979 — so the same seed and inputs give byte-identical evidence.
//
// The simulated root is not Intel's: the production trust anchor
// (kIntelSgxRootCaSha256) rejects every simulated quote, and a verifier
// accepts one only when told to pin `root_ca_sha256()` explicitly.
#pragma once

#include <array>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "attest/policy.h"
#include "attest/tdx_quote.h"
#include "attest/tdx_verify.h"
#include "common/bytes.h"
#include "common/status.h"

namespace t3n::attest {

struct SimulatedTdxPlatformOptions {
  std::time_t not_before = 0;  // certificates, CRLs and collateral valid from …
  std::time_t not_after = 0;   // … until (0: not_before + 5 years)
  std::array<std::uint8_t, 6> fmspc{0x54, 0x33, 0x4e, 0x53, 0x49, 0x4d};  // "T3NSIM": no real platform
  // The PCK's SGX TCB component SVNs: 4 reaches the UpToDate level of the
  // simulated TCB Info, 2–3 only its OutOfDate level, below 2 no level at all.
  std::uint8_t pck_component_svn = 4;
  bool revoke_pck = false;  // list the PCK leaf in the PCK CRL
};

// The TD whose report a simulated quote carries.
struct SimulatedTd {
  Hash48 mr_td{};
  Hash48 mr_config_id{};
  Hash48 mr_owner{};
  Hash48 mr_owner_config{};
  std::array<Hash48, 4> rtmr{};
  bool debug = false;
  int quote_version = 4;  // 4, or 5
  bool tdx15 = false;     // v5 only: a TDX 1.5 body (type 3)
};

class SimulatedTdxPlatform {
 public:
  static Result<SimulatedTdxPlatform> create(ByteView seed, const SimulatedTdxPlatformOptions& options);

  SimulatedTdxPlatform(SimulatedTdxPlatform&&) noexcept;
  SimulatedTdxPlatform& operator=(SimulatedTdxPlatform&&) noexcept;
  ~SimulatedTdxPlatform();

  // SHA-256 of the simulated root's DER: the anchor to pin, explicitly.
  const std::string& root_ca_sha256() const;
  const std::string& root_pem() const;
  const TdxCollateral& collateral() const;
  const std::vector<Bytes>& crls_der() const;  // root CA CRL, PCK CRL
  // Options that trust this platform's root, with its CRLs, at `at`.
  CertCheckOptions trust(std::time_t at) const;
  // The collateral directory layout load_tdx_collateral reads (and the
  // vectors use): tcb_info.json, qe_identity.json, tcb_signing_chain.pem,
  // root_ca_crl.der, pck_crl.der, plus root_ca.pem.
  Status write_collateral_dir(const std::filesystem::path& dir) const;

  // A quote over `td` with REPORTDATA = `report_data`.
  Result<Bytes> quote(const SimulatedTd& td, const ReportData& report_data) const;

 private:
  struct State;
  explicit SimulatedTdxPlatform(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace t3n::attest
