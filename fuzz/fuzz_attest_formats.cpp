// Hostile certificates, CRLs, collateral JSON and policy TOML: the first byte
// picks the parser, the rest is its input. Nothing may crash or leak.
#include <string>

#include "attest/policy.h"
#include "attest/verify_evidence.h"
#include "attest/tdx_verify.h"
#include "attest/verification_cache.h"
#include "attest/x509_chain.h"
#include "common/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const t3n::ByteView rest(data + 1, size - 1);
  switch (data[0] % 5) {
    case 0: {  // a PEM bundle as a chain, with the pinned Intel root
      auto pems = t3n::attest::split_pem_certificates(text);
      if (pems.ok()) (void)t3n::attest::verify_chain_to_pinned_root(*pems, {}, "fuzz");
      break;
    }
    case 1: {  // bytes as a DER certificate wrapped in PEM, and as CRLs
      t3n::attest::CertCheckOptions o;
      o.crls_der = {t3n::Bytes(rest.begin(), rest.end())};
      t3n::attest::VerificationCache cache;
      o.cache = &cache;
      const std::string pem = "-----BEGIN CERTIFICATE-----\n" + t3n::common::base64_encode(rest) + "\n-----END CERTIFICATE-----\n";
      (void)t3n::attest::verify_chain_to_pinned_root({pem, pem}, o, "fuzz");
      (void)t3n::attest::pck_extensions(pem);
      break;
    }
    case 2:  // collateral bodies: the signed raw object of both kinds
      (void)t3n::attest::raw_json_object(text, "tcbInfo");
      (void)t3n::attest::raw_json_object(text, "enclaveIdentity");
      (void)t3n::attest::top_level_json_members(text);
      (void)t3n::attest::tdx_collateral_expiry({text, text, ""}, {t3n::common::to_bytes(rest)});
      (void)t3n::attest::attestation_policy_from_toml(text);
      break;
    case 3: {  // full verification of a hostile quote against hostile collateral
      t3n::attest::TdxCollateral col{text, text, text};
      (void)t3n::attest::verify_tdx_quote(rest, col, {});
      break;
    }
    default:
      (void)t3n::attest::tdx_policy_from_toml(text);
      break;
  }
  return 0;
}
