// Full DCAP verification of a real TDX quote with cached collateral (TARGETS.md: ≤ 2 ms).
#include <benchmark/benchmark.h>

#include <ctime>

#include "attest/tdx_verify.h"
#include "bench_util.h"
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
  std::tm tm{};
  ::strptime("2025-06-19T22:32:27Z", "%Y-%m-%dT%H:%M:%SZ", &tm);
  o.at = ::timegm(&tm);
  const auto root_crl = bench::must(common::read_file(dir + "root_ca_crl.der"));
  const auto pck_crl = bench::must(common::read_file(dir + "pck_crl.der"));
  o.crls_der = {common::to_bytes(root_crl), common::to_bytes(pck_crl)};
  for (auto _ : state) {
    auto v = bench::must(attest::verify_tdx_quote(common::as_bytes(quote), col, o));
    if (v.status != "UpToDate") std::abort();
  }
}
BENCHMARK(BM_TdxFullVerification)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
