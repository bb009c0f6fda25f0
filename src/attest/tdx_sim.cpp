#include "attest/tdx_sim.h"

#include <algorithm>
#include <optional>

#include "attest/x509_chain.h"
#include "common/encoding.h"
#include "common/files.h"
#include "common/json.h"
#include "crypto/hash.h"
#include "crypto/kdf.h"
#include "crypto/p256.h"
#include "crypto/x509.h"

namespace t3n::attest {
namespace {

using common::Json;
using crypto::der_tlv;

std::string utc(std::time_t t) { return common::format_utc_timestamp(t); }

Status sim_failure(const Status& s, const std::string& what) {
  return common::internal_error("simulated TDX: " + what + ": " + s.message());
}

Bytes der_uint(std::uint32_t v) {
  Bytes content;
  do {
    content.insert(content.begin(), static_cast<std::uint8_t>(v & 0xFF));
    v >>= 8;
  } while (v != 0);
  if (content.front() & 0x80) content.insert(content.begin(), 0x00);
  return der_tlv(0x02, content);
}

constexpr std::string_view kSgxExtensionOid = "1.2.840.113741.1.13.1";

// The SGX extension (1.2.840.113741.1.13.1) as Intel's PCK certificates carry it.
Result<Bytes> sgx_extension(const SimulatedTdxPlatformOptions& o, ByteView ppid, std::uint16_t pce_svn) {
  const std::string base(kSgxExtensionOid);
  auto item = [&](const std::string& suffix, Bytes value) -> Result<Bytes> {
    T3N_ASSIGN_OR_RETURN(Bytes oid, crypto::der_object_identifier(base + suffix));
    return der_tlv(0x30, common::concat({oid, value}));
  };
  Bytes tcb;
  for (int i = 1; i <= 16; ++i) {
    T3N_ASSIGN_OR_RETURN(Bytes comp, item(".2." + std::to_string(i), der_uint(o.pck_component_svn)));
    common::append(tcb, comp);
  }
  T3N_ASSIGN_OR_RETURN(Bytes pcesvn, item(".2.17", der_uint(pce_svn)));
  common::append(tcb, pcesvn);
  T3N_ASSIGN_OR_RETURN(Bytes cpusvn, item(".2.18", der_tlv(0x04, Bytes(16, o.pck_component_svn))));
  common::append(tcb, cpusvn);
  Bytes all;
  for (auto part : {item(".1", der_tlv(0x04, ppid)), item(".2", der_tlv(0x30, tcb)),
                    item(".3", der_tlv(0x04, Bytes{0x00, 0x00})), item(".4", der_tlv(0x04, o.fmspc)),
                    item(".5", der_tlv(0x0A, Bytes{0x00}))}) {
    if (!part.ok()) return part.status();
    common::append(all, *part);
  }
  return der_tlv(0x30, all);
}

struct CertSpec {
  std::string common_name;
  std::uint64_t serial = 1;
  bool ca = false;
  std::vector<std::string> key_usage;
  std::optional<Bytes> sgx_extension;
};

struct Issued {
  crypto::Certificate cert;
  std::string pem;
  Bytes der;
};

// Certificates shaped like Intel's: CN and O, SKI, AKI, critical basic
// constraints (pathlen 0 below the root) and key usage; signed by RFC 6979.
Result<Issued> issue(const CertSpec& spec, ByteView subject_point, const Issued* issuer, const crypto::P256PrivateKey& signer,
                     std::time_t not_before, std::time_t not_after) {
  crypto::CertificateSpec c;
  c.serial = spec.serial;
  c.subject = {{"CN", spec.common_name}, {"O", "T3N simulated TEE (not Intel)"}};
  c.not_before = not_before;
  c.not_after = not_after;
  c.subject_key_identifier = true;
  c.authority_key_identifier = true;
  c.basic_constraints = crypto::CertificateSpec::BasicConstraints{spec.ca, std::nullopt};
  if (spec.ca && issuer != nullptr) c.basic_constraints->path_length = 0;
  c.key_usage = spec.key_usage;
  if (spec.sgx_extension) c.extensions.push_back({std::string(kSgxExtensionOid), false, *spec.sgx_extension});
  auto cert = crypto::issue_certificate(c, subject_point, issuer != nullptr ? &issuer->cert : nullptr, signer);
  if (!cert.ok()) return sim_failure(cert.status(), "certificate");
  Issued out{*cert, cert->pem(), cert->der()};
  if (out.pem.empty() || out.der.empty()) return common::internal_error("simulated TDX: certificate encoding");
  return out;
}

Result<Bytes> issue_crl(const Issued& issuer, const crypto::P256PrivateKey& signer, std::time_t last, std::time_t next,
                        std::optional<std::uint64_t> revoked_serial) {
  crypto::CrlSpec spec{last, next, {}};
  if (revoked_serial) spec.revoked_serials.push_back(*revoked_serial);
  auto crl = crypto::issue_crl(spec, issuer.cert, signer);
  if (!crl.ok()) return sim_failure(crl.status(), "CRL");
  Bytes der = crl->der();
  if (der.empty()) return common::internal_error("simulated TDX: CRL encoding");
  return der;
}

Result<crypto::P256PrivateKey> derive_signing_key(ByteView seed, std::string_view role) {
  for (std::uint8_t counter = 0; counter < 16; ++counter) {
    Bytes info = common::to_bytes(role);
    info.push_back(counter);
    T3N_ASSIGN_OR_RETURN(SecretBytes scalar,
                         crypto::hkdf(crypto::HashAlg::kSha256, common::as_bytes("t3n-simulated-tdx-v1"), seed, info, 32));
    auto key = crypto::P256PrivateKey::from_scalar(scalar);
    if (key.ok()) return key;
  }
  return common::internal_error("simulated TDX: no valid key for " + std::string(role));
}

template <std::size_t N>
std::array<std::uint8_t, N> derived(ByteView seed, std::string_view what) {
  std::array<std::uint8_t, N> out{};
  auto bytes = crypto::hkdf(crypto::HashAlg::kSha256, common::as_bytes("t3n-simulated-tdx-v1"), seed, common::as_bytes(what), N);
  if (bytes.ok()) std::copy_n(bytes->data(), N, out.begin());
  return out;
}

void le16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void le32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// Values the simulated TCB Info and QE Identity describe.
constexpr std::uint16_t kPceSvn = 13;
constexpr std::uint16_t kQeSvn = 8;
constexpr std::uint16_t kQeProdId = 2;  // TD_QE
constexpr std::array<std::uint8_t, 16> kTeeTcbSvn{5, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
constexpr std::array<std::uint8_t, 16> kQeVendorIntel{0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                                      0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

Json svn_list(std::initializer_list<int> first, int rest) {
  Json list = Json::array();
  for (int v : first) list.push_back({{"svn", v}});
  while (list.size() < 16) list.push_back({{"svn", rest}});
  return list;
}

Result<std::string> signed_body(std::string_view key, const Json& value, const crypto::P256PrivateKey& signer) {
  const std::string raw = value.dump();
  T3N_ASSIGN_OR_RETURN(Bytes sig, signer.sign_raw_deterministic(common::as_bytes(raw)));
  return "{\"" + std::string(key) + "\":" + raw + ",\"signature\":\"" + common::hex_encode(sig) + "\"}";
}

}  // namespace

struct SimulatedTdxPlatform::State {
  SimulatedTdxPlatformOptions options;
  crypto::P256PrivateKey pck_key;
  crypto::P256PrivateKey attestation_key;
  std::array<std::uint8_t, 32> qe_mr_enclave{};
  std::array<std::uint8_t, 32> qe_mr_signer{};
  std::string root_sha256;
  std::string root_pem;
  std::string pck_chain_pem;  // leaf, PCK CA, root
  TdxCollateral collateral;
  std::vector<Bytes> crls;
};

SimulatedTdxPlatform::SimulatedTdxPlatform(std::unique_ptr<State> state) : state_(std::move(state)) {}
SimulatedTdxPlatform::SimulatedTdxPlatform(SimulatedTdxPlatform&&) noexcept = default;
SimulatedTdxPlatform& SimulatedTdxPlatform::operator=(SimulatedTdxPlatform&&) noexcept = default;
SimulatedTdxPlatform::~SimulatedTdxPlatform() = default;

Result<SimulatedTdxPlatform> SimulatedTdxPlatform::create(ByteView seed, const SimulatedTdxPlatformOptions& options) {
  if (seed.size() < 16) return common::invalid_argument("simulated TDX: the seed must be at least 16 bytes");
  if (options.not_before <= 0) return common::invalid_argument("simulated TDX: not_before is required");
  SimulatedTdxPlatformOptions o = options;
  if (o.not_after == 0) o.not_after = o.not_before + 5ll * 365 * 24 * 3600;
  if (o.not_after <= o.not_before) return common::invalid_argument("simulated TDX: not_after must follow not_before");

  T3N_ASSIGN_OR_RETURN(auto root_key, derive_signing_key(seed, "root-ca"));
  T3N_ASSIGN_OR_RETURN(auto pck_ca_key, derive_signing_key(seed, "pck-platform-ca"));
  T3N_ASSIGN_OR_RETURN(auto tcb_key, derive_signing_key(seed, "tcb-signing"));
  T3N_ASSIGN_OR_RETURN(auto pck_key, derive_signing_key(seed, "pck"));
  T3N_ASSIGN_OR_RETURN(auto attestation_key, derive_signing_key(seed, "attestation-key"));

  const auto nb = o.not_before, na = o.not_after;
  T3N_ASSIGN_OR_RETURN(Issued root, issue({"T3N Simulated SGX Root CA", 1, true, {"keyCertSign", "cRLSign"}, std::nullopt},
                                          root_key.public_key(), nullptr, root_key, nb, na));
  T3N_ASSIGN_OR_RETURN(Issued pck_ca, issue({"T3N Simulated SGX PCK Platform CA", 2, true, {"keyCertSign", "cRLSign"}, std::nullopt},
                                            pck_ca_key.public_key(), &root, root_key, nb, na));
  T3N_ASSIGN_OR_RETURN(Issued tcb, issue({"T3N Simulated SGX TCB Signing", 3, false, {"digitalSignature", "nonRepudiation"}, std::nullopt},
                                         tcb_key.public_key(), &root, root_key, nb, na));
  const auto ppid = derived<16>(seed, "ppid");
  T3N_ASSIGN_OR_RETURN(Bytes sgx, sgx_extension(o, ppid, kPceSvn));
  constexpr std::uint64_t kPckSerial = 0x5C0FFEE;
  T3N_ASSIGN_OR_RETURN(Issued pck, issue({"T3N Simulated SGX PCK Certificate", kPckSerial, false,
                                          {"digitalSignature", "nonRepudiation"}, sgx},
                                         pck_key.public_key(), &pck_ca, pck_ca_key, nb, na));

  auto state = std::make_unique<State>(State{o, std::move(pck_key), std::move(attestation_key), derived<32>(seed, "qe-mrenclave"),
                                             derived<32>(seed, "qe-mrsigner"), common::hex_encode(crypto::sha256(root.der)),
                                             root.pem, pck.pem + pck_ca.pem + root.pem, {}, {}});
  T3N_ASSIGN_OR_RETURN(Bytes root_crl, issue_crl(root, root_key, nb, na, std::nullopt));
  T3N_ASSIGN_OR_RETURN(Bytes pck_crl, issue_crl(pck_ca, pck_ca_key, nb, na,
                                                o.revoke_pck ? std::optional<std::uint64_t>(kPckSerial) : std::nullopt));
  state->crls = {root_crl, pck_crl};

  const std::string issue_date = utc(nb), next_update = utc(na), tcb_date = utc(nb);
  const std::string module_signer = common::hex_encode(Bytes(48, 0));
  Json tcb_info = {
      {"id", "TDX"},
      {"version", 3},
      {"issueDate", issue_date},
      {"nextUpdate", next_update},
      {"fmspc", common::hex_encode(o.fmspc)},
      {"pceId", "0000"},
      {"tcbType", 0},
      {"tcbEvaluationDataNumber", 1},
      {"tdxModule", {{"mrsigner", module_signer}, {"attributes", "0000000000000000"}, {"attributesMask", "FFFFFFFFFFFFFFFF"}}},
      {"tdxModuleIdentities",
       Json::array({{{"id", "TDX_01"},
                     {"mrsigner", module_signer},
                     {"attributes", "0000000000000000"},
                     {"attributesMask", "FFFFFFFFFFFFFFFF"},
                     {"tcbLevels", Json::array({{{"tcb", {{"isvsvn", kTeeTcbSvn[0]}}}, {"tcbDate", tcb_date}, {"tcbStatus", "UpToDate"}},
                                                {{"tcb", {{"isvsvn", 0}}}, {"tcbDate", tcb_date}, {"tcbStatus", "OutOfDate"}}})}}})},
      {"tcbLevels",
       Json::array({{{"tcb", {{"sgxtcbcomponents", svn_list({}, 4)}, {"pcesvn", kPceSvn},
                              {"tdxtcbcomponents", svn_list({kTeeTcbSvn[0], kTeeTcbSvn[1], kTeeTcbSvn[2]}, 0)}}},
                     {"tcbDate", tcb_date}, {"tcbStatus", "UpToDate"}},
                    {{"tcb", {{"sgxtcbcomponents", svn_list({}, 2)}, {"pcesvn", kPceSvn - 2},
                              {"tdxtcbcomponents", svn_list({kTeeTcbSvn[0], kTeeTcbSvn[1], 1}, 0)}}},
                     {"tcbDate", tcb_date}, {"tcbStatus", "OutOfDate"}, {"advisoryIDs", {"T3N-SIM-SA-0001"}}}})}};
  Json qe_identity = {
      {"id", "TD_QE"},
      {"version", 2},
      {"issueDate", issue_date},
      {"nextUpdate", next_update},
      {"tcbEvaluationDataNumber", 1},
      {"miscselect", "00000000"},
      {"miscselectMask", "FFFFFFFF"},
      {"attributes", "11000000000000000000000000000000"},
      {"attributesMask", "FBFFFFFFFFFFFFFF0000000000000000"},
      {"mrsigner", common::hex_encode(state->qe_mr_signer)},
      {"isvprodid", kQeProdId},
      {"tcbLevels", Json::array({{{"tcb", {{"isvsvn", kQeSvn}}}, {"tcbDate", tcb_date}, {"tcbStatus", "UpToDate"}},
                                 {{"tcb", {{"isvsvn", 0}}}, {"tcbDate", tcb_date}, {"tcbStatus", "OutOfDate"}}})}};
  T3N_ASSIGN_OR_RETURN(state->collateral.tcb_info_json, signed_body("tcbInfo", tcb_info, tcb_key));
  T3N_ASSIGN_OR_RETURN(state->collateral.qe_identity_json, signed_body("enclaveIdentity", qe_identity, tcb_key));
  state->collateral.tcb_signing_chain_pem = tcb.pem + root.pem;
  return SimulatedTdxPlatform(std::move(state));
}

const std::string& SimulatedTdxPlatform::root_ca_sha256() const { return state_->root_sha256; }
const std::string& SimulatedTdxPlatform::root_pem() const { return state_->root_pem; }
const TdxCollateral& SimulatedTdxPlatform::collateral() const { return state_->collateral; }
const std::vector<Bytes>& SimulatedTdxPlatform::crls_der() const { return state_->crls; }

CertCheckOptions SimulatedTdxPlatform::trust(std::time_t at) const {
  CertCheckOptions o;
  o.at = at;
  o.root_ca_sha256 = state_->root_sha256;
  o.crls_der = state_->crls;
  return o;
}

Status SimulatedTdxPlatform::write_collateral_dir(const std::filesystem::path& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return common::internal_error("cannot create " + dir.string() + ": " + ec.message());
  const auto& c = state_->collateral;
  for (auto [name, text] : {std::pair{"tcb_info.json", &c.tcb_info_json}, std::pair{"qe_identity.json", &c.qe_identity_json},
                            std::pair{"tcb_signing_chain.pem", &c.tcb_signing_chain_pem},
                            std::pair{"root_ca.pem", static_cast<const std::string*>(&state_->root_pem)}}) {
    T3N_RETURN_IF_ERROR(common::write_file_atomic(dir / name, common::as_bytes(*text)));
  }
  T3N_RETURN_IF_ERROR(common::write_file_atomic(dir / "root_ca_crl.der", state_->crls[0]));
  return common::write_file_atomic(dir / "pck_crl.der", state_->crls[1]);
}

Result<Bytes> SimulatedTdxPlatform::quote(const SimulatedTd& td, const ReportData& report_data) const {
  if (td.quote_version != 4 && td.quote_version != 5)
    return common::invalid_argument("simulated TDX: quote version must be 4 or 5");
  if (td.tdx15 && td.quote_version != 5) return common::invalid_argument("simulated TDX: TDX 1.5 bodies need quote v5");
  const auto& s = *state_;
  Bytes q;
  le16(q, static_cast<std::uint16_t>(td.quote_version));
  le16(q, 2);     // ECDSA P-256 attestation key
  le32(q, 0x81);  // TDX
  le16(q, kQeSvn);
  le16(q, kPceSvn);
  common::append(q, kQeVendorIntel);
  q.resize(q.size() + 20, 0);  // user data
  if (td.quote_version == 5) {
    le16(q, td.tdx15 ? 3 : 2);
    le32(q, td.tdx15 ? 648 : 584);
  }
  common::append(q, kTeeTcbSvn);
  const Bytes zero48(48, 0);
  common::append(q, derived<48>(common::as_bytes(s.root_sha256), "mrseam"));
  common::append(q, zero48);  // MRSIGNERSEAM: Intel's module, as the TCB Info says
  q.resize(q.size() + 8, 0);  // SEAM attributes
  Bytes td_attributes(8, 0);
  if (td.debug) td_attributes[0] = 0x01;
  td_attributes[3] = 0x10;  // SEPT_VE_DISABLE
  common::append(q, td_attributes);
  const std::array<std::uint8_t, 8> xfam{0xe7, 0x02, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00};
  common::append(q, xfam);
  for (const auto* m : {&td.mr_td, &td.mr_config_id, &td.mr_owner, &td.mr_owner_config}) common::append(q, *m);
  for (const auto& r : td.rtmr) common::append(q, r);
  common::append(q, report_data);
  if (td.tdx15) {
    common::append(q, kTeeTcbSvn);  // TEE_TCB_SVN_2
    common::append(q, zero48);      // MRSERVICETD
  }
  T3N_ASSIGN_OR_RETURN(Bytes quote_sig, s.attestation_key.sign_raw_deterministic(q));
  const ByteView ak = ByteView(s.attestation_key.public_key()).subspan(1);

  Bytes auth(32);
  for (std::size_t i = 0; i < auth.size(); ++i) auth[i] = static_cast<std::uint8_t>(i);
  Bytes qe_report;
  Bytes cpu_svn(16, s.options.pck_component_svn);
  common::append(qe_report, cpu_svn);
  le32(qe_report, 0);                       // MISCSELECT
  qe_report.resize(qe_report.size() + 28, 0);
  Bytes qe_attributes(16, 0);
  qe_attributes[0] = 0x11;                  // INIT | MODE64BIT
  common::append(qe_report, qe_attributes);
  common::append(qe_report, s.qe_mr_enclave);
  qe_report.resize(qe_report.size() + 32, 0);
  common::append(qe_report, s.qe_mr_signer);
  qe_report.resize(qe_report.size() + 96, 0);
  le16(qe_report, kQeProdId);
  le16(qe_report, kQeSvn);
  qe_report.resize(qe_report.size() + 60, 0);
  const auto binding = crypto::sha256(common::concat({ak, auth}));
  common::append(qe_report, binding);
  qe_report.resize(qe_report.size() + 32, 0);
  T3N_ASSIGN_OR_RETURN(Bytes qe_sig, s.pck_key.sign_raw_deterministic(qe_report));

  Bytes certification;
  common::append(certification, qe_report);
  common::append(certification, qe_sig);
  le16(certification, static_cast<std::uint16_t>(auth.size()));
  common::append(certification, auth);
  le16(certification, 5);  // PCK certificate chain
  le32(certification, static_cast<std::uint32_t>(s.pck_chain_pem.size()));
  common::append(certification, common::as_bytes(s.pck_chain_pem));

  Bytes signature_data;
  common::append(signature_data, quote_sig);
  common::append(signature_data, ak);
  le16(signature_data, 6);  // QE report certification data
  le32(signature_data, static_cast<std::uint32_t>(certification.size()));
  common::append(signature_data, certification);
  le32(q, static_cast<std::uint32_t>(signature_data.size()));
  common::append(q, signature_data);
  return q;
}

}  // namespace t3n::attest
