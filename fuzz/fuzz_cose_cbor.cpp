// CBOR, NSM responses, COSE_Sign1 and Nitro attestation document parsing and verification of
// hostile bytes. Seed with ../shared/vectors/attestation/nitro/*/document.cbor.
#include "attest/cbor.h"
#include "attest/evidence.h"
#include "attest/nitro_policy.h"
#include "attest/nitro_verify.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const t3n::ByteView input(data, size);
  (void)t3n::attest::cbor::decode(input, "fuzz");
  (void)t3n::attest::nsm_attestation_document(input);  // what /dev/nsm answers
  auto sign1 = t3n::attest::cbor::parse_cose_sign1(input);
  if (sign1.ok()) (void)t3n::attest::cbor::cose_sign1_sig_structure(sign1->protected_header, {}, sign1->payload);
  if (t3n::attest::parse_nitro_document(input).ok()) {
    // The seed document's time, so mutants keep reaching the chain and signature checks.
    auto v = t3n::attest::verify_nitro_document(input, t3n::attest::nitro_cert_options(1725719860));
    (void)t3n::attest::nitro_verification_to_json(v);
    if (v.ok()) (void)t3n::attest::apply_nitro_policy(*v, {}, 1725719860);
  }
  return 0;
}
