#include "attest/verify_evidence.h"

#include <vector>

#include "attest/nitro_verify.h"
#include "common/config.h"
#include "common/encoding.h"
#include "common/files.h"

namespace t3n::attest {

Result<AttestationPolicy> attestation_policy_from_toml(std::string_view text, std::string source_name) {
  T3N_ASSIGN_OR_RETURN(auto table, common::ConfigTable::parse_string(text, std::move(source_name)));
  std::vector<std::string_view> known(kTdxPolicyKeys.begin(), kTdxPolicyKeys.end());
  known.insert(known.end(), kSnpPolicyKeys.begin(), kSnpPolicyKeys.end());
  known.insert(known.end(), kNitroPolicyKeys.begin(), kNitroPolicyKeys.end());
  T3N_RETURN_IF_ERROR(table.reject_unknown_keys(known));
  AttestationPolicy policy;
  T3N_ASSIGN_OR_RETURN(policy.tdx, tdx_policy_from_config(table));
  T3N_ASSIGN_OR_RETURN(policy.snp, snp_policy_from_config(table));
  T3N_ASSIGN_OR_RETURN(policy.nitro, nitro_policy_from_config(table));
  return policy;
}

Status load_collateral_dir(std::string_view provider, const std::filesystem::path& dir, EvidenceCollateral& collateral,
                           CertCheckOptions& options) {
  if (provider == kProviderTdx) return load_tdx_collateral(dir, collateral.tdx, options);
  if (provider == kProviderSnp) return load_snp_collateral(dir, collateral.snp);
  if (provider == kProviderNitro) {
    if (auto root = common::read_file(dir / "root.pem"); root.ok()) collateral.nitro_root_pem = *root;
    return {};
  }
  return common::invalid_argument("unknown provider '" + std::string(provider) + "' (IntelTdx, AmdSevSnp or AwsNitro)");
}

Status collateral_from_json(std::string_view provider, const common::Json& request, EvidenceCollateral& col,
                            CertCheckOptions& opt) {
  if (!request.contains("collateral")) return {};
  const auto& c = request["collateral"];
  if (!c.is_object()) return common::invalid_argument("'collateral' must be an object");
  auto text = [&](const char* field) -> Result<std::string> {
    if (!c.contains(field)) return std::string();
    if (!c[field].is_string()) return common::invalid_argument(std::string("collateral.") + field + " must be a string");
    return c[field].get<std::string>();
  };
  if (c.contains("crls")) {
    if (!c["crls"].is_array()) return common::invalid_argument("collateral.crls must be an array of base64 DER CRLs");
    for (const auto& crl : c["crls"]) {
      auto der = crl.is_string() ? common::base64_decode(crl.get<std::string>()) : Result<Bytes>(common::invalid_argument(""));
      if (!der.ok()) return common::invalid_argument("collateral.crls holds something that is not base64");
      opt.crls_der.push_back(std::move(*der));
    }
  }
  if (provider == kProviderTdx) {
    T3N_ASSIGN_OR_RETURN(col.tdx.tcb_info_json, text("tcb_info"));
    T3N_ASSIGN_OR_RETURN(col.tdx.qe_identity_json, text("qe_identity"));
    T3N_ASSIGN_OR_RETURN(col.tdx.tcb_signing_chain_pem, text("tcb_signing_chain"));
  } else if (provider == kProviderSnp) {
    T3N_ASSIGN_OR_RETURN(std::string vcek, text("vcek"));
    auto der = common::base64_decode(vcek);
    if (!der.ok()) return common::invalid_argument("collateral.vcek must be base64 (DER)");
    col.snp.vcek_der = std::move(*der);
    T3N_ASSIGN_OR_RETURN(col.snp.ask_pem, text("ask"));
    T3N_ASSIGN_OR_RETURN(col.snp.ark_pem, text("ark"));
  } else {
    T3N_ASSIGN_OR_RETURN(col.nitro_root_pem, text("root"));
  }
  return {};
}

Result<common::Json> verify_evidence(std::string_view provider, ByteView evidence, const EvidenceCollateral& collateral,
                                     const CertCheckOptions& options, const AttestationPolicy& policy) {
  if (provider == kProviderTdx) {
    auto v = verify_tdx_quote(evidence, collateral.tdx, options);
    common::Json j = v.ok() ? tdx_verification_to_json(v, apply_tdx_policy(*v, policy.tdx, std::nullopt, options.at))
                            : tdx_verification_to_json(v);
    j["revocation_checked"] = v.ok() && !options.crls_der.empty();
    return j;
  }
  if (provider == kProviderSnp) {
    auto v = verify_snp_report(evidence, collateral.snp, options);
    common::Json j = v.ok() ? snp_verification_to_json(v, apply_snp_policy(*v, policy.snp, std::nullopt, options.at))
                            : snp_verification_to_json(v);
    j["revocation_checked"] = v.ok() && !(options.crls_der.empty() && collateral.snp.crls_der.empty());
    return j;
  }
  if (provider == kProviderNitro) {
    CertCheckOptions nitro = options;
    nitro.crls_der.clear();  // AWS publishes none; a CRL given for another provider must not fail the chain
    if (nitro.root_ca_sha256 == kIntelSgxRootCaSha256) nitro.root_ca_sha256 = std::string(kAwsNitroRootG1Sha256);
    auto v = verify_nitro_document(evidence, nitro, collateral.nitro_root_pem);
    common::Json j = v.ok() ? nitro_verification_to_json(v, apply_nitro_policy(*v, policy.nitro, options.at))
                            : nitro_verification_to_json(v);
    // AWS publishes no CRLs for Nitro: its document certificates live for hours.
    j["revocation_checked"] = false;
    return j;
  }
  return common::invalid_argument("unknown provider '" + std::string(provider) + "' (IntelTdx, AmdSevSnp or AwsNitro)");
}

}  // namespace t3n::attest
