// Enclave data encryption: AES-256-GCM under a key derived with HKDF-SHA256
// from a platform root secret and a per-vendor label, so the same root never
// yields the same key on two TEE kinds or for two purposes.
// Wire format: nonce (12) ‖ ciphertext ‖ tag (16).
//
// The platform root is whatever the TEE gives a verified workload: SEV-SNP's
// MSG_KEY_REQ derived key, Nitro's KMS-released key, on TDX (which has no
// sealing key) the cluster secret released after attestation. This helper
// never sees where it came from, only that it has at least 32 bytes.
#pragma once

#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::attest {

enum class TeeVendor { kIntelTdx, kAmdSevSnp, kAwsNitro, kSimulated };

std::string_view tee_vendor_label(TeeVendor vendor);  // "t3n/intel-tdx", …

class EnclaveDataKey {
 public:
  // kInvalidArgument for a root shorter than 32 bytes or an empty purpose.
  static Result<EnclaveDataKey> derive(TeeVendor vendor, ByteView platform_root, std::string_view purpose);

  // Fresh random nonce per call; `aad` is authenticated, not encrypted.
  Result<Bytes> seal(ByteView aad, ByteView plaintext) const;
  // kVerificationFailed for a wrong key, vendor, purpose, AAD or any changed byte.
  Result<Bytes> open(ByteView aad, ByteView sealed) const;

 private:
  explicit EnclaveDataKey(SecretBytes key) : key_(std::move(key)) {}
  SecretBytes key_;
};

}  // namespace t3n::attest
