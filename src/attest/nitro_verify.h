// AWS Nitro Enclaves attestation documents: COSE_Sign1 (ES384) over a CBOR
// map, signed by a short-lived leaf certificate that chains through the
// document's cabundle to the pinned AWS Nitro Enclaves Root G1. Checked as
// AWS documents it (docs.aws.amazon.com/enclaves/latest/user/verify-root.html):
// field syntax, the chain at the verification time, the signature over the
// Sig_structure, and the document timestamp inside the leaf's validity.
#pragma once

#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/tdx_quote.h"
#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"

namespace t3n::attest {

// SHA-256 of the DER of AWS Nitro Enclaves Root G1 (the value AWS publishes).
inline constexpr std::string_view kAwsNitroRootG1Sha256 =
    "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b";

inline constexpr std::size_t kNitroMaxDocumentBytes = 64 * 1024;
inline constexpr std::size_t kNitroMaxUserDataBytes = 1024;  // public_key, user_data, nonce
inline constexpr std::size_t kNitroMaxCertificateBytes = 1024;

struct NitroDocument {
  std::string module_id;
  std::string digest;  // always "SHA384"
  std::uint64_t timestamp_ms = 0;
  std::map<unsigned, Bytes> pcrs;   // index 0..31 → 32, 48 or 64 bytes
  Bytes certificate_der;            // the signing (leaf) certificate
  std::vector<Bytes> cabundle_der;  // root first, then intermediates
  std::optional<Bytes> public_key;
  std::optional<Bytes> user_data;
  std::optional<Bytes> nonce;
  // The COSE_Sign1 parts, as signed.
  Bytes protected_header;
  Bytes payload;
  Bytes signature;      // r ‖ s, 96 bytes
  bool tagged = false;  // carried CBOR tag 18

  // A debug enclave's PCR0, PCR1 and PCR2 are all zeros.
  bool debug() const;
};

// Strict and bounded: kInvalidArgument naming the field for anything that is
// not a well-formed document (no signature or chain checks).
Result<NitroDocument> parse_nitro_document(ByteView cose);

struct NitroVerification {
  NitroDocument document;
  Bytes leaf_spki_der;  // the key that signed the document
  std::time_t leaf_not_before = 0;
  std::time_t leaf_not_after = 0;
};

// Options for Nitro: the AWS root pinned, verification at `at` (0 = now).
CertCheckOptions nitro_cert_options(std::time_t at = 0);

// Parses, then checks the chain (leaf, then cabundle reversed) to the pinned
// root at options.at (0 = now), the ES384 signature over the Sig_structure,
// and the document timestamp inside the leaf's validity. options.root_ca_sha256
// left at its (Intel) default means the AWS root; any other value replaces it
// (for tests of a wrong anchor). A non-empty `root_pem` is only compared with
// the pinned root — it never becomes the anchor. Unparsable input is
// kInvalidArgument; every failed check is kVerificationFailed naming it.
Result<NitroVerification> verify_nitro_document(ByteView cose, const CertCheckOptions& options,
                                                std::string_view root_pem = {});

// The verification result in the shape of tdx_verification_to_json, with
// provider "AwsNitro". Nitro has no TCB status: tcb_status is "NotApplicable".
// report_data is user_data as hex (null when absent); nonce and public_key alike.
common::Json nitro_verification_to_json(const Result<NitroVerification>& v);

}  // namespace t3n::attest
