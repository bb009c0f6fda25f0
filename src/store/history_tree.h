// Append-only Merkle tree over ledger leaves, in the shape of RFC 9162 §2.1
// (Certificate Transparency v2): leaf hash = SHA-256(0x00 ‖ leaf), node hash =
// SHA-256(0x01 ‖ left ‖ right), a tree of n leaves splits at the largest power
// of two below n. Any client with a SHA-256 can verify its inclusion proofs.
//
// Leaf i (0-based) is the ledger entry with seqno i + 1.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "crypto/hash.h"

namespace t3n::store {

using crypto::Digest32;

class HistoryTree {
 public:
  void append(const Digest32& leaf);
  std::uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }

  // Root over the first `tree_size` leaves (SHA-256("") for an empty tree).
  Result<Digest32> root(std::uint64_t tree_size) const;
  Digest32 root() const { return *root(size()); }

  // RFC 9162 inclusion path for `leaf_index` in the tree of `tree_size` leaves.
  Result<std::vector<Digest32>> inclusion_proof(std::uint64_t leaf_index, std::uint64_t tree_size) const;

 private:
  Digest32 range_hash(std::uint64_t lo, std::uint64_t hi) const;
  void path(std::uint64_t m, std::uint64_t lo, std::uint64_t hi, std::vector<Digest32>& out) const;
  // levels_[k][i] = hash of the perfect subtree of 2^k leaves starting at i·2^k.
  std::vector<std::vector<Digest32>> levels_;
};

Digest32 history_leaf_hash(const Digest32& leaf);
Digest32 history_node_hash(const Digest32& left, const Digest32& right);

// RFC 9162 §2.1.3.2: recomputes the root from a leaf and its path.
Status verify_history_inclusion(const Digest32& leaf, std::uint64_t leaf_index, std::uint64_t tree_size,
                                const std::vector<Digest32>& path, const Digest32& expected_root);

}  // namespace t3n::store
