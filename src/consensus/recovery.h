// Recovery shares (ARCHITECTURE.md §4): the ledger secret wrapped by a key
// split k-of-n with Shamir's scheme over GF(256) (Debian libgfshare), each
// share sealed to one recovery member's X-Wing public key (HPKE, RFC 9180:
// X-Wing, HKDF-SHA256, AES-256-GCM). A cluster that lost every node
// restarts from its encrypted ledger once k members have opened their
// shares; fewer than k shares say nothing about the wrapping key (Shamir),
// so nothing about the ledger secret.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"
#include "crypto/hpke.h"

namespace t3n::consensus {

struct RecoveryMember {
  std::string name;  // unique within the set
  Bytes public_key;  // X-Wing (1216 bytes)
};

// One member's share, sealed to them: only their private key opens it.
struct SealedShare {
  std::string member;
  std::uint8_t index = 0;  // the Shamir x coordinate, 1..255
  Bytes enc, ciphertext;   // HPKE
};

// What the cluster keeps (replicated, and beside the ledger on disk): no
// secret in it.
struct RecoverySet {
  std::uint32_t epoch = 0;     // the ledger-secret epoch it wraps
  std::uint8_t threshold = 0;  // k
  std::vector<SealedShare> shares;
  Bytes wrapped_secret;  // AES-256-GCM(wrapping key, ledger secret)

  common::Json to_json() const;
  static Result<RecoverySet> from_json(const common::Json& j);
};

// A share as its member opened it: what they submit to a recovering node.
struct OpenedShare {
  std::uint8_t index = 0;
  SecretBytes y;  // 32 bytes

  std::string to_text() const;  // "t3n-share-1:<index>:<base64url>"
  static Result<OpenedShare> from_text(std::string_view text);
};

// Splits a fresh wrapping key k-of-n (1 ≤ k ≤ n ≤ 255, k ≥ 2 when n ≥ 2)
// and wraps `ledger_secret` under it.
Result<RecoverySet> create_recovery_set(ByteView ledger_secret, std::uint32_t epoch,
                                        const std::vector<RecoveryMember>& members, std::uint8_t threshold);

// A member, with their private key: opens their share of the set.
Result<OpenedShare> open_share(const RecoverySet& set, const std::string& member, const crypto::HpkePrivateKey& key);

// The recovering node: at least `threshold` distinct shares give back the
// ledger secret. Fewer, wrong or altered shares: kVerificationFailed, and
// the secret stays unknown.
Result<SecretBytes> recover_ledger_secret(const RecoverySet& set, const std::vector<OpenedShare>& shares);

}  // namespace t3n::consensus
