#include "crypto/hash.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "crypto/native.h"
#include "crypto/openssl_util.h"

namespace t3n::crypto {
namespace {

// OpenSSL only fails here on allocation failure; there is no input that can
// make a digest fail, so this is fatal rather than a Result.
[[noreturn]] void fatal(const char* what) {
  std::fprintf(stderr, "fatal: OpenSSL %s failed\n", what);
  std::abort();
}

// Algorithms are fetched once (immutable afterwards) to skip the per-call
// implicit fetch.
const EVP_MD* md_sha256() { static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr); return md; }
const EVP_MD* md_sha384() { static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA2-384", nullptr); return md; }
const EVP_MD* md_sha512() { static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA2-512", nullptr); return md; }
const EVP_MD* md_sha3_256() { static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA3-256", nullptr); return md; }
const EVP_MD* md_shake128() { static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHAKE-128", nullptr); return md; }
const EVP_MD* md_shake256() { static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHAKE-256", nullptr); return md; }

const EVP_MD* md_for(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha256: return md_sha256();
    case HashAlg::kSha384: return md_sha384();
    case HashAlg::kSha512: return md_sha512();
  }
  return md_sha256();
}

template <std::size_t N>
std::array<std::uint8_t, N> digest_fixed(const EVP_MD* md, ByteView data) {
  std::array<std::uint8_t, N> out{};
  unsigned int len = 0;
  if (md == nullptr || EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1 || len != N)
    fatal("digest");
  return out;
}

Bytes xof(const EVP_MD* md, ByteView data, std::size_t out_len) {
  Bytes out(out_len);
  detail::MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || md == nullptr || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      (out_len > 0 && EVP_DigestFinalXOF(ctx.get(), out.data(), out_len) != 1))
    fatal("XOF");
  return out;
}

}  // namespace

std::size_t hash_size(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha256: return 32;
    case HashAlg::kSha384: return 48;
    case HashAlg::kSha512: return 64;
  }
  return 32;
}

Digest32 sha256(ByteView data) { return digest_fixed<32>(md_sha256(), data); }
Digest48 sha384(ByteView data) { return digest_fixed<48>(md_sha384(), data); }
Digest64 sha512(ByteView data) { return digest_fixed<64>(md_sha512(), data); }
Digest32 sha3_256(ByteView data) { return digest_fixed<32>(md_sha3_256(), data); }
Bytes shake128(ByteView data, std::size_t out_len) { return xof(md_shake128(), data, out_len); }
Bytes shake256(ByteView data, std::size_t out_len) { return xof(md_shake256(), data, out_len); }

Digest32 keccak256(ByteView data) {
  Digest32 out{};
  if (t3n_keccak256(data.data(), data.size(), out.data()) != 0) fatal("keccak256");
  return out;
}

Digest64 keccak512(ByteView data) {
  Digest64 out{};
  if (t3n_keccak512(data.data(), data.size(), out.data()) != 0) fatal("keccak512");
  return out;
}

Bytes hash(HashAlg alg, ByteView data) {
  switch (alg) {
    case HashAlg::kSha256: { auto d = sha256(data); return {d.begin(), d.end()}; }
    case HashAlg::kSha384: { auto d = sha384(data); return {d.begin(), d.end()}; }
    case HashAlg::kSha512: { auto d = sha512(data); return {d.begin(), d.end()}; }
  }
  return {};
}

Result<Bytes> digest_by_name(std::string_view name, ByteView data, std::size_t xof_len) {
  std::string n(name);
  EVP_MD* md = EVP_MD_fetch(nullptr, n.c_str(), nullptr);
  if (md == nullptr) {
    ERR_clear_error();
    return common::invalid_argument("unknown digest '" + n + "'");
  }
  detail::MdPtr holder(md);
  if ((EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF) != 0) {
    if (xof_len == 0) return common::invalid_argument("digest '" + n + "' is an XOF: give an output length");
    return xof(md, data, xof_len);
  }
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) fatal("digest");
  out.resize(len);
  return out;
}

Digest32 hmac_sha256(ByteView key, ByteView data) {
  Digest32 out{};
  unsigned int len = 0;
  if (HMAC(md_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(), &len) ==
      nullptr)
    fatal("HMAC");
  return out;
}

Bytes hmac(HashAlg alg, ByteView key, ByteView data) {
  Bytes out(hash_size(alg));
  unsigned int len = 0;
  if (HMAC(md_for(alg), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(), &len) ==
      nullptr)
    fatal("HMAC");
  return out;
}

struct HmacSha256::Impl {
  detail::MdCtxPtr inner{EVP_MD_CTX_new()};  // SHA-256 state after K ^ ipad
  detail::MdCtxPtr outer{EVP_MD_CTX_new()};  // SHA-256 state after K ^ opad
  mutable std::mutex mu;                     // guards `work`
  detail::MdCtxPtr work{EVP_MD_CTX_new()};
};

HmacSha256::HmacSha256(ByteView key) : impl_(std::make_unique<Impl>()) {
  constexpr std::size_t kBlock = 64;
  std::array<std::uint8_t, kBlock> k{};
  if (key.size() > kBlock) {
    const Digest32 d = sha256(key);
    std::copy(d.begin(), d.end(), k.begin());
  } else {
    std::copy(key.begin(), key.end(), k.begin());
  }
  std::array<std::uint8_t, kBlock> pad{};
  auto absorb = [&](EVP_MD_CTX* ctx, std::uint8_t x) {
    for (std::size_t i = 0; i < kBlock; ++i) pad[i] = k[i] ^ x;
    if (!ctx || EVP_DigestInit_ex(ctx, md_sha256(), nullptr) != 1 || EVP_DigestUpdate(ctx, pad.data(), kBlock) != 1)
      fatal("HMAC-SHA256 key setup");
  };
  absorb(impl_->inner.get(), 0x36);
  absorb(impl_->outer.get(), 0x5c);
  if (!impl_->work) fatal("HMAC-SHA256 key setup");
  OPENSSL_cleanse(k.data(), k.size());
  OPENSSL_cleanse(pad.data(), pad.size());
}
HmacSha256::HmacSha256(HmacSha256&&) noexcept = default;
HmacSha256& HmacSha256::operator=(HmacSha256&&) noexcept = default;
HmacSha256::~HmacSha256() = default;

Digest32 HmacSha256::mac(ByteView data) const {
  Digest32 inner_hash{};
  Digest32 out{};
  unsigned int len = 0;
  std::lock_guard lock(impl_->mu);
  EVP_MD_CTX* w = impl_->work.get();
  if (EVP_MD_CTX_copy_ex(w, impl_->inner.get()) != 1 || EVP_DigestUpdate(w, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(w, inner_hash.data(), &len) != 1 || EVP_MD_CTX_copy_ex(w, impl_->outer.get()) != 1 ||
      EVP_DigestUpdate(w, inner_hash.data(), inner_hash.size()) != 1 || EVP_DigestFinal_ex(w, out.data(), &len) != 1)
    fatal("HMAC-SHA256");
  return out;
}

struct Sha256::Impl {
  detail::MdCtxPtr ctx{EVP_MD_CTX_new()};
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx.get(), md_sha256(), nullptr) != 1) fatal("SHA-256 init");
}
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

void Sha256::update(ByteView data) {
  if (EVP_DigestUpdate(impl_->ctx.get(), data.data(), data.size()) != 1) fatal("SHA-256 update");
}

Digest32 Sha256::finish() {
  Digest32 out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx.get(), out.data(), &len) != 1 ||
      EVP_DigestInit_ex(impl_->ctx.get(), md_sha256(), nullptr) != 1)
    fatal("SHA-256 final");
  return out;
}

}  // namespace t3n::crypto
