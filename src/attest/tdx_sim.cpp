#include "attest/tdx_sim.h"

#include "attest/openssl_ptr.h"
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <optional>

#include "attest/x509_chain.h"
#include "common/encoding.h"
#include "common/files.h"
#include "common/json.h"
#include "crypto/hash.h"
#include "crypto/kdf.h"
#include "crypto/p256.h"

namespace t3n::attest {
namespace {

using namespace detail;  // NOLINT: the module's OpenSSL deleters

using common::Json;


Status openssl_failure(const std::string& what) {
  ERR_clear_error();
  return common::internal_error("simulated TDX: " + what);
}

std::string utc(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

// DER TLV with a definite length.
Bytes der(std::uint8_t tag, ByteView content) {
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

Result<Bytes> der_oid(const char* dotted) {
  std::unique_ptr<ASN1_OBJECT, ObjDeleter> obj(OBJ_txt2obj(dotted, 1));
  if (!obj) return openssl_failure("OID");
  const int n = i2d_ASN1_OBJECT(obj.get(), nullptr);
  Bytes out(static_cast<std::size_t>(std::max(n, 0)));
  unsigned char* p = out.data();
  if (n <= 0 || i2d_ASN1_OBJECT(obj.get(), &p) != n) return openssl_failure("OID encoding");
  return out;
}

Bytes der_uint(std::uint32_t v) {
  Bytes content;
  do {
    content.insert(content.begin(), static_cast<std::uint8_t>(v & 0xFF));
    v >>= 8;
  } while (v != 0);
  if (content.front() & 0x80) content.insert(content.begin(), 0x00);
  return der(0x02, content);
}

// The SGX extension (1.2.840.113741.1.13.1) as Intel's PCK certificates carry it.
Result<Bytes> sgx_extension(const SimulatedTdxPlatformOptions& o, ByteView ppid, std::uint16_t pce_svn) {
  const std::string base = "1.2.840.113741.1.13.1";
  auto item = [&](const std::string& suffix, Bytes value) -> Result<Bytes> {
    T3N_ASSIGN_OR_RETURN(Bytes oid, der_oid((base + suffix).c_str()));
    return der(0x30, common::concat({oid, value}));
  };
  Bytes tcb;
  for (int i = 1; i <= 16; ++i) {
    T3N_ASSIGN_OR_RETURN(Bytes comp, item(".2." + std::to_string(i), der_uint(o.pck_component_svn)));
    common::append(tcb, comp);
  }
  T3N_ASSIGN_OR_RETURN(Bytes pcesvn, item(".2.17", der_uint(pce_svn)));
  common::append(tcb, pcesvn);
  T3N_ASSIGN_OR_RETURN(Bytes cpusvn, item(".2.18", der(0x04, Bytes(16, o.pck_component_svn))));
  common::append(tcb, cpusvn);
  Bytes all;
  for (auto part : {item(".1", der(0x04, ppid)), item(".2", der(0x30, tcb)), item(".3", der(0x04, Bytes{0x00, 0x00})),
                    item(".4", der(0x04, o.fmspc)), item(".5", der(0x0A, Bytes{0x00}))}) {
    if (!part.ok()) return part.status();
    common::append(all, *part);
  }
  return der(0x30, all);
}

Result<PkeyPtr> public_key(ByteView point) {
  std::unique_ptr<OSSL_PARAM_BLD, BldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
    return openssl_failure("public key parameters");
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return openssl_failure("public key");
  return PkeyPtr(raw);
}

// OpenSSL signs certificates and CRLs only with randomized ECDSA, so it signs
// with a throwaway key (which fills in the algorithm fields) and the
// signature is then replaced by a deterministic one over the same TBS bytes.
Result<Bytes> deterministic_signed(ByteView tbs, ByteView algorithm, const crypto::P256PrivateKey& key) {
  T3N_ASSIGN_OR_RETURN(Bytes raw, key.sign_raw_deterministic(tbs));
  T3N_ASSIGN_OR_RETURN(Bytes sig, crypto::p256_signature_raw_to_der(raw));
  Bytes bits{0x00};
  common::append(bits, sig);
  return der(0x30, common::concat({tbs, algorithm, der(0x03, bits)}));
}

template <typename F>
Result<Bytes> i2d_bytes(F encode) {
  unsigned char* buf = nullptr;
  const int n = encode(&buf);
  if (n <= 0 || buf == nullptr) return openssl_failure("DER encoding");
  Bytes out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

Result<PkeyPtr> throwaway_key() {
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (k == nullptr) return openssl_failure("key generation");
  return PkeyPtr(k);
}

struct CertSpec {
  std::string common_name;
  std::uint64_t serial = 1;
  bool ca = false;
  std::string key_usage;
  std::optional<Bytes> sgx_extension;
};

struct Issued {
  X509Ptr cert;
  std::string pem;
  Bytes der;
};

Result<Issued> issue(const CertSpec& spec, ByteView subject_point, const Issued* issuer, const crypto::P256PrivateKey& signer,
                     std::time_t not_before, std::time_t not_after) {
  X509Ptr x(X509_new());
  std::unique_ptr<X509_NAME, NameDeleter> name(X509_NAME_new());
  T3N_ASSIGN_OR_RETURN(PkeyPtr pub, public_key(subject_point));
  auto text = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.c_str()); };
  const std::string org = "T3N simulated TEE (not Intel)";
  if (!x || !name || X509_set_version(x.get(), 2) != 1 ||
      ASN1_INTEGER_set_uint64(X509_get_serialNumber(x.get()), spec.serial) != 1 ||
      X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8, text(spec.common_name), -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_UTF8, text(org), -1, -1, 0) != 1 ||
      X509_set_subject_name(x.get(), name.get()) != 1 ||
      X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer->cert.get()) : name.get()) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(x.get()), not_before) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x.get()), not_after) == nullptr || X509_set_pubkey(x.get(), pub.get()) != 1)
    return openssl_failure("certificate fields");
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer->cert.get() : x.get(), x.get(), nullptr, nullptr, 0);
  std::vector<std::pair<int, std::string>> exts = {
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"},
      {NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE"},
      {NID_key_usage, "critical," + spec.key_usage}};
  if (spec.ca && issuer != nullptr) exts[2].second = "critical,CA:TRUE,pathlen:0";
  for (const auto& [nid, value] : exts) {
    std::unique_ptr<X509_EXTENSION, ExtDeleter> e(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!e || X509_add_ext(x.get(), e.get(), -1) != 1) return openssl_failure("certificate extension");
  }
  if (spec.sgx_extension) {
    std::unique_ptr<ASN1_OBJECT, ObjDeleter> oid(OBJ_txt2obj("1.2.840.113741.1.13.1", 1));
    std::unique_ptr<ASN1_OCTET_STRING, OctetDeleter> value(ASN1_OCTET_STRING_new());
    if (!oid || !value ||
        ASN1_OCTET_STRING_set(value.get(), spec.sgx_extension->data(), static_cast<int>(spec.sgx_extension->size())) != 1)
      return openssl_failure("SGX extension");
    std::unique_ptr<X509_EXTENSION, ExtDeleter> e(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, value.get()));
    if (!e || X509_add_ext(x.get(), e.get(), -1) != 1) return openssl_failure("SGX extension");
  }
  T3N_ASSIGN_OR_RETURN(PkeyPtr throwaway, throwaway_key());
  if (X509_sign(x.get(), throwaway.get(), EVP_sha256()) <= 0) return openssl_failure("certificate signature");
  T3N_ASSIGN_OR_RETURN(Bytes tbs, i2d_bytes([&](unsigned char** p) { return i2d_re_X509_tbs(x.get(), p); }));
  const X509_ALGOR* algorithm = nullptr;
  X509_get0_signature(nullptr, &algorithm, x.get());
  T3N_ASSIGN_OR_RETURN(Bytes alg, i2d_bytes([&](unsigned char** p) { return i2d_X509_ALGOR(algorithm, p); }));
  Issued out;
  T3N_ASSIGN_OR_RETURN(out.der, deterministic_signed(tbs, alg, signer));
  const unsigned char* p = out.der.data();
  out.cert.reset(d2i_X509(nullptr, &p, static_cast<long>(out.der.size())));
  if (!out.cert) return openssl_failure("re-signed certificate");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || PEM_write_bio_X509(bio.get(), out.cert.get()) != 1) return openssl_failure("PEM");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  out.pem.assign(data, static_cast<std::size_t>(len));
  return out;
}

Result<Bytes> issue_crl(const Issued& issuer, const crypto::P256PrivateKey& signer, std::time_t last, std::time_t next,
                        std::optional<std::uint64_t> revoked_serial) {
  CrlPtr crl(X509_CRL_new());
  std::unique_ptr<ASN1_TIME, TimeDeleter> last_update(ASN1_TIME_set(nullptr, last)), next_update(ASN1_TIME_set(nullptr, next));
  if (!crl || !last_update || !next_update || X509_CRL_set_version(crl.get(), 1) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.cert.get())) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last_update.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1)
    return openssl_failure("CRL fields");
  if (revoked_serial) {
    X509_REVOKED* entry = X509_REVOKED_new();
    std::unique_ptr<ASN1_INTEGER, IntegerDeleter> serial(ASN1_INTEGER_new());
    if (entry == nullptr || !serial || ASN1_INTEGER_set_uint64(serial.get(), *revoked_serial) != 1 ||
        X509_REVOKED_set_serialNumber(entry, serial.get()) != 1 ||
        X509_REVOKED_set_revocationDate(entry, last_update.get()) != 1 || X509_CRL_add0_revoked(crl.get(), entry) != 1) {
      X509_REVOKED_free(entry);
      return openssl_failure("CRL entry");
    }
  }
  X509_CRL_sort(crl.get());
  T3N_ASSIGN_OR_RETURN(PkeyPtr throwaway, throwaway_key());
  if (X509_CRL_sign(crl.get(), throwaway.get(), EVP_sha256()) <= 0) return openssl_failure("CRL signature");
  T3N_ASSIGN_OR_RETURN(Bytes tbs, i2d_bytes([&](unsigned char** p) { return i2d_re_X509_CRL_tbs(crl.get(), p); }));
  const X509_ALGOR* algorithm = nullptr;
  X509_CRL_get0_signature(crl.get(), nullptr, &algorithm);
  T3N_ASSIGN_OR_RETURN(Bytes alg, i2d_bytes([&](unsigned char** p) { return i2d_X509_ALGOR(algorithm, p); }));
  return deterministic_signed(tbs, alg, signer);
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
  T3N_ASSIGN_OR_RETURN(Issued root, issue({"T3N Simulated SGX Root CA", 1, true, "keyCertSign,cRLSign", std::nullopt},
                                          root_key.public_key(), nullptr, root_key, nb, na));
  T3N_ASSIGN_OR_RETURN(Issued pck_ca, issue({"T3N Simulated SGX PCK Platform CA", 2, true, "keyCertSign,cRLSign", std::nullopt},
                                            pck_ca_key.public_key(), &root, root_key, nb, na));
  T3N_ASSIGN_OR_RETURN(Issued tcb, issue({"T3N Simulated SGX TCB Signing", 3, false, "digitalSignature,nonRepudiation", std::nullopt},
                                         tcb_key.public_key(), &root, root_key, nb, na));
  const auto ppid = derived<16>(seed, "ppid");
  T3N_ASSIGN_OR_RETURN(Bytes sgx, sgx_extension(o, ppid, kPceSvn));
  constexpr std::uint64_t kPckSerial = 0x5C0FFEE;
  T3N_ASSIGN_OR_RETURN(Issued pck, issue({"T3N Simulated SGX PCK Certificate", kPckSerial, false,
                                          "digitalSignature,nonRepudiation", sgx},
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
