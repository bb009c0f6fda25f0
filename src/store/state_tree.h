// The state tree: a 16-ary sparse Merkle tree (Jellyfish-style) over
// key_hash = SHA-256(u32 len(map) ‖ map ‖ key), proving the current value of a
// key (inclusion) or its absence (non-inclusion) against the state root.
//
// Shape (canonical, so the root depends only on the set of leaves, never on
// the order of updates): a leaf sits at the shallowest depth ≥ 1 where its
// key-hash prefix is unique; an internal node exists exactly where two or
// more leaves share a prefix. Nibbles are taken high half first.
//
//   leaf hash     = SHA-256(0x00 ‖ key_hash ‖ value_hash)
//   internal hash = SHA-256(0x01 ‖ u16 bitmap ‖ hashes of the present children, in index order)
//   empty tree    = 32 zero bytes
//   value_hash    = SHA-256(u64 version ‖ value)
//
// Nodes remember the version (seqno) that last changed them; hashes of
// changed nodes are recomputed lazily, once per batch of updates.
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

Digest32 state_key_hash(std::string_view map, ByteView key);
Digest32 state_value_hash(std::uint64_t version, ByteView value);

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
  std::vector<Level> levels;                                // root first

  bool proves_inclusion() const { return value_hash.has_value(); }
};

// Checks the proof against `root`. kVerificationFailed on any inconsistency.
Status verify_state_proof(const StateProof& proof, const Digest32& root);

common::Json state_proof_to_json(const StateProof& proof);
Result<StateProof> state_proof_from_json(const common::Json& json);

class StateTree {
 public:
  StateTree();
  StateTree(StateTree&&) noexcept;
  StateTree& operator=(StateTree&&) noexcept;
  ~StateTree();

  // Sets (value_hash) or removes (nullopt) a leaf, at `version`.
  void update(const Digest32& key_hash, const std::optional<Digest32>& value_hash, std::uint64_t version);
  Digest32 root();  // recomputes changed nodes
  StateProof prove(const Digest32& key_hash);  // against root()
  std::size_t leaf_count() const { return leaves_; }

 private:
  struct Node;
  std::unique_ptr<Node> root_;
  std::size_t leaves_ = 0;
};

}  // namespace t3n::store
