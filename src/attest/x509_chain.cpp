#include "attest/x509_chain.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <span>

#include "attest/verification_cache.h"
#include "common/encoding.h"
#include "crypto/hash.h"
#include "crypto/x509.h"

namespace t3n::attest {
namespace {

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

Result<Bytes> verify_uncached(const std::vector<crypto::Certificate>& certs, const CertCheckOptions& o,
                              std::string_view what, LeafKeyForm form, VerificationCache::Chain* window) {
  auto fail = [&](const std::string& why) { return common::verification_failed(std::string(what) + ": " + why); };
  if (certs.size() < 2) return fail("needs at least a leaf and the root");
  const Bytes root = certs.back().der();
  if (root.empty()) return fail("root encoding");
  if (common::hex_encode(crypto::sha256(root)) != o.root_ca_sha256) return fail("does not end at the pinned root CA");
  crypto::ChainCheckOptions chain_options;
  chain_options.at = o.at != 0 ? o.at : std::time(nullptr);
  chain_options.crl_check_whole_chain = o.crl_check_whole_chain;
  for (const auto& der : o.crls_der) {
    auto crl = crypto::Crl::from_der(der);
    if (!crl.ok()) return fail("unparsable CRL");
    chain_options.crls.push_back(std::move(crl).value());
  }
  const std::span<const crypto::Certificate> all(certs);
  auto validity = crypto::verify_chain(certs.front(), all.subspan(1, certs.size() - 2), all.last(1), chain_options);
  if (!validity.ok()) return fail(validity.status().message());
  Bytes pub;
  auto spki = certs.front().public_key_spki();
  if (!spki.ok()) return fail("leaf has no usable public key");
  if (form == LeafKeyForm::kSpkiDer) {
    pub = std::move(spki).value();
  } else {
    auto point = certs.front().p256_public_key();
    if (!point.ok()) return fail("leaf key is not an uncompressed P-256 key");
    pub = std::move(point).value();
  }
  if (window != nullptr) {
    window->valid_from = validity->valid_from;
    window->valid_until = validity->valid_until;
  }
  return pub;
}

template <typename Part, typename Parse>
Result<Bytes> verify_cached(const std::vector<Part>& chain, const CertCheckOptions& o, std::string_view what,
                            LeafKeyForm form, Parse parse) {
  auto run = [&](VerificationCache::Chain* window) -> Result<Bytes> {
    std::vector<crypto::Certificate> certs;
    for (const auto& part : chain) {
      auto c = parse(part);
      if (!c.ok()) return common::invalid_argument(std::string(what) + ": unparsable certificate");
      certs.push_back(std::move(c).value());
    }
    return verify_uncached(certs, o, what, form, window);
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

// As OpenSSL's X509_NAME_get_text_by_NID into a 256-byte buffer gave names
// before: at most 255 bytes, up to the first NUL.
std::string c_string_name(std::string name) {
  name.resize(std::min<std::size_t>(name.size(), 255));
  name.resize(std::strlen(name.c_str()));
  return name;
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
  T3N_ASSIGN_OR_RETURN(crypto::Crl crl, crypto::Crl::from_der(crl_der));
  const std::time_t t = crl.next_update().value_or(0);
  if (t == 0) return common::invalid_argument("the CRL has no nextUpdate");
  return t;
}

Result<std::string> certificate_common_name(const std::string& pem) {
  auto cert = crypto::Certificate::from_pem(pem);
  if (!cert.ok()) return common::invalid_argument("certificate: unparsable certificate");
  return c_string_name(cert->subject_common_name());
}

Result<std::string> certificate_issuer_common_name(const std::string& pem, std::string_view what) {
  auto cert = crypto::Certificate::from_pem(pem);
  if (!cert.ok()) return common::invalid_argument(std::string(what) + ": unparsable certificate");
  return c_string_name(cert->issuer_common_name());
}

Result<Bytes> verify_chain_to_pinned_root(const std::vector<std::string>& pem_chain, const CertCheckOptions& o,
                                          std::string_view what) {
  return verify_cached(pem_chain, o, what, LeafKeyForm::kP256Point,
                       [](const std::string& pem) { return crypto::Certificate::from_pem(pem); });
}

Result<Bytes> verify_der_chain_to_pinned_root(const std::vector<Bytes>& der_chain, const CertCheckOptions& o,
                                              std::string_view what) {
  return verify_cached(der_chain, o, what, LeafKeyForm::kSpkiDer,
                       [](const Bytes& der) { return crypto::Certificate::from_der(der); });
}

}  // namespace t3n::attest
