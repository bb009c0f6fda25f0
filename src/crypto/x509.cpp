#include "crypto/x509.h"

#include <openssl/pem.h>

#include <algorithm>
#include <functional>
#include <limits>

#include "crypto/ec_internal.h"
#include "crypto/openssl_util.h"
#include "crypto/p256.h"
#include "crypto/p384.h"

namespace t3n::crypto {

struct Certificate::Impl {
  detail::X509Ptr x509;
};

struct Crl::Impl {
  detail::CrlPtr crl;
};

// The OpenSSL objects behind the value types, for this file only.
class CertificateAccess {
 public:
  static X509* get(const Certificate& c) { return c.impl_->x509.get(); }
  static X509_CRL* get(const Crl& c) { return c.impl_->crl.get(); }
  static Certificate wrap(detail::X509Ptr x) {
    auto impl = std::make_shared<Certificate::Impl>();
    impl->x509 = std::move(x);
    return Certificate(std::move(impl));
  }
  static Crl wrap(detail::CrlPtr c) {
    auto impl = std::make_shared<Crl::Impl>();
    impl->crl = std::move(c);
    return Crl(std::move(impl));
  }
};

namespace {

using detail::openssl_error;

std::optional<std::time_t> to_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return ::timegm(&tm);
}

std::string first_common_name(const X509_NAME* name) {
  const int idx = name != nullptr ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
  if (idx < 0) return {};
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  if (s == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

Bytes integer_magnitude(const ASN1_INTEGER* i) {
  detail::BnPtr bn(i != nullptr ? ASN1_INTEGER_to_BN(i, nullptr) : nullptr);
  if (!bn) {
    ERR_clear_error();
    return {};
  }
  Bytes out(static_cast<std::size_t>(BN_num_bytes(bn.get())));
  BN_bn2bin(bn.get(), out.data());
  return out;
}

// i2d into a fresh buffer; empty on failure.
template <typename F>
Bytes i2d_bytes(F encode) {
  unsigned char* buf = nullptr;
  const int n = encode(&buf);
  detail::OpensslBufferPtr owner(buf);
  if (n <= 0 || buf == nullptr) {
    ERR_clear_error();
    return {};
  }
  return Bytes(buf, buf + n);
}

}  // namespace

// --- Certificate ---

Certificate::Certificate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
Certificate::Certificate(const Certificate&) = default;
Certificate& Certificate::operator=(const Certificate&) = default;
Certificate::Certificate(Certificate&&) noexcept = default;
Certificate& Certificate::operator=(Certificate&&) noexcept = default;
Certificate::~Certificate() = default;

Result<Certificate> Certificate::from_der(ByteView der) {
  const unsigned char* p = der.data();
  detail::X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (!x || p != der.data() + der.size()) return common::invalid_argument("unparsable certificate");
  return CertificateAccess::wrap(std::move(x));
}

Result<Certificate> Certificate::from_pem(std::string_view pem) {
  detail::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  detail::X509Ptr x(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();
  if (!x) return common::invalid_argument("unparsable certificate");
  return CertificateAccess::wrap(std::move(x));
}

Bytes Certificate::der() const {
  return i2d_bytes([&](unsigned char** out) { return i2d_X509(impl_->x509.get(), out); });
}

Digest32 Certificate::sha256() const { return crypto::sha256(der()); }

std::string Certificate::pem() const {
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), impl_->x509.get()) != 1) {
    ERR_clear_error();
    return {};
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string Certificate::subject_common_name() const {
  return first_common_name(X509_get_subject_name(impl_->x509.get()));
}

std::string Certificate::issuer_common_name() const {
  return first_common_name(X509_get_issuer_name(impl_->x509.get()));
}

Bytes Certificate::serial() const { return integer_magnitude(X509_get0_serialNumber(impl_->x509.get())); }

std::optional<std::time_t> Certificate::not_before() const { return to_time(X509_get0_notBefore(impl_->x509.get())); }
std::optional<std::time_t> Certificate::not_after() const { return to_time(X509_get0_notAfter(impl_->x509.get())); }

Result<Bytes> Certificate::public_key_spki() const {
  EVP_PKEY* key = X509_get0_pubkey(impl_->x509.get());
  ERR_clear_error();
  if (key == nullptr) return common::invalid_argument("the certificate has no usable public key");
  Bytes spki = i2d_bytes([&](unsigned char** out) { return i2d_PUBKEY(key, out); });
  if (spki.empty()) return common::invalid_argument("the certificate's public key cannot be encoded");
  return spki;
}

Result<Bytes> Certificate::p256_public_key() const {
  EVP_PKEY* key = X509_get0_pubkey(impl_->x509.get());
  char group[64] = {};
  std::size_t group_len = 0;
  Bytes pub(kP256UncompressedSize);
  std::size_t n = 0;
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
      EVP_PKEY_get_group_name(key, group, sizeof group, &group_len) != 1 ||
      std::string_view(group) != detail::p256_curve().group_name ||
      EVP_PKEY_get_octet_string_param(key, "encoded-pub-key", pub.data(), pub.size(), &n) != 1 || n != pub.size()) {
    ERR_clear_error();
    return common::invalid_argument("the certificate's key is not an uncompressed P-256 key");
  }
  return pub;
}

Result<std::vector<Bytes>> Certificate::extensions(std::string_view oid) const {
  detail::ObjPtr obj(OBJ_txt2obj(std::string(oid).c_str(), 1));
  if (!obj) {
    ERR_clear_error();
    return common::invalid_argument("bad OID " + std::string(oid));
  }
  std::vector<Bytes> out;
  X509* x = impl_->x509.get();
  for (int idx = X509_get_ext_by_OBJ(x, obj.get(), -1); idx >= 0; idx = X509_get_ext_by_OBJ(x, obj.get(), idx)) {
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(x, idx));
    if (data == nullptr) {
      out.emplace_back();
      continue;
    }
    const unsigned char* v = ASN1_STRING_get0_data(data);
    out.emplace_back(v, v + ASN1_STRING_length(data));
  }
  return out;
}

// --- Crl ---

Crl::Crl(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
Crl::Crl(const Crl&) = default;
Crl& Crl::operator=(const Crl&) = default;
Crl::Crl(Crl&&) noexcept = default;
Crl& Crl::operator=(Crl&&) noexcept = default;
Crl::~Crl() = default;

Result<Crl> Crl::from_der(ByteView der) {
  const unsigned char* p = der.data();
  detail::CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (!crl || p != der.data() + der.size()) return common::invalid_argument("unparsable CRL");
  return CertificateAccess::wrap(std::move(crl));
}

Result<Crl> Crl::from_pem(std::string_view pem) {
  detail::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  detail::CrlPtr crl(bio ? PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();
  if (!crl) return common::invalid_argument("unparsable CRL");
  return CertificateAccess::wrap(std::move(crl));
}

Bytes Crl::der() const {
  return i2d_bytes([&](unsigned char** out) { return i2d_X509_CRL(impl_->crl.get(), out); });
}

std::string Crl::issuer_common_name() const { return first_common_name(X509_CRL_get_issuer(impl_->crl.get())); }
std::optional<std::time_t> Crl::last_update() const { return to_time(X509_CRL_get0_lastUpdate(impl_->crl.get())); }
std::optional<std::time_t> Crl::next_update() const { return to_time(X509_CRL_get0_nextUpdate(impl_->crl.get())); }

std::vector<Bytes> Crl::revoked_serials() const {
  std::vector<Bytes> out;
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(impl_->crl.get());
  for (int i = 0; revoked != nullptr && i < sk_X509_REVOKED_num(revoked); ++i)
    out.push_back(integer_magnitude(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i))));
  return out;
}

// --- chains ---

Result<ChainValidity> verify_chain(const Certificate& leaf, std::span<const Certificate> intermediates,
                                   std::span<const Certificate> trust_anchors, const ChainCheckOptions& o) {
  // Every failure clears OpenSSL's thread-local error queue, so no stale
  // error is reported to the next caller on this thread.
  auto fail = [](const std::string& why) {
    ERR_clear_error();
    return common::verification_failed(why);
  };
  detail::StorePtr store(X509_STORE_new());
  if (!store) return fail("certificate store");
  for (const auto& anchor : trust_anchors)
    if (X509_STORE_add_cert(store.get(), CertificateAccess::get(anchor)) != 1) return fail("certificate store");
  unsigned long flags = X509_V_FLAG_USE_CHECK_TIME;
  for (const auto& crl : o.crls)
    if (X509_STORE_add_crl(store.get(), CertificateAccess::get(crl)) != 1) return fail("certificate store (CRL)");
  if (!o.crls.empty()) flags |= X509_V_FLAG_CRL_CHECK | (o.crl_check_whole_chain ? X509_V_FLAG_CRL_CHECK_ALL : 0);
  detail::X509StackPtr untrusted(sk_X509_new_null());
  if (!untrusted) return fail("certificate store");
  for (const auto& c : intermediates) {
    X509* x = CertificateAccess::get(c);
    if (X509_up_ref(x) != 1) return fail("certificate store (intermediate)");
    if (sk_X509_push(untrusted.get(), x) <= 0) {
      X509_free(x);
      return fail("certificate store (intermediate)");
    }
  }
  detail::StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), CertificateAccess::get(leaf), untrusted.get()) != 1)
    return fail("certificate store");
  X509_STORE_CTX_set_flags(ctx.get(), flags);
  X509_STORE_CTX_set_time(ctx.get(), 0, o.at);
  if (X509_verify_cert(ctx.get()) != 1) return fail(X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));

  constexpr std::time_t kNever = std::numeric_limits<std::time_t>::max();
  ChainValidity window{0, kNever};
  auto narrow = [&](std::time_t from, std::time_t until) {
    window.valid_from = std::max(window.valid_from, from);
    window.valid_until = std::min(window.valid_until, until);
  };
  auto narrow_cert = [&](const Certificate& c) { narrow(c.not_before().value_or(kNever), c.not_after().value_or(0)); };
  narrow_cert(leaf);
  for (const auto& c : intermediates) narrow_cert(c);
  for (const auto& c : trust_anchors) narrow_cert(c);
  for (const auto& crl : o.crls) narrow(crl.last_update().value_or(kNever), crl.next_update().value_or(kNever));
  return window;
}

// --- issuing ---

Bytes der_tlv(std::uint8_t tag, ByteView content) {
  Bytes out{tag};
  const std::size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    Bytes len;
    for (std::size_t v = n; v != 0; v >>= 8) len.insert(len.begin(), static_cast<std::uint8_t>(v & 0xFF));
    out.push_back(static_cast<std::uint8_t>(0x80 | len.size()));
    common::append(out, len);
  }
  common::append(out, content);
  return out;
}

Result<Bytes> der_object_identifier(std::string_view dotted) {
  detail::ObjPtr obj(OBJ_txt2obj(std::string(dotted).c_str(), 1));
  if (!obj) return openssl_error(ErrorCode::kInvalidArgument, "bad OID " + std::string(dotted));
  Bytes out = i2d_bytes([&](unsigned char** p) { return i2d_ASN1_OBJECT(obj.get(), p); });
  if (out.empty()) return openssl_error(ErrorCode::kInternal, "OID encoding");
  return out;
}

namespace {

// Who signs: the curve (hence the digest) and an RFC 6979 signer.
struct Signer {
  const detail::EcCurve& curve;
  std::function<Result<Bytes>(ByteView)> sign_raw_deterministic;
};

Status issue_failure(const std::string& what) { return openssl_error(ErrorCode::kInternal, what); }

const EVP_MD* digest_of(const detail::EcCurve& c) { return c.hash == HashAlg::kSha384 ? EVP_sha384() : EVP_sha256(); }

// OpenSSL signs certificates and CRLs only with randomized ECDSA, so it signs
// with a throwaway key (which fills in the algorithm fields), and the
// signature is then replaced by a deterministic one over the same TBS bytes.
Result<detail::PkeyPtr> throwaway_key(const detail::EcCurve& c) {
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", c.label);
  if (k == nullptr) return issue_failure("key generation");
  return detail::PkeyPtr(k);
}

Result<Bytes> deterministic_signed(ByteView tbs, ByteView algorithm, const Signer& signer) {
  T3N_ASSIGN_OR_RETURN(Bytes raw, signer.sign_raw_deterministic(tbs));
  T3N_ASSIGN_OR_RETURN(Bytes sig, detail::ecdsa_raw_to_der(signer.curve, raw));
  Bytes bits{0x00};
  common::append(bits, sig);
  return der_tlv(0x30, common::concat({tbs, algorithm, der_tlv(0x03, bits)}));
}

Result<detail::PkeyPtr> subject_key(ByteView point) {
  if (point.size() == kP256UncompressedSize) return detail::ec_pkey_from(detail::p256_curve(), nullptr, point);
  if (point.size() == kP384UncompressedSize) return detail::ec_pkey_from(detail::p384_curve(), nullptr, point);
  return common::invalid_argument("subject key must be an uncompressed P-256 or P-384 point");
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

Result<Certificate> issue(const CertificateSpec& spec, ByteView subject_point, const Certificate* issuer,
                          const Signer& signer) {
  detail::X509Ptr x(X509_new());
  detail::NamePtr name(X509_NAME_new());
  T3N_ASSIGN_OR_RETURN(detail::PkeyPtr pub, subject_key(subject_point));
  if (!x || !name || X509_set_version(x.get(), 2) != 1 ||
      ASN1_INTEGER_set_uint64(X509_get_serialNumber(x.get()), spec.serial) != 1)
    return issue_failure("certificate fields");
  for (const auto& [field, value] : spec.subject) {
    if (X509_NAME_add_entry_by_txt(name.get(), field.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) != 1)
      return issue_failure("certificate subject");
  }
  X509* issuer_x = issuer != nullptr ? CertificateAccess::get(*issuer) : nullptr;
  if (X509_set_subject_name(x.get(), name.get()) != 1 ||
      X509_set_issuer_name(x.get(), issuer_x != nullptr ? X509_get_subject_name(issuer_x) : name.get()) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(x.get()), spec.not_before) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x.get()), spec.not_after) == nullptr || X509_set_pubkey(x.get(), pub.get()) != 1)
    return issue_failure("certificate fields");
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_x != nullptr ? issuer_x : x.get(), x.get(), nullptr, nullptr, 0);
  std::vector<std::pair<int, std::string>> exts;
  if (spec.subject_key_identifier) exts.emplace_back(NID_subject_key_identifier, "hash");
  if (spec.authority_key_identifier) exts.emplace_back(NID_authority_key_identifier, "keyid:always");
  if (spec.basic_constraints) {
    std::string bc = spec.basic_constraints->ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
    if (spec.basic_constraints->path_length) bc += ",pathlen:" + std::to_string(*spec.basic_constraints->path_length);
    exts.emplace_back(NID_basic_constraints, bc);
  }
  if (!spec.key_usage.empty()) exts.emplace_back(NID_key_usage, "critical," + join(spec.key_usage));
  for (const auto& [nid, value] : exts) {
    detail::ExtPtr e(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!e || X509_add_ext(x.get(), e.get(), -1) != 1) return issue_failure("certificate extension");
  }
  for (const auto& ext : spec.extensions) {
    detail::ObjPtr oid(OBJ_txt2obj(ext.oid.c_str(), 1));
    detail::OctetPtr value(ASN1_OCTET_STRING_new());
    if (!oid || !value || ASN1_OCTET_STRING_set(value.get(), ext.value.data(), static_cast<int>(ext.value.size())) != 1)
      return issue_failure("certificate extension " + ext.oid);
    detail::ExtPtr e(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), ext.critical ? 1 : 0, value.get()));
    if (!e || X509_add_ext(x.get(), e.get(), -1) != 1) return issue_failure("certificate extension " + ext.oid);
  }
  T3N_ASSIGN_OR_RETURN(detail::PkeyPtr throwaway, throwaway_key(signer.curve));
  if (X509_sign(x.get(), throwaway.get(), digest_of(signer.curve)) <= 0) return issue_failure("certificate signature");
  const Bytes tbs = i2d_bytes([&](unsigned char** p) { return i2d_re_X509_tbs(x.get(), p); });
  const X509_ALGOR* algorithm = nullptr;
  X509_get0_signature(nullptr, &algorithm, x.get());
  const Bytes alg = i2d_bytes([&](unsigned char** p) { return i2d_X509_ALGOR(algorithm, p); });
  if (tbs.empty() || alg.empty()) return issue_failure("certificate encoding");
  T3N_ASSIGN_OR_RETURN(Bytes der, deterministic_signed(tbs, alg, signer));
  auto cert = Certificate::from_der(der);
  if (!cert.ok()) return issue_failure("re-signed certificate");
  return cert;
}

Result<Crl> issue_crl_with(const CrlSpec& spec, const Certificate& issuer, const Signer& signer) {
  detail::CrlPtr crl(X509_CRL_new());
  detail::TimePtr last(ASN1_TIME_set(nullptr, spec.last_update)), next(ASN1_TIME_set(nullptr, spec.next_update));
  if (!crl || !last || !next || X509_CRL_set_version(crl.get(), 1) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(CertificateAccess::get(issuer))) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 || X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1)
    return issue_failure("CRL fields");
  for (std::uint64_t serial_number : spec.revoked_serials) {
    detail::RevokedPtr entry(X509_REVOKED_new());
    detail::IntegerPtr serial(ASN1_INTEGER_new());
    if (!entry || !serial || ASN1_INTEGER_set_uint64(serial.get(), serial_number) != 1 ||
        X509_REVOKED_set_serialNumber(entry.get(), serial.get()) != 1 ||
        X509_REVOKED_set_revocationDate(entry.get(), last.get()) != 1 || X509_CRL_add0_revoked(crl.get(), entry.get()) != 1)
      return issue_failure("CRL entry");
    entry.release();  // owned by the CRL now
  }
  X509_CRL_sort(crl.get());
  T3N_ASSIGN_OR_RETURN(detail::PkeyPtr throwaway, throwaway_key(signer.curve));
  if (X509_CRL_sign(crl.get(), throwaway.get(), digest_of(signer.curve)) <= 0) return issue_failure("CRL signature");
  const Bytes tbs = i2d_bytes([&](unsigned char** p) { return i2d_re_X509_CRL_tbs(crl.get(), p); });
  const X509_ALGOR* algorithm = nullptr;
  X509_CRL_get0_signature(crl.get(), nullptr, &algorithm);
  const Bytes alg = i2d_bytes([&](unsigned char** p) { return i2d_X509_ALGOR(algorithm, p); });
  if (tbs.empty() || alg.empty()) return issue_failure("CRL encoding");
  T3N_ASSIGN_OR_RETURN(Bytes der, deterministic_signed(tbs, alg, signer));
  auto out = Crl::from_der(der);
  if (!out.ok()) return issue_failure("re-signed CRL");
  return out;
}

Signer signer_of(const P256PrivateKey& key) {
  return {detail::p256_curve(), [&key](ByteView m) { return key.sign_raw_deterministic(m); }};
}
Signer signer_of(const P384PrivateKey& key) {
  return {detail::p384_curve(), [&key](ByteView m) { return key.sign_raw_deterministic(m); }};
}

}  // namespace

Result<Certificate> issue_certificate(const CertificateSpec& spec, ByteView subject_public_key,
                                      const Certificate* issuer, const P256PrivateKey& signer) {
  return issue(spec, subject_public_key, issuer, signer_of(signer));
}
Result<Certificate> issue_certificate(const CertificateSpec& spec, ByteView subject_public_key,
                                      const Certificate* issuer, const P384PrivateKey& signer) {
  return issue(spec, subject_public_key, issuer, signer_of(signer));
}
Result<Crl> issue_crl(const CrlSpec& spec, const Certificate& issuer, const P256PrivateKey& signer) {
  return issue_crl_with(spec, issuer, signer_of(signer));
}
Result<Crl> issue_crl(const CrlSpec& spec, const Certificate& issuer, const P384PrivateKey& signer) {
  return issue_crl_with(spec, issuer, signer_of(signer));
}

}  // namespace t3n::crypto
