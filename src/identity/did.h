// Decentralized identifiers the node authenticates (W3C DID Core):
//   did:key with Ed25519 (0xed), secp256k1 (0xe7) or P-256 (0x1200) keys;
//   did:pkh:eip155:<chain>:0x<address> — an Ethereum wallet (EIP-191 signatures);
//   did:t3n:<40 hex> — a T3N user, created at first contact.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::identity {

enum class KeyType { kEd25519, kSecp256k1, kP256, kEthereumAddress };

struct ParsedDid {
  std::string did;
  KeyType type;
  Bytes key;  // public key (compressed for EC), or the 20-byte address
};

Result<ParsedDid> parse_did(std::string_view did);

// did:key text of a public key (Ed25519 32 bytes; EC keys 33-byte compressed).
Result<std::string> did_key_of(KeyType type, ByteView public_key);
// The identity-map key of a DID: "eth:0x<40 lower-case hex>" for an
// Ethereum account (any chain: one wallet is one user, as the SDK's eth:
// authenticator), the canonical DID text otherwise.
std::string authenticator_of(const ParsedDid& did);
std::string eth_authenticator(ByteView address20);

// did:pkh:eip155:1:0x… (lower case) of a 20-byte address.
std::string did_pkh_of(ByteView address20, std::uint64_t chain_id = 1);

// Verifies `signature` by the DID's key over `message`:
//   Ed25519: pure Ed25519 over the message;
//   secp256k1 / P-256: ECDSA over SHA-256(message), 64-byte r ‖ s (low-S for secp256k1);
//   Ethereum: EIP-191 personal_sign, 65 bytes r ‖ s ‖ v, recovering the DID's address.
Status verify_did_signature(const ParsedDid& did, ByteView message, ByteView signature);

// A T3N user DID from its 20-byte id, and back.
std::string t3n_did(ByteView id20);
Result<Bytes> parse_t3n_did(std::string_view did);

}  // namespace t3n::identity
