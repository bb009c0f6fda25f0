#include "identity/wallets.h"

#include "common/encoding.h"
#include "common/json.h"
#include "crypto/aead.h"
#include "crypto/p256.h"
#include "crypto/random.h"

namespace t3n::identity {
namespace {

using common::Json;

// The box's associated data names the user, the key's kind and its public
// side, so a sealed key moved to another user or entry fails to open.
Bytes key_aad(ByteView user, std::string_view kind, ByteView public_part) {
  std::string aad = "t3n custodial key v1|";
  aad += kind;
  aad += '|';
  aad.append(reinterpret_cast<const char*>(user.data()), user.size());
  aad.append(reinterpret_cast<const char*>(public_part.data()), public_part.size());
  return common::to_bytes(aad);
}

struct Stored {
  Json row = Json{{"wallets", Json::array()}};
};

Result<Stored> load(store::Transaction& tx, ByteView user) {
  T3N_ASSIGN_OR_RETURN(auto raw, kWalletsTable.in(tx).get(Bytes(user.begin(), user.end())));
  Stored s;
  if (!raw) return s;
  auto parsed = common::parse_json(std::string_view(reinterpret_cast<const char*>(raw->data()), raw->size()));
  if (!parsed.ok() || !parsed->is_object() || !parsed->contains("wallets")) return common::data_loss("a wallet row is corrupt");
  s.row = std::move(*parsed);
  return s;
}

Status save(store::Transaction& tx, ByteView user, const Stored& s) {
  return kWalletsTable.in(tx).put(Bytes(user.begin(), user.end()), common::to_bytes(s.row.dump()));
}

}  // namespace

CustodialWallets::CustodialWallets(const UserDataKeys& keys, crypto::Secp256k1Signer signer)
    : keys_(keys), signer_(std::move(signer)) {}

Result<std::vector<WalletInfo>> CustodialWallets::list(store::Transaction& tx, ByteView user) const {
  T3N_ASSIGN_OR_RETURN(Stored s, load(tx, user));
  std::vector<WalletInfo> out;
  for (const auto& w : s.row["wallets"]) {
    T3N_ASSIGN_OR_RETURN(Bytes address, common::hex_decode_canonical(w.value("address", ""), 20));
    out.push_back(WalletInfo{std::move(address), w.value("created_ms", std::uint64_t{0}), out.empty()});
  }
  return out;
}

Result<Bytes> CustodialWallets::add(store::Transaction& tx, ByteView user, std::uint64_t now_ms) const {
  T3N_ASSIGN_OR_RETURN(Stored s, load(tx, user));
  if (s.row["wallets"].size() >= kMaxWallets)
    return Status(ErrorCode::kResourceExhausted, "a user holds at most " + std::to_string(kMaxWallets) + " custodial wallets");
  T3N_ASSIGN_OR_RETURN(SecretBytes data_key, keys_.find_or_create(tx, user));
  // A random scalar is valid with probability ≈ 1 − 2⁻¹²⁸; retry the rest.
  for (int attempt = 0; attempt < 8; ++attempt) {
    T3N_ASSIGN_OR_RETURN(SecretBytes secret, crypto::random_secret(32));
    auto pub = signer_.public_key(secret);
    if (!pub.ok()) continue;
    T3N_ASSIGN_OR_RETURN(Bytes address, crypto::eth_address(*pub));
    T3N_ASSIGN_OR_RETURN(Bytes sealed,
                         crypto::seal_box(crypto::AeadAlg::kAes256Gcm, data_key, key_aad(user, "secp256k1", address), secret));
    s.row["wallets"].push_back(
        Json{{"address", common::hex_encode(address)}, {"sealed", common::base64_encode(sealed)}, {"created_ms", now_ms}});
    T3N_RETURN_IF_ERROR(save(tx, user, s));
    return address;
  }
  return common::internal_error("could not generate a secp256k1 key");
}

Result<std::optional<Bytes>> CustodialWallets::primary(store::Transaction& tx, ByteView user, bool create,
                                                       std::uint64_t now_ms) const {
  T3N_ASSIGN_OR_RETURN(auto all, list(tx, user));
  if (!all.empty()) return std::optional<Bytes>(all.front().address);
  if (!create) return std::optional<Bytes>{};
  T3N_ASSIGN_OR_RETURN(Bytes address, add(tx, user, now_ms));
  return std::optional<Bytes>(std::move(address));
}

Result<std::optional<Bytes>> CustodialWallets::sign_digest(store::Transaction& tx, ByteView user, ByteView address,
                                                           ByteView digest32) const {
  if (digest32.size() != 32) return common::invalid_argument("a digest is 32 bytes");
  T3N_ASSIGN_OR_RETURN(Stored s, load(tx, user));
  const std::string wanted = common::hex_encode(address);
  for (const auto& w : s.row["wallets"]) {
    if (w.value("address", "") != wanted) continue;
    T3N_ASSIGN_OR_RETURN(auto data_key, keys_.find(tx, user));
    if (!data_key) return common::data_loss("the user's data key is gone (removed user)");
    T3N_ASSIGN_OR_RETURN(Bytes sealed, common::base64_decode(w.value("sealed", "")));
    auto opened = crypto::open_box(crypto::AeadAlg::kAes256Gcm, *data_key, key_aad(user, "secp256k1", address), sealed);
    if (!opened.ok()) return common::data_loss("a custodial key failed authentication");
    SecretBytes secret(*opened);
    common::secure_zero(*opened);
    T3N_ASSIGN_OR_RETURN(Bytes sig, signer_.sign_recoverable(secret, digest32));
    sig[64] = static_cast<std::uint8_t>(sig[64] + 27);
    return std::optional<Bytes>(std::move(sig));
  }
  return std::optional<Bytes>{};
}

namespace {
Result<crypto::P256PrivateKey> holder_key(const UserDataKeys& keys, store::Transaction& tx, ByteView user,
                                          std::uint64_t now_ms) {
  T3N_ASSIGN_OR_RETURN(Stored s, load(tx, user));
  T3N_ASSIGN_OR_RETURN(SecretBytes data_key, keys.find_or_create(tx, user));
  if (s.row.contains("holder")) {
    const Json& h = s.row["holder"];
    T3N_ASSIGN_OR_RETURN(Bytes pub, common::hex_decode(h.value("public", "")));
    T3N_ASSIGN_OR_RETURN(Bytes sealed, common::base64_decode(h.value("sealed", "")));
    auto opened = crypto::open_box(crypto::AeadAlg::kAes256Gcm, data_key, key_aad(user, "p256-holder", pub), sealed);
    if (!opened.ok()) return common::data_loss("a custodial key failed authentication");
    auto key = crypto::P256PrivateKey::from_scalar(*opened);
    common::secure_zero(*opened);
    return key;
  }
  T3N_ASSIGN_OR_RETURN(auto key, crypto::P256PrivateKey::generate());
  SecretBytes scalar = key.scalar();
  T3N_ASSIGN_OR_RETURN(Bytes sealed, crypto::seal_box(crypto::AeadAlg::kAes256Gcm, data_key,
                                                      key_aad(user, "p256-holder", key.public_key()), scalar));
  s.row["holder"] = Json{{"public", common::hex_encode(key.public_key())}, {"sealed", common::base64_encode(sealed)},
                         {"created_ms", now_ms}};
  T3N_RETURN_IF_ERROR(save(tx, user, s));
  return key;
}
}  // namespace

Result<Bytes> CustodialWallets::holder_public_key(store::Transaction& tx, ByteView user, std::uint64_t now_ms) const {
  T3N_ASSIGN_OR_RETURN(auto key, holder_key(keys_, tx, user, now_ms));
  return key.public_key();
}

Result<Bytes> CustodialWallets::holder_sign(store::Transaction& tx, ByteView user, ByteView message,
                                            std::uint64_t now_ms) const {
  T3N_ASSIGN_OR_RETURN(auto key, holder_key(keys_, tx, user, now_ms));
  return key.sign_raw(message);
}

Result<std::optional<Json>> CustodialWallets::history(store::Transaction& tx, ByteView user, ByteView address) const {
  T3N_ASSIGN_OR_RETURN(Stored s, load(tx, user));
  const std::string hex = common::hex_encode(address);
  for (const auto& w : s.row["wallets"]) {
    if (w.value("address", "") != hex) continue;
    Json events = Json::array({Json{{"Created", {{"at_ms", w.value("created_ms", std::uint64_t{0})}}}}});
    if (w.contains("merged_from") && w["merged_from"].is_object())
      events.push_back(Json{{"MergedFrom", {{"source_did", "did:t3n:" + w["merged_from"].value("source_user", std::string())},
                                            {"at_ms", w["merged_from"].value("at_ms", std::uint64_t{0})}}}});
    if (w.contains("abandoned_ms")) events.push_back(Json{{"Abandoned", {{"at_ms", w["abandoned_ms"]}}}});
    return std::optional<Json>(std::move(events));
  }
  return std::optional<Json>();
}

Result<std::size_t> CustodialWallets::absorb(store::Transaction& tx, ByteView from, ByteView to, std::uint64_t now_ms) const {
  T3N_ASSIGN_OR_RETURN(Stored source, load(tx, from));
  if (source.row["wallets"].empty()) return std::size_t{0};
  T3N_ASSIGN_OR_RETURN(Stored target, load(tx, to));
  if (target.row["wallets"].size() + source.row["wallets"].size() > kMaxWallets)
    return Status(ErrorCode::kResourceExhausted, "the merged account would hold more than " + std::to_string(kMaxWallets) + " wallets");
  T3N_ASSIGN_OR_RETURN(auto from_key, keys_.find(tx, from));
  T3N_ASSIGN_OR_RETURN(SecretBytes to_key, keys_.find_or_create(tx, to));
  // The target gets a primary first, so the merged wallets stay secondary.
  if (target.row["wallets"].empty()) {
    T3N_RETURN_IF_ERROR(add(tx, to, now_ms).status());
    T3N_ASSIGN_OR_RETURN(target, load(tx, to));
  }
  std::size_t moved = 0;
  for (auto w : source.row["wallets"]) {
    T3N_ASSIGN_OR_RETURN(Bytes address, common::hex_decode_canonical(w.value("address", ""), 20));
    if (w.contains("sealed") && from_key) {
      T3N_ASSIGN_OR_RETURN(Bytes sealed, common::base64_decode(w.value("sealed", "")));
      auto opened = crypto::open_box(crypto::AeadAlg::kAes256Gcm, *from_key, key_aad(from, "secp256k1", address), sealed);
      if (!opened.ok()) return common::data_loss("a custodial key failed authentication");
      SecretBytes secret(*opened);
      common::secure_zero(*opened);
      T3N_ASSIGN_OR_RETURN(Bytes resealed, crypto::seal_box(crypto::AeadAlg::kAes256Gcm, to_key, key_aad(to, "secp256k1", address), secret));
      w["sealed"] = common::base64_encode(resealed);
    } else {
      w.erase("sealed");  // abandoned already: the address stays for the record
    }
    w["merged_from"] = Json{{"source_user", common::hex_encode(from)}, {"at_ms", now_ms}};
    target.row["wallets"].push_back(std::move(w));
    ++moved;
  }
  T3N_RETURN_IF_ERROR(save(tx, to, target));
  T3N_RETURN_IF_ERROR(kWalletsTable.in(tx).remove(Bytes(from.begin(), from.end())).status());
  return moved;
}

Result<std::size_t> CustodialWallets::abandon(store::Transaction& tx, ByteView user, std::uint64_t now_ms) const {
  T3N_ASSIGN_OR_RETURN(Stored s, load(tx, user));
  std::size_t n = 0;
  for (auto& w : s.row["wallets"]) {
    w.erase("sealed");
    if (!w.contains("abandoned_ms")) w["abandoned_ms"] = now_ms;
    ++n;
  }
  const bool had_holder = s.row.erase("holder") > 0;
  if (n == 0 && !had_holder) return n;  // nothing stored: write nothing
  T3N_RETURN_IF_ERROR(save(tx, user, s));
  return n;
}

}  // namespace t3n::identity
