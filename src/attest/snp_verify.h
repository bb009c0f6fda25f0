// SEV-SNP report verification with its endorsement chain: VCEK (or VLEK) →
// ASK (or ASVK) → ARK, the ARK pinned by SHA-256 to AMD's Milan, Genoa or
// Turin root; the report's ECDSA P-384 signature by the leaf key; the
// reported TCB against the leaf's SPL extensions; CHIP_ID against hwID.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/snp_report.h"
#include "attest/tdx_quote.h"  // CertCheckOptions
#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"

namespace t3n::attest {

enum class AmdProduct : std::uint8_t { kMilan, kGenoa, kTurin };
std::string_view amd_product_name(AmdProduct product);  // "Milan", "Genoa", "Turin"

struct AmdArkPin {
  AmdProduct product;
  std::string_view sha256;  // of the ARK certificate's DER
};

// The AMD Root Keys a report may chain to.
inline constexpr std::array<AmdArkPin, 3> kAmdArkPins = {{
    {AmdProduct::kMilan, "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd"},
    {AmdProduct::kGenoa, "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1"},
    {AmdProduct::kTurin, "1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a"},
}};

struct SnpCollateral {
  Bytes vcek_der;        // the VCEK, or the VLEK when the report's SIGNING_KEY says so
  std::string ask_pem;   // the ASK (for a VLEK: the ASVK)
  std::string ark_pem;   // the ARK; must be one of kAmdArkPins
  std::vector<Bytes> crls_der;
};

// Directory layout of ../shared/vectors/attestation/sev-snp/<case>/:
// vcek.der (or vlek.der), ask.pem (or asvk.pem), ark.pem, optional crl.der.
Status load_snp_collateral(const std::filesystem::path& dir, SnpCollateral& collateral);

// The AMD extensions of a VCEK or VLEK certificate (OID arc 1.3.6.1.4.1.3704.1).
struct VcekExtensions {
  std::uint8_t bootloader_spl = 0;  // .3.1
  std::uint8_t tee_spl = 0;         // .3.2
  std::uint8_t snp_spl = 0;         // .3.3
  std::uint8_t microcode_spl = 0;   // .3.8
  std::optional<std::uint8_t> fmc_spl;  // .3.9 (Turin)
  Bytes hw_id;                      // .4, the chip ID (64 bytes; 8 on Turin); empty on a VLEK
  std::string product_name;         // .2, e.g. "Milan-B0"; may be absent
  std::string common_name;          // subject CN: "SEV-VCEK" or "SEV-VLEK"
};

// Strict: each SPL present at most once, a DER INTEGER 0..255 with nothing after it.
// The four SPLs above are required; kInvalidArgument otherwise.
Result<VcekExtensions> vcek_extensions(ByteView certificate_der);

// Every SPL of the reported TCB must equal the certificate's: the VCEK is
// derived from exactly that TCB. kVerificationFailed naming the component.
Status check_reported_tcb(const SnpTcb& reported, const VcekExtensions& endorsement);

// CHIP_ID must equal the VCEK's hwID (on Turin the hwID is the first 8
// bytes of CHIP_ID). Not checked, returning false, for a VLEK (it has no
// hwID) or an all-zero CHIP_ID (the host set MASK_CHIP_ID, which the report
// does not record otherwise); true when checked and equal.
Result<bool> check_chip_id(const SnpReport& report, const VcekExtensions& endorsement, AmdProduct product);

// ECDSA P-384/SHA-384 over report[0, 0x2A0) with the little-endian r and s
// at 0x2A0 and 0x2E8, by the key in `leaf_spki_der`.
Status verify_snp_report_signature(ByteView report, ByteView leaf_spki_der);

struct SnpVerification {
  SnpReport report;
  AmdProduct product = AmdProduct::kMilan;  // whose ARK the chain ends at
  VcekExtensions endorsement_key;
  bool chip_id_checked = false;  // false for a VLEK or a masked (all-zero) CHIP_ID
};

// Parses (kInvalidArgument on malformed input) and verifies in this order:
// signer present, ARK pinned, chain at options.at (options.crls_der plus the
// collateral's CRLs; options.root_ca_sha256 is replaced by the matching ARK
// pin), leaf kind (VCEK/VLEK) as the report says, product name, signature,
// TCB layout vs product, reported TCB vs SPLs, CHIP_ID vs hwID.
// kVerificationFailed naming the failing check.
Result<SnpVerification> verify_snp_report(ByteView report, const SnpCollateral& collateral,
                                          const CertCheckOptions& options);

// {valid, provider: "AmdSevSnp", hardware_verified, measurements_valid (null
// until a policy is applied), certificate_chain_valid, tcb_status
// ("UpToDate": the reported TCB is the one the VCEK endorses — SNP has no
// TCB status collateral), advisories: [], measurements: {…}, report_data}
// and `error` on failure. Without a policy, `valid` is false for a guest
// whose policy allows debugging (its memory is readable by the host).
common::Json snp_verification_to_json(const Result<SnpVerification>& v);

}  // namespace t3n::attest
