#include "identity/did.h"

#include <charconv>

#include <cctype>

#include "common/encoding.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/p256.h"
#include "crypto/secp256k1.h"

namespace t3n::identity {
namespace {

Status bad(std::string_view why) { return Status(ErrorCode::kUnauthenticated, "invalid DID: " + std::string(why)); }

}  // namespace

Result<ParsedDid> parse_did(std::string_view did) {
  if (did.size() > 256) return bad("too long");
  if (did.rfind("did:key:", 0) == 0) {
    auto decoded = common::multibase_decode(did.substr(8));
    if (!decoded.ok() || did[8] != 'z') return bad("did:key must be multibase base58btc");
    const Bytes& b = *decoded;
    if (b.size() == 34 && b[0] == 0xed && b[1] == 0x01)
      return ParsedDid{std::string(did), KeyType::kEd25519, Bytes(b.begin() + 2, b.end())};
    if (b.size() == 35 && b[0] == 0xe7 && b[1] == 0x01)
      return ParsedDid{std::string(did), KeyType::kSecp256k1, Bytes(b.begin() + 2, b.end())};
    if (b.size() == 35 && b[0] == 0x80 && b[1] == 0x24)
      return ParsedDid{std::string(did), KeyType::kP256, Bytes(b.begin() + 2, b.end())};
    return bad("unsupported did:key type (Ed25519, secp256k1 and P-256 are accepted)");
  }
  if (did.rfind("did:pkh:eip155:", 0) == 0) {
    std::string_view rest = did.substr(15);
    auto colon = rest.find(':');
    if (colon == std::string_view::npos || colon == 0) return bad("did:pkh needs eip155:<chain>:<address>");
    const std::string_view chain_text = rest.substr(0, colon);
    std::uint64_t chain = 0;
    auto [end, ec] = std::from_chars(chain_text.data(), chain_text.data() + chain_text.size(), chain);
    if (ec != std::errc() || end != chain_text.data() + chain_text.size() || chain_text.size() > 19)
      return bad("did:pkh chain id must be decimal");
    std::string_view addr = rest.substr(colon + 1);
    if (addr.size() != 42 || addr.rfind("0x", 0) != 0) return bad("did:pkh address must be 0x + 40 hex");
    auto bytes = common::hex_decode(addr.substr(2));
    if (!bytes.ok()) return bad("did:pkh address must be hex");
    // One wallet, one DID: the text is canonical (lower case, chain without
    // leading zeros) whatever case (EIP-55 or not) the client wrote.
    return ParsedDid{did_pkh_of(*bytes, chain), KeyType::kEthereumAddress, *bytes};
  }
  return bad("unsupported DID method (did:key and did:pkh:eip155 are accepted)");
}

Result<std::string> did_key_of(KeyType type, ByteView pk) {
  Bytes mc;
  switch (type) {
    case KeyType::kEd25519:
      if (pk.size() != 32) return common::invalid_argument("Ed25519 public key must be 32 bytes");
      mc = {0xed, 0x01};
      break;
    case KeyType::kSecp256k1:
      if (pk.size() != 33) return common::invalid_argument("secp256k1 public key must be 33 bytes (compressed)");
      mc = {0xe7, 0x01};
      break;
    case KeyType::kP256:
      if (pk.size() != 33) return common::invalid_argument("P-256 public key must be 33 bytes (compressed)");
      mc = {0x80, 0x24};
      break;
    case KeyType::kEthereumAddress:
      return common::invalid_argument("an Ethereum address is a did:pkh, not a did:key");
  }
  common::append(mc, pk);
  return "did:key:" + common::multibase_encode(common::Multibase::kBase58btc, mc);
}

std::string eth_authenticator(ByteView address20) { return "eth:0x" + common::hex_encode(address20); }

std::string authenticator_of(const ParsedDid& did) {
  return did.type == KeyType::kEthereumAddress ? eth_authenticator(did.key) : did.did;
}

std::string did_pkh_of(ByteView address20, std::uint64_t chain_id) {
  return "did:pkh:eip155:" + std::to_string(chain_id) + ":0x" + common::hex_encode(address20);
}

Status verify_did_signature(const ParsedDid& did, ByteView message, ByteView signature) {
  Status s;
  switch (did.type) {
    case KeyType::kEd25519:
      s = crypto::ed25519_verify(did.key, message, signature);
      break;
    case KeyType::kSecp256k1:
      s = crypto::secp256k1_verify(did.key, crypto::sha256(message), signature);
      break;
    case KeyType::kP256:
      s = crypto::p256_verify_raw(did.key, message, signature);
      break;
    case KeyType::kEthereumAddress: {
      auto who = crypto::eth_recover_personal_signer(message, signature);
      if (!who.ok()) s = who.status();
      else if (*who != did.key) s = common::verification_failed("signed by another address");
      break;
    }
  }
  if (!s.ok()) return Status(ErrorCode::kUnauthenticated, "signature does not verify for " + did.did);
  return {};
}

std::string t3n_did(ByteView id20) { return "did:t3n:" + common::hex_encode(id20); }

Result<Bytes> parse_t3n_did(std::string_view did) {
  if (did.rfind("did:t3n:", 0) != 0 || did.size() != 48) return common::invalid_argument("not a did:t3n");
  auto b = common::hex_decode_canonical(did.substr(8), 20);
  if (!b.ok()) return common::invalid_argument("did:t3n id must be 40 lower-case hex characters");
  return b;
}

}  // namespace t3n::identity
