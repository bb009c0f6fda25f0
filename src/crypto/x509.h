// X.509 certificates and CRLs: parsing, the fields attestation reads, chain
// verification to given trust anchors (time, CRLs), and issuing certificates
// and CRLs with deterministic ECDSA for reproducible test PKIs. OpenSSL does
// the work; none of its types appear here.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/hash.h"

namespace t3n::crypto {

class P256PrivateKey;
class P384PrivateKey;

// An immutable parsed certificate; copies share it.
class Certificate {
 public:
  // Exactly one DER certificate (trailing bytes refused); kInvalidArgument
  // "unparsable certificate" otherwise.
  static Result<Certificate> from_der(ByteView der);
  // The first certificate of a PEM text (text around it is ignored).
  static Result<Certificate> from_pem(std::string_view pem);

  Certificate(const Certificate&);
  Certificate& operator=(const Certificate&);
  Certificate(Certificate&&) noexcept;
  Certificate& operator=(Certificate&&) noexcept;
  ~Certificate();

  // The DER encoding (OpenSSL's encoding of what was parsed: the signed part
  // exactly as received).
  Bytes der() const;
  Digest32 sha256() const;  // of der()
  std::string pem() const;

  // The value of the first commonName attribute, as stored (no conversion);
  // empty when there is none.
  std::string subject_common_name() const;
  std::string issuer_common_name() const;
  // Big-endian magnitude of the serial number.
  Bytes serial() const;
  // nullopt when the time cannot be read.
  std::optional<std::time_t> not_before() const;
  std::optional<std::time_t> not_after() const;

  // The subject's SubjectPublicKeyInfo (DER), of any key type.
  Result<Bytes> public_key_spki() const;
  // The uncompressed P-256 point; kInvalidArgument for any other key.
  Result<Bytes> p256_public_key() const;

  // The extnValue contents (the DER inside the OCTET STRING) of every
  // extension with this dotted OID, in certificate order; kInvalidArgument
  // for a malformed OID.
  Result<std::vector<Bytes>> extensions(std::string_view oid) const;

 private:
  friend class CertificateAccess;
  struct Impl;
  explicit Certificate(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

// A parsed certificate revocation list.
class Crl {
 public:
  // Exactly one DER CRL (trailing bytes refused); kInvalidArgument "unparsable CRL".
  static Result<Crl> from_der(ByteView der);
  // The first CRL of a PEM text.
  static Result<Crl> from_pem(std::string_view pem);

  Crl(const Crl&);
  Crl& operator=(const Crl&);
  Crl(Crl&&) noexcept;
  Crl& operator=(Crl&&) noexcept;
  ~Crl();

  Bytes der() const;
  std::string issuer_common_name() const;
  std::optional<std::time_t> last_update() const;
  std::optional<std::time_t> next_update() const;  // nullopt when absent
  std::vector<Bytes> revoked_serials() const;      // big-endian magnitudes

 private:
  friend class CertificateAccess;
  struct Impl;
  explicit Crl(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

struct ChainCheckOptions {
  std::time_t at = 0;  // the verification time (required)
  // When non-empty, revocation is checked (a CRL that does not verify, is
  // outside its validity or is missing for a checked certificate fails).
  std::vector<Crl> crls;
  // With CRLs: every certificate needs its issuer's CRL, or — false — only
  // the leaf's.
  bool crl_check_whole_chain = true;
};

// Where the same inputs verify again: inside every validity period given.
struct ChainValidity {
  std::time_t valid_from = 0;
  std::time_t valid_until = 0;
};

// Verifies that `leaf` chains through `intermediates` (untrusted) to one of
// `trust_anchors` at options.at: signatures (any scheme OpenSSL accepts,
// RSA-PSS and ECDSA included), validity periods, CA constraints and the CRLs.
// kVerificationFailed with OpenSSL's reason ("certificate has expired", …).
// The returned window is the intersection of the validity of every
// certificate and CRL passed (a time that cannot be read does not widen it).
Result<ChainValidity> verify_chain(const Certificate& leaf, std::span<const Certificate> intermediates,
                                   std::span<const Certificate> trust_anchors, const ChainCheckOptions& options);

// --- issuing (test PKIs: simulated TEEs, tests) ---

struct CertificateSpec {
  std::uint64_t serial = 1;
  // Subject attributes in order, e.g. {{"CN", "…"}, {"O", "…"}} (UTF-8).
  std::vector<std::pair<std::string, std::string>> subject;
  std::time_t not_before = 0;
  std::time_t not_after = 0;
  // Extensions, added in this order when set:
  bool subject_key_identifier = false;    // SHA-1 of the key, as RFC 5280 §4.2.1.2 method 1
  bool authority_key_identifier = false;  // the issuer's key identifier
  struct BasicConstraints {
    bool ca = false;
    std::optional<unsigned> path_length;
  };
  std::optional<BasicConstraints> basic_constraints;  // critical
  std::vector<std::string> key_usage;  // critical when non-empty: "digitalSignature", "keyCertSign", …
  struct Extension {
    std::string oid;  // dotted
    bool critical = false;
    Bytes value;      // the extnValue contents (DER)
  };
  std::vector<Extension> extensions;
};

// An X.509 v3 certificate for `subject_public_key` (an uncompressed SEC1
// P-256 or P-384 point), issued by `issuer` (nullptr: self-signed) and signed
// with ECDSA-SHA-256 (P-256 signer) or ECDSA-SHA-384 (P-384 signer) by RFC
// 6979: the same inputs give the same bytes.
Result<Certificate> issue_certificate(const CertificateSpec& spec, ByteView subject_public_key,
                                      const Certificate* issuer, const P256PrivateKey& signer);
Result<Certificate> issue_certificate(const CertificateSpec& spec, ByteView subject_public_key,
                                      const Certificate* issuer, const P384PrivateKey& signer);

struct CrlSpec {
  std::time_t last_update = 0;
  std::time_t next_update = 0;
  std::vector<std::uint64_t> revoked_serials;  // each revoked at last_update
};

// A v2 CRL by `issuer`, signed deterministically as above.
Result<Crl> issue_crl(const CrlSpec& spec, const Certificate& issuer, const P256PrivateKey& signer);
Result<Crl> issue_crl(const CrlSpec& spec, const Certificate& issuer, const P384PrivateKey& signer);

// DER building blocks for extension values: a TLV with a definite length,
// and an OBJECT IDENTIFIER (tag, length, value) from its dotted form.
Bytes der_tlv(std::uint8_t tag, ByteView content);
Result<Bytes> der_object_identifier(std::string_view dotted);

}  // namespace t3n::crypto
