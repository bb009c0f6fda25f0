// POST /api/verify/tee-attestation — stateless verification of evidence a
// client or peer presents (IntelTdx, AmdSevSnp, AwsNitro).
#include "api/routes.h"
#include "attest/policy.h"
#include "attest/verify_evidence.h"
#include "common/encoding.h"

namespace t3n::api {

void register_attestation_routes(EndpointRegistry& r, NodeServices& s) {
  r.rest({"POST", "/api/verify/tee-attestation", AuthPolicy::kNone, [&s](const HttpRequest& req) {
            auto body = common::parse_json(req.body);
            if (!body.ok() || !body->is_object()) return error_response(400, "expected a JSON object");
            const auto pv = body->find("provider");
            const std::string provider = pv != body->end() && pv->is_string() ? pv->get<std::string>() : "";
            if (provider != attest::kProviderTdx && provider != attest::kProviderSnp && provider != attest::kProviderNitro)
              return error_response(400, "'provider' must be IntelTdx, AmdSevSnp or AwsNitro");
            const auto ev = body->find("evidence");
            auto evidence = ev != body->end() && ev->is_string() ? common::base64_decode(ev->get<std::string>())
                                                                 : Result<Bytes>(common::invalid_argument("missing"));
            if (!evidence.ok() || evidence->empty())
              return error_response(400, "'evidence' (base64: a TDX quote, an SEV-SNP report or a Nitro document) is required");
            attest::EvidenceCollateral col;
            attest::CertCheckOptions opt;
            opt.cache = &s.attestation_cache;
            if (auto at = body->find("at_unix"); at != body->end()) {
              if (!at->is_number_integer()) return error_response(400, "'at_unix' must be an integer (seconds since 1970)");
              opt.at = static_cast<std::time_t>(at->get<long long>());
            }
            if (Status parsed = attest::collateral_from_json(provider, *body, col, opt); !parsed.ok())
              return error_response(400, parsed.message());
            if (provider == attest::kProviderTdx && !body->contains("collateral")) {
              if (Status from_disk = s.collateral.collateral_for(*evidence, col.tdx, opt); !from_disk.ok()) {
                const int code = from_disk.code() == ErrorCode::kNotFound      ? 422
                                 : from_disk.code() == ErrorCode::kUnavailable ? 503
                                                                               : 400;
                return error_response(code, from_disk.message());
              }
            }
            if (provider == attest::kProviderSnp && col.snp.vcek_der.empty())
              return error_response(422, "SEV-SNP evidence needs 'collateral': {vcek (base64 DER), ask (PEM), ark (PEM)}");
            attest::AttestationPolicy policy;
            if (auto pol = body->find("policy"); pol != body->end()) {
              auto p = pol->is_string() ? attest::attestation_policy_from_toml(pol->get<std::string>(), "policy")
                                        : Result<attest::AttestationPolicy>(common::invalid_argument("'policy' must be TOML text"));
              if (!p.ok()) return error_response(400, p.status().message());
              policy = std::move(*p);
            }
            auto report = attest::verify_evidence(provider, *evidence, col, opt, policy);
            if (!report.ok()) return error_response(400, report.status().message());
            return json_response(*report);
          }});
}

}  // namespace t3n::api
