#include "attest/snp_report.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace t3n::attest {
namespace {

// CPUID family of Zen 5 (Turin), whose TCB_VERSION carries an FMC byte.
constexpr std::uint8_t kTurinFamily = 0x1A;

// Offsets in the report (SEV-SNP ABI, ATTESTATION_REPORT).
constexpr std::size_t kSignerInfoOffset = 0x48;
constexpr std::size_t kReportedTcbOffset = 0x180;
constexpr std::size_t kCpuidOffset = 0x188;
constexpr std::size_t kChipIdOffset = 0x1A0;
constexpr std::size_t kMitVectorsOffset = 0x1F8;
constexpr std::size_t kMitVectorsEnd = 0x208;

std::uint32_t le32(ByteView b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | static_cast<std::uint32_t>(b[at + 1]) << 8 |
         static_cast<std::uint32_t>(b[at + 2]) << 16 | static_cast<std::uint32_t>(b[at + 3]) << 24;
}

std::uint64_t le64(ByteView b, std::size_t at) {
  return static_cast<std::uint64_t>(le32(b, at)) | static_cast<std::uint64_t>(le32(b, at + 4)) << 32;
}

template <std::size_t N>
void copy_field(ByteView b, std::size_t at, std::array<std::uint8_t, N>& out) {
  std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(at), N, out.begin());
}

Status reserved_zero(ByteView b, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    if (b[i] != 0) {
      char where[64];
      std::snprintf(where, sizeof where, "reserved bytes [0x%zX, 0x%zX) are not zero", from, to);
      return common::invalid_argument(std::string("snp report: ") + where);
    }
  }
  return {};
}

Status bad(const std::string& why) { return common::invalid_argument("snp report: " + why); }

}  // namespace

SnpTcb decode_snp_tcb(std::uint64_t raw, SnpTcbLayout layout) {
  auto byte = [&](int i) { return static_cast<std::uint8_t>(raw >> (8 * i)); };
  SnpTcb t;
  t.raw = raw;
  if (layout == SnpTcbLayout::kTurin) {
    t.fmc = byte(0);
    t.bootloader = byte(1);
    t.tee = byte(2);
    t.snp = byte(3);
  } else {
    t.bootloader = byte(0);
    t.tee = byte(1);
    t.snp = byte(6);
  }
  t.microcode = byte(7);
  return t;
}

bool SnpReport::chip_id_masked() const {
  return std::all_of(chip_id.begin(), chip_id.end(), [](std::uint8_t b) { return b == 0; });
}

Result<SnpReport> parse_snp_report(ByteView b) {
  if (b.size() != kSnpReportSize)
    return bad("is " + std::to_string(b.size()) + " bytes, expected " + std::to_string(kSnpReportSize));
  SnpReport r;
  r.version = le32(b, 0x00);
  if (r.version < 2 || r.version > 5) return bad("unsupported version " + std::to_string(r.version));
  r.guest_svn = le32(b, 0x04);
  r.policy = le64(b, 0x08);
  if (((r.policy >> 17) & 1) == 0) return bad("guest policy bit 17 (reserved, must be one) is zero");
  copy_field(b, 0x10, r.family_id);
  copy_field(b, 0x20, r.image_id);
  r.vmpl = le32(b, 0x30);
  if (r.vmpl > 3) return bad("VMPL " + std::to_string(r.vmpl) + " is not 0..3");
  r.signature_algo = le32(b, 0x34);
  if (r.signature_algo != 1)
    return bad("signature algorithm " + std::to_string(r.signature_algo) + " is not ECDSA P-384/SHA-384 (1)");
  r.platform_info = le64(b, 0x40);

  const std::uint32_t signer_info = le32(b, kSignerInfoOffset);
  if ((signer_info >> 5) != 0) return bad("reserved signer-info bits 31:5 are not zero");
  r.author_key_enabled = (signer_info & 1) != 0;
  r.mask_chip_key = (signer_info & 2) != 0;
  const std::uint32_t signing_key = (signer_info >> 2) & 7;
  if (signing_key != 0 && signing_key != 1 && signing_key != 7)
    return bad("SIGNING_KEY " + std::to_string(signing_key) + " is reserved");
  r.signing_key = static_cast<SnpSigningKey>(signing_key);
  T3N_RETURN_IF_ERROR(reserved_zero(b, 0x4C, 0x50));

  copy_field(b, 0x50, r.report_data);
  copy_field(b, 0x90, r.measurement);
  copy_field(b, 0xC0, r.host_data);
  copy_field(b, 0xE0, r.id_key_digest);
  copy_field(b, 0x110, r.author_key_digest);
  copy_field(b, 0x140, r.report_id);
  copy_field(b, 0x160, r.report_id_ma);

  if (r.version >= 3) {
    r.cpuid_family = b[kCpuidOffset];
    r.cpuid_model = b[kCpuidOffset + 1];
    r.cpuid_stepping = b[kCpuidOffset + 2];
    T3N_RETURN_IF_ERROR(reserved_zero(b, kCpuidOffset + 3, kChipIdOffset));
    if (*r.cpuid_family == kTurinFamily) r.tcb_layout = SnpTcbLayout::kTurin;
  } else {
    T3N_RETURN_IF_ERROR(reserved_zero(b, kCpuidOffset, kChipIdOffset));
  }
  // Decoded after the layout is known: the four TCB_VERSION fields.
  r.current_tcb = decode_snp_tcb(le64(b, 0x38), r.tcb_layout);
  r.reported_tcb = decode_snp_tcb(le64(b, kReportedTcbOffset), r.tcb_layout);
  r.committed_tcb = decode_snp_tcb(le64(b, 0x1E0), r.tcb_layout);
  r.launch_tcb = decode_snp_tcb(le64(b, 0x1F0), r.tcb_layout);

  copy_field(b, kChipIdOffset, r.chip_id);
  r.current_firmware = {b[0x1E8], b[0x1E9], b[0x1EA]};
  T3N_RETURN_IF_ERROR(reserved_zero(b, 0x1EB, 0x1EC));
  r.committed_firmware = {b[0x1EC], b[0x1ED], b[0x1EE]};
  T3N_RETURN_IF_ERROR(reserved_zero(b, 0x1EF, 0x1F0));
  if (r.version >= 5) {  // LAUNCH_MIT_VECTOR and CURRENT_MIT_VECTOR arrived with report version 5
    r.launch_mit_vector = le64(b, kMitVectorsOffset);
    r.current_mit_vector = le64(b, kMitVectorsOffset + 8);
  } else {
    T3N_RETURN_IF_ERROR(reserved_zero(b, kMitVectorsOffset, kMitVectorsEnd));
  }
  T3N_RETURN_IF_ERROR(reserved_zero(b, kMitVectorsEnd, kSnpSignedSize));

  copy_field(b, kSnpSignedSize, r.signature_r);
  copy_field(b, kSnpSignedSize + kSnpSignatureComponentSize, r.signature_s);
  T3N_RETURN_IF_ERROR(reserved_zero(b, kSnpSignedSize + 2 * kSnpSignatureComponentSize, kSnpReportSize));
  return r;
}

}  // namespace t3n::attest
