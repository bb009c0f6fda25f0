#include <gtest/gtest.h>

#include <thread>

#include "store/store.h"
#include "store/store_test_util.h"
#include "test_util.h"

namespace t3n::store {
namespace {

using namespace t3n::store::testing;

Bytes b(std::string_view s) { return common::to_bytes(s); }

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open(options_for(dir_.path()));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(s).value();
    auto tx = store_->begin(Principal::system());
    ASSERT_TRUE(tx.create_map({counter_, Visibility::kPrivate, {7}, {}}).ok());
    ASSERT_TRUE(tx.create_map({shared_, Visibility::kPrivate, {7}, {8}}).ok());
    ASSERT_TRUE(tx.create_map({public_, Visibility::kPublic, {7}, {}}).ok());
    ASSERT_TRUE(tx.create_map({"users", Visibility::kPrivate, {}, {}}).ok());
    ASSERT_TRUE(store_->commit(tx).ok());
  }

  void put(const std::string& map, std::string_view k, std::string_view v) {
    auto tx = store_->begin(Principal::system());
    ASSERT_TRUE(tx.put(map, b(k), b(v)).ok());
    ASSERT_TRUE(store_->commit(tx).ok());
  }

  Principal contract(std::uint32_t id, char tenant = 'a') { return Principal::contract(id, tid(tenant)); }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::string counter_ = tenant_map("counter");
  std::string shared_ = tenant_map("shared");
  std::string public_ = tenant_map("public:prices");
};

TEST_F(StoreTest, ReadYourWritesAndCommittedReads) {
  auto tx = store_->begin(contract(7));
  ASSERT_TRUE(tx.put(counter_, b("n"), b("1")).ok());
  EXPECT_EQ(**tx.get(counter_, b("n")), b("1"));
  auto info = store_->commit(tx);
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->wrote);
  auto r = store_->begin(contract(7));
  EXPECT_EQ(**r.get(counter_, b("n")), b("1"));
  EXPECT_FALSE(r.get(counter_, b("absent"))->has_value());
  EXPECT_FALSE(tx.put(counter_, b("n"), b("2")).ok());  // a committed transaction is closed
}

TEST_F(StoreTest, ReadModifyWriteConflicts) {
  put(counter_, "n", "0");
  auto t1 = store_->begin(contract(7));
  auto t2 = store_->begin(contract(7));
  ASSERT_TRUE(t1.get(counter_, b("n")).ok());
  ASSERT_TRUE(t2.get(counter_, b("n")).ok());
  ASSERT_TRUE(t1.put(counter_, b("n"), b("1")).ok());
  ASSERT_TRUE(t2.put(counter_, b("n"), b("1")).ok());
  EXPECT_TRUE(store_->commit(t1).ok());
  auto second = store_->commit(t2);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kConflict);
  // The loser wrote nothing; a retry on a fresh snapshot succeeds.
  auto t3 = store_->begin(contract(7));
  EXPECT_EQ(**t3.get(counter_, b("n")), b("1"));
  ASSERT_TRUE(t3.put(counter_, b("n"), b("2")).ok());
  EXPECT_TRUE(store_->commit(t3).ok());
}

TEST_F(StoreTest, BlindWritesDoNotConflictLastWins) {
  auto t1 = store_->begin(contract(7));
  auto t2 = store_->begin(contract(7));
  ASSERT_TRUE(t1.put(counter_, b("k"), b("a")).ok());
  ASSERT_TRUE(t2.put(counter_, b("k"), b("b")).ok());
  EXPECT_TRUE(store_->commit(t1).ok());
  EXPECT_TRUE(store_->commit(t2).ok());
  auto r = store_->begin(contract(7));
  EXPECT_EQ(**r.get(counter_, b("k")), b("b"));
}

TEST_F(StoreTest, ReadWriteConflictAcrossKeys) {
  put(counter_, "a", "1");
  // t1 reads a and writes b; t2 writes a. t1 must not commit a decision based on a stale a.
  auto t1 = store_->begin(contract(7));
  ASSERT_TRUE(t1.get(counter_, b("a")).ok());
  ASSERT_TRUE(t1.put(counter_, b("b"), b("from-a=1")).ok());
  auto t2 = store_->begin(contract(7));
  ASSERT_TRUE(t2.put(counter_, b("a"), b("2")).ok());
  ASSERT_TRUE(store_->commit(t2).ok());
  EXPECT_EQ(store_->commit(t1).status().code(), ErrorCode::kConflict);
  EXPECT_FALSE(store_->begin(contract(7)).get(counter_, b("b"))->has_value());
}

TEST_F(StoreTest, PhantomOnAbsentKeyConflicts) {
  auto t1 = store_->begin(contract(7));
  ASSERT_FALSE(t1.get(counter_, b("new"))->has_value());
  ASSERT_TRUE(t1.put(counter_, b("created-because-absent"), b("1")).ok());
  put(counter_, "new", "x");
  EXPECT_EQ(store_->commit(t1).status().code(), ErrorCode::kConflict);
}

TEST_F(StoreTest, ScansReadTheSnapshotAndDoNotConflict) {
  for (char c = 'a'; c <= 'f'; ++c) put(counter_, std::string(1, c), std::string(1, c));
  auto t1 = store_->begin(contract(7));
  put(counter_, "c", "changed");  // after t1's snapshot
  put(counter_, "g", "new");
  auto rows = t1.scan(counter_, b("b"), b("e"), 10);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].first, b("b"));
  EXPECT_EQ((*rows)[1].second, b("c"));  // the snapshot's value
  EXPECT_EQ(t1.scan(counter_, b("a"), {}, 100)->size(), 6u);  // g is after the snapshot
  EXPECT_EQ(t1.scan(counter_, b("a"), {}, 2)->size(), 2u);
  // Own writes overlay the scan.
  ASSERT_TRUE(t1.put(counter_, b("bb"), b("mine")).ok());
  ASSERT_TRUE(t1.remove(counter_, b("d")).ok());
  auto overlay = t1.scan(counter_, b("b"), b("e"), 10);
  ASSERT_EQ(overlay->size(), 3u);
  EXPECT_EQ((*overlay)[1].first, b("bb"));
  EXPECT_EQ((*overlay)[2].first, b("c"));
  // remove() read d, so t1 conflicts only if d changes; the scan itself added nothing.
  ASSERT_TRUE(store_->commit(t1).ok());
  EXPECT_EQ(t1.scan(counter_, {}, {}, 1).status().code(), ErrorCode::kFailedPrecondition);
  auto t2 = store_->begin(contract(7));
  EXPECT_EQ(t2.scan(counter_, {}, {}, 0).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(StoreTest, SnapshotIsolationKeepsOldVersionsForOpenTransactions) {
  put(counter_, "k", "v1");
  auto reader = store_->begin(contract(7));
  for (int i = 2; i <= 5; ++i) put(counter_, "k", "v" + std::to_string(i));
  EXPECT_EQ(**reader.get(counter_, b("k")), b("v1"));
  auto fresh = store_->begin(contract(7));
  EXPECT_EQ(**fresh.get(counter_, b("k")), b("v5"));
}

TEST_F(StoreTest, RemoveReportsExistence) {
  put(counter_, "k", "v");
  auto tx = store_->begin(contract(7));
  EXPECT_TRUE(*tx.remove(counter_, b("k")));
  EXPECT_FALSE(*tx.remove(counter_, b("never")));
  EXPECT_FALSE(tx.get(counter_, b("k"))->has_value());
  ASSERT_TRUE(store_->commit(tx).ok());
  EXPECT_FALSE(store_->begin(contract(7)).get(counter_, b("k"))->has_value());
}

TEST_F(StoreTest, AclsAndTenantScoping) {
  // Writers may write and read; readers default to writers.
  auto w = store_->begin(contract(7));
  EXPECT_TRUE(w.put(counter_, b("k"), b("v")).ok());
  EXPECT_TRUE(w.get(counter_, b("k")).ok());
  // Not a writer.
  auto other = store_->begin(contract(9));
  EXPECT_EQ(other.put(counter_, b("k"), b("v")).code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(other.get(counter_, b("k")).status().code(), ErrorCode::kPermissionDenied);
  // Explicit readers: 8 may read shared_, not write it; 7 writes but may not read.
  auto reader = store_->begin(contract(8));
  EXPECT_TRUE(reader.get(shared_, b("k")).ok());
  EXPECT_EQ(reader.put(shared_, b("k"), b("v")).code(), ErrorCode::kPermissionDenied);
  auto writer = store_->begin(contract(7));
  EXPECT_EQ(writer.get(shared_, b("k")).status().code(), ErrorCode::kPermissionDenied);
  // Another tenant's map, even with the same contract id.
  auto foreign = store_->begin(contract(7, 'b'));
  auto denied = foreign.get(counter_, b("k"));
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.status().message().find("own tid"), std::string::npos);
  // System maps are refused to contracts.
  EXPECT_EQ(w.get("users", b("k")).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(w.get("t3n:maps", b("k")).status().code(), ErrorCode::kPermissionDenied);
  // A map that does not exist, and contracts cannot create maps.
  EXPECT_EQ(w.get(tenant_map("nope"), b("k")).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(w.create_map({tenant_map("mine"), Visibility::kPrivate, {7}, {}}).code(), ErrorCode::kPermissionDenied);
  // The system principal reaches system maps, but not the registry directly.
  auto sys = store_->begin(Principal::system());
  EXPECT_TRUE(sys.put("users", b("u1"), b("x")).ok());
  EXPECT_EQ(sys.put("t3n:maps", b("x"), b("y")).code(), ErrorCode::kPermissionDenied);
}

TEST_F(StoreTest, MapNamesAndSpecs) {
  auto sys = store_->begin(Principal::system());
  EXPECT_FALSE(sys.create_map({"z:abc:short", Visibility::kPrivate, {}, {}}).ok());
  EXPECT_FALSE(sys.create_map({"z:" + tid('A') + ":upper-tid", Visibility::kPrivate, {}, {}}).ok());
  EXPECT_FALSE(sys.create_map({tenant_map("bad name"), Visibility::kPrivate, {}, {}}).ok());
  EXPECT_FALSE(sys.create_map({tenant_map("public:x"), Visibility::kPrivate, {}, {}}).ok());  // name says public
  EXPECT_FALSE(sys.create_map({"Users", Visibility::kPrivate, {}, {}}).ok());
  EXPECT_EQ(sys.create_map({counter_, Visibility::kPrivate, {}, {}}).code(), ErrorCode::kAlreadyExists);
  EXPECT_TRUE(sys.create_map({"outbox_pending", Visibility::kPrivate, {}, {}}).ok());
  ASSERT_TRUE(store_->commit(sys).ok());
  auto spec = store_->map_spec(shared_);
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(spec->readers, std::vector<std::uint32_t>{8});
  EXPECT_TRUE(store_->map_spec("outbox_pending").has_value());
}

TEST_F(StoreTest, ConcurrentMapCreationConflicts) {
  auto a = store_->begin(Principal::system());
  auto c = store_->begin(Principal::system());
  ASSERT_TRUE(a.create_map({tenant_map("race"), Visibility::kPrivate, {1}, {}}).ok());
  ASSERT_TRUE(c.create_map({tenant_map("race"), Visibility::kPrivate, {2}, {}}).ok());
  EXPECT_TRUE(store_->commit(a).ok());
  EXPECT_FALSE(store_->commit(c).ok());
  EXPECT_EQ(store_->map_spec(tenant_map("race"))->writers, std::vector<std::uint32_t>{1});
}

TEST_F(StoreTest, PublicMapsReadableOutsideTransactions) {
  put(public_, "BTC", "100");
  put(counter_, "secret", "x");
  EXPECT_EQ(**store_->public_get(public_, b("BTC")), b("100"));
  EXPECT_FALSE(store_->public_get(public_, b("ETH"))->has_value());
  EXPECT_EQ(store_->public_get(counter_, b("secret")).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(store_->public_get(tenant_map("public:nope"), b("x")).status().code(), ErrorCode::kNotFound);
}

TEST_F(StoreTest, BadInputsAreClearErrors) {
  auto tx = store_->begin(contract(7));
  EXPECT_EQ(tx.set_claims_digest(Bytes(31, 0)).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(tx.set_claims_digest(Bytes(32, 1)).ok());
  EXPECT_EQ(tx.put(counter_, Bytes(kMaxKeySize + 1, 1), b("v")).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(tx.put(counter_, b("k"), Bytes(kMaxValueSize + 1, 1)).code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(tx.put("", b("k"), b("v")).code(), ErrorCode::kInvalidArgument);
}

TEST_F(StoreTest, BatchCommitValidatesInOrder) {
  put(counter_, "n", "0");
  std::vector<Transaction> batch;
  for (int i = 0; i < 3; ++i) {
    auto tx = store_->begin(contract(7));
    ASSERT_TRUE(tx.get(counter_, b("n")).ok());
    ASSERT_TRUE(tx.put(counter_, b("n"), b(std::to_string(i + 1))).ok());
    batch.push_back(std::move(tx));
  }
  auto blind = store_->begin(contract(7));
  ASSERT_TRUE(blind.put(counter_, b("other"), b("x")).ok());
  batch.push_back(std::move(blind));
  auto read_only = store_->begin(contract(7));
  ASSERT_TRUE(read_only.get(counter_, b("n")).ok());
  batch.push_back(std::move(read_only));
  const Seqno before = store_->last_seqno();
  auto results = store_->commit_batch(batch);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].status().code(), ErrorCode::kConflict);  // read n before tx 0 wrote it
  EXPECT_EQ(results[2].status().code(), ErrorCode::kConflict);
  EXPECT_TRUE(results[3].ok());
  ASSERT_TRUE(results[4].ok());
  EXPECT_FALSE(results[4]->wrote);
  EXPECT_EQ(results[0]->seqno, before + 1);
  EXPECT_EQ(results[3]->seqno, before + 2);
  EXPECT_EQ(store_->last_seqno(), before + 2);
}

TEST_F(StoreTest, ConcurrentTransactionsOnThreads) {
  put(counter_, "n", "0");
  constexpr int kThreads = 4, kIncrements = 50;
  std::vector<std::thread> threads;
  std::atomic<int> conflicts{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements;) {
        auto tx = store_->begin(contract(7));
        auto v = tx.get(counter_, b("n"));
        if (!v.ok()) return;
        const int n = std::stoi(common::to_string(**v));
        if (!tx.put(counter_, b("n"), b(std::to_string(n + 1))).ok()) return;
        auto r = store_->commit(tx);
        if (r.ok()) ++i;
        else if (r.status().code() == ErrorCode::kConflict) ++conflicts;
        else return;
      }
    });
  }
  for (auto& t : threads) t.join();
  auto r = store_->begin(contract(7));
  EXPECT_EQ(common::to_string(**r.get(counter_, b("n"))), std::to_string(kThreads * kIncrements));
}

TEST_F(StoreTest, ReceiptsVerifyOfflineAndFailWhenAnyByteChanges) {
  auto tx = store_->begin(contract(7));
  ASSERT_TRUE(tx.put(counter_, b("k"), b("v")).ok());
  ASSERT_TRUE(tx.set_claims_digest(crypto::sha256(b("claims"))).ok());
  auto info = store_->commit(tx);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(store_->receipt(info->seqno).status().code(), ErrorCode::kUnavailable);  // not signed yet
  ASSERT_TRUE(store_->sign_now().ok());
  auto receipt = store_->receipt(info->seqno);
  ASSERT_TRUE(receipt.ok()) << receipt.status().to_string();
  EXPECT_EQ(receipt->claims_digest, crypto::sha256(b("claims")));
  EXPECT_TRUE(verify_receipt(*receipt).ok());
  const auto& keys = *test_signing_keys();
  EXPECT_TRUE(verify_receipt(*receipt, TrustedNodeKeys{keys.ed25519.public_key(), keys.mldsa.public_key}).ok());
  EXPECT_FALSE(verify_receipt(*receipt, TrustedNodeKeys{Bytes(32, 1), keys.mldsa.public_key}).ok());

  // Through JSON, then every hex/base64 character of the encoding changed.
  const std::string text = receipt_to_json(*receipt).dump();
  auto parsed = receipt_from_json(common::Json::parse(text));
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(verify_receipt(*parsed).ok());
  std::size_t tried = 0, rejected = 0;
  for (std::size_t i = 0; i < text.size(); i += 3) {
    std::string bad = text;
    char& c = bad[i];
    if (!std::isxdigit(static_cast<unsigned char>(c)) && !std::isalpha(static_cast<unsigned char>(c))) continue;
    c = (c == 'a') ? 'b' : 'a';
    auto j = common::parse_json(bad);
    if (!j.ok()) continue;  // a changed field name: not a receipt any more
    ++tried;
    auto r = receipt_from_json(*j);
    if (!r.ok() || !verify_receipt(*r).ok()) ++rejected;
  }
  EXPECT_GT(tried, 1000u);
  EXPECT_EQ(rejected, tried);
  // Every entry before the signature has a receipt.
  for (Seqno s = 1; s <= info->seqno; ++s) EXPECT_TRUE(verify_receipt(*store_->receipt(s)).ok()) << s;
}

TEST_F(StoreTest, StateProofsForPresentAndAbsentKeys) {
  put(public_, "present", "value");
  auto p = store_->prove(public_, b("present"));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->proof.proves_inclusion());
  EXPECT_EQ(*p->value, b("value"));
  EXPECT_EQ(*p->proof.value_hash, state_value_hash(p->version, b("value")));
  EXPECT_EQ(p->proof.key_hash, state_key_hash(public_, b("present")));
  EXPECT_TRUE(verify_state_proof(p->proof, p->state_root).ok());
  EXPECT_EQ(p->state_root, store_->state_root());
  auto absent = store_->prove(public_, b("absent"));
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->proof.proves_inclusion());
  EXPECT_TRUE(verify_state_proof(absent->proof, absent->state_root).ok());
  // Private maps are not proven.
  EXPECT_EQ(store_->prove(counter_, b("present")).status().code(), ErrorCode::kPermissionDenied);
  // The signed state root is the one proofs check against.
  ASSERT_TRUE(store_->sign_now().ok());
  auto signed_entry = store_->entry(store_->last_seqno());
  ASSERT_TRUE(signed_entry.ok());
  EXPECT_EQ(std::get<SignatureBody>(signed_entry->body).state_root, p->state_root);
}

TEST_F(StoreTest, ApplyingEntriesElsewhereGivesTheSameRoots) {
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    auto tx = store_->begin(contract(7));
    const int n = static_cast<int>(rng() % 5) + 1;
    for (int j = 0; j < n; ++j) {
      const std::string key = "k" + std::to_string(rng() % 50);
      if (rng() % 4 == 0) {
        ASSERT_TRUE(tx.remove(counter_, b(key)).ok());
      } else {
        ASSERT_TRUE(tx.put(counter_, b(key), b(std::to_string(rng()))).ok());
      }
    }
    ASSERT_TRUE(store_->commit(tx).ok());
    if (i % 50 == 49) {
      ASSERT_TRUE(store_->sign_now().ok());
    }
  }
  TempDir other_dir;
  auto replica = Store::open(options_for(other_dir.path()));
  ASSERT_TRUE(replica.ok());
  for (Seqno s = 1; s <= store_->last_seqno(); ++s) {
    auto e = store_->entry(s);
    ASSERT_TRUE(e.ok());
    ASSERT_TRUE((*replica)->apply(*e).ok()) << s;
  }
  EXPECT_EQ((*replica)->state_root(), store_->state_root());
  EXPECT_EQ((*replica)->history_root(), store_->history_root());
  // Out-of-order entries are refused.
  auto first = store_->entry(1);
  EXPECT_EQ((*replica)->apply(*first).code(), ErrorCode::kFailedPrecondition);
  // A signature entry that disagrees with the replica's state is refused.
  auto tx = store_->begin(contract(7));
  ASSERT_TRUE(tx.put(counter_, b("diverge"), b("1")).ok());
  ASSERT_TRUE(store_->commit(tx).ok());
  ASSERT_TRUE(store_->sign_now().ok());
  auto sig = store_->entry(store_->last_seqno());
  ASSERT_TRUE(sig.ok() && sig->is_signature());
  sig->seqno = (*replica)->last_seqno() + 1;
  EXPECT_FALSE((*replica)->apply(*sig).ok());
}

TEST(LedgerEntry, EncodingRoundTripsAndRejectsCorruption) {
  LedgerEntry e;
  e.seqno = 42;
  e.timestamp_ms = 99;
  e.key_epoch = 3;
  e.body = TransactionBody{crypto::sha256(b("c")), {{"a", b("k1"), b("v")}, {"a", b("k2"), std::nullopt}}};
  Bytes enc = encode_entry(e);
  auto dec = decode_entry(enc);
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ(*dec, e);
  for (std::size_t cut = 0; cut < enc.size(); ++cut)
    EXPECT_FALSE(decode_entry(ByteView(enc).first(cut)).ok()) << cut;
  Bytes extra = enc;
  extra.push_back(0);
  EXPECT_FALSE(decode_entry(extra).ok());
  LedgerEntry unsorted = e;
  std::swap(std::get<TransactionBody>(unsorted.body).writes[0], std::get<TransactionBody>(unsorted.body).writes[1]);
  EXPECT_FALSE(decode_entry(encode_entry(unsorted)).ok());
  Bytes bad_kind = enc;
  bad_kind[1] = 9;
  EXPECT_FALSE(decode_entry(bad_kind).ok());
}

// tee:tenant maps: "all" writers, deny-all readers, extra grants across
// tenants, key rules, and ACL updates that conflict like writes.
TEST_F(StoreTest, TenantMapAclsGrantsAndKeyRules) {
  const std::string m = tenant_map("tm");
  {
    auto sys = store_->begin(Principal::system());
    MapSpec spec{m, Visibility::kPrivate, {}, {}};
    spec.any_writer = true;
    spec.readers_listed = true;  // readers omitted: nobody reads
    spec.key_rule.prefix = "k-";
    spec.key_rule.charset = KeyRule::Charset::kAlnum;
    ASSERT_TRUE(sys.create_map(spec).ok());
    ASSERT_TRUE(store_->commit(sys).ok());
  }
  MapSpec spec;
  {  // transactions end before the store is reopened below
    auto w = store_->begin(contract(42));
    EXPECT_TRUE(w.put(m, b("k-1"), b("v")).ok());                                 // any contract of the tenant writes
    EXPECT_EQ(w.put(m, b("x-1"), b("v")).code(), ErrorCode::kInvalidArgument);   // prefix
    EXPECT_EQ(w.put(m, b("k-1 2"), b("v")).code(), ErrorCode::kInvalidArgument); // charset
    EXPECT_EQ(w.get(m, b("k-1")).status().code(), ErrorCode::kPermissionDenied); // nobody reads
    ASSERT_TRUE(store_->commit(w).ok());
    auto other_tenant = store_->begin(contract(42, 'b'));
    EXPECT_EQ(other_tenant.put(m, b("k-2"), b("v")).code(), ErrorCode::kPermissionDenied);
    // Two updates of one map from the same snapshot: the second conflicts.
    auto u1 = store_->begin(Principal::system());
    auto u2 = store_->begin(Principal::system());
    spec = *store_->map_spec(m);
    spec.any_reader = true;
    spec.extra_readers = {9};
    ASSERT_TRUE(u1.update_map(spec).ok());
    ASSERT_TRUE(u2.update_map(spec).ok());
    ASSERT_TRUE(store_->commit(u1).ok());
    EXPECT_EQ(store_->commit(u2).status().code(), ErrorCode::kConflict);
    auto r = store_->begin(contract(42));
    EXPECT_EQ(**r.get(m, b("k-1")), b("v"));
    auto cross = store_->begin(Principal::contract(9, tid('b')));  // another tenant's contract, granted
    EXPECT_EQ(**cross.get(m, b("k-1")), b("v"));
    EXPECT_EQ(cross.put(m, b("k-3"), b("v")).code(), ErrorCode::kPermissionDenied);  // read grant only
    auto vis = *store_->map_spec(m);
    vis.visibility = Visibility::kPublic;
    auto u3 = store_->begin(Principal::system());
    EXPECT_EQ(u3.update_map(vis).code(), ErrorCode::kInvalidArgument);  // visibility is for good
  }
  // The spec survives a reopen (ledger replay of a v2 spec).
  store_.reset();
  auto reopened = Store::open(options_for(dir_.path()));
  ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
  EXPECT_EQ(*(*reopened)->map_spec(m), spec);
}

}  // namespace
}  // namespace t3n::store

namespace t3n::store {
namespace {

// contracts-call's rollback: nested savepoints undo only what came after
// them; a nested call runs as its own contract and the caller's principal
// is back afterwards.
TEST_F(StoreTest, NestedSavepointsUndoOnlyTheInnerWrites) {
  const std::string a = tenant_map("sa");
  const std::string bmap = tenant_map("sb", 'b');
  {
    auto sys = store_->begin(Principal::system());
    ASSERT_TRUE(sys.create_map(MapSpec{a, Visibility::kPrivate, {1}, {1}}).ok());
    ASSERT_TRUE(sys.create_map(MapSpec{bmap, Visibility::kPrivate, {2}, {2}}).ok());
    ASSERT_TRUE(store_->commit(sys).ok());
  }
  auto tx = store_->begin(contract(1));
  ASSERT_TRUE(tx.put(a, b("outer"), b("1")).ok());
  auto sp1 = tx.savepoint();
  Status inner = tx.as_contract(Principal::contract(2, std::string(40, 'b')), [&] {
    EXPECT_EQ(tx.principal().contract_id(), 2u);
    EXPECT_EQ(tx.put(a, b("x"), b("no")).code(), ErrorCode::kPermissionDenied) << "the inner contract has its own ACLs";
    EXPECT_TRUE(tx.put(bmap, b("kept"), b("2")).ok());
    auto sp2 = tx.savepoint();
    EXPECT_TRUE(tx.put(bmap, b("undone"), b("3")).ok());
    EXPECT_TRUE(tx.set_claims_digest(Bytes(32, 9)).ok());
    tx.rollback_to(std::move(sp2));  // the innermost call trapped
    return Status{};
  });
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(tx.principal().contract_id(), 1u) << "the caller's principal is back";
  EXPECT_EQ(tx.put(bmap, b("y"), b("no")).code(), ErrorCode::kPermissionDenied);
  ASSERT_TRUE(tx.put(a, b("after"), b("4")).ok());
  ASSERT_TRUE(store_->commit(tx).ok());
  auto check = store_->begin(Principal::system());
  EXPECT_TRUE(check.get(a, b("outer")).value().has_value());
  EXPECT_TRUE(check.get(a, b("after")).value().has_value());
  EXPECT_TRUE(check.get(bmap, b("kept")).value().has_value());
  EXPECT_FALSE(check.get(bmap, b("undone")).value().has_value());

  // Rolling back to the first savepoint drops everything after it.
  auto tx2 = store_->begin(contract(1));
  ASSERT_TRUE(tx2.put(a, b("before"), b("1")).ok());
  auto sp = tx2.savepoint();
  ASSERT_TRUE(tx2.put(a, b("later"), b("2")).ok());
  tx2.rollback_to(std::move(sp));
  ASSERT_TRUE(store_->commit(tx2).ok());
  auto check2 = store_->begin(Principal::system());
  EXPECT_TRUE(check2.get(a, b("before")).value().has_value());
  EXPECT_FALSE(check2.get(a, b("later")).value().has_value());
  (void)sp1;
}

}  // namespace
}  // namespace t3n::store
