#include "store/history_tree.h"

#include <algorithm>
#include <bit>

namespace t3n::store {

Digest32 history_leaf_hash(const Digest32& leaf) {
  std::uint8_t buf[33];
  buf[0] = 0x00;
  std::copy(leaf.begin(), leaf.end(), buf + 1);
  return crypto::sha256(buf);
}

Digest32 history_node_hash(const Digest32& left, const Digest32& right) {
  std::uint8_t buf[65];
  buf[0] = 0x01;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 33);
  return crypto::sha256(buf);
}

void HistoryTree::append(const Digest32& leaf) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(history_leaf_hash(leaf));
  // Complete every perfect subtree this leaf closes.
  for (std::size_t k = 0; levels_[k].size() % 2 == 0; ++k) {
    if (levels_.size() <= k + 1) levels_.emplace_back();
    const auto& lv = levels_[k];
    levels_[k + 1].push_back(history_node_hash(lv[lv.size() - 2], lv[lv.size() - 1]));
  }
}

Digest32 HistoryTree::range_hash(std::uint64_t lo, std::uint64_t hi) const {
  const std::uint64_t n = hi - lo;
  if (std::has_single_bit(n) && lo % n == 0) {
    const auto k = static_cast<std::size_t>(std::countr_zero(n));
    return levels_[k][lo / n];
  }
  const std::uint64_t split = std::bit_floor(n - 1);  // largest power of two < n
  return history_node_hash(range_hash(lo, lo + split), range_hash(lo + split, hi));
}

Result<Digest32> HistoryTree::root(std::uint64_t tree_size) const {
  if (tree_size > size())
    return common::invalid_argument("history tree has " + std::to_string(size()) + " leaves, not " +
                                    std::to_string(tree_size));
  if (tree_size == 0) return crypto::sha256({});
  return range_hash(0, tree_size);
}

void HistoryTree::path(std::uint64_t m, std::uint64_t lo, std::uint64_t hi, std::vector<Digest32>& out) const {
  const std::uint64_t n = hi - lo;
  if (n == 1) return;
  const std::uint64_t k = std::bit_floor(n - 1);
  if (m < k) {
    path(m, lo, lo + k, out);
    out.push_back(range_hash(lo + k, hi));
  } else {
    path(m - k, lo + k, hi, out);
    out.push_back(range_hash(lo, lo + k));
  }
}

Result<std::vector<Digest32>> HistoryTree::inclusion_proof(std::uint64_t leaf_index, std::uint64_t tree_size) const {
  if (tree_size > size() || leaf_index >= tree_size)
    return common::invalid_argument("no leaf " + std::to_string(leaf_index) + " in a tree of " +
                                    std::to_string(tree_size));
  std::vector<Digest32> out;
  path(leaf_index, 0, tree_size, out);
  return out;
}

Status verify_history_inclusion(const Digest32& leaf, std::uint64_t leaf_index, std::uint64_t tree_size,
                                const std::vector<Digest32>& path, const Digest32& expected_root) {
  if (leaf_index >= tree_size) return common::verification_failed("leaf index outside the tree");
  std::uint64_t fn = leaf_index;
  std::uint64_t sn = tree_size - 1;
  Digest32 r = history_leaf_hash(leaf);
  for (const auto& p : path) {
    if (sn == 0) return common::verification_failed("inclusion path longer than the tree");
    if ((fn & 1) == 1 || fn == sn) {
      r = history_node_hash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = history_node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return common::verification_failed("inclusion path shorter than the tree");
  if (r != expected_root) return common::verification_failed("inclusion path does not lead to the signed root");
  return {};
}

}  // namespace t3n::store
