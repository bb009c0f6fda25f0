// The state tree: a 16-ary sparse Merkle tree (Jellyfish-style) proving the
// current value of a key (inclusion) or its absence (non-inclusion).
//
// Shape (canonical, so the root depends only on the set of leaves, never on
// the order of updates): a leaf sits at the shallowest depth ≥ 1 where its
// key-hash prefix is unique; an internal node exists exactly where two or
// more leaves share a prefix. Nibbles are taken high half first.
//
//   leaf hash     = SHA-256(0x00 ‖ key_hash ‖ value_hash)
//   internal hash = SHA-256(0x01 ‖ u16 bitmap ‖ hashes of the present children, in index order)
//   empty tree    = 32 zero bytes
//
// The store keeps two such trees: public maps with plain hashes
// (state_key_hash / state_value_hash below, so anyone can check a proof of
// public data) and private maps with keyed hashes (see store.h). The signed
// state root binds both: state_root = SHA-256("t3n/state-root/v2" ‖
// public_root ‖ private_root). A proof of a public key carries the private
// root as its one extra element, and nothing else about private data.
//
// Nodes are immutable once published (snapshot()); updates copy the path
// (nodes created since the last snapshot are changed in place), so a
// snapshot can be proven from while the tree moves on. Hashes of changed
// nodes are computed lazily, once per snapshot/root().
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"
#include "crypto/hash.h"

namespace t3n::store {

using crypto::Digest32;

// Plain hashes of the public tree.
Digest32 state_key_hash(std::string_view map, ByteView key);   // SHA-256(u32 len(map) ‖ map ‖ key)
Digest32 state_value_hash(std::uint64_t version, ByteView value);  // SHA-256(u64 version ‖ value)

// SHA-256("t3n/state-root/v2" ‖ public_root ‖ private_root): what signature
// entries sign and proofs fold to.
Digest32 combined_state_root(const Digest32& public_root, const Digest32& private_root);

struct StateProof {
  struct Level {
    std::uint16_t bitmap = 0;          // children present at this node
    std::vector<Digest32> siblings;    // present children other than the path's, in index order
  };
  Digest32 key_hash{};
  // Exactly one terminal: the key's own leaf (inclusion), another leaf that
  // owns the key's slot, or an empty slot (both non-inclusion).
  std::optional<Digest32> value_hash;
  std::optional<std::pair<Digest32, Digest32>> other_leaf;  // key_hash, value_hash
  std::vector<Level> levels;                                // root first (of the public tree)
  // Root of the private tree at the same state: folds with the public root
  // to the signed state root.
  Digest32 private_root{};

  bool proves_inclusion() const { return value_hash.has_value(); }
};

// Folds the proof to the root of the tree it was taken from (the public
// tree). kVerificationFailed on any inconsistency.
Result<Digest32> state_proof_tree_root(const StateProof& proof);
// Checks the proof against a signed state root:
// combined_state_root(fold(proof), proof.private_root) == state_root.
Status verify_state_proof(const StateProof& proof, const Digest32& state_root);

common::Json state_proof_to_json(const StateProof& proof);
Result<StateProof> state_proof_from_json(const common::Json& json);

class StateTree {
  struct Node;

 public:
  // An immutable view of the tree as it was when taken; cheap to copy, safe
  // to read from any thread while the tree is updated.
  class Snapshot {
   public:
    Snapshot() = default;
    const Digest32& root() const { return root_hash_; }
    std::size_t leaf_count() const { return leaves_; }
    StateProof prove(const Digest32& key_hash) const;  // private_root left zero

   private:
    friend class StateTree;
    std::shared_ptr<const Node> root_;
    Digest32 root_hash_{};
    std::size_t leaves_ = 0;
  };

  StateTree();
  StateTree(StateTree&&) noexcept;
  StateTree& operator=(StateTree&&) noexcept;
  ~StateTree();

  // Sets (value_hash) or removes (nullopt) a leaf.
  void update(const Digest32& key_hash, const std::optional<Digest32>& value_hash);
  Digest32 root();            // recomputes changed nodes
  Snapshot snapshot();        // recomputes changed nodes and freezes them
  StateProof prove(const Digest32& key_hash);  // against root()
  std::size_t leaf_count() const { return leaves_; }
  void clear();

 private:
  Node* mutable_node(std::shared_ptr<Node>& slot);
  std::shared_ptr<Node> root_;
  std::size_t leaves_ = 0;
  std::uint64_t generation_ = 1;  // nodes of this generation are not in any snapshot
};

}  // namespace t3n::store
