#include "attest/tdx_verify.h"

#include "attest/verification_cache.h"
#include "attest/x509_chain.h"


#include <algorithm>
#include <limits>
#include <cctype>
#include <ctime>
#include <memory>
#include <optional>

#include "common/encoding.h"
#include "common/files.h"
#include "common/json.h"
#include "crypto/hash.h"
#include "crypto/p256.h"

namespace t3n::attest {
namespace {

using common::Json;

Status fail(const std::string& why) { return common::verification_failed("tdx: " + why); }

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

Result<Bytes> hex_field(const Json& j, const char* field) {
  if (!j.contains(field) || !j[field].is_string()) return fail(std::string("collateral lacks ") + field);
  return common::hex_decode(j[field].get<std::string>());
}

// The TCB signing key, after checking its chain to the pinned root (root CRL only).
Result<Bytes> tcb_signing_key(const std::string& chain_pem, const CertCheckOptions& o) {
  T3N_ASSIGN_OR_RETURN(auto pems, split_pem_certificates(chain_pem));
  // Only Intel's TCB Signing certificate, issued by the root itself, signs
  // collateral — not any other P-256 leaf under the root (a PCK, say).
  if (pems.size() != 2) return fail("the TCB signing chain must be the TCB Signing certificate and the root");
  T3N_ASSIGN_OR_RETURN(std::string cn, certificate_common_name(pems.front()));
  if (cn.size() < 15 || cn.compare(cn.size() - 15, 15, "SGX TCB Signing") != 0)
    return fail("the collateral signer '" + cn + "' is not an SGX TCB Signing certificate");
  return verify_chain_to_pinned_root(pems, o, "tdx: TCB signing chain");
}

// Verifies {"<key>": {...}, "signature": "<hex r‖s>"} — exactly these two
// top-level members, no duplicates — and returns the parsed value of the very
// bytes the signature covers (never another copy of the key elsewhere).
Result<Json> signed_collateral(const std::string& text, std::string_view key, ByteView signing_key,
                               VerificationCache* cache) {
  std::string cache_key;
  if (cache != nullptr) {
    Bytes material = common::to_bytes(key);
    common::append_u32_be(material, static_cast<std::uint32_t>(signing_key.size()));
    common::append(material, signing_key);
    common::append(material, common::as_bytes(text));
    cache_key = common::hex_encode(crypto::sha256(material));
    if (auto hit = cache->collateral(cache_key)) return *hit;
  }
  T3N_ASSIGN_OR_RETURN(auto members, top_level_json_members(text));
  std::string_view raw, signature_json;
  for (const auto& [name, value] : members) {
    if (name == key) raw = value;
    else if (name == "signature") signature_json = value;
    else return fail("collateral has an unexpected member \"" + name + "\"");
  }
  if (raw.empty() || signature_json.empty()) return fail("collateral needs \"" + std::string(key) + "\" and \"signature\"");
  auto signature = common::parse_json(signature_json);
  if (!signature.ok() || !signature->is_string()) return fail("collateral signature is not a string");
  auto sig = common::hex_decode(signature->get<std::string>());
  if (!sig.ok()) return fail("collateral signature is not hex");
  if (!crypto::p256_verify_raw(signing_key, common::as_bytes(raw), *sig).ok())
    return fail(std::string(key) + " signature does not verify");
  auto value = common::parse_json(raw);
  if (!value.ok() || !value->is_object()) return fail(std::string(key) + " is not a JSON object");
  if (cache != nullptr) cache->put_collateral(cache_key, *value);
  return std::move(value).value();
}

// j[key] without nlohmann's undefined behaviour for a missing key: an empty
// object, on which .value(…) gives the default.
const Json& member(const Json& j, const char* key) {
  static const Json kEmpty = Json::object();  // NOLINT: immutable
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  return it == j.end() ? kEmpty : *it;
}

Status check_dates(const Json& j, std::time_t at, const char* what) {
  auto issue = common::parse_utc_timestamp(j.value("issueDate", ""));
  auto next = common::parse_utc_timestamp(j.value("nextUpdate", ""));
  if (!issue.ok() || !next.ok()) return fail(std::string(what) + " has bad dates");
  if (at < *issue) return fail(std::string(what) + " is not yet valid");
  if (at > *next) return fail(std::string(what) + " has expired (nextUpdate passed)");
  return {};
}

bool masked_equal(ByteView value, ByteView expected, ByteView mask) {
  if (value.size() < mask.size() || expected.size() != mask.size()) return false;
  for (std::size_t i = 0; i < mask.size(); ++i)
    if ((value[i] & mask[i]) != (expected[i] & mask[i])) return false;
  return true;
}

}  // namespace

int tcb_status_severity(std::string_view s) {
  if (s == "UpToDate") return 0;
  if (s == "SWHardeningNeeded") return 1;
  if (s == "ConfigurationNeeded") return 2;
  if (s == "ConfigurationAndSWHardeningNeeded") return 3;
  if (s == "OutOfDate") return 4;
  if (s == "OutOfDateConfigurationNeeded") return 5;
  if (s == "Revoked") return 6;
  return 7;
}

Status load_tdx_collateral(const std::filesystem::path& dir, TdxCollateral& col, CertCheckOptions& options) {
  for (auto [field, name] : {std::pair{&col.tcb_info_json, "tcb_info.json"}, std::pair{&col.qe_identity_json, "qe_identity.json"},
                             std::pair{&col.tcb_signing_chain_pem, "tcb_signing_chain.pem"}}) {
    T3N_ASSIGN_OR_RETURN(*field, common::read_file(dir / name));
  }
  for (const char* name : {"root_ca_crl.der", "pck_crl.der"}) {
    if (auto der = common::read_file(dir / name); der.ok()) options.crls_der.push_back(common::to_bytes(*der));
  }
  return {};
}

namespace {

// Intel's convergence of platform, QE and module status.
std::string converge(const std::string& platform, const std::string& other) {
  if (other == "Revoked" || platform == "Revoked") return "Revoked";
  if (other == "OutOfDate") {
    if (platform == "ConfigurationNeeded" || platform == "ConfigurationAndSWHardeningNeeded" ||
        platform == "OutOfDateConfigurationNeeded")
      return "OutOfDateConfigurationNeeded";
    return "OutOfDate";
  }
  return tcb_status_severity(other) > tcb_status_severity(platform) ? other : platform;
}

}  // namespace

namespace {

std::size_t skip_space(std::string_view s, std::size_t pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r')) ++pos;
  return pos;
}

// The end of the JSON string starting at `pos` (a '"'), just past its closing quote.
Result<std::size_t> skip_string(std::string_view s, std::size_t pos) {
  if (pos >= s.size() || s[pos] != '"') return fail("malformed collateral (expected a string)");
  for (++pos; pos < s.size(); ++pos) {
    if (s[pos] == '\\') ++pos;
    else if (s[pos] == '"') return pos + 1;
  }
  return fail("malformed collateral (unterminated string)");
}

// The end of the JSON value starting at `pos`. Structural only (strings,
// nesting); the value's own validity is the parser's business afterwards.
Result<std::size_t> skip_value(std::string_view s, std::size_t pos) {
  if (pos >= s.size()) return fail("malformed collateral (missing value)");
  if (s[pos] == '"') return skip_string(s, pos);
  if (s[pos] != '{' && s[pos] != '[') {
    while (pos < s.size() && s[pos] != ',' && s[pos] != '}' && s[pos] != ']' && s[pos] != ' ' && s[pos] != '\n' &&
           s[pos] != '\r' && s[pos] != '\t')
      ++pos;
    return pos;
  }
  int depth = 0;
  for (; pos < s.size(); ++pos) {
    const char c = s[pos];
    if (c == '"') {
      T3N_ASSIGN_OR_RETURN(std::size_t end, skip_string(s, pos));
      pos = end - 1;
    } else if (c == '{' || c == '[') {
      if (++depth > 64) return fail("collateral nests too deeply");
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return pos + 1;
    }
  }
  return fail("malformed collateral (unterminated value)");
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string_view>>> top_level_json_members(std::string_view json) {
  std::vector<std::pair<std::string, std::string_view>> members;
  std::size_t pos = skip_space(json, 0);
  if (pos >= json.size() || json[pos] != '{') return fail("collateral is not a JSON object");
  pos = skip_space(json, pos + 1);
  if (pos < json.size() && json[pos] == '}') return members;
  for (;;) {
    T3N_ASSIGN_OR_RETURN(std::size_t key_end, skip_string(json, pos));
    std::string name(json.substr(pos + 1, key_end - pos - 2));  // raw: an escaped key never equals a plain one
    pos = skip_space(json, key_end);
    if (pos >= json.size() || json[pos] != ':') return fail("malformed collateral (expected ':')");
    pos = skip_space(json, pos + 1);
    T3N_ASSIGN_OR_RETURN(std::size_t value_end, skip_value(json, pos));
    for (const auto& m : members)
      if (m.first == name) return fail("collateral repeats the member \"" + name + "\"");
    members.emplace_back(std::move(name), json.substr(pos, value_end - pos));
    if (members.size() > 16) return fail("collateral has too many members");
    pos = skip_space(json, value_end);
    if (pos < json.size() && json[pos] == ',') {
      pos = skip_space(json, pos + 1);
      continue;
    }
    if (pos < json.size() && json[pos] == '}' && skip_space(json, pos + 1) == json.size()) return members;
    return fail("malformed collateral (after a member)");
  }
}

Result<std::string> raw_json_object(std::string_view json, std::string_view key) {
  T3N_ASSIGN_OR_RETURN(auto members, top_level_json_members(json));
  for (const auto& [name, value] : members) {
    if (name != key) continue;
    if (value.empty() || value.front() != '{') return fail("collateral value is not an object");
    return std::string(value);
  }
  return fail("collateral lacks \"" + std::string(key) + "\"");
}

namespace {

struct CheckedCollateral {
  Json tcb;  // the signed tcbInfo body
  Json qe;   // the signed enclaveIdentity body
};

// What the collateral must satisfy on its own, whatever quote it serves.
Result<CheckedCollateral> checked_collateral(const TdxCollateral& col, const CertCheckOptions& o) {
  const std::time_t at = o.at != 0 ? o.at : std::time(nullptr);
  T3N_ASSIGN_OR_RETURN(Bytes signer, tcb_signing_key(col.tcb_signing_chain_pem, o));
  CheckedCollateral c;
  T3N_ASSIGN_OR_RETURN(c.tcb, signed_collateral(col.tcb_info_json, "tcbInfo", signer, o.cache));
  T3N_ASSIGN_OR_RETURN(c.qe, signed_collateral(col.qe_identity_json, "enclaveIdentity", signer, o.cache));
  if (c.tcb.value("id", "") != "TDX" || c.tcb.value("version", 0) != 3) return fail("TCB info is not TDX version 3");
  if (c.qe.value("id", "") != "TD_QE" || c.qe.value("version", 0) != 2) return fail("QE identity is not TD_QE version 2");
  T3N_RETURN_IF_ERROR(check_dates(c.tcb, at, "TCB info"));
  T3N_RETURN_IF_ERROR(check_dates(c.qe, at, "QE identity"));
  return c;
}

}  // namespace

Status verify_tdx_collateral(const TdxCollateral& col, const CertCheckOptions& o) {
  try {
    return checked_collateral(col, o).status();
  } catch (const std::exception& e) {
    return fail(std::string("malformed collateral (") + e.what() + ")");
  }
}

Result<std::time_t> tdx_collateral_expiry(const TdxCollateral& col, const std::vector<Bytes>& crls_der) {
  std::time_t earliest = std::numeric_limits<std::time_t>::max();
  for (auto [text, key] : {std::pair{&col.tcb_info_json, "tcbInfo"}, std::pair{&col.qe_identity_json, "enclaveIdentity"}}) {
    T3N_ASSIGN_OR_RETURN(std::string raw, raw_json_object(*text, key));
    auto body = common::parse_json(raw);
    if (!body.ok() || !body->is_object()) return fail(std::string(key) + " is not a JSON object");
    const auto next = body->find("nextUpdate");
    if (next == body->end() || !next->is_string()) return fail(std::string(key) + " has no nextUpdate");
    T3N_ASSIGN_OR_RETURN(std::time_t t, common::parse_utc_timestamp(next->get<std::string>()));
    earliest = std::min(earliest, t);
  }
  for (const auto& crl : crls_der) {
    T3N_ASSIGN_OR_RETURN(std::time_t t, crl_next_update(crl));
    earliest = std::min(earliest, t);
  }
  return earliest;
}

namespace {
Result<TdxVerification> verify_tdx_quote_unguarded(ByteView quote_bytes, const TdxCollateral& col, const CertCheckOptions& o);
}  // namespace

Result<TdxVerification> verify_tdx_quote(ByteView quote_bytes, const TdxCollateral& col, const CertCheckOptions& o) {
  // Signed collateral of the wrong shape (a string where a number belongs)
  // makes nlohmann throw; it stays a verification failure, inside this module.
  try {
    return verify_tdx_quote_unguarded(quote_bytes, col, o);
  } catch (const std::exception& e) {
    return fail(std::string("malformed collateral (") + e.what() + ")");
  }
}

namespace {
Result<TdxVerification> verify_tdx_quote_unguarded(ByteView quote_bytes, const TdxCollateral& col, const CertCheckOptions& o) {
  TdxVerification v;
  T3N_ASSIGN_OR_RETURN(v.quote, parse_tdx_quote(quote_bytes));
  T3N_RETURN_IF_ERROR(verify_tdx_quote_signatures(v.quote, o));
  T3N_ASSIGN_OR_RETURN(v.pck, pck_extensions(v.quote.pck_chain_pem.front()));

  T3N_ASSIGN_OR_RETURN(CheckedCollateral checked, checked_collateral(col, o));
  const Json& tcb = checked.tcb;
  const Json& qe = checked.qe;
  if (upper(tcb.value("fmspc", "")) != upper(common::hex_encode(v.pck.fmspc))) return fail("TCB info is for another FMSPC");
  if (upper(tcb.value("pceId", "")) != upper(common::hex_encode(v.pck.pce_id))) return fail("TCB info is for another PCE-ID");

  // The quoting enclave.
  const auto& qr = v.quote.qe_report;
  T3N_ASSIGN_OR_RETURN(Bytes mrsigner, hex_field(qe, "mrsigner"));
  if (mrsigner != Bytes(qr.mr_signer.begin(), qr.mr_signer.end())) return fail("QE MRSIGNER does not match");
  if (qe.value("isvprodid", -1) != qr.isv_prod_id) return fail("QE ISVPRODID does not match");
  T3N_ASSIGN_OR_RETURN(Bytes misc, hex_field(qe, "miscselect"));
  T3N_ASSIGN_OR_RETURN(Bytes misc_mask, hex_field(qe, "miscselectMask"));
  Bytes qe_misc{static_cast<std::uint8_t>(qr.misc_select >> 24), static_cast<std::uint8_t>(qr.misc_select >> 16),
                static_cast<std::uint8_t>(qr.misc_select >> 8), static_cast<std::uint8_t>(qr.misc_select)};
  if (!masked_equal(qe_misc, misc, misc_mask)) return fail("QE MISCSELECT does not match");
  T3N_ASSIGN_OR_RETURN(Bytes attrs, hex_field(qe, "attributes"));
  T3N_ASSIGN_OR_RETURN(Bytes attrs_mask, hex_field(qe, "attributesMask"));
  if (!masked_equal(ByteView(qr.attributes), attrs, attrs_mask)) return fail("QE attributes do not match");
  v.qe_status = "Revoked";
  for (const auto& level : qe.value("tcbLevels", Json::array())) {
    if (qr.isv_svn >= member(level, "tcb").value("isvsvn", 0xFFFF)) {
      v.qe_status = level.value("tcbStatus", "Revoked");
      break;
    }
  }

  // The platform: the first TCB level the PCK and TEE TCB SVNs reach.
  const auto& svn = v.quote.report.tee_tcb_svn;
  const bool module_versioned = svn[1] > 0;
  v.status = "TcbNotSupported";
  for (const auto& level : tcb.value("tcbLevels", Json::array())) {
    const auto& t = member(level, "tcb");
    bool ok = t.value("pcesvn", 0xFFFF) <= v.pck.pce_svn;
    const auto& sgx = member(t, "sgxtcbcomponents");
    const auto& tdx = member(t, "tdxtcbcomponents");
    if (!sgx.is_array() || sgx.size() != 16 || !tdx.is_array() || tdx.size() != 16) return fail("malformed TCB level");
    for (std::size_t i = 0; i < 16 && ok; ++i) ok = v.pck.cpu_svn_components[i] >= sgx[i].value("svn", 0xFF);
    // Components 0 and 1 describe the TDX module, checked by its identity below.
    for (std::size_t i = module_versioned ? 2 : 0; i < 16 && ok; ++i) ok = svn[i] >= tdx[i].value("svn", 0xFF);
    if (!ok) continue;
    v.status = level.value("tcbStatus", "TcbNotSupported");
    v.tcb_date = level.value("tcbDate", "");
    for (const auto& a : level.value("advisoryIDs", Json::array())) v.advisory_ids.push_back(a.get<std::string>());
    break;
  }
  if (v.status == "TcbNotSupported") return v;

  // The TDX module.
  v.module_status = "UpToDate";
  if (module_versioned) {
    char id[8];
    std::snprintf(id, sizeof id, "TDX_%02X", svn[1]);
    std::optional<Json> found;
    for (const auto& m : tcb.value("tdxModuleIdentities", Json::array()))
      if (m.value("id", "") == id) found = m;
    if (!found) return fail(std::string("no TDX module identity ") + id);
    const Json* identity = &*found;
    T3N_ASSIGN_OR_RETURN(Bytes seam_signer, hex_field(*identity, "mrsigner"));
    if (seam_signer != Bytes(v.quote.report.mr_signer_seam.begin(), v.quote.report.mr_signer_seam.end()))
      return fail("TDX module MRSIGNERSEAM does not match");
    T3N_ASSIGN_OR_RETURN(Bytes seam_attrs, hex_field(*identity, "attributes"));
    T3N_ASSIGN_OR_RETURN(Bytes seam_mask, hex_field(*identity, "attributesMask"));
    if (!masked_equal(ByteView(v.quote.report.seam_attributes), seam_attrs, seam_mask))
      return fail("TDX module attributes do not match");
    v.module_status = "OutOfDate";
    for (const auto& level : identity->value("tcbLevels", Json::array())) {
      if (svn[0] >= member(level, "tcb").value("isvsvn", 0xFF)) {
        v.module_status = level.value("tcbStatus", "OutOfDate");
        break;
      }
    }
  }
  v.status = converge(converge(v.status, v.qe_status), v.module_status);
  return v;
}
}  // namespace

}  // namespace t3n::attest

namespace t3n::attest {

common::Json tdx_verification_to_json(const Result<TdxVerification>& v) {
  using common::hex_encode;
  if (!v.ok()) {
    return {{"valid", false}, {"provider", "IntelTdx"}, {"hardware_verified", false}, {"measurements_valid", nullptr},
            {"certificate_chain_valid", false}, {"tcb_status", nullptr}, {"advisories", common::Json::array()},
            {"error", v.status().message()}};
  }
  const auto& r = v->quote.report;
  common::Json m = {{"mrtd", hex_encode(r.mr_td)},
                    {"rtmr0", hex_encode(r.rtmr[0])},
                    {"rtmr1", hex_encode(r.rtmr[1])},
                    {"rtmr2", hex_encode(r.rtmr[2])},
                    {"rtmr3", hex_encode(r.rtmr[3])},
                    {"mrconfigid", hex_encode(r.mr_config_id)},
                    {"mrowner", hex_encode(r.mr_owner)},
                    {"mrseam", hex_encode(r.mr_seam)},
                    {"tee_tcb_svn", hex_encode(r.tee_tcb_svn)},
                    {"td_attributes", hex_encode(r.td_attributes)},
                    {"debug", r.debug()}};
  const bool usable = tcb_status_severity(v->status) <= 3;  // up to ConfigurationAndSWHardeningNeeded
  return {{"valid", usable && !r.debug()},
          {"provider", "IntelTdx"},
          {"hardware_verified", true},
          {"measurements_valid", nullptr},
          {"certificate_chain_valid", true},
          {"tcb_status", v->status},
          {"advisories", v->advisory_ids},
          {"tcb_date", v->tcb_date},
          {"qe_status", v->qe_status},
          {"module_status", v->module_status},
          {"fmspc", hex_encode(v->pck.fmspc)},
          {"quote_version", v->quote.version},
          {"measurements", m},
          {"report_data", hex_encode(r.report_data)}};
}

}  // namespace t3n::attest
