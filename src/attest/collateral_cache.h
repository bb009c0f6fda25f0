// TDX collateral the node keeps under <data_dir>/collateral/<fmspc>/ (the
// layout of `t3n attest verify --collateral`): placed by the operator, or —
// with a PCS/PCCS URL — fetched when missing or past its earliest nextUpdate.
// A fetch happens only for a quote whose PCK chain already verifies to the
// pinned root (no fetches for invented platforms), at most once a minute per
// FMSPC after a failure, and what is fetched is verified before it replaces
// the directory in one rename.
#pragma once

#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "attest/tdx_quote.h"
#include "attest/tdx_verify.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/status.h"

namespace t3n::attest {

class TdxCollateralCache {
 public:
  TdxCollateralCache(std::filesystem::path dir, std::string pcs_url, common::Logger log,
                     common::ClockMs clock = common::system_clock_ms());

  // Collateral for the quote's platform into `col`, its CRLs appended to
  // `opt.crls_der`. kNotFound when there is none (and no PCS to ask),
  // kUnavailable when the PCS could not be reached recently.
  Status collateral_for(ByteView quote, TdxCollateral& col, CertCheckOptions& opt);

 private:
  Status load_dir(const std::filesystem::path& dir, TdxCollateral& col, std::vector<Bytes>& crls) const;
  bool unexpired(const TdxCollateral& col, const std::vector<Bytes>& crls) const;
  bool fresh(const std::filesystem::path& dir) const;
  Status refresh(const TdxQuote& quote, const PckExtensions& pck, const std::filesystem::path& dir,
                 const CertCheckOptions& opt);

  std::filesystem::path dir_;
  std::string pcs_url_;
  common::Logger log_;
  common::ClockMs clock_;
  std::mutex fetch_mu_;                                // one PCS fetch at a time
  mutable std::shared_mutex dir_mu_;                   // readers vs the directory swap
  std::map<std::string, std::time_t> fetch_failed_;    // FMSPC → last failure (under fetch_mu_)
};

}  // namespace t3n::attest
