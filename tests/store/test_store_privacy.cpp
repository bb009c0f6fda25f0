// What receipts and proofs reveal about private maps, proofs that do not
// hold up commits, and old versions that are let go.
#include <gtest/gtest.h>

#include <chrono>
#include <future>

#include "store/store.h"
#include "store/store_test_util.h"

namespace t3n::store {
namespace {

using namespace t3n::store::testing;

void create(Store& s, const std::string& map, Visibility v = Visibility::kPrivate) {
  auto tx = s.begin(Principal::system());
  ASSERT_TRUE(tx.create_map({map, v, {1}, {}}).ok());
  ASSERT_TRUE(s.commit(tx).ok());
}

Seqno put(Store& s, const std::string& map, std::string_view k, std::string_view v) {
  auto tx = s.begin(Principal::system());
  EXPECT_TRUE(tx.put(map, b(k), b(v)).ok());
  auto r = s.commit(tx);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? r->seqno : 0;
}

void remove(Store& s, const std::string& map, std::string_view k) {
  auto tx = s.begin(Principal::system());
  EXPECT_TRUE(tx.remove(map, b(k)).ok());
  EXPECT_TRUE(s.commit(tx).ok());
}

// The plain SHA-256 an observer would compute over a guessed write-set.
Digest32 plain_write_set_hash(const LedgerEntry& e) {
  const Bytes enc = encode_entry(e);
  return crypto::sha256(ByteView(enc).subspan(22));  // after format, kind, seqno, timestamp, epoch
}

const std::string kSecretMap = tenant_map("salaries");
const std::string kPublicMap = tenant_map("public:prices");

// A store with one private write (alice's salary) signed, and its receipt.
struct SalaryLedger {
  TempDir dir;
  std::unique_ptr<Store> store;
  Seqno seqno = 0;
  Receipt receipt;

  explicit SalaryLedger(std::uint8_t secret_fill) {
    auto o = options_for(dir.path());
    o.ledger_secrets[0] = secret(0, secret_fill);
    store = must_open(std::move(o));
    create(*store, kSecretMap);
    seqno = put(*store, kSecretMap, "alice", "123456");
    EXPECT_TRUE(store->sign_now().ok());
    auto r = store->receipt(seqno);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (r.ok()) receipt = *r;
  }
};

TEST(StorePrivacy, AReceiptDoesNotConfirmAGuessedPrivateValue) {
  SalaryLedger ledger(0x11);
  ASSERT_TRUE(verify_receipt(ledger.receipt).ok());
  // The observer guesses the write-set exactly (map, key and value) and
  // hashes it: the receipt's digest does not match, so the guess is not confirmed.
  auto entry = ledger.store->entry(ledger.seqno);
  ASSERT_TRUE(entry.ok());
  EXPECT_NE(ledger.receipt.write_set_digest, plain_write_set_hash(*entry));
  LedgerEntry guess = *entry;
  std::get<TransactionBody>(guess.body).writes[0].value = b("654321");
  EXPECT_NE(ledger.receipt.write_set_digest, plain_write_set_hash(guess));
  // The digest is keyed by the ledger secret: the same ledger under another
  // secret has another digest; under the same secret, the same one (replicas agree).
  SalaryLedger other(0x12), same(0x11);
  EXPECT_NE(other.receipt.write_set_digest, ledger.receipt.write_set_digest);
  EXPECT_EQ(same.receipt.write_set_digest, ledger.receipt.write_set_digest);
  EXPECT_EQ(same.store->state_root(), ledger.store->state_root());
}

// All the hashes a proof shows.
std::vector<Digest32> hashes_in(const StateProof& p) {
  std::vector<Digest32> out{p.key_hash, p.private_root};
  if (p.value_hash) out.push_back(*p.value_hash);
  if (p.other_leaf) {
    out.push_back(p.other_leaf->first);
    out.push_back(p.other_leaf->second);
  }
  for (const auto& l : p.levels) out.insert(out.end(), l.siblings.begin(), l.siblings.end());
  return out;
}

Digest32 plain_leaf_hash(const Digest32& kh, const Digest32& vh) {
  Bytes buf{0x00};
  buf.insert(buf.end(), kh.begin(), kh.end());
  buf.insert(buf.end(), vh.begin(), vh.end());
  return crypto::sha256(buf);
}

TEST(StorePrivacy, AProofOfAPublicKeyRevealsNothingOfItsPrivateNeighbour) {
  TempDir dir;
  auto s = must_open(options_for(dir.path()));
  create(*s, kSecretMap);
  create(*s, kPublicMap, Visibility::kPublic);
  put(*s, kPublicMap, "BTC", "100");
  // A private key whose plain key hash shares the first byte with the absent
  // public key's: in one shared tree it would sit on that key's proof path.
  const Bytes absent = b("no-such-coin");
  const Digest32 absent_hash = state_key_hash(kPublicMap, absent);
  std::string neighbour;
  for (int i = 0; neighbour.empty(); ++i) {
    const std::string k = "employee-" + std::to_string(i);
    if (state_key_hash(kSecretMap, b(k))[0] == absent_hash[0]) neighbour = k;
  }
  const Seqno version = put(*s, kSecretMap, neighbour, "salary 99999");
  const Digest32 kh = state_key_hash(kSecretMap, b(neighbour));
  const Digest32 vh = state_value_hash(version, b("salary 99999"));
  const Digest32 leaf = plain_leaf_hash(kh, vh);

  auto p = s->prove(kPublicMap, absent);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  ASSERT_FALSE(p->proof.proves_inclusion());
  EXPECT_TRUE(verify_state_proof(p->proof, p->state_root).ok());
  for (const auto& h : hashes_in(p->proof)) {
    EXPECT_NE(h, kh);
    EXPECT_NE(h, vh);
    EXPECT_NE(h, leaf);
  }
  // A neighbouring leaf, if shown, is public data.
  if (p->proof.other_leaf) {
    EXPECT_EQ(p->proof.other_leaf->first, state_key_hash(kPublicMap, b("BTC")));
  }
  // And it folds to the root that gets signed.
  ASSERT_TRUE(s->sign_now().ok());
  auto sig = s->entry(s->last_seqno());
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(verify_state_proof(p->proof, std::get<SignatureBody>(sig->body).state_root).ok());
  // Private keys are not proven at all.
  EXPECT_EQ(s->prove(kSecretMap, b(neighbour)).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(s->prove(tenant_map("public:nope"), absent).status().code(), ErrorCode::kNotFound);
}

TEST(StorePrivacy, APublicInclusionProofVerifiesAgainstTheSignedRoot) {
  TempDir dir;
  auto s = must_open(options_for(dir.path()));
  create(*s, kSecretMap);
  create(*s, kPublicMap, Visibility::kPublic);
  for (int i = 0; i < 30; ++i) {
    put(*s, kPublicMap, "coin" + std::to_string(i), std::to_string(i * 10));
    put(*s, kSecretMap, "person" + std::to_string(i), "secret " + std::to_string(i));
  }
  ASSERT_TRUE(s->sign_now().ok());
  auto sig = s->entry(s->last_seqno());
  ASSERT_TRUE(sig.ok());
  const Digest32 signed_root = std::get<SignatureBody>(sig->body).state_root;
  auto p = s->prove(kPublicMap, b("coin7"));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->proof.proves_inclusion());
  EXPECT_EQ(p->state_root, signed_root);
  EXPECT_EQ(*p->value, b("70"));
  EXPECT_EQ(*p->proof.value_hash, state_value_hash(p->version, b("70")));  // what a client recomputes
  auto parsed = state_proof_from_json(state_proof_to_json(p->proof));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(verify_state_proof(*parsed, signed_root).ok());
  // A private write moves the signed root (through the private root) and
  // leaves the public part of the proof alone.
  put(*s, kSecretMap, "person0", "changed");
  auto q = s->prove(kPublicMap, b("coin7"));
  ASSERT_TRUE(q.ok());
  EXPECT_NE(q->state_root, p->state_root);
  EXPECT_NE(q->proof.private_root, p->proof.private_root);
  EXPECT_EQ(*state_proof_tree_root(q->proof), *state_proof_tree_root(p->proof));
}

TEST(StorePrivacy, RootsAreDeterministicAcrossReplicasReplayAndKeyRotation) {
  TempDir dir;
  auto o = options_for(dir.path());
  auto s = must_open(std::move(o));
  create(*s, kSecretMap);
  create(*s, kPublicMap, Visibility::kPublic);
  for (int i = 0; i < 20; ++i) {
    put(*s, kPublicMap, "coin" + std::to_string(i % 7), std::to_string(i));
    put(*s, kSecretMap, "person" + std::to_string(i % 5), std::to_string(i));
    if (i % 6 == 5) remove(*s, kSecretMap, "person" + std::to_string(i % 5));
    if (i == 9) {
      ASSERT_TRUE(s->sign_now().ok());
      ASSERT_TRUE(s->rotate_ledger_secret(secret(1, 0x22)).ok());  // the private tree is rekeyed
    }
  }
  ASSERT_TRUE(s->sign_now().ok());
  const Digest32 state_root = s->state_root(), history_root = s->history_root();

  TempDir other;
  auto ro = options_for(other.path());
  ro.ledger_secrets.push_back(secret(1, 0x22));
  auto replica = must_open(std::move(ro));
  for (Seqno q = 1; q <= s->last_seqno(); ++q) {
    auto e = s->entry(q);
    ASSERT_TRUE(e.ok());
    ASSERT_TRUE(replica->apply(*e).ok()) << q;  // signature entries are checked against the replica's roots
  }
  EXPECT_EQ(replica->state_root(), state_root);
  EXPECT_EQ(replica->history_root(), history_root);
  s.reset();
  auto reopened_options = options_for(dir.path());
  reopened_options.ledger_secrets.push_back(secret(1, 0x22));
  auto reopened = must_open(std::move(reopened_options));
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->state_root(), state_root);
}

TEST(StorePrivacy, AppliedEntriesThatWouldMoveAMapBetweenTreesAreRefused) {
  TempDir dir, other;
  auto s = must_open(options_for(dir.path()));
  create(*s, kSecretMap);
  auto replica = must_open(options_for(other.path()));
  auto e = s->entry(1);
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE(replica->apply(*e).ok());
  // The same map announced again as public.
  LedgerEntry flip = *e;
  flip.seqno = 2;
  auto& w = std::get<TransactionBody>(flip.body).writes[0];
  w.value->at(1 + 4 + kSecretMap.size()) = 1;  // u8 version ‖ string name ‖ u8 visibility
  EXPECT_EQ(replica->apply(flip).code(), ErrorCode::kInvalidArgument);
  // A write to a map nobody created.
  LedgerEntry orphan = *e;
  orphan.seqno = 2;
  std::get<TransactionBody>(orphan.body).writes = {{tenant_map("nobody"), b("k"), b("v")}};
  EXPECT_EQ(replica->apply(orphan).code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(replica->last_seqno(), 1u);
}

TEST(StoreConcurrency, AProofInProgressDoesNotHoldUpACommit) {
  TempDir dir;
  auto o = options_for(dir.path());
  Store* store = nullptr;
  bool committed_during_proof = false;
  std::future<Seqno> done;  // outlives the hook: waiting for it there could deadlock a broken prove()
  o.prove_hook = [&] {
    // Inside prove(), after its snapshot: a commit on another thread must
    // finish now. (Were prove() holding the state lock, it could not.)
    done = std::async(std::launch::async, [&] { return put(*store, kPublicMap, "BTC", "200"); });
    committed_during_proof = done.wait_for(std::chrono::seconds(20)) == std::future_status::ready;
  };
  auto s = must_open(std::move(o));
  store = s.get();
  create(*s, kPublicMap, Visibility::kPublic);
  const Seqno v1 = put(*s, kPublicMap, "BTC", "100");
  auto p = s->prove(kPublicMap, b("BTC"));
  ASSERT_TRUE(done.valid());
  const Seqno commit_seqno = done.get();
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(committed_during_proof);
  EXPECT_EQ(commit_seqno, v1 + 1);
  EXPECT_EQ(s->last_seqno(), v1 + 1);
  // The proof is of the snapshot it started from, and verifies against it.
  EXPECT_EQ(p->seqno, v1);
  EXPECT_EQ(*p->value, b("100"));
  EXPECT_EQ(p->version, v1);
  EXPECT_TRUE(verify_state_proof(p->proof, p->state_root).ok());
  EXPECT_NE(p->state_root, s->state_root());
}

TEST(StoreMemory, RemovedKeysLeaveNothingBehind) {
  TempDir dir;
  auto s = must_open(options_for(dir.path()));
  create(*s, kSecretMap);
  create(*s, kPublicMap, Visibility::kPublic);
  const StoreStats base = s->stats();
  for (int i = 0; i < 100; ++i) {
    put(*s, kSecretMap, "k" + std::to_string(i), "v");
    put(*s, kPublicMap, "k" + std::to_string(i), "v");
  }
  for (int i = 0; i < 100; ++i) put(*s, kSecretMap, "k" + std::to_string(i), "v2");  // superseded versions
  EXPECT_EQ(s->stats().live_keys, base.live_keys + 200);
  EXPECT_EQ(s->stats().versions, base.versions + 200);
  for (int i = 0; i < 100; ++i) {
    remove(*s, kSecretMap, "k" + std::to_string(i));
    remove(*s, kPublicMap, "k" + std::to_string(i));
  }
  const StoreStats after = s->stats();
  EXPECT_EQ(after.keys, base.keys);
  EXPECT_EQ(after.live_keys, base.live_keys);
  EXPECT_EQ(after.versions, base.versions);
  EXPECT_EQ(after.pending_prunes, 0u);
  EXPECT_EQ(after.public_leaves, base.public_leaves);
  EXPECT_EQ(after.private_leaves, base.private_leaves);
}

TEST(StoreMemory, VersionsAnOpenSnapshotNeedsAreKeptThenLetGo) {
  TempDir dir;
  auto s = must_open(options_for(dir.path()));
  create(*s, kSecretMap);
  put(*s, kSecretMap, "kept", "old");
  const StoreStats base = s->stats();
  {
    auto reader = s->begin(Principal::system());
    put(*s, kSecretMap, "kept", "new");
    remove(*s, kSecretMap, "kept");
    for (int i = 0; i < 50; ++i) {
      put(*s, kSecretMap, "gone" + std::to_string(i), "v");
      remove(*s, kSecretMap, "gone" + std::to_string(i));
    }
    EXPECT_EQ(**reader.get(kSecretMap, b("kept")), b("old"));  // still there for the snapshot
    EXPECT_FALSE(reader.get(kSecretMap, b("gone0"))->has_value());
    EXPECT_GT(s->stats().versions, base.versions);
    EXPECT_EQ(s->stats().open_snapshots, 1u);
  }  // the snapshot closes; the next commit lets go of what only it needed
  put(*s, kSecretMap, "other", "x");
  const StoreStats after = s->stats();
  EXPECT_EQ(after.open_snapshots, 0u);
  EXPECT_EQ(after.keys, base.keys);  // "kept" is removed, "other" added
  EXPECT_EQ(after.versions, base.versions);
  EXPECT_FALSE(s->begin(Principal::system()).get(kSecretMap, b("kept"))->has_value());
  // A transaction that read a key as absent does not conflict just because
  // its removal was pruned meanwhile.
  auto t = s->begin(Principal::system());
  ASSERT_FALSE(t.get(kSecretMap, b("kept"))->has_value());
  ASSERT_TRUE(t.put(kSecretMap, b("kept"), b("again")).ok());
  put(*s, kSecretMap, "unrelated", "y");
  EXPECT_TRUE(s->commit(t).ok());
}

}  // namespace
}  // namespace t3n::store
