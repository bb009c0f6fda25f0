// Full DCAP verification of a real TDX quote with cached collateral (TARGETS.md: ≤ 2 ms);
// SEV-SNP and Nitro verification of real evidence; simulated quote generation.
#include <benchmark/benchmark.h>

#include <ctime>

#include "attest/nitro_verify.h"
#include "attest/snp_verify.h"
#include "attest/tdx_sim.h"
#include "attest/tdx_verify.h"
#include "attest/verification_cache.h"
#include "bench_util.h"
#include "common/encoding.h"
#include "common/files.h"

namespace {

using namespace t3n;

void BM_TdxFullVerification(benchmark::State& state) {
  const std::string dir = std::string(T3N_VECTORS_DIR) + "/attestation/tdx/dcap-qvl-v4-uptodate/";
  const auto quote = bench::must(common::read_file(dir + "quote.bin"));
  attest::TdxCollateral col{bench::must(common::read_file(dir + "tcb_info.json")),
                            bench::must(common::read_file(dir + "qe_identity.json")),
                            bench::must(common::read_file(dir + "tcb_signing_chain.pem"))};
  attest::CertCheckOptions o;
  o.at = bench::must(common::parse_utc_timestamp("2025-06-19T22:32:27Z"));
  const auto root_crl = bench::must(common::read_file(dir + "root_ca_crl.der"));
  const auto pck_crl = bench::must(common::read_file(dir + "pck_crl.der"));
  o.crls_der = {common::to_bytes(root_crl), common::to_bytes(pck_crl)};
  // Chains and collateral verified once and remembered, as the node does per platform.
  attest::VerificationCache cache;
  if (state.range(0) != 0) o.cache = &cache;
  for (auto _ : state) {
    auto v = bench::must(attest::verify_tdx_quote(common::as_bytes(quote), col, o));
    if (v.status != "UpToDate") std::abort();
  }
}
BENCHMARK(BM_TdxFullVerification)->ArgName("cached")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// The collateral-free part alone (parse, two signatures, PCK chain with CRLs),
// to show where the time of a full verification goes.
void BM_TdxQuoteSignaturesOnly(benchmark::State& state) {
  const std::string dir = std::string(T3N_VECTORS_DIR) + "/attestation/tdx/dcap-qvl-v4-uptodate/";
  const auto quote = bench::must(common::read_file(dir + "quote.bin"));
  attest::CertCheckOptions o;
  o.at = bench::must(common::parse_utc_timestamp("2025-06-19T22:32:27Z"));
  o.crls_der = {common::to_bytes(bench::must(common::read_file(dir + "root_ca_crl.der"))),
                common::to_bytes(bench::must(common::read_file(dir + "pck_crl.der")))};
  for (auto _ : state) {
    auto q = bench::must(attest::parse_tdx_quote(common::as_bytes(quote)));
    if (!attest::verify_tdx_quote_signatures(q, o).ok()) std::abort();
  }
}
BENCHMARK(BM_TdxQuoteSignaturesOnly)->Unit(benchmark::kMicrosecond);

// SEV-SNP: VCEK → ASK → ARK (RSA-PSS 4096) and the P-384 report signature.
void BM_SnpVerification(benchmark::State& state) {
  const std::string dir = std::string(T3N_VECTORS_DIR) + "/attestation/sev-snp/go-sev-guest-milan/";
  const auto report = bench::must(common::read_file(dir + "report.bin"));
  attest::SnpCollateral col;
  if (!attest::load_snp_collateral(dir, col).ok()) std::abort();
  attest::CertCheckOptions o;
  o.at = bench::must(common::parse_utc_timestamp("2022-10-24T00:55:28Z"));
  attest::VerificationCache cache;
  if (state.range(0) != 0) o.cache = &cache;
  for (auto _ : state) benchmark::DoNotOptimize(bench::must(attest::verify_snp_report(common::as_bytes(report), col, o)));
}
BENCHMARK(BM_SnpVerification)->ArgName("cached")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// Nitro: COSE_Sign1 decoding, the chain of four certificates, ES384.
void BM_NitroVerification(benchmark::State& state) {
  const std::string dir = std::string(T3N_VECTORS_DIR) + "/attestation/nitro/nitrite-prod/";
  const auto document = bench::must(common::read_file(dir + "document.cbor"));
  attest::CertCheckOptions o = attest::nitro_cert_options(bench::must(common::parse_utc_timestamp("2024-09-07T14:37:40Z")));
  attest::VerificationCache cache;
  if (state.range(0) != 0) o.cache = &cache;
  for (auto _ : state) benchmark::DoNotOptimize(bench::must(attest::verify_nitro_document(common::as_bytes(document), o)));
}
BENCHMARK(BM_NitroVerification)->ArgName("cached")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// What a dev node pays per simulated quote (two deterministic P-256 signatures).
void BM_SimulatedTdxQuote(benchmark::State& state) {
  attest::SimulatedTdxPlatformOptions options;
  options.not_before = 1767225600;
  auto platform = bench::must(attest::SimulatedTdxPlatform::create(common::as_bytes("bench platform seed 0123"), options));
  attest::ReportData rd{};
  for (auto _ : state) benchmark::DoNotOptimize(bench::must(platform.quote(attest::SimulatedTd{}, rd)));
}
BENCHMARK(BM_SimulatedTdxQuote)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
