#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <random>

#include "store/history_tree.h"
#include "store/state_tree.h"

namespace t3n::store {
namespace {

Digest32 d(std::uint64_t i) {
  Bytes b;
  common::append_u64_be(b, i);
  return crypto::sha256(b);
}

// RFC 9162 §2.1.1 MTH, written directly from the definition.
Digest32 naive_mth(const std::vector<Digest32>& leaves, std::size_t lo, std::size_t hi) {
  if (hi - lo == 1) return history_leaf_hash(leaves[lo]);
  std::size_t k = std::bit_floor(hi - lo - 1);
  return history_node_hash(naive_mth(leaves, lo, lo + k), naive_mth(leaves, lo + k, hi));
}

TEST(HistoryTree, RootsMatchTheRfcDefinitionAtEverySize) {
  HistoryTree t;
  std::vector<Digest32> leaves;
  EXPECT_EQ(t.root(), crypto::sha256({}));
  for (std::uint64_t n = 1; n <= 70; ++n) {
    leaves.push_back(d(n));
    t.append(leaves.back());
    EXPECT_EQ(t.root(), naive_mth(leaves, 0, leaves.size())) << n;
  }
  for (std::uint64_t n = 1; n <= 70; ++n) EXPECT_EQ(*t.root(n), naive_mth(leaves, 0, n)) << n;
  EXPECT_FALSE(t.root(71).ok());
}

TEST(HistoryTree, EveryInclusionProofVerifiesAndNoForgeryDoes) {
  HistoryTree t;
  std::vector<Digest32> leaves;
  for (std::uint64_t n = 1; n <= 33; ++n) {
    leaves.push_back(d(n));
    t.append(leaves.back());
  }
  for (std::uint64_t size = 1; size <= 33; ++size) {
    const Digest32 root = *t.root(size);
    for (std::uint64_t i = 0; i < size; ++i) {
      auto path = t.inclusion_proof(i, size);
      ASSERT_TRUE(path.ok());
      ASSERT_TRUE(verify_history_inclusion(leaves[i], i, size, *path, root).ok()) << i << "/" << size;
      if (size > 1) {
        EXPECT_FALSE(verify_history_inclusion(leaves[(i + 1) % size], i, size, *path, root).ok());
      }
      if (!path->empty()) {
        auto bad = *path;
        bad[0][5] ^= 1;
        EXPECT_FALSE(verify_history_inclusion(leaves[i], i, size, bad, root).ok());
        auto shorter = *path;
        shorter.pop_back();
        EXPECT_FALSE(verify_history_inclusion(leaves[i], i, size, shorter, root).ok());
      }
      auto longer = *path;
      longer.push_back(d(999));
      EXPECT_FALSE(verify_history_inclusion(leaves[i], i, size, longer, root).ok());
    }
  }
  EXPECT_FALSE(t.inclusion_proof(5, 5).ok());
  EXPECT_FALSE(verify_history_inclusion(leaves[0], 3, 3, {}, *t.root(3)).ok());
}

TEST(StateTree, RootIsIndependentOfUpdateOrder) {
  std::vector<std::pair<Digest32, Digest32>> kv;
  for (int i = 0; i < 300; ++i) kv.emplace_back(d(static_cast<std::uint64_t>(i)), d(1000 + static_cast<std::uint64_t>(i)));
  StateTree a, b;
  for (const auto& [k, v] : kv) a.update(k, v);
  std::mt19937 rng(42);
  auto shuffled = kv;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  // b gets extra keys inserted and deleted along the way.
  for (std::size_t i = 0; i < shuffled.size(); ++i) {
    b.update(shuffled[i].first, shuffled[i].second);
    b.update(d(5000 + i), d(1));
    if (i % 3 == 0) b.update(d(5000 + i), std::nullopt);
  }
  for (std::size_t i = 0; i < shuffled.size(); ++i) b.update(d(5000 + i), std::nullopt);
  EXPECT_EQ(a.leaf_count(), 300u);
  EXPECT_EQ(b.leaf_count(), 300u);
  EXPECT_EQ(a.root(), b.root());
  // Deleting everything returns to the empty root.
  for (const auto& [k, v] : kv) b.update(k, std::nullopt);
  EXPECT_EQ(b.root(), Digest32{});
}

// A proof from a lone tree verifies against the state root it is part of,
// with this tree as the public one and an arbitrary private root.
constexpr Digest32 kPrivateRoot = [] {
  Digest32 r{};
  r[0] = 0x5a;
  return r;
}();
Digest32 on_signed(const Digest32& tree_root) { return combined_state_root(tree_root, kPrivateRoot); }
StateProof with_private(StateProof p) {
  p.private_root = kPrivateRoot;
  return p;
}

TEST(StateTree, InclusionAndNonInclusionProofsVerify) {
  StateTree t;
  {
    auto empty = with_private(t.prove(d(1)));
    EXPECT_FALSE(empty.proves_inclusion());
    EXPECT_TRUE(verify_state_proof(empty, on_signed(t.root())).ok());
  }
  for (int i = 0; i < 500; ++i) t.update(d(static_cast<std::uint64_t>(i)), d(static_cast<std::uint64_t>(i) + 7));
  const Digest32 root = on_signed(t.root());
  for (int i = 0; i < 500; i += 7) {
    auto p = with_private(t.prove(d(static_cast<std::uint64_t>(i))));
    ASSERT_TRUE(p.proves_inclusion());
    EXPECT_EQ(*p.value_hash, d(static_cast<std::uint64_t>(i) + 7));
    EXPECT_TRUE(verify_state_proof(p, root).ok()) << i;
    // JSON round trip.
    auto again = state_proof_from_json(state_proof_to_json(p));
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(verify_state_proof(*again, root).ok());
  }
  int other_leaf = 0, empty_slot = 0;
  for (int i = 1000; i < 1200; ++i) {
    auto p = with_private(t.prove(d(static_cast<std::uint64_t>(i))));
    ASSERT_FALSE(p.proves_inclusion());
    EXPECT_TRUE(verify_state_proof(p, root).ok()) << i;
    (p.other_leaf ? other_leaf : empty_slot)++;
  }
  EXPECT_GT(other_leaf, 0);
  EXPECT_GT(empty_slot, 0);
}

TEST(StateTree, EveryTamperedProofFails) {
  StateTree t;
  for (int i = 0; i < 100; ++i) t.update(d(static_cast<std::uint64_t>(i)), d(static_cast<std::uint64_t>(i) + 1));
  const Digest32 root = on_signed(t.root());
  auto p = with_private(t.prove(d(42)));
  ASSERT_TRUE(verify_state_proof(p, root).ok());
  // Claim another value.
  auto q = p;
  (*q.value_hash)[0] ^= 1;
  EXPECT_FALSE(verify_state_proof(q, root).ok());
  // Claim absence of a present key.
  q = p;
  q.value_hash.reset();
  EXPECT_FALSE(verify_state_proof(q, root).ok());
  // Flip any bit of any sibling or bitmap.
  for (std::size_t l = 0; l < p.levels.size(); ++l) {
    for (std::size_t s = 0; s < p.levels[l].siblings.size(); ++s) {
      q = p;
      q.levels[l].siblings[s][31] ^= 0x80;
      EXPECT_FALSE(verify_state_proof(q, root).ok());
    }
    q = p;
    q.levels[l].bitmap ^= 1;
    EXPECT_FALSE(verify_state_proof(q, root).ok());
  }
  // A non-inclusion proof cannot be turned into an inclusion proof.
  auto absent = with_private(t.prove(d(777)));
  ASSERT_FALSE(absent.proves_inclusion());
  absent.value_hash = d(1);
  absent.other_leaf.reset();
  EXPECT_FALSE(verify_state_proof(absent, root).ok());
  Digest32 other_root = root;
  other_root[0] ^= 1;
  EXPECT_FALSE(verify_state_proof(p, other_root).ok());
  // The private root is bound too.
  q = p;
  q.private_root[3] ^= 1;
  EXPECT_FALSE(verify_state_proof(q, root).ok());
  // A proof claiming an empty public tree does not fold to a non-empty one.
  q = p;
  q.levels.clear();
  q.value_hash.reset();
  EXPECT_FALSE(verify_state_proof(q, root).ok());
  EXPECT_FALSE(state_proof_from_json(common::Json::parse(R"({"key_hash":"00"})")).ok());
}

}  // namespace
}  // namespace t3n::store

namespace t3n::store {
namespace {

TEST(StateTree, SnapshotsStayAsTakenWhileTheTreeChanges) {
  StateTree t;
  for (int i = 0; i < 200; ++i) t.update(d(static_cast<std::uint64_t>(i)), d(static_cast<std::uint64_t>(i) + 1));
  const StateTree::Snapshot before = t.snapshot();
  const Digest32 root_before = t.root();
  EXPECT_EQ(before.root(), root_before);
  // Change, add and remove keys after the snapshot.
  for (int i = 0; i < 200; i += 2) t.update(d(static_cast<std::uint64_t>(i)), d(9999));
  for (int i = 1; i < 200; i += 4) t.update(d(static_cast<std::uint64_t>(i)), std::nullopt);
  for (int i = 500; i < 600; ++i) t.update(d(static_cast<std::uint64_t>(i)), d(1));
  EXPECT_NE(t.root(), root_before);
  // The snapshot still proves the old contents against the old root.
  for (int i = 0; i < 200; ++i) {
    auto p = before.prove(d(static_cast<std::uint64_t>(i)));
    ASSERT_TRUE(p.proves_inclusion()) << i;
    EXPECT_EQ(*p.value_hash, d(static_cast<std::uint64_t>(i) + 1));
    auto folded = state_proof_tree_root(p);
    ASSERT_TRUE(folded.ok());
    EXPECT_EQ(*folded, root_before);
  }
  EXPECT_FALSE(before.prove(d(550)).proves_inclusion());
  // And a fresh tree with the new contents has the live tree's root.
  StateTree fresh;
  for (int i = 0; i < 200; ++i) {
    if (i % 4 == 1) continue;
    fresh.update(d(static_cast<std::uint64_t>(i)), i % 2 == 0 ? d(9999) : d(static_cast<std::uint64_t>(i) + 1));
  }
  for (int i = 500; i < 600; ++i) fresh.update(d(static_cast<std::uint64_t>(i)), d(1));
  EXPECT_EQ(fresh.root(), t.root());
  EXPECT_EQ(fresh.leaf_count(), t.leaf_count());
}

}  // namespace
}  // namespace t3n::store
