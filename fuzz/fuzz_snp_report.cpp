// SEV-SNP report parsing and verification of hostile bytes: the input as a
// report (verified against the Milan vector's real chain when the vectors are
// present), and the input as the VCEK certificate for the real report.
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>

#include "attest/snp_policy.h"
#include "attest/snp_report.h"
#include "attest/snp_verify.h"
#include "common/encoding.h"
#include "common/files.h"

namespace {

struct Fixture {
  t3n::attest::SnpCollateral collateral;
  t3n::Bytes report;
  t3n::attest::CertCheckOptions options;
};

// Read once: the vectors are constant, and libFuzzer runs inputs on one thread.
const std::optional<Fixture>& fixture() {
  static const std::optional<Fixture> loaded = []() -> std::optional<Fixture> {
    const char* env = std::getenv("T3N_VECTORS_DIR");
    const std::filesystem::path vectors = env != nullptr ? env : T3N_VECTORS_DIR;
    const auto dir = vectors / "attestation/sev-snp/go-sev-guest-milan";
    Fixture f;
    if (!t3n::attest::load_snp_collateral(dir, f.collateral).ok()) return std::nullopt;
    auto report = t3n::common::read_file(dir / "report.bin");
    if (!report.ok()) return std::nullopt;
    f.report = t3n::common::to_bytes(*report);
    f.options.at = t3n::common::parse_utc_timestamp("2022-10-24T00:55:28Z").value_or(0);
    return f;
  }();
  return loaded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const t3n::ByteView input(data, size);
  auto parsed = t3n::attest::parse_snp_report(input);
  if (parsed.ok()) {
    (void)parsed->chip_id_masked();
    t3n::attest::SnpVerification v;
    v.report = *parsed;
    (void)t3n::attest::apply_snp_policy(v, t3n::attest::SnpPolicy{}, 0, 1);
    (void)t3n::attest::snp_verification_to_json(v);
  }
  (void)t3n::attest::vcek_extensions(input);
  const auto& f = fixture();
  if (!f) return 0;
  // The input as a report, against the real chain.
  if (size == t3n::attest::kSnpReportSize) {
    (void)t3n::attest::snp_verification_to_json(t3n::attest::verify_snp_report(input, f->collateral, f->options));
  }
  // The input as the VCEK, with the real report.
  auto collateral = f->collateral;
  collateral.vcek_der.assign(data, data + size);
  (void)t3n::attest::verify_snp_report(f->report, collateral, f->options);
  return 0;
}
