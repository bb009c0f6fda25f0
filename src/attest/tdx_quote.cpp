#include "attest/tdx_quote.h"

#include "attest/x509_chain.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>

#include "common/encoding.h"
#include "crypto/hash.h"
#include "crypto/p256.h"
#include "crypto/x509.h"

namespace t3n::attest {
namespace {

constexpr std::uint16_t kAttestationKeyEcdsaP256 = 2;
constexpr std::uint32_t kTeeTypeTdx = 0x81;
constexpr std::size_t kHeaderSize = 48;
constexpr std::size_t kTdReport10Size = 584;
constexpr std::size_t kTdReport15Size = 648;
constexpr std::size_t kQeReportSize = 384;
constexpr std::uint16_t kCertQeReport = 6;
constexpr std::uint16_t kCertPckChain = 5;

class LeReader {
 public:
  explicit LeReader(ByteView in) : in_(in) {}
  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return in_.size() - pos_; }
  Result<ByteView> take(std::size_t n, const char* what) {
    if (remaining() < n) return common::invalid_argument(std::string("tdx quote: truncated ") + what);
    ByteView v = in_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  template <typename T>
  Result<T> le(const char* what) {
    T3N_ASSIGN_OR_RETURN(ByteView v, take(sizeof(T), what));
    T out = 0;
    for (std::size_t i = sizeof(T); i-- > 0;) out = static_cast<T>((out << 8) | v[i]);
    return out;
  }
  template <std::size_t N>
  Result<std::array<std::uint8_t, N>> array(const char* what) {
    T3N_ASSIGN_OR_RETURN(ByteView v, take(N, what));
    std::array<std::uint8_t, N> a{};
    std::copy(v.begin(), v.end(), a.begin());
    return a;
  }

 private:
  ByteView in_;
  std::size_t pos_ = 0;
};

Result<TdReport> parse_report(ByteView body, bool tdx15) {
  LeReader r(body);
  TdReport t;
  t.tdx15 = tdx15;
  T3N_ASSIGN_OR_RETURN(t.tee_tcb_svn, r.array<16>("tee_tcb_svn"));
  T3N_ASSIGN_OR_RETURN(t.mr_seam, r.array<48>("mrseam"));
  T3N_ASSIGN_OR_RETURN(t.mr_signer_seam, r.array<48>("mrsignerseam"));
  T3N_ASSIGN_OR_RETURN(t.seam_attributes, r.array<8>("seam_attributes"));
  T3N_ASSIGN_OR_RETURN(t.td_attributes, r.array<8>("td_attributes"));
  T3N_ASSIGN_OR_RETURN(t.xfam, r.array<8>("xfam"));
  T3N_ASSIGN_OR_RETURN(t.mr_td, r.array<48>("mrtd"));
  T3N_ASSIGN_OR_RETURN(t.mr_config_id, r.array<48>("mrconfigid"));
  T3N_ASSIGN_OR_RETURN(t.mr_owner, r.array<48>("mrowner"));
  T3N_ASSIGN_OR_RETURN(t.mr_owner_config, r.array<48>("mrownerconfig"));
  for (auto& rt : t.rtmr) {
    T3N_ASSIGN_OR_RETURN(rt, r.array<48>("rtmr"));
  }
  T3N_ASSIGN_OR_RETURN(t.report_data, r.array<64>("report_data"));
  if (tdx15) {
    T3N_ASSIGN_OR_RETURN(t.tee_tcb_svn2, r.array<16>("tee_tcb_svn2"));
    T3N_ASSIGN_OR_RETURN(t.mr_service_td, r.array<48>("mrservicetd"));
  }
  return t;
}

Result<QeReport> parse_qe_report(ByteView raw) {
  LeReader r(raw);
  QeReport q;
  q.raw = common::to_bytes(raw);
  T3N_ASSIGN_OR_RETURN(q.cpu_svn, r.array<16>("qe cpusvn"));
  T3N_ASSIGN_OR_RETURN(q.misc_select, r.le<std::uint32_t>("qe miscselect"));
  T3N_RETURN_IF_ERROR(r.take(28, "qe reserved").status());
  T3N_ASSIGN_OR_RETURN(q.attributes, r.array<16>("qe attributes"));
  T3N_ASSIGN_OR_RETURN(q.mr_enclave, r.array<32>("qe mrenclave"));
  T3N_RETURN_IF_ERROR(r.take(32, "qe reserved").status());
  T3N_ASSIGN_OR_RETURN(q.mr_signer, r.array<32>("qe mrsigner"));
  T3N_RETURN_IF_ERROR(r.take(96, "qe reserved").status());
  T3N_ASSIGN_OR_RETURN(q.isv_prod_id, r.le<std::uint16_t>("qe isvprodid"));
  T3N_ASSIGN_OR_RETURN(q.isv_svn, r.le<std::uint16_t>("qe isvsvn"));
  T3N_RETURN_IF_ERROR(r.take(60, "qe reserved").status());
  T3N_ASSIGN_OR_RETURN(q.report_data, r.array<64>("qe report_data"));
  return q;
}


// --- a bounded DER walker for the SGX extension ---
struct Der {
  std::uint8_t tag;
  ByteView value;
};

Result<Der> der_next(ByteView& in) {
  if (in.size() < 2) return common::invalid_argument("der: truncated");
  const std::uint8_t tag = in[0];
  std::size_t len = in[1];
  std::size_t header = 2;
  if (len & 0x80) {
    const std::size_t n = len & 0x7F;
    if (n == 0 || n > 3 || in.size() < 2 + n) return common::invalid_argument("der: bad length");
    len = 0;
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | in[2 + i];
    header += n;
  }
  if (in.size() - header < len) return common::invalid_argument("der: truncated value");
  Der d{tag, in.subspan(header, len)};
  in = in.subspan(header + len);
  return d;
}

std::string oid_text(ByteView oid) {
  std::string out;
  if (oid.empty()) return out;
  out = std::to_string(oid[0] / 40) + "." + std::to_string(oid[0] % 40);
  std::uint64_t v = 0;
  for (std::size_t i = 1; i < oid.size(); ++i) {
    v = (v << 7) | (oid[i] & 0x7F);
    if ((oid[i] & 0x80) == 0) {
      out += "." + std::to_string(v);
      v = 0;
    }
  }
  return out;
}

Result<std::uint64_t> der_integer(ByteView v) {
  if (v.empty() || v.size() > 8) return common::invalid_argument("der: integer out of range");
  std::uint64_t out = 0;
  for (auto b : v) out = (out << 8) | b;
  return out;
}

}  // namespace

Result<TdxQuote> parse_tdx_quote(ByteView quote) {
  if (quote.size() > 64 * 1024) return common::invalid_argument("tdx quote: larger than 64 KiB");
  LeReader r(quote);
  TdxQuote q;
  T3N_ASSIGN_OR_RETURN(q.version, r.le<std::uint16_t>("header"));
  if (q.version != 4 && q.version != 5) return common::invalid_argument("tdx quote: version " + std::to_string(q.version) + " is not 4 or 5");
  T3N_ASSIGN_OR_RETURN(auto key_type, r.le<std::uint16_t>("header"));
  if (key_type != kAttestationKeyEcdsaP256) return common::invalid_argument("tdx quote: attestation key type is not ECDSA P-256");
  T3N_ASSIGN_OR_RETURN(auto tee_type, r.le<std::uint32_t>("header"));
  if (tee_type != kTeeTypeTdx) return common::invalid_argument("tdx quote: not a TDX quote (tee type " + std::to_string(tee_type) + ")");
  T3N_ASSIGN_OR_RETURN(q.qe_svn, r.le<std::uint16_t>("header"));
  T3N_ASSIGN_OR_RETURN(q.pce_svn, r.le<std::uint16_t>("header"));
  T3N_ASSIGN_OR_RETURN(q.qe_vendor_id, r.array<16>("header"));
  T3N_RETURN_IF_ERROR(r.take(20, "header user data").status());
  static_assert(2 + 2 + 4 + 2 + 2 + 16 + 20 == kHeaderSize, "the quote header is 48 bytes");
  std::size_t body_size = kTdReport10Size;
  bool tdx15 = false;
  if (q.version == 5) {
    T3N_ASSIGN_OR_RETURN(auto body_type, r.le<std::uint16_t>("body descriptor"));
    T3N_ASSIGN_OR_RETURN(auto size, r.le<std::uint32_t>("body descriptor"));
    if (body_type == 2 && size == kTdReport10Size) body_size = size;
    else if (body_type == 3 && size == kTdReport15Size) {
      body_size = size;
      tdx15 = true;
    }
    else return common::invalid_argument("tdx quote: unsupported v5 body (type " + std::to_string(body_type) + ", " + std::to_string(size) + " bytes)");
  }
  T3N_ASSIGN_OR_RETURN(ByteView body, r.take(body_size, "TD report"));
  T3N_ASSIGN_OR_RETURN(q.report, parse_report(body, tdx15));
  q.signed_part = common::to_bytes(quote.first(r.pos()));
  T3N_ASSIGN_OR_RETURN(auto sig_len, r.le<std::uint32_t>("signature data length"));
  T3N_ASSIGN_OR_RETURN(ByteView sig_data, r.take(sig_len, "signature data"));
  // Quotes are shipped with padding (zeros, or text in some test data) after
  // the signature data. Nothing there is signed or used; only its size is bounded.
  q.trailing_bytes = quote.size() - r.pos();
  if (q.trailing_bytes > 4096) return common::invalid_argument("tdx quote: more than 4 KiB after the signature data");
  LeReader s(sig_data);
  T3N_ASSIGN_OR_RETURN(q.signature, s.array<64>("quote signature"));
  T3N_ASSIGN_OR_RETURN(q.attestation_key, s.array<64>("attestation key"));
  T3N_ASSIGN_OR_RETURN(auto cert_type, s.le<std::uint16_t>("certification data"));
  T3N_ASSIGN_OR_RETURN(auto cert_size, s.le<std::uint32_t>("certification data"));
  if (cert_type != kCertQeReport) return common::invalid_argument("tdx quote: certification data is not a QE report (type 6)");
  T3N_ASSIGN_OR_RETURN(ByteView cert, s.take(cert_size, "certification data"));
  if (s.remaining() != 0) return common::invalid_argument("tdx quote: bytes after the certification data");
  LeReader c(cert);
  T3N_ASSIGN_OR_RETURN(ByteView qe_raw, c.take(kQeReportSize, "QE report"));
  T3N_ASSIGN_OR_RETURN(q.qe_report, parse_qe_report(qe_raw));
  T3N_ASSIGN_OR_RETURN(q.qe_report_signature, c.array<64>("QE report signature"));
  T3N_ASSIGN_OR_RETURN(auto auth_size, c.le<std::uint16_t>("QE auth data"));
  T3N_ASSIGN_OR_RETURN(ByteView auth, c.take(auth_size, "QE auth data"));
  q.qe_auth_data = common::to_bytes(auth);
  T3N_ASSIGN_OR_RETURN(auto inner_type, c.le<std::uint16_t>("PCK chain"));
  T3N_ASSIGN_OR_RETURN(auto inner_size, c.le<std::uint32_t>("PCK chain"));
  if (inner_type != kCertPckChain) return common::invalid_argument("tdx quote: expected a PCK certificate chain (type 5)");
  T3N_ASSIGN_OR_RETURN(ByteView pem, c.take(inner_size, "PCK chain"));
  if (c.remaining() != 0) return common::invalid_argument("tdx quote: bytes after the PCK chain");
  std::string pem_text(pem.begin(), pem.end());
  T3N_ASSIGN_OR_RETURN(q.pck_chain_pem, split_pem_certificates(pem_text));
  if (q.pck_chain_pem.size() < 2) return common::invalid_argument("tdx quote: the PCK chain needs at least a leaf and a root");
  return q;
}

Status verify_tdx_quote_signatures(const TdxQuote& q, const CertCheckOptions& o) {
  auto fail = [](const std::string& why) { return common::verification_failed("tdx quote: " + why); };
  // 1. The attestation key signed header ‖ body.
  Bytes ak{0x04};
  common::append(ak, q.attestation_key);
  if (!crypto::p256_verify_raw(ak, q.signed_part, q.signature).ok()) return fail("quote signature does not verify");
  // 2. The QE report binds the attestation key and the QE auth data.
  Bytes bound = common::concat({ByteView(q.attestation_key), q.qe_auth_data});
  const auto digest = crypto::sha256(bound);
  if (!std::equal(digest.begin(), digest.end(), q.qe_report.report_data.begin()) ||
      std::any_of(q.qe_report.report_data.begin() + 32, q.qe_report.report_data.end(), [](auto b) { return b != 0; }))
    return fail("QE report data does not bind the attestation key");
  // 3. The PCK chain reaches the pinned root at the given time; 4. its leaf signed the QE report.
  T3N_ASSIGN_OR_RETURN(Bytes pck, verify_chain_to_pinned_root(q.pck_chain_pem, o, "tdx quote: PCK chain"));
  if (!crypto::p256_verify_raw(pck, q.qe_report.raw, q.qe_report_signature).ok()) return fail("QE report signature does not verify");
  return {};
}

Result<PckExtensions> pck_extensions(const std::string& pem) {
  auto cert = crypto::Certificate::from_pem(pem);
  if (!cert.ok()) return common::invalid_argument("tdx quote: PCK certificate: unparsable certificate");
  T3N_ASSIGN_OR_RETURN(std::vector<Bytes> values, cert->extensions("1.2.840.113741.1.13.1"));
  if (values.empty()) return common::invalid_argument("PCK certificate has no SGX extension");
  ByteView in(values.front());
  T3N_ASSIGN_OR_RETURN(Der outer, der_next(in));
  if (outer.tag != 0x30) return common::invalid_argument("SGX extension: expected a SEQUENCE");
  PckExtensions ext;
  bool fmspc = false, pceid = false, tcb = false;
  ByteView items = outer.value;
  while (!items.empty()) {
    T3N_ASSIGN_OR_RETURN(Der item, der_next(items));
    ByteView kv = item.value;
    T3N_ASSIGN_OR_RETURN(Der key, der_next(kv));
    T3N_ASSIGN_OR_RETURN(Der value, der_next(kv));
    const std::string id = oid_text(key.value);
    if (id == "1.2.840.113741.1.13.1.4" && value.value.size() == 6) {
      std::copy(value.value.begin(), value.value.end(), ext.fmspc.begin());
      fmspc = true;
    } else if (id == "1.2.840.113741.1.13.1.3" && value.value.size() == 2) {
      std::copy(value.value.begin(), value.value.end(), ext.pce_id.begin());
      pceid = true;
    } else if (id == "1.2.840.113741.1.13.1.2") {
      ByteView comps = value.value;
      while (!comps.empty()) {
        T3N_ASSIGN_OR_RETURN(Der comp, der_next(comps));
        ByteView ckv = comp.value;
        T3N_ASSIGN_OR_RETURN(Der cid, der_next(ckv));
        T3N_ASSIGN_OR_RETURN(Der cval, der_next(ckv));
        const std::string cid_text = oid_text(cid.value);
        const std::string prefix = "1.2.840.113741.1.13.1.2.";
        if (cid_text.rfind(prefix, 0) != 0) continue;
        // An unverified leaf may carry any arc: parse without exceptions, bounded.
        int n = 0;
        const std::string arc = cid_text.substr(prefix.size());
        const auto [end, ec] = std::from_chars(arc.data(), arc.data() + arc.size(), n);
        if (ec != std::errc() || end != arc.data() + arc.size()) continue;
        if (n >= 1 && n <= 16) {
          T3N_ASSIGN_OR_RETURN(std::uint64_t v, der_integer(cval.value));
          ext.cpu_svn_components[static_cast<std::size_t>(n - 1)] = static_cast<std::uint8_t>(v);
        } else if (n == 17) {
          T3N_ASSIGN_OR_RETURN(std::uint64_t v, der_integer(cval.value));
          ext.pce_svn = static_cast<std::uint16_t>(v);
        }
      }
      tcb = true;
    }
  }
  if (!fmspc || !pceid || !tcb) return common::invalid_argument("SGX extension lacks FMSPC, PCE-ID or TCB");
  return ext;
}

}  // namespace t3n::attest
