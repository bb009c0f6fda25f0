// Receipts (CCF-style): proof that a transaction is in the ledger, checkable
// offline with nothing but the receipt and the node's public keys.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"
#include "store/ledger_entry.h"

namespace t3n::store {

struct Receipt {
  Seqno seqno = 0;
  // Leaf components: leaf = SHA-256(write_set_digest ‖ SHA-256(commit_evidence) ‖ claims_digest)
  Digest32 write_set_digest{};
  Digest32 commit_evidence{};
  Digest32 claims_digest{};
  // RFC 9162 inclusion path of leaf (seqno − 1) in the tree of `tree_size` leaves.
  std::uint64_t tree_size = 0;
  std::vector<Digest32> path;
  // The signature entry that signed that tree.
  Seqno signature_seqno = 0;
  Digest32 history_root{};
  Digest32 state_root{};
  Bytes ed25519_public_key;
  Bytes ed25519_signature;
  Bytes mldsa_public_key;
  Bytes mldsa_signature;
};

struct TrustedNodeKeys {
  Bytes ed25519_public_key;
  Bytes mldsa_public_key;
};

// Recomputes the leaf and the root, and checks both signatures. With
// `trusted`, the signing keys must also be those keys.
Status verify_receipt(const Receipt& receipt, const std::optional<TrustedNodeKeys>& trusted = std::nullopt);

common::Json receipt_to_json(const Receipt& receipt);
Result<Receipt> receipt_from_json(const common::Json& json);

}  // namespace t3n::store
