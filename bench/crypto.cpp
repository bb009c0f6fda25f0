// Crypto micro-benchmarks against ../shared/docs/TARGETS.md.
#include <benchmark/benchmark.h>

#include "bench_util.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "crypto/aead.h"
#include "crypto/ed25519.h"
#include "crypto/hpke.h"
#include "crypto/mldsa.h"
#include "crypto/mlkem.h"
#include "crypto/secp256k1.h"
#include "crypto/x25519.h"
#include "crypto/xwing.h"

namespace {

using namespace t3n;
using namespace t3n::crypto;

using t3n::bench::must;

void BM_MlKem768_Encaps(benchmark::State& state) {
  auto kp = must(mlkem768_keygen());
  for (auto _ : state) benchmark::DoNotOptimize(must(mlkem768_encapsulate(kp.encapsulation_key)));
}
BENCHMARK(BM_MlKem768_Encaps);

void BM_MlKem768_Decaps(benchmark::State& state) {
  auto kp = must(mlkem768_keygen());
  auto enc = must(mlkem768_encapsulate(kp.encapsulation_key));
  for (auto _ : state) benchmark::DoNotOptimize(must(mlkem768_decapsulate(kp.decapsulation_key, enc.ciphertext)));
}
BENCHMARK(BM_MlKem768_Decaps);

void BM_X25519_SharedSecret(benchmark::State& state) {
  auto peer = must(X25519PrivateKey::generate());
  for (auto _ : state) {
    // What one side of an ephemeral exchange costs: a fresh key and one agreement.
    auto eph = must(X25519PrivateKey::generate());
    benchmark::DoNotOptimize(must(eph.agree(peer.public_key())));
  }
}
BENCHMARK(BM_X25519_SharedSecret);

void BM_XWing_Encaps(benchmark::State& state) {
  auto sk = must(XWingPrivateKey::generate());
  for (auto _ : state) benchmark::DoNotOptimize(must(xwing_encapsulate(sk.public_key())));
}
BENCHMARK(BM_XWing_Encaps);

void BM_XWing_Decaps(benchmark::State& state) {
  auto sk = must(XWingPrivateKey::generate());
  auto enc = must(xwing_encapsulate(sk.public_key()));
  for (auto _ : state) benchmark::DoNotOptimize(must(sk.decapsulate(enc.ciphertext)));
}
BENCHMARK(BM_XWing_Decaps);

// Both sides timed in the same loop, interleaved, so machine noise hits both;
// reports the ratio X-Wing encaps ÷ X25519 shared secret (target ≤ 2.5).
void BM_XWing_Over_X25519_Ratio(benchmark::State& state) {
  using Clock = std::chrono::steady_clock;
  auto sk = must(XWingPrivateKey::generate());
  auto peer = must(X25519PrivateKey::generate());
  Clock::duration xwing{}, x25519{};
  for (auto _ : state) {
    auto t0 = Clock::now();
    benchmark::DoNotOptimize(must(xwing_encapsulate(sk.public_key())));
    auto t1 = Clock::now();
    auto eph = must(X25519PrivateKey::generate());
    benchmark::DoNotOptimize(must(eph.agree(peer.public_key())));
    auto t2 = Clock::now();
    xwing += t1 - t0;
    x25519 += t2 - t1;
  }
  state.counters["ratio"] = static_cast<double>(xwing.count()) / static_cast<double>(x25519.count());
  state.counters["xwing_us"] = benchmark::Counter(std::chrono::duration<double, std::micro>(xwing).count(),
                                                  benchmark::Counter::kAvgIterations);
  state.counters["x25519_us"] = benchmark::Counter(std::chrono::duration<double, std::micro>(x25519).count(),
                                                   benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_XWing_Over_X25519_Ratio);

void BM_Hpke_XWing_SealOpen_1KiB(benchmark::State& state) {
  HpkeSuite suite{HpkeKem::kXWing, HpkeKdf::kHkdfSha256, HpkeAead::kAes256Gcm};
  auto sk = must(HpkePrivateKey::generate(HpkeKem::kXWing));
  Bytes msg(1024, 0x5a), info{'t', '3', 'n'};
  for (auto _ : state) {
    auto sealed = must(hpke_seal(suite, sk.public_key(), info, {}, msg));
    benchmark::DoNotOptimize(must(hpke_open(suite, sk, sealed.enc, info, {}, sealed.ciphertext)));
  }
}
BENCHMARK(BM_Hpke_XWing_SealOpen_1KiB);

void BM_Aes256Gcm_Seal(benchmark::State& state) {
  Bytes key(32, 1), nonce(12, 2), msg(static_cast<std::size_t>(state.range(0)), 3);
  for (auto _ : state) benchmark::DoNotOptimize(must(aead_seal(AeadAlg::kAes256Gcm, key, nonce, {}, msg)));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Aes256Gcm_Seal)->Arg(16 * 1024);

void BM_Ed25519_Sign(benchmark::State& state) {
  auto key = must(Ed25519PrivateKey::generate());
  Bytes msg(64, 7);
  for (auto _ : state) benchmark::DoNotOptimize(must(key.sign(msg)));
}
BENCHMARK(BM_Ed25519_Sign);

void BM_Ed25519_Verify(benchmark::State& state) {
  auto key = must(Ed25519PrivateKey::generate());
  Bytes msg(64, 7);
  auto sig = must(key.sign(msg));
  for (auto _ : state) benchmark::DoNotOptimize(ed25519_verify(key.public_key(), msg, sig));
}
BENCHMARK(BM_Ed25519_Verify);

void BM_MlDsa65_Sign(benchmark::State& state) {
  auto kp = must(mldsa65_keygen());
  Bytes msg(64, 7);
  for (auto _ : state) benchmark::DoNotOptimize(must(mldsa65_sign(kp.secret_key, msg)));
}
BENCHMARK(BM_MlDsa65_Sign);

void BM_MlDsa65_Verify(benchmark::State& state) {
  auto kp = must(mldsa65_keygen());
  Bytes msg(64, 7);
  auto sig = must(mldsa65_sign(kp.secret_key, msg));
  for (auto _ : state) benchmark::DoNotOptimize(mldsa65_verify(kp.public_key, msg, sig));
}
BENCHMARK(BM_MlDsa65_Verify);

void BM_Secp256k1_SignRecoverable(benchmark::State& state) {
  auto signer = must(Secp256k1Signer::create());
  Bytes secret(32, 0x11), digest(32, 0x22);
  for (auto _ : state) benchmark::DoNotOptimize(must(signer.sign_recoverable(secret, digest)));
}
BENCHMARK(BM_Secp256k1_SignRecoverable);

void BM_Secp256k1_Recover(benchmark::State& state) {
  auto signer = must(Secp256k1Signer::create());
  Bytes secret(32, 0x11), digest(32, 0x22);
  auto sig = must(signer.sign_recoverable(secret, digest));
  for (auto _ : state) benchmark::DoNotOptimize(must(secp256k1_recover(digest, sig)));
}
BENCHMARK(BM_Secp256k1_Recover);

}  // namespace

BENCHMARK_MAIN();
