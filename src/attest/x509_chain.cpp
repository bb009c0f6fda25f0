#include "attest/x509_chain.h"

#include "attest/openssl_ptr.h"
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <ctime>
#include <limits>
#include <memory>

#include "attest/verification_cache.h"
#include "common/encoding.h"
#include "crypto/hash.h"

namespace t3n::attest {

namespace detail {

Result<X509Ptr> parse_pem_certificate(std::string_view pem, std::string_view what) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();
  if (!cert) return common::invalid_argument(std::string(what) + ": unparsable certificate");
  return cert;
}

Bytes certificate_der(const X509* cert) {
  const int len = i2d_X509(cert, nullptr);
  if (len <= 0) {
    ERR_clear_error();
    return {};
  }
  Bytes der(static_cast<std::size_t>(len));
  unsigned char* out = der.data();
  i2d_X509(cert, &out);
  return der;
}

}  // namespace detail
namespace {

using namespace detail;  // NOLINT: the module's OpenSSL deleters


std::time_t to_time(const ASN1_TIME* t, std::time_t fallback) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return fallback;
  return ::timegm(&tm);
}

template <typename Part>
std::string chain_cache_key(const std::vector<Part>& chain, const CertCheckOptions& o, std::string_view what,
                            std::string_view form) {
  Bytes material = common::to_bytes(what);
  auto add = [&](ByteView part) {
    common::append_u32_be(material, static_cast<std::uint32_t>(part.size()));
    common::append(material, part);
  };
  add(common::as_bytes(form));
  add(common::as_bytes(o.crl_check_whole_chain ? "crl:all" : "crl:leaf"));
  add(common::as_bytes(o.root_ca_sha256));
  for (const auto& cert : chain) add(ByteView(reinterpret_cast<const std::uint8_t*>(cert.data()), cert.size()));
  for (const auto& crl : o.crls_der) add(crl);
  return common::hex_encode(crypto::sha256(material));
}

enum class LeafKeyForm { kP256Point, kSpkiDer };

Result<Bytes> verify_uncached(std::vector<X509Ptr> certs, const CertCheckOptions& o, std::string_view what,
                              LeafKeyForm form, VerificationCache::Chain* window);

template <typename Part, typename Parse>
Result<Bytes> verify_cached(const std::vector<Part>& chain, const CertCheckOptions& o, std::string_view what,
                            LeafKeyForm form, Parse parse) {
  auto run = [&](VerificationCache::Chain* window) -> Result<Bytes> {
    std::vector<X509Ptr> certs;
    for (const auto& part : chain) {
      T3N_ASSIGN_OR_RETURN(X509Ptr c, parse(part));
      certs.push_back(std::move(c));
    }
    return verify_uncached(std::move(certs), o, what, form, window);
  };
  if (o.cache == nullptr) return run(nullptr);
  const std::time_t at = o.at != 0 ? o.at : std::time(nullptr);
  const std::string key = chain_cache_key(chain, o, what, form == LeafKeyForm::kP256Point ? "p256" : "spki");
  if (auto hit = o.cache->chain(key, at)) return *hit;
  VerificationCache::Chain window;
  T3N_ASSIGN_OR_RETURN(window.leaf_key, run(&window));
  o.cache->put_chain(key, window);
  return window.leaf_key;
}

}  // namespace

Result<std::vector<std::string>> split_pem_certificates(std::string_view text) {
  std::vector<std::string> out;
  const std::string_view begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
  std::size_t pos = 0;
  while ((pos = text.find(begin, pos)) != std::string_view::npos) {
    auto stop = text.find(end, pos);
    if (stop == std::string_view::npos) return common::invalid_argument("unterminated PEM certificate");
    out.emplace_back(text.substr(pos, stop + end.size() - pos));
    out.back() += "\n";
    pos = stop + end.size();
    if (out.size() > 8) return common::invalid_argument("too many certificates in a chain");
  }
  return out;
}

Result<std::time_t> crl_next_update(ByteView crl_der) {
  const unsigned char* p = crl_der.data();
  std::unique_ptr<X509_CRL, CrlDeleter> crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(crl_der.size())));
  ERR_clear_error();
  if (!crl || p != crl_der.data() + crl_der.size()) return common::invalid_argument("unparsable CRL");
  const std::time_t t = to_time(X509_CRL_get0_nextUpdate(crl.get()), 0);
  if (t == 0) return common::invalid_argument("the CRL has no nextUpdate");
  return t;
}

Result<std::string> certificate_common_name(const std::string& pem) {
  T3N_ASSIGN_OR_RETURN(X509Ptr cert, parse_pem_certificate(pem, "certificate"));
  char cn[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn - 1) < 0) {
    ERR_clear_error();
    return std::string();
  }
  return std::string(cn);
}

Result<Bytes> verify_chain_to_pinned_root(const std::vector<std::string>& pem_chain, const CertCheckOptions& o,
                                          std::string_view what) {
  return verify_cached(pem_chain, o, what, LeafKeyForm::kP256Point,
                       [&](const std::string& pem) { return parse_pem_certificate(pem, what); });
}

Result<Bytes> verify_der_chain_to_pinned_root(const std::vector<Bytes>& der_chain, const CertCheckOptions& o,
                                              std::string_view what) {
  return verify_cached(der_chain, o, what, LeafKeyForm::kSpkiDer, [&](const Bytes& der) -> Result<X509Ptr> {
    const unsigned char* p = der.data();
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    ERR_clear_error();
    if (!cert || p != der.data() + der.size())
      return common::invalid_argument(std::string(what) + ": unparsable certificate");
    return cert;
  });
}

namespace {

Result<Bytes> verify_uncached(std::vector<X509Ptr> certs, const CertCheckOptions& o, std::string_view what,
                              LeafKeyForm form, VerificationCache::Chain* window) {
  auto fail = [&](const std::string& why) { return common::verification_failed(std::string(what) + ": " + why); };
  if (certs.size() < 2) return fail("needs at least a leaf and the root");
  const Bytes root = certificate_der(certs.back().get());
  if (root.empty()) return fail("root encoding");
  if (common::hex_encode(crypto::sha256(root)) != o.root_ca_sha256) return fail("does not end at the pinned root CA");
  // Every failure below clears OpenSSL's thread-local error queue, so no
  // stale error is reported to the next caller on this thread.
  auto openssl_fail = [&](const std::string& why) {
    ERR_clear_error();
    return fail(why);
  };
  std::unique_ptr<X509_STORE, StoreDeleter> store(X509_STORE_new());
  if (!store || X509_STORE_add_cert(store.get(), certs.back().get()) != 1) return openssl_fail("certificate store");
  unsigned long flags = X509_V_FLAG_USE_CHECK_TIME;
  std::vector<std::unique_ptr<X509_CRL, CrlDeleter>> crls;
  for (const auto& der : o.crls_der) {
    const unsigned char* q = der.data();
    std::unique_ptr<X509_CRL, CrlDeleter> crl(d2i_X509_CRL(nullptr, &q, static_cast<long>(der.size())));
    if (!crl || q != der.data() + der.size()) return openssl_fail("unparsable CRL");
    if (X509_STORE_add_crl(store.get(), crl.get()) != 1) return openssl_fail("certificate store (CRL)");
    crls.push_back(std::move(crl));
  }
  if (!crls.empty()) flags |= X509_V_FLAG_CRL_CHECK | (o.crl_check_whole_chain ? X509_V_FLAG_CRL_CHECK_ALL : 0);
  std::unique_ptr<STACK_OF(X509), StackDeleter> untrusted(sk_X509_new_null());
  if (!untrusted) return openssl_fail("certificate store");
  for (std::size_t i = 1; i + 1 < certs.size(); ++i) {
    X509* copy = X509_dup(certs[i].get());
    if (copy == nullptr || sk_X509_push(untrusted.get(), copy) <= 0) {
      X509_free(copy);
      return openssl_fail("certificate store (intermediate)");
    }
  }
  std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), certs.front().get(), untrusted.get()) != 1)
    return openssl_fail("certificate store");
  X509_STORE_CTX_set_flags(ctx.get(), flags);
  X509_STORE_CTX_set_time(ctx.get(), 0, o.at != 0 ? o.at : std::time(nullptr));
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return fail(X509_verify_cert_error_string(err));
  }
  Bytes pub;
  EVP_PKEY* leaf_key = X509_get0_pubkey(certs.front().get());
  if (leaf_key == nullptr) return fail("leaf has no usable public key");
  if (form == LeafKeyForm::kSpkiDer) {
    const int spki_len = i2d_PUBKEY(leaf_key, nullptr);
    if (spki_len <= 0) return fail("leaf key encoding");
    pub.resize(static_cast<std::size_t>(spki_len));
    unsigned char* out = pub.data();
    i2d_PUBKEY(leaf_key, &out);
  } else {
    pub.resize(65);
    std::size_t n = 0;
    if (EVP_PKEY_get_bits(leaf_key) != 256 ||
        EVP_PKEY_get_octet_string_param(leaf_key, "encoded-pub-key", pub.data(), pub.size(), &n) != 1 || n != 65) {
      ERR_clear_error();
      return fail("leaf key is not an uncompressed P-256 key");
    }
  }
  if (window != nullptr) {
    // Where the same chain and CRLs verify again: inside every validity period.
    window->valid_from = 0;
    window->valid_until = std::numeric_limits<std::time_t>::max();
    auto narrow = [&](std::time_t from, std::time_t until) {
      window->valid_from = std::max(window->valid_from, from);
      window->valid_until = std::min(window->valid_until, until);
    };
    for (const auto& c : certs)
      narrow(to_time(X509_get0_notBefore(c.get()), std::numeric_limits<std::time_t>::max()),
             to_time(X509_get0_notAfter(c.get()), 0));
    for (const auto& crl : crls)
      narrow(to_time(X509_CRL_get0_lastUpdate(crl.get()), std::numeric_limits<std::time_t>::max()),
             to_time(X509_CRL_get0_nextUpdate(crl.get()), std::numeric_limits<std::time_t>::max()));
  }
  return pub;
}

}  // namespace

}  // namespace t3n::attest
