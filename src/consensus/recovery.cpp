#include "consensus/recovery.h"

extern "C" {
#include <libgfshare.h>
}

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>

#include "common/binary.h"
#include "common/encoding.h"
#include "crypto/aead.h"
#include "crypto/random.h"

namespace t3n::consensus {
namespace {

using common::Json;

constexpr std::size_t kKeySize = 32;
constexpr std::string_view kShareInfo = "t3n/recovery-share/v1";
constexpr std::string_view kWrapLabel = "t3n/recovery-wrap/v1";
constexpr std::string_view kShareText = "t3n-share-1:";

crypto::HpkeSuite share_suite() {
  return {crypto::HpkeKem::kXWing, crypto::HpkeKdf::kHkdfSha256, crypto::HpkeAead::kAes256Gcm};
}

// libgfshare draws its polynomial coefficients through a function pointer
// it holds; by default that is random(3). It is pointed, once, at the
// kernel CSPRNG before any split (and never at anything else).
void kernel_random(unsigned char* out, unsigned int n) {
  if (!crypto::random_bytes(MutableByteView(out, n)).ok()) {
    std::fputs("fatal: no randomness for recovery shares\n", stderr);
    std::abort();  // never split with weak coefficients
  }
}
void use_kernel_random() {
  static std::once_flag once;
  std::call_once(once, [] { gfshare_fill_rand = &kernel_random; });
}

struct GfshareFree {
  void operator()(gfshare_ctx* c) const { gfshare_ctx_free(c); }
};
using GfshareCtx = std::unique_ptr<gfshare_ctx, GfshareFree>;

Bytes wrap_aad(std::uint32_t epoch, std::uint8_t threshold, std::size_t n) {
  Bytes aad = common::to_bytes(kWrapLabel);
  common::append_u32_be(aad, epoch);
  aad.push_back(threshold);
  aad.push_back(static_cast<std::uint8_t>(n));
  return aad;
}

Bytes share_aad(const std::string& member, std::uint8_t index, std::uint32_t epoch) {
  common::BinaryWriter w;
  w.string(member);
  w.u8(index);
  w.u32(epoch);
  return w.take();
}

}  // namespace

Json RecoverySet::to_json() const {
  Json list = Json::array();
  for (const auto& s : shares)
    list.push_back({{"member", s.member}, {"index", s.index}, {"enc", common::base64url_encode(s.enc)},
                    {"ciphertext", common::base64url_encode(s.ciphertext)}});
  return {{"version", 1}, {"epoch", epoch}, {"threshold", threshold}, {"shares", std::move(list)},
          {"wrapped_secret", common::base64url_encode(wrapped_secret)}};
}

Result<RecoverySet> RecoverySet::from_json(const Json& j) {
  auto bad = [](const std::string& why) { return common::invalid_argument("recovery set: " + why); };
  if (!j.is_object() || j.value("version", 0) != 1) return bad("unknown version");
  RecoverySet s;
  if (!j.contains("epoch") || !j["epoch"].is_number_unsigned() || !j.contains("threshold") ||
      !j["threshold"].is_number_unsigned() || !j.contains("shares") || !j["shares"].is_array() ||
      !j.contains("wrapped_secret") || !j["wrapped_secret"].is_string())
    return bad("missing or mistyped fields");
  s.epoch = j["epoch"].get<std::uint32_t>();
  const auto k = j["threshold"].get<std::uint64_t>();
  if (k == 0 || k > 255) return bad("threshold out of range");
  s.threshold = static_cast<std::uint8_t>(k);
  T3N_ASSIGN_OR_RETURN(s.wrapped_secret, common::base64url_decode(j["wrapped_secret"].get<std::string>()));
  std::set<std::uint8_t> seen;
  for (const auto& e : j["shares"]) {
    if (!e.is_object() || !e.contains("member") || !e["member"].is_string() || !e.contains("index") ||
        !e["index"].is_number_unsigned() || !e.contains("enc") || !e["enc"].is_string() || !e.contains("ciphertext") ||
        !e["ciphertext"].is_string())
      return bad("a malformed share");
    SealedShare sh;
    sh.member = e["member"].get<std::string>();
    const auto idx = e["index"].get<std::uint64_t>();
    if (idx == 0 || idx > 255 || !seen.insert(static_cast<std::uint8_t>(idx)).second) return bad("share indexes must be distinct, 1..255");
    sh.index = static_cast<std::uint8_t>(idx);
    T3N_ASSIGN_OR_RETURN(sh.enc, common::base64url_decode(e["enc"].get<std::string>()));
    T3N_ASSIGN_OR_RETURN(sh.ciphertext, common::base64url_decode(e["ciphertext"].get<std::string>()));
    s.shares.push_back(std::move(sh));
  }
  if (s.shares.size() < s.threshold) return bad("fewer shares than the threshold");
  return s;
}

std::string OpenedShare::to_text() const {
  return std::string(kShareText) + std::to_string(index) + ":" + common::base64url_encode(y.view());
}

Result<OpenedShare> OpenedShare::from_text(std::string_view text) {
  auto bad = [] { return common::invalid_argument("a share reads t3n-share-1:<index>:<base64url of 32 bytes>"); };
  if (text.substr(0, kShareText.size()) != kShareText) return bad();
  text.remove_prefix(kShareText.size());
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 3) return bad();
  unsigned idx = 0;
  for (char c : text.substr(0, colon)) {
    if (c < '0' || c > '9') return bad();
    idx = idx * 10 + static_cast<unsigned>(c - '0');
  }
  if (idx == 0 || idx > 255) return bad();
  auto y = common::base64url_decode(text.substr(colon + 1));
  if (!y.ok() || y->size() != kKeySize) return bad();
  OpenedShare s;
  s.index = static_cast<std::uint8_t>(idx);
  s.y = SecretBytes(*y);
  common::secure_zero(*y);
  return s;
}

Result<RecoverySet> create_recovery_set(ByteView ledger_secret, std::uint32_t epoch,
                                        const std::vector<RecoveryMember>& members, std::uint8_t threshold) {
  const std::size_t n = members.size();
  if (n == 0 || n > 255) return common::invalid_argument("a recovery set has 1 to 255 members");
  if (threshold == 0 || threshold > n) return common::invalid_argument("the threshold must be 1..members");
  if (n >= 2 && threshold < 2) return common::invalid_argument("with several members the threshold is at least 2");
  if (ledger_secret.size() < 32) return common::invalid_argument("a ledger secret has at least 32 bytes");
  std::set<std::string> names;
  for (const auto& m : members)
    if (m.name.empty() || !names.insert(m.name).second) return common::invalid_argument("member names must be distinct and non-empty");
  use_kernel_random();

  T3N_ASSIGN_OR_RETURN(SecretBytes wrapping_key, crypto::random_secret(kKeySize));
  RecoverySet set;
  set.epoch = epoch;
  set.threshold = threshold;
  T3N_ASSIGN_OR_RETURN(set.wrapped_secret, crypto::seal_box(crypto::AeadAlg::kAes256Gcm, wrapping_key.view(),
                                                            wrap_aad(epoch, threshold, n), ledger_secret));
  std::vector<unsigned char> indexes(n);
  for (std::size_t i = 0; i < n; ++i) indexes[i] = static_cast<unsigned char>(i + 1);
  GfshareCtx ctx(gfshare_ctx_init_enc(indexes.data(), static_cast<unsigned>(n), threshold, kKeySize));
  if (!ctx) return common::internal_error("could not set up the secret split");
  SecretBytes key_copy = wrapping_key.clone();  // libgfshare takes a mutable pointer
  gfshare_ctx_enc_setsecret(ctx.get(), key_copy.data());
  SecretBytes y(kKeySize);
  for (std::size_t i = 0; i < n; ++i) {
    gfshare_ctx_enc_getshare(ctx.get(), static_cast<unsigned char>(i), y.data());
    SealedShare sh;
    sh.member = members[i].name;
    sh.index = indexes[i];
    T3N_ASSIGN_OR_RETURN(auto sealed, crypto::hpke_seal(share_suite(), members[i].public_key, common::as_bytes(kShareInfo),
                                                        share_aad(sh.member, sh.index, epoch), y.view()));
    sh.enc = std::move(sealed.enc);
    sh.ciphertext = std::move(sealed.ciphertext);
    set.shares.push_back(std::move(sh));
  }
  return set;
}

Result<OpenedShare> open_share(const RecoverySet& set, const std::string& member, const crypto::HpkePrivateKey& key) {
  for (const auto& sh : set.shares) {
    if (sh.member != member) continue;
    auto plain = crypto::hpke_open(share_suite(), key, sh.enc, common::as_bytes(kShareInfo),
                                   share_aad(sh.member, sh.index, set.epoch), sh.ciphertext);
    if (!plain.ok() || plain->size() != kKeySize)
      return common::verification_failed("this key does not open " + member + "'s share");
    OpenedShare out;
    out.index = sh.index;
    out.y = SecretBytes(*plain);
    common::secure_zero(*plain);
    return out;
  }
  return common::not_found("no share for member " + member);
}

Result<SecretBytes> recover_ledger_secret(const RecoverySet& set, const std::vector<OpenedShare>& shares) {
  std::set<std::uint8_t> distinct;
  for (const auto& s : shares) {
    if (s.index == 0 || s.y.size() != kKeySize) return common::invalid_argument("a malformed share");
    distinct.insert(s.index);
  }
  if (distinct.size() != shares.size()) return common::invalid_argument("the same share was given twice");
  if (shares.size() < set.threshold)
    return common::verification_failed("recovery needs " + std::to_string(set.threshold) + " shares; " +
                                       std::to_string(shares.size()) + " given");
  std::vector<unsigned char> indexes;
  for (const auto& s : shares) indexes.push_back(s.index);
  GfshareCtx ctx(gfshare_ctx_init_dec(indexes.data(), static_cast<unsigned>(indexes.size()), kKeySize));
  if (!ctx) return common::internal_error("could not set up the secret combination");
  for (std::size_t i = 0; i < shares.size(); ++i) {
    SecretBytes y = shares[i].y.clone();
    gfshare_ctx_dec_giveshare(ctx.get(), static_cast<unsigned char>(i), y.data());
  }
  SecretBytes wrapping_key(kKeySize);
  gfshare_ctx_dec_extract(ctx.get(), wrapping_key.data());
  auto secret = crypto::open_box(crypto::AeadAlg::kAes256Gcm, wrapping_key.view(),
                                 wrap_aad(set.epoch, set.threshold, set.shares.size()), set.wrapped_secret);
  if (!secret.ok()) return common::verification_failed("the shares do not recover this cluster's wrapping key");
  SecretBytes out(*secret);
  common::secure_zero(*secret);
  return out;
}

}  // namespace t3n::consensus
