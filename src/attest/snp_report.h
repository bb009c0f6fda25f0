// AMD SEV-SNP attestation reports (ATTESTATION_REPORT of the SEV-SNP firmware
// ABI, report versions 2 to 5) — strict parsing of the fixed 1184-byte layout,
// guest policy bits and TCB_VERSION decoding. No cryptography here: the
// signature, the VCEK chain and the TCB/chip-ID binding are in snp_verify.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "attest/tdx_quote.h"  // Hash48
#include "common/bytes.h"
#include "common/status.h"

namespace t3n::attest {

inline constexpr std::size_t kSnpReportSize = 0x4A0;      // every version so far
inline constexpr std::size_t kSnpSignedSize = 0x2A0;      // the signature covers [0, 0x2A0)
inline constexpr std::size_t kSnpSignatureComponentSize = 72;  // r and s, little-endian

// TCB_VERSION is one little-endian u64 whose byte layout depends on the CPU:
//   Milan, Genoa: [0] bootloader, [1] tee, [2..5] reserved, [6] snp, [7] microcode
//   Turin:        [0] fmc, [1] bootloader, [2] tee, [3] snp, [4..6] reserved, [7] microcode
enum class SnpTcbLayout : std::uint8_t { kMilanGenoa, kTurin };

struct SnpTcb {
  std::uint8_t bootloader = 0;
  std::uint8_t tee = 0;
  std::uint8_t snp = 0;
  std::uint8_t microcode = 0;
  std::optional<std::uint8_t> fmc;  // Turin only
  std::uint64_t raw = 0;
};

SnpTcb decode_snp_tcb(std::uint64_t raw, SnpTcbLayout layout);

// SIGNING_KEY (report offset 0x48, bits 4:2): which endorsement key signed.
enum class SnpSigningKey : std::uint8_t { kVcek = 0, kVlek = 1, kNone = 7 };

struct SnpFirmwareVersion {
  std::uint8_t build = 0;
  std::uint8_t minor = 0;
  std::uint8_t major = 0;
};

struct SnpReport {
  std::uint32_t version = 0;  // 2, 3, 4 or 5
  std::uint32_t guest_svn = 0;
  std::uint64_t policy = 0;   // guest policy, see the helpers below
  std::array<std::uint8_t, 16> family_id{};
  std::array<std::uint8_t, 16> image_id{};
  std::uint32_t vmpl = 0;     // 0..3: the VMPL that requested the report
  std::uint32_t signature_algo = 0;  // 1 = ECDSA P-384 with SHA-384 (the only one accepted)
  SnpTcb current_tcb;
  std::uint64_t platform_info = 0;
  bool author_key_enabled = false;
  bool mask_chip_key = false;  // set: the firmware did not sign (signature is zero)
  SnpSigningKey signing_key = SnpSigningKey::kVcek;
  std::array<std::uint8_t, 64> report_data{};
  Hash48 measurement{};
  std::array<std::uint8_t, 32> host_data{};
  Hash48 id_key_digest{};
  Hash48 author_key_digest{};
  std::array<std::uint8_t, 32> report_id{};
  std::array<std::uint8_t, 32> report_id_ma{};  // all 0xFF when no migration agent is bound
  SnpTcb reported_tcb;
  // CPUID family, model, stepping: report version 3 and later.
  std::optional<std::uint8_t> cpuid_family;
  std::optional<std::uint8_t> cpuid_model;
  std::optional<std::uint8_t> cpuid_stepping;
  std::array<std::uint8_t, 64> chip_id{};  // all zero when the host set MASK_CHIP_ID
  SnpTcb committed_tcb;
  SnpFirmwareVersion current_firmware;
  SnpFirmwareVersion committed_firmware;
  SnpTcb launch_tcb;
  // Verified mitigation vectors (0x1F8, 0x200): report version 5 on; the
  // same bytes are reserved (must be zero) in versions 2–4.
  std::optional<std::uint64_t> launch_mit_vector;
  std::optional<std::uint64_t> current_mit_vector;
  std::array<std::uint8_t, kSnpSignatureComponentSize> signature_r{};  // little-endian
  std::array<std::uint8_t, kSnpSignatureComponentSize> signature_s{};  // little-endian
  // Turin when CPUID family is 0x1A (version 3+), else Milan/Genoa.
  SnpTcbLayout tcb_layout = SnpTcbLayout::kMilanGenoa;

  // Guest policy bits (SEV-SNP ABI, GUEST_POLICY).
  std::uint8_t abi_minor() const { return static_cast<std::uint8_t>(policy & 0xFF); }
  std::uint8_t abi_major() const { return static_cast<std::uint8_t>((policy >> 8) & 0xFF); }
  bool smt_allowed() const { return (policy >> 16) & 1; }
  bool migration_agent_allowed() const { return (policy >> 18) & 1; }
  bool debug_allowed() const { return (policy >> 19) & 1; }  // the host may decrypt guest memory
  bool single_socket_required() const { return (policy >> 20) & 1; }
  // MASK_CHIP_ID is a platform setting not recorded in the report; its effect is an all-zero CHIP_ID.
  bool chip_id_masked() const;
};

// Exactly kSnpReportSize bytes; version 2..5; signature_algo 1; VMPL 0..3;
// policy bit 17 set (the ABI requires it); SIGNING_KEY 0, 1 or 7 and the
// other reserved bits of 0x48..0x50 zero; every reserved range of the
// version zero, including the signature's 368 bytes after r and s.
// kInvalidArgument naming the offending field otherwise.
Result<SnpReport> parse_snp_report(ByteView report);

}  // namespace t3n::attest
