// One entry point for evidence of any supported TEE — what the REST endpoint
// (POST /api/verify/tee-attestation) and `t3n attest verify` share: the
// provider's verifier, its policy, and the common JSON report
// {valid, provider, hardware_verified, measurements_valid,
//  certificate_chain_valid, tcb_status, advisories, measurements,
//  report_data, policy}.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "attest/nitro_policy.h"
#include "attest/policy.h"
#include "attest/snp_policy.h"
#include "attest/snp_verify.h"
#include "attest/tdx_verify.h"
#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"

namespace t3n::attest {

inline constexpr std::string_view kProviderTdx = "IntelTdx";
inline constexpr std::string_view kProviderSnp = "AmdSevSnp";
inline constexpr std::string_view kProviderNitro = "AwsNitro";

// A policy file may hold [tdx], [snp] and [nitro]; each provider's evidence
// is judged by its own table. Keys outside all three are errors.
struct AttestationPolicy {
  TdxPolicy tdx;
  SnpPolicy snp;
  NitroPolicy nitro;
};
Result<AttestationPolicy> attestation_policy_from_toml(std::string_view text, std::string source_name = "<policy>");

struct EvidenceCollateral {
  TdxCollateral tdx;
  SnpCollateral snp;
  std::string nitro_root_pem;  // optional: only compared with the pinned AWS root
};

// The collateral directory of `provider` (the layouts of
// ../shared/vectors/attestation/<kind>/<case>/): TDX collateral and CRLs,
// SEV-SNP vcek.der/ask.pem/ark.pem, Nitro root.pem (optional).
Status load_collateral_dir(std::string_view provider, const std::filesystem::path& dir, EvidenceCollateral& collateral,
                           CertCheckOptions& options);

// The "collateral" member of `request`, if any, as the REST endpoint and a
// node's /api/attestation carry it: TDX {tcb_info, qe_identity,
// tcb_signing_chain, crls?: [base64 DER]}, SEV-SNP {vcek: base64 DER, ask,
// ark: PEM, crls?}, Nitro {root?: PEM}. Malformed members are kInvalidArgument.
Status collateral_from_json(std::string_view provider, const common::Json& request, EvidenceCollateral& collateral,
                            CertCheckOptions& options);

// kInvalidArgument for an unknown provider; every verification outcome,
// failures included, is in the JSON (`valid` false, `error` says why).
// `revocation_checked` says whether CRLs were part of the verification.
Result<common::Json> verify_evidence(std::string_view provider, ByteView evidence, const EvidenceCollateral& collateral,
                                     const CertCheckOptions& options, const AttestationPolicy& policy);

}  // namespace t3n::attest
