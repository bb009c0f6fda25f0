#include "store/state_tree.h"

#include <algorithm>
#include <bit>

#include "common/binary.h"
#include "common/encoding.h"
#include "store/digest_json.h"

namespace t3n::store {
namespace {

constexpr Digest32 kEmpty{};

int nibble(const Digest32& h, std::size_t depth) {
  const std::uint8_t b = h[depth / 2];
  return (depth % 2 == 0) ? (b >> 4) : (b & 0x0F);
}

Digest32 leaf_hash(const Digest32& key_hash, const Digest32& value_hash) {
  std::uint8_t buf[65];
  buf[0] = 0x00;
  std::copy(key_hash.begin(), key_hash.end(), buf + 1);
  std::copy(value_hash.begin(), value_hash.end(), buf + 33);
  return crypto::sha256(buf);
}

Digest32 internal_hash(std::uint16_t bitmap, const Digest32* const* children, std::size_t count) {
  std::uint8_t buf[3 + 16 * 32];
  buf[0] = 0x01;
  buf[1] = static_cast<std::uint8_t>(bitmap >> 8);
  buf[2] = static_cast<std::uint8_t>(bitmap);
  for (std::size_t i = 0; i < count; ++i) std::copy(children[i]->begin(), children[i]->end(), buf + 3 + 32 * i);
  return crypto::sha256(ByteView(buf, 3 + 32 * count));
}

}  // namespace

Digest32 state_key_hash(std::string_view map, ByteView key) {
  common::BinaryWriter w;
  w.u32(static_cast<std::uint32_t>(map.size()));
  w.raw(common::as_bytes(map));
  w.raw(key);
  return crypto::sha256(w.buffer());
}

Digest32 state_value_hash(std::uint64_t version, ByteView value) {
  crypto::Sha256 h;
  Bytes v;
  common::append_u64_be(v, version);
  h.update(v);
  h.update(value);
  return h.finish();
}

Digest32 combined_state_root(const Digest32& public_root, const Digest32& private_root) {
  constexpr std::string_view kLabel = "t3n/state-root/v2";
  std::uint8_t buf[kLabel.size() + 64];
  std::copy(kLabel.begin(), kLabel.end(), buf);
  std::copy(public_root.begin(), public_root.end(), buf + kLabel.size());
  std::copy(private_root.begin(), private_root.end(), buf + kLabel.size() + 32);
  return crypto::sha256(buf);
}

// A node is shared (immutable) once its generation is older than the tree's;
// until then only the tree's writer sees it and may change it in place.
struct StateTree::Node {
  bool is_leaf = false;
  bool dirty = true;
  std::uint64_t generation = 0;
  Digest32 hash{};
  // Leaf
  Digest32 key_hash{};
  Digest32 value_hash{};
  // Internal: 16 slots (empty for a leaf)
  std::vector<std::shared_ptr<Node>> children;

  static std::shared_ptr<Node> leaf(const Digest32& k, const Digest32& v, std::uint64_t generation) {
    auto n = std::make_shared<Node>();
    n->is_leaf = true;
    n->key_hash = k;
    n->value_hash = v;
    n->generation = generation;
    return n;
  }
  static std::shared_ptr<Node> internal(std::uint64_t generation) {
    auto n = std::make_shared<Node>();
    n->generation = generation;
    n->children.resize(16);
    return n;
  }

  std::uint16_t bitmap() const {
    std::uint16_t b = 0;
    for (int i = 0; i < 16; ++i)
      if (children[static_cast<std::size_t>(i)]) b = static_cast<std::uint16_t>(b | (1u << (15 - i)));
    return b;
  }
  int child_count() const {
    int c = 0;
    for (const auto& ch : children) c += ch ? 1 : 0;
    return c;
  }

  // Only dirty nodes are recomputed, and dirty nodes are never shared.
  const Digest32& rehash() {
    if (!dirty) return hash;
    if (is_leaf) {
      hash = leaf_hash(key_hash, value_hash);
    } else {
      const Digest32* hs[16];
      std::size_t n = 0;
      for (auto& ch : children)
        if (ch) hs[n++] = &ch->rehash();
      hash = internal_hash(bitmap(), hs, n);
    }
    dirty = false;
    return hash;
  }
};

namespace {

// Walks clean (hashed) nodes only.
template <typename NodeT>
StateProof prove_from(const NodeT* root, std::size_t leaves, const Digest32& key_hash) {
  StateProof proof;
  proof.key_hash = key_hash;
  if (leaves == 0 || root == nullptr) return proof;
  const NodeT* node = root;
  for (std::size_t depth = 0;; ++depth) {
    const int slot_index = nibble(key_hash, depth);
    StateProof::Level level;
    level.bitmap = node->bitmap();
    for (int i = 0; i < 16; ++i) {
      const auto& ch = node->children[static_cast<std::size_t>(i)];
      if (ch && i != slot_index) level.siblings.push_back(ch->hash);
    }
    proof.levels.push_back(std::move(level));
    const NodeT* child = node->children[static_cast<std::size_t>(slot_index)].get();
    if (child == nullptr) return proof;  // empty slot
    if (child->is_leaf) {
      if (child->key_hash == key_hash) proof.value_hash = child->value_hash;
      else proof.other_leaf = std::make_pair(child->key_hash, child->value_hash);
      return proof;
    }
    node = child;
  }
}

}  // namespace

StateTree::StateTree() : root_(Node::internal(1)) {}
StateTree::StateTree(StateTree&&) noexcept = default;
StateTree& StateTree::operator=(StateTree&&) noexcept = default;
StateTree::~StateTree() = default;

void StateTree::clear() {
  root_ = Node::internal(++generation_);
  leaves_ = 0;
}

StateTree::Node* StateTree::mutable_node(std::shared_ptr<Node>& slot) {
  if (slot->generation != generation_) {
    slot = std::make_shared<Node>(*slot);  // copy on write: the old one may be in a snapshot
    slot->generation = generation_;
  }
  slot->dirty = true;
  return slot.get();
}

void StateTree::update(const Digest32& key_hash, const std::optional<Digest32>& value_hash) {
  // Walk down, remembering the path for the delete-side collapse.
  Node* node = mutable_node(root_);
  std::vector<Node*> path{node};
  for (std::size_t depth = 0;; ++depth) {
    auto& slot = node->children[static_cast<std::size_t>(nibble(key_hash, depth))];
    if (!slot) {
      if (value_hash) {
        slot = Node::leaf(key_hash, *value_hash, generation_);
        ++leaves_;
      }
      return;
    }
    if (slot->is_leaf) {
      if (slot->key_hash == key_hash) {
        if (value_hash) {
          mutable_node(slot)->value_hash = *value_hash;
          return;
        }
        slot.reset();
        --leaves_;
        // Collapse: an internal node (not the root) left with one leaf child
        // is replaced by that leaf, up the path, to keep the canonical shape.
        for (std::size_t d = path.size() - 1; d >= 1; --d) {
          Node* n = path[d];
          if (n->child_count() != 1) break;
          std::size_t only = 0;
          while (!n->children[only]) ++only;
          if (!n->children[only]->is_leaf) break;
          Node* parent = path[d - 1];
          auto& parent_slot = parent->children[static_cast<std::size_t>(nibble(key_hash, d - 1))];
          std::shared_ptr<Node> lifted = n->children[only];  // a leaf's hash does not depend on its depth
          parent_slot = std::move(lifted);                   // destroys n
        }
        return;
      }
      if (!value_hash) return;  // removing a key that is not there
      // Split: push the existing leaf down until the two key hashes diverge.
      std::shared_ptr<Node> existing = std::move(slot);
      slot = Node::internal(generation_);
      Node* cur = slot.get();
      std::size_t d = depth + 1;
      while (nibble(existing->key_hash, d) == nibble(key_hash, d)) {
        auto& next = cur->children[static_cast<std::size_t>(nibble(key_hash, d))];
        next = Node::internal(generation_);
        cur = next.get();
        ++d;
      }
      cur->children[static_cast<std::size_t>(nibble(existing->key_hash, d))] = std::move(existing);
      cur->children[static_cast<std::size_t>(nibble(key_hash, d))] = Node::leaf(key_hash, *value_hash, generation_);
      ++leaves_;
      return;
    }
    node = mutable_node(slot);
    path.push_back(node);
  }
}

Digest32 StateTree::root() {
  if (leaves_ == 0) return kEmpty;
  return root_->rehash();
}

StateTree::Snapshot StateTree::snapshot() {
  Snapshot s;
  s.root_hash_ = root();
  s.root_ = root_;
  s.leaves_ = leaves_;
  ++generation_;  // from now on every node reachable from s is copied before it changes
  return s;
}

StateProof StateTree::prove(const Digest32& key_hash) {
  root();  // make every hash current
  return prove_from(root_.get(), leaves_, key_hash);
}

StateProof StateTree::Snapshot::prove(const Digest32& key_hash) const {
  return prove_from(root_.get(), leaves_, key_hash);
}

Result<Digest32> state_proof_tree_root(const StateProof& proof) {
  auto fail = [](const char* why) { return common::verification_failed(std::string("state proof: ") + why); };
  if (proof.value_hash && proof.other_leaf) return fail("both an inclusion and a non-inclusion terminal");
  if (proof.levels.empty()) {
    if (proof.value_hash || proof.other_leaf) return fail("a leaf without a path");
    return kEmpty;
  }
  const std::size_t depth = proof.levels.size();
  if (depth > 64) return fail("deeper than the key hash");
  Digest32 current = kEmpty;
  if (proof.value_hash) {
    current = leaf_hash(proof.key_hash, *proof.value_hash);
  } else if (proof.other_leaf) {
    const auto& [other_key, other_value] = *proof.other_leaf;
    if (other_key == proof.key_hash) return fail("the other leaf is the key itself");
    for (std::size_t d = 0; d < depth; ++d)
      if (nibble(other_key, d) != nibble(proof.key_hash, d)) return fail("the other leaf is not on the key's path");
    current = leaf_hash(other_key, other_value);
  }
  for (std::size_t d = depth; d-- > 0;) {
    const auto& level = proof.levels[d];
    const int slot_index = nibble(proof.key_hash, d);
    const bool path_present = (level.bitmap & (1u << (15 - slot_index))) != 0;
    const bool have_child = current != kEmpty;
    if (path_present != have_child) return fail("bitmap disagrees with the path");
    if (level.siblings.size() + (have_child ? 1 : 0) != static_cast<std::size_t>(std::popcount(level.bitmap)))
      return fail("sibling count disagrees with the bitmap");
    const Digest32* hs[16];
    std::size_t n = 0, s = 0;
    for (int i = 0; i < 16; ++i) {
      if ((level.bitmap & (1u << (15 - i))) == 0) continue;
      hs[n++] = (i == slot_index) ? &current : &level.siblings[s++];
    }
    current = internal_hash(level.bitmap, hs, n);
  }
  return current;
}

Status verify_state_proof(const StateProof& proof, const Digest32& state_root) {
  T3N_ASSIGN_OR_RETURN(Digest32 tree_root, state_proof_tree_root(proof));
  if (combined_state_root(tree_root, proof.private_root) != state_root)
    return common::verification_failed("state proof: does not lead to the state root");
  return {};
}

common::Json state_proof_to_json(const StateProof& proof) {
  common::Json j;
  j["key_hash"] = common::hex_encode(proof.key_hash);
  j["private_root"] = common::hex_encode(proof.private_root);
  if (proof.value_hash) j["value_hash"] = common::hex_encode(*proof.value_hash);
  if (proof.other_leaf) {
    j["other_leaf"] = {{"key_hash", common::hex_encode(proof.other_leaf->first)},
                       {"value_hash", common::hex_encode(proof.other_leaf->second)}};
  }
  j["levels"] = common::Json::array();
  for (const auto& l : proof.levels) {
    common::Json sib = common::Json::array();
    for (const auto& s : l.siblings) sib.push_back(common::hex_encode(s));
    j["levels"].push_back({{"bitmap", l.bitmap}, {"siblings", std::move(sib)}});
  }
  return j;
}

Result<StateProof> state_proof_from_json(const common::Json& j) {
  StateProof p;
  T3N_ASSIGN_OR_RETURN(p.key_hash, json_digest(j, "key_hash"));
  T3N_ASSIGN_OR_RETURN(p.private_root, json_digest(j, "private_root"));
  if (j.contains("value_hash")) {
    T3N_ASSIGN_OR_RETURN(Digest32 v, json_digest(j, "value_hash"));
    p.value_hash = v;
  }
  if (j.contains("other_leaf")) {
    T3N_ASSIGN_OR_RETURN(Digest32 k, json_digest(j["other_leaf"], "key_hash"));
    T3N_ASSIGN_OR_RETURN(Digest32 v, json_digest(j["other_leaf"], "value_hash"));
    p.other_leaf = std::make_pair(k, v);
  }
  if (!j.contains("levels") || !j["levels"].is_array()) return common::invalid_argument("field 'levels': expected an array");
  for (const auto& l : j["levels"]) {
    StateProof::Level level;
    T3N_ASSIGN_OR_RETURN(std::uint64_t bitmap, common::json_u64(l, "bitmap"));
    if (bitmap > 0xFFFF) return common::invalid_argument("field 'bitmap': out of range");
    level.bitmap = static_cast<std::uint16_t>(bitmap);
    T3N_ASSIGN_OR_RETURN(level.siblings, json_digest_list(l, "siblings", 16));
    p.levels.push_back(std::move(level));
  }
  return p;
}

}  // namespace t3n::store
