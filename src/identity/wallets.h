// Custodial wallets (HOST-API.md signing; SYSTEM-CONTRACTS.md tee:user):
// secp256k1 keys generated inside the node at a user's first need and a
// P-256 holder key for SD-JWT key binding. Every private key is sealed with
// the user's data key (user_data.h), so destroying that key shreds them with
// the rest of the user's data. Keys never leave this module: callers get
// addresses, public keys and signatures.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"
#include "crypto/secp256k1.h"
#include "identity/user_data.h"
#include "store/store.h"
#include "store/table.h"

namespace t3n::identity {

// user id → the user's sealed keys (JSON: addresses and public keys in the
// clear, private keys as AES-256-GCM boxes under the user's data key).
inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kWalletsTable{"wallets"};

struct WalletInfo {
  Bytes address;  // 20 bytes
  std::uint64_t created_ms = 0;
  bool primary = false;
};

class CustodialWallets {
 public:
  CustodialWallets(const UserDataKeys& keys, crypto::Secp256k1Signer signer);

  // The user's wallets, primary first; empty if none. `tx` is a system
  // transaction (or runs as_system).
  Result<std::vector<WalletInfo>> list(store::Transaction& tx, ByteView user) const;
  // The primary wallet's address, created (and the user's data key with it)
  // when absent and `create`.
  Result<std::optional<Bytes>> primary(store::Transaction& tx, ByteView user, bool create, std::uint64_t now_ms) const;
  // A further wallet (secondary); returns its address. At most kMaxWallets.
  Result<Bytes> add(store::Transaction& tx, ByteView user, std::uint64_t now_ms) const;
  // r ‖ s ‖ v (v ∈ {27, 28}) over a 32-byte digest with the user's wallet
  // `address`; none if the user owns no such wallet.
  Result<std::optional<Bytes>> sign_digest(store::Transaction& tx, ByteView user, ByteView address, ByteView digest32) const;
  // The user's P-256 holder key (SEC1 uncompressed public point), created at
  // first need; and ES256 (raw r ‖ s over SHA-256(message)) with it.
  Result<Bytes> holder_public_key(store::Transaction& tx, ByteView user, std::uint64_t now_ms) const;
  Result<Bytes> holder_sign(store::Transaction& tx, ByteView user, ByteView message, std::uint64_t now_ms) const;

  // Wallet history of tee:user get-wallet-history: [{"Created": {"at_ms"}},
  // {"Abandoned": {"at_ms"}}?]; none if `address` is not one of the user's.
  Result<std::optional<common::Json>> history(store::Transaction& tx, ByteView user, ByteView address) const;
  // Removal with wallet abandonment: every wallet is marked abandoned and
  // its sealed key (and the holder key) dropped; addresses stay for the
  // record. Returns how many wallets.
  Result<std::size_t> abandon(store::Transaction& tx, ByteView user, std::uint64_t now_ms) const;

  // Account merge: `from`'s wallets become secondary wallets of `to`, their
  // keys re-sealed under `to`'s data key (history gains MergedFrom);
  // `from` keeps none. Returns how many moved.
  Result<std::size_t> absorb(store::Transaction& tx, ByteView from, ByteView to, std::uint64_t now_ms) const;
  static constexpr std::size_t kMaxWallets = 16;

 private:
  const UserDataKeys& keys_;
  crypto::Secp256k1Signer signer_;
};

}  // namespace t3n::identity
