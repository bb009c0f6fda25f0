// Ledger entries: what a commit produces, what replication ships and what
// receipts prove. The binary encoding is stable (format version 1):
//
//   u8 format(=1) ‖ u8 kind ‖ u64 seqno ‖ u64 timestamp_ms ‖ u32 key_epoch ‖ body
//   kind 1, transaction: claims_digest[32] ‖ u32 n ‖ n × write
//       write = u8 op (1 put, 2 remove) ‖ bytes map ‖ bytes key ‖ [bytes value if put]
//   kind 2, signature:   u64 tree_size ‖ history_root[32] ‖ state_root[32] ‖
//       bytes ed25519_pk ‖ bytes ed25519_sig ‖ bytes mldsa_pk ‖ bytes mldsa_sig
//   bytes = u32 length ‖ data (big-endian throughout)
//
// Writes in a transaction entry are sorted by (map, key) and unique, so equal
// write-sets encode to equal bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/hash.h"

namespace t3n::store {

using Seqno = std::uint64_t;
using crypto::Digest32;

struct Write {
  std::string map;
  Bytes key;
  std::optional<Bytes> value;  // nullopt = remove
  bool operator==(const Write&) const = default;
};

struct TransactionBody {
  Digest32 claims_digest{};  // all zero when the call set none
  std::vector<Write> writes;
  bool operator==(const TransactionBody&) const = default;
};

// Signs the history root over leaves 1..tree_size and the state root after
// applying them. Emitted by the leader every N entries or T ms.
struct SignatureBody {
  Seqno tree_size = 0;
  Digest32 history_root{};
  Digest32 state_root{};
  Bytes ed25519_public_key;
  Bytes ed25519_signature;
  Bytes mldsa_public_key;
  Bytes mldsa_signature;
  bool operator==(const SignatureBody&) const = default;
};

struct LedgerEntry {
  Seqno seqno = 0;
  std::uint64_t timestamp_ms = 0;
  // Ledger-secret epoch this entry is under: its commit evidence and its
  // at-rest encryption use that epoch's keys on every replica.
  std::uint32_t key_epoch = 0;
  std::variant<TransactionBody, SignatureBody> body;
  bool operator==(const LedgerEntry&) const = default;

  bool is_signature() const { return std::holds_alternative<SignatureBody>(body); }
};

Bytes encode_entry(const LedgerEntry& entry);
Result<LedgerEntry> decode_entry(ByteView data);

// HMAC-SHA256 of the encoded body (the write-set, or the signature record)
// under the entry's epoch write-set-digest key (store/write-set-digest). Keyed
// because receipts publish it: a plain hash would let anyone confirm a guess
// of a private write-set. Every replica holding the ledger secret computes
// the same digest; the receipt verifier needs only the digest itself.
Digest32 write_set_digest(ByteView key, const LedgerEntry& entry);
Digest32 write_set_digest(const crypto::HmacSha256& mac, const LedgerEntry& entry);

// The bytes a signature entry's two signatures cover.
Bytes signature_payload(Seqno signature_seqno, Seqno tree_size, const Digest32& history_root,
                        const Digest32& state_root);

// Leaf of the history tree (CCF's shape):
// SHA-256(write_set_digest ‖ SHA-256(commit_evidence) ‖ claims_digest).
Digest32 history_leaf(const Digest32& write_set_digest, const Digest32& commit_evidence,
                      const Digest32& claims_digest);

// Size limits enforced at write time and on decode.
inline constexpr std::size_t kMaxMapNameSize = 256;
inline constexpr std::size_t kMaxKeySize = 64 * 1024;
inline constexpr std::size_t kMaxValueSize = 16 * 1024 * 1024;

}  // namespace t3n::store
