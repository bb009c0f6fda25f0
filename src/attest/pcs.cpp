#include "attest/pcs.h"

#include <httplib.h>

#include <memory>

#include "attest/x509_chain.h"
#include "common/encoding.h"
#include "common/files.h"
#include "crypto/x509.h"

namespace t3n::attest {
namespace {

// Splits "https://host:port/prefix" into the scheme-host-port part and the path prefix.
Result<std::pair<std::string, std::string>> split_url(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos || (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0))
    return common::invalid_argument("PCS URL must start with http:// or https://, got '" + url + "'");
  const auto path = url.find('/', scheme + 3);
  if (path == std::string::npos) return std::pair{url, std::string()};
  std::string prefix = url.substr(path);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return std::pair{url.substr(0, path), prefix};
}

std::string percent_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      auto byte = common::hex_decode(in.substr(i + 1, 2));
      if (byte.ok()) {
        out.push_back(static_cast<char>((*byte)[0]));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

struct Fetched {
  std::string body;
  httplib::Headers headers;
};

constexpr std::size_t kMaxAnswerBytes = 4u << 20;

Result<Fetched> get(const std::string& url, const PcsOptions& o) {
  T3N_ASSIGN_OR_RETURN(auto parts, split_url(url));
  httplib::Client client(parts.first);
  const auto secs = static_cast<time_t>(o.timeout.count());
  client.set_connection_timeout(secs, 0);
  client.set_read_timeout(secs, 0);
  // Only the configured service is contacted (no redirects elsewhere), and an
  // answer is bounded as it arrives — compressed bodies are not inflated.
  client.set_follow_location(false);
  client.set_decompress(false);
  std::string body;
  bool too_large = false;
  auto res = client.Get(
      parts.second.empty() ? "/" : parts.second, httplib::Headers{{"Accept-Encoding", "identity"}},
      [](const httplib::Response&) { return true; },
      [&](const char* data, std::size_t n) {
        if (body.size() + n > kMaxAnswerBytes) {
          too_large = true;
          return false;
        }
        body.append(data, n);
        return true;
      });
  if (too_large) return Status(ErrorCode::kResourceExhausted, url + ": answer larger than 4 MiB");
  if (!res) return Status(ErrorCode::kUnavailable, "cannot reach " + url + ": " + httplib::to_string(res.error()));
  if (res->status == 404)
    return common::not_found(url + ": HTTP 404 (no collateral for this platform at this service)");
  if (res->status >= 300 && res->status < 400)
    return Status(ErrorCode::kUnavailable, url + ": HTTP " + std::to_string(res->status) + " redirect to '" +
                                               res->get_header_value("Location") + "' (not followed: configure that URL)");
  if (res->status != 200) return Status(ErrorCode::kUnavailable, url + ": HTTP " + std::to_string(res->status));
  if (auto enc = res->get_header_value("Content-Encoding"); !enc.empty() && enc != "identity")
    return Status(ErrorCode::kUnavailable, url + ": answered with Content-Encoding " + enc + " although identity was asked");
  return Fetched{std::move(body), res->headers};
}

Result<std::string> issuer_chain(const Fetched& f, const char* header, const std::string& url) {
  auto it = f.headers.find(header);
  if (it == f.headers.end()) return common::invalid_argument(url + ": no " + std::string(header) + " header");
  const std::string pem = percent_decode(it->second);
  if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
    return common::invalid_argument(url + ": " + std::string(header) + " holds no certificate");
  return pem;
}

// CRLs come as DER, PEM or (older PCCS) hex text; always stored as DER.
Result<Bytes> crl_der(const std::string& body, const std::string& url) {
  if (!body.empty() && static_cast<std::uint8_t>(body[0]) == 0x30) return common::to_bytes(body);
  if (body.find("-----BEGIN X509 CRL-----") != std::string::npos) {
    auto crl = crypto::Crl::from_pem(body);
    Bytes out = crl.ok() ? crl->der() : Bytes{};
    if (out.empty()) return common::invalid_argument(url + ": unparsable PEM CRL");
    return out;
  }
  std::string hex = body;
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  auto decoded = common::hex_decode(hex);
  if (decoded.ok() && !decoded->empty() && (*decoded)[0] == 0x30) return *decoded;
  return common::invalid_argument(url + ": the answer is not a CRL (DER, PEM or hex)");
}

}  // namespace

PcsOptions pcs_options_for(const std::string& base_url) {
  PcsOptions o;
  if (base_url.find("://api.trustedservices.intel.com") == std::string::npos) o.root_ca_crl_url.clear();
  o.base_url = base_url;
  return o;
}

Result<FetchedTdxCollateral> fetch_tdx_collateral(const PcsOptions& o, const std::array<std::uint8_t, 6>& fmspc,
                                                  const std::string& pck_ca) {
  if (pck_ca != "platform" && pck_ca != "processor")
    return common::invalid_argument("PCK CA must be 'platform' or 'processor', got '" + pck_ca + "'");
  std::string base = o.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  FetchedTdxCollateral out;

  const std::string tcb_url = base + "/tdx/certification/v4/tcb?fmspc=" + common::hex_encode(fmspc);
  T3N_ASSIGN_OR_RETURN(Fetched tcb, get(tcb_url, o));
  T3N_RETURN_IF_ERROR(raw_json_object(tcb.body, "tcbInfo").status().with_context(tcb_url));
  out.collateral.tcb_info_json = tcb.body;
  T3N_ASSIGN_OR_RETURN(out.collateral.tcb_signing_chain_pem, issuer_chain(tcb, "TCB-Info-Issuer-Chain", tcb_url));

  const std::string qe_url = base + "/tdx/certification/v4/qe/identity";
  T3N_ASSIGN_OR_RETURN(Fetched qe, get(qe_url, o));
  T3N_RETURN_IF_ERROR(raw_json_object(qe.body, "enclaveIdentity").status().with_context(qe_url));
  out.collateral.qe_identity_json = qe.body;

  const std::string crl_url = base + "/sgx/certification/v4/pckcrl?ca=" + pck_ca + "&encoding=der";
  T3N_ASSIGN_OR_RETURN(Fetched pck_crl, get(crl_url, o));
  T3N_ASSIGN_OR_RETURN(out.pck_crl_der, crl_der(pck_crl.body, crl_url));
  T3N_ASSIGN_OR_RETURN(out.pck_crl_issuer_chain_pem, issuer_chain(pck_crl, "SGX-PCK-CRL-Issuer-Chain", crl_url));

  const std::string root_url = o.root_ca_crl_url.empty() ? base + "/sgx/certification/v4/rootcacrl" : o.root_ca_crl_url;
  T3N_ASSIGN_OR_RETURN(Fetched root_crl, get(root_url, o));
  T3N_ASSIGN_OR_RETURN(out.root_ca_crl_der, crl_der(root_crl.body, root_url));
  return out;
}

Result<std::string> pck_ca_of_quote(const TdxQuote& quote) {
  T3N_ASSIGN_OR_RETURN(const std::string cn, certificate_issuer_common_name(quote.pck_chain_pem.front(), "PCK certificate"));
  if (cn.find("Platform CA") != std::string::npos) return std::string("platform");
  if (cn.find("Processor CA") != std::string::npos) return std::string("processor");
  return common::invalid_argument("the PCK issuer '" + cn + "' is neither the Platform nor the Processor CA");
}

Result<AmdProduct> amd_product_from_name(std::string_view name) {
  for (auto p : {AmdProduct::kMilan, AmdProduct::kGenoa, AmdProduct::kTurin})
    if (amd_product_name(p) == name) return p;
  return common::invalid_argument("AMD product must be Milan, Genoa or Turin, not '" + std::string(name) + "'");
}

Result<AmdProduct> snp_product_of_report(const SnpReport& r) {
  if (!r.cpuid_family || !r.cpuid_model)
    return common::invalid_argument("a version " + std::to_string(r.version) +
                                    " report does not name its CPU: give the product (Milan, Genoa or Turin)");
  const unsigned family = *r.cpuid_family, model = *r.cpuid_model;
  if (family == 0x19 && model <= 0x0F) return AmdProduct::kMilan;
  if (family == 0x19 && ((model >= 0x10 && model <= 0x1F) || (model >= 0xA0 && model <= 0xAF))) return AmdProduct::kGenoa;
  if (family == 0x1A) return AmdProduct::kTurin;
  return common::invalid_argument("unknown AMD CPU family 0x" + common::hex_encode(Bytes{static_cast<std::uint8_t>(family)}) +
                                  " model 0x" + common::hex_encode(Bytes{static_cast<std::uint8_t>(model)}));
}

Result<SnpCollateral> fetch_snp_collateral(const KdsOptions& o, const SnpReport& r, AmdProduct product) {
  if (r.signing_key == SnpSigningKey::kVlek)
    return common::failed_precondition("the report is signed by a VLEK: KDS serves VLEKs only to registered cloud providers");
  if (r.chip_id_masked()) return common::failed_precondition("the report's CHIP_ID is masked: KDS cannot name its VCEK");
  std::string base = o.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string prefix = base + "/vcek/v1/" + std::string(amd_product_name(product));
  const bool turin = product == AmdProduct::kTurin;
  const std::string hwid = common::hex_encode(ByteView(r.chip_id).first(turin ? 8 : 64));
  const auto& t = r.reported_tcb;
  std::string query = "?blSPL=" + std::to_string(t.bootloader) + "&teeSPL=" + std::to_string(t.tee) +
                      "&snpSPL=" + std::to_string(t.snp) + "&ucodeSPL=" + std::to_string(t.microcode);
  if (turin && t.fmc) query += "&fmcSPL=" + std::to_string(*t.fmc);
  PcsOptions http;
  http.timeout = o.timeout;
  SnpCollateral out;
  T3N_ASSIGN_OR_RETURN(Fetched vcek, get(prefix + "/" + hwid + query, http));
  out.vcek_der = common::to_bytes(vcek.body);
  T3N_ASSIGN_OR_RETURN(Fetched chain, get(prefix + "/cert_chain", http));
  T3N_ASSIGN_OR_RETURN(auto pems, split_pem_certificates(chain.body));
  if (pems.size() != 2) return common::invalid_argument(prefix + "/cert_chain: expected the ASK and the ARK");
  out.ask_pem = pems[0];
  out.ark_pem = pems[1];
  auto crl = get(prefix + "/crl", http);
  if (crl.ok()) {
    T3N_ASSIGN_OR_RETURN(Bytes der, crl_der(crl->body, prefix + "/crl"));
    out.crls_der.push_back(std::move(der));
  } else if (crl.status().code() != ErrorCode::kNotFound) {
    return crl.status();
  }
  return out;
}

Status write_snp_collateral_dir(const std::filesystem::path& dir, const SnpCollateral& c) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return common::internal_error("cannot create " + dir.string() + ": " + ec.message());
  T3N_RETURN_IF_ERROR(common::write_file_atomic(dir / "vcek.der", c.vcek_der));
  T3N_RETURN_IF_ERROR(common::write_file_atomic(dir / "ask.pem", common::as_bytes(c.ask_pem)));
  T3N_RETURN_IF_ERROR(common::write_file_atomic(dir / "ark.pem", common::as_bytes(c.ark_pem)));
  if (!c.crls_der.empty()) return common::write_file_atomic(dir / "crl.der", c.crls_der.front());
  return {};
}

Status write_tdx_collateral_dir(const std::filesystem::path& dir, const FetchedTdxCollateral& f) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return common::internal_error("cannot create " + dir.string() + ": " + ec.message());
  T3N_RETURN_IF_ERROR(common::write_file_atomic(dir / "tcb_info.json", common::as_bytes(f.collateral.tcb_info_json)));
  T3N_RETURN_IF_ERROR(common::write_file_atomic(dir / "qe_identity.json", common::as_bytes(f.collateral.qe_identity_json)));
  T3N_RETURN_IF_ERROR(common::write_file_atomic(dir / "tcb_signing_chain.pem", common::as_bytes(f.collateral.tcb_signing_chain_pem)));
  T3N_RETURN_IF_ERROR(common::write_file_atomic(dir / "pck_crl_issuer_chain.pem", common::as_bytes(f.pck_crl_issuer_chain_pem)));
  T3N_RETURN_IF_ERROR(common::write_file_atomic(dir / "root_ca_crl.der", f.root_ca_crl_der));
  return common::write_file_atomic(dir / "pck_crl.der", f.pck_crl_der);
}

}  // namespace t3n::attest
