// State store benchmarks against ../shared/docs/TARGETS.md.
#include <benchmark/benchmark.h>

#include "bench_util.h"
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "store/store.h"

namespace {

using namespace t3n;
using namespace t3n::store;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kBatch = 256;
constexpr std::size_t kValueSize = 100;
constexpr std::uint64_t kKeySpace = 1'000'000;
const std::string kTid(40, 'a');
const std::string kMap = "z:" + kTid + ":bench";
// Proofs are served for public maps only.
const std::string kPublicMap = "z:" + kTid + ":public:bench";

using t3n::bench::must;

std::filesystem::path fresh_dir(const char* name) {
  auto p = std::filesystem::temp_directory_path() / ("t3n-bench-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(p);
  return p;
}

std::unique_ptr<Store> open_store(const std::filesystem::path& dir) {
  StoreOptions o;
  o.path = dir;
  o.ledger_secrets.push_back({0, SecretBytes(Bytes(32, 1))});
  auto ed = must(crypto::Ed25519PrivateKey::generate());
  auto pq = must(crypto::mldsa65_keygen());
  o.signing_keys = std::make_shared<const NodeSigningKeys>(NodeSigningKeys{std::move(ed), std::move(pq)});
  o.signature_interval_entries = 10'000;
  o.sync_writes = false;  // both sides of the ratio write the WAL without fsync
  auto s = must(Store::open(std::move(o)));
  auto tx = s->begin(Principal::system());
  if (!tx.create_map({kMap, Visibility::kPrivate, {1}, {}}).ok() ||
      !tx.create_map({kPublicMap, Visibility::kPublic, {1}, {}}).ok() || !s->commit(tx).ok())
    std::exit(1);
  return s;
}

Bytes key_of(std::uint64_t i) {
  Bytes k;
  common::append_u64_be(k, i);
  return k;
}

// One batch of kBatch single-key-write transactions through the store.
void store_batch(Store& s, std::mt19937_64& rng, const Bytes& value, const std::string& map = kMap) {
  std::vector<Transaction> txs;
  txs.reserve(kBatch);
  for (std::size_t i = 0; i < kBatch; ++i) {
    auto tx = s.begin(Principal::contract(1, kTid));
    if (!tx.put(map, key_of(rng() % kKeySpace), value).ok()) std::exit(1);
    txs.push_back(std::move(tx));
  }
  for (auto& r : s.commit_batch(txs))
    if (!r.ok()) std::exit(1);
}

// The same bytes (map-prefixed key, value) as one raw RocksDB WriteBatch.
void rocks_batch(rocksdb::DB& db, std::mt19937_64& rng, const Bytes& value) {
  rocksdb::WriteBatch batch;
  for (std::size_t i = 0; i < kBatch; ++i) {
    Bytes k = common::to_bytes(kMap);
    common::append(k, key_of(rng() % kKeySpace));
    batch.Put(rocksdb::Slice(reinterpret_cast<const char*>(k.data()), k.size()),
              rocksdb::Slice(reinterpret_cast<const char*>(value.data()), value.size()));
  }
  rocksdb::WriteOptions wo;
  wo.sync = false;
  if (!db.Write(wo, &batch).ok()) std::exit(1);
}

// Both sides in one run, interleaved batch by batch; reports tx/s of each and
// the ratio (target ≥ 0.25; the store target alone is ≥ 50,000 tx/s).
void BM_Store_vs_RocksDB_1KeyWriteTx(benchmark::State& state) {
  auto store_dir = fresh_dir("store");
  auto rocks_dir = fresh_dir("rocks");
  auto store = open_store(store_dir);
  rocksdb::Options ro;
  ro.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(ro, rocks_dir.string(), &raw).ok()) std::exit(1);
  std::unique_ptr<rocksdb::DB> db(raw);
  std::mt19937_64 rng_a(1), rng_b(1);
  const Bytes value(kValueSize, 0x5a);
  Clock::duration t_store{}, t_rocks{};
  for (auto _ : state) {
    auto t0 = Clock::now();
    store_batch(*store, rng_a, value);
    auto t1 = Clock::now();
    rocks_batch(*db, rng_b, value);
    auto t2 = Clock::now();
    t_store += t1 - t0;
    t_rocks += t2 - t1;
  }
  const double n = static_cast<double>(state.iterations() * kBatch);
  const double store_tps = n / std::chrono::duration<double>(t_store).count();
  const double rocks_tps = n / std::chrono::duration<double>(t_rocks).count();
  state.counters["store_tx_per_s"] = store_tps;
  state.counters["rocksdb_tx_per_s"] = rocks_tps;
  state.counters["ratio"] = store_tps / rocks_tps;
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  store.reset();
  db.reset();
  std::filesystem::remove_all(store_dir);
  std::filesystem::remove_all(rocks_dir);
}
BENCHMARK(BM_Store_vs_RocksDB_1KeyWriteTx)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// A contract call's commit, one transaction at a time: the contract's one
// rewritten key alone (Arg 0), or with what metering and audit add (Arg 1):
// a rewritten balance row and two new keys (ledger row, audit row) that grow
// the state as calls accumulate. The difference is the store's share of
// the accounts issue's overhead.
void BM_Store_CallCommit(benchmark::State& state) {
  auto dir = fresh_dir("call");
  auto store = open_store(dir);
  const bool accounted = state.range(0) != 0;
  const Bytes counter(8, 0x11), balance_key(20, 0x22), balance(25, 0x33), ledger_row(120, 0x44), audit_row(130, 0x55);
  std::uint64_t i = 0;
  for (auto _ : state) {
    auto tx = store->begin(Principal::system());
    ++i;
    bool ok = tx.put(kMap, counter, key_of(i)).ok();
    if (accounted) {
      ok = ok && tx.put(kMap, balance_key, balance).ok();
      Bytes lk = balance_key, ak = balance_key;
      common::append(lk, key_of(i));
      common::append(ak, key_of(~i));
      ok = ok && tx.put(kMap, lk, ledger_row).ok() && tx.put(kMap, ak, audit_row).ok();
    }
    if (!ok || !store->commit(tx).ok()) std::exit(1);
  }
  store.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Store_CallCommit)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

struct ProvenStore {
  std::filesystem::path dir = fresh_dir("proofs");
  std::unique_ptr<Store> store = open_store(dir);
  ProvenStore() {
    std::mt19937_64 rng(2);
    const Bytes value(kValueSize, 0x33);
    for (int i = 0; i < 400; ++i) store_batch(*store, rng, value, kPublicMap);  // ~100k keys
  }
  ~ProvenStore() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

ProvenStore& proven() {
  static ProvenStore s;
  return s;
}

void BM_StateProof_Generate(benchmark::State& state) {
  auto& s = *proven().store;
  std::mt19937_64 rng(3);
  for (auto _ : state) benchmark::DoNotOptimize(must(s.prove(kPublicMap, key_of(rng() % kKeySpace))));
}
BENCHMARK(BM_StateProof_Generate)->Unit(benchmark::kMicrosecond);

void BM_StateProof_Verify(benchmark::State& state) {
  auto& s = *proven().store;
  std::mt19937_64 rng(4);
  std::vector<StateProofResult> proofs;
  for (int i = 0; i < 64; ++i) proofs.push_back(must(s.prove(kPublicMap, key_of(rng() % kKeySpace))));
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& p = proofs[i++ % proofs.size()];
    if (!verify_state_proof(p.proof, p.state_root).ok()) std::exit(1);
  }
}
BENCHMARK(BM_StateProof_Verify)->Unit(benchmark::kMicrosecond);

void BM_Receipt_Verify(benchmark::State& state) {
  auto& s = *proven().store;
  if (!s.sign_now().ok()) std::exit(1);
  auto receipt = must(s.receipt(s.last_seqno() / 2));
  for (auto _ : state)
    if (!verify_receipt(receipt).ok()) std::exit(1);
}
BENCHMARK(BM_Receipt_Verify)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
