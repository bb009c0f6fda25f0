#include "attest/collateral_cache.h"

#include "attest/pcs.h"
#include "common/encoding.h"

namespace t3n::attest {

TdxCollateralCache::TdxCollateralCache(std::filesystem::path dir, std::string pcs_url, common::Logger log,
                                       common::ClockMs clock)
    : dir_(std::move(dir)), pcs_url_(std::move(pcs_url)), log_(std::move(log)), clock_(std::move(clock)) {}

Status TdxCollateralCache::collateral_for(ByteView quote, TdxCollateral& col, CertCheckOptions& opt) {
  T3N_ASSIGN_OR_RETURN(auto parsed, parse_tdx_quote(quote));
  T3N_ASSIGN_OR_RETURN(auto pck, pck_extensions(parsed.pck_chain_pem.front()));
  const auto dir = dir_ / common::hex_encode(pck.fmspc);
  std::vector<Bytes> crls;
  Status on_disk = load_dir(dir, col, crls);
  if (!pcs_url_.empty() && !(on_disk.ok() && unexpired(col, crls))) {
    T3N_RETURN_IF_ERROR(refresh(parsed, pck, dir, opt));
    on_disk = load_dir(dir, col, crls);
  }
  T3N_RETURN_IF_ERROR(on_disk);
  opt.crls_der.insert(opt.crls_der.end(), crls.begin(), crls.end());
  return {};
}

// One consistent read of a collateral directory (the swap takes the lock exclusively).
Status TdxCollateralCache::load_dir(const std::filesystem::path& dir, TdxCollateral& col, std::vector<Bytes>& crls) const {
  std::shared_lock read(dir_mu_);
  if (!std::filesystem::is_directory(dir)) {
    const std::string fmspc = dir.filename().string();
    return common::not_found("no collateral for FMSPC " + fmspc + ": send 'collateral' or place it in <data_dir>/collateral/" +
                             fmspc + "/");
  }
  CertCheckOptions read_crls;
  T3N_RETURN_IF_ERROR(load_tdx_collateral(dir, col, read_crls));
  crls = std::move(read_crls.crls_der);
  return {};
}

// Not past the earliest nextUpdate of TCB Info, QE Identity and CRLs.
bool TdxCollateralCache::unexpired(const TdxCollateral& col, const std::vector<Bytes>& crls) const {
  auto expiry = tdx_collateral_expiry(col, crls);
  return expiry.ok() && *expiry > static_cast<std::time_t>(clock_() / 1000);
}

// Present and unexpired: a request that waited for another's fetch finds it so.
bool TdxCollateralCache::fresh(const std::filesystem::path& dir) const {
  TdxCollateral col;
  std::vector<Bytes> crls;
  return load_dir(dir, col, crls).ok() && unexpired(col, crls);
}

Status TdxCollateralCache::refresh(const TdxQuote& quote, const PckExtensions& pck, const std::filesystem::path& dir,
                                   const CertCheckOptions& opt) {
  const std::string fmspc = common::hex_encode(pck.fmspc);
  CertCheckOptions genuine = opt;
  genuine.crls_der.clear();  // revocation is checked with the collateral itself, below and at verification
  T3N_RETURN_IF_ERROR(verify_tdx_quote_signatures(quote, genuine));
  std::lock_guard fetching(fetch_mu_);  // one fetch at a time; waiters find it fresh
  if (fresh(dir)) return {};
  const auto now = static_cast<std::time_t>(clock_() / 1000);
  if (auto failed = fetch_failed_.find(fmspc); failed != fetch_failed_.end() && now - failed->second < 60)
    return Status(ErrorCode::kUnavailable, "collateral for FMSPC " + fmspc + " could not be fetched recently; retry in a minute");
  T3N_ASSIGN_OR_RETURN(std::string ca, pck_ca_of_quote(quote));
  auto fetched = fetch_tdx_collateral(pcs_options_for(pcs_url_), pck.fmspc, ca);
  Status checked = fetched.ok() ? [&] {
    CertCheckOptions check = genuine;
    check.crls_der = {fetched->root_ca_crl_der, fetched->pck_crl_der};
    return verify_tdx_collateral(fetched->collateral, check);
  }() : fetched.status();
  if (!checked.ok()) {
    fetch_failed_[fmspc] = now;
    log_.warn("collateral for FMSPC {} from {} refused: {}", fmspc, pcs_url_, checked.message());
    return Status(checked.code() == ErrorCode::kNotFound ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
                  "collateral for FMSPC " + fmspc + ": " + checked.message());
  }
  fetch_failed_.erase(fmspc);
  auto staged = dir;
  staged += ".new";
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  std::filesystem::remove_all(staged, ec);
  T3N_RETURN_IF_ERROR(write_tdx_collateral_dir(staged, *fetched));
  {
    std::unique_lock swap(dir_mu_);
    auto old = dir;
    old += ".old";
    std::filesystem::remove_all(old, ec);
    std::filesystem::rename(dir, old, ec);  // absent the first time
    ec.clear();
    std::filesystem::rename(staged, dir, ec);
    if (ec) return common::internal_error("cannot install collateral in " + dir.string() + ": " + ec.message());
    std::filesystem::remove_all(old, ec);
  }
  log_.info("collateral for FMSPC {} fetched from {}", fmspc, pcs_url_);
  return {};
}

}  // namespace t3n::attest
