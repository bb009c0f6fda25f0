#include "attest/sealing.h"

#include "crypto/aead.h"
#include "crypto/kdf.h"

namespace t3n::attest {

std::string_view tee_vendor_label(TeeVendor vendor) {
  switch (vendor) {
    case TeeVendor::kIntelTdx: return "t3n/intel-tdx";
    case TeeVendor::kAmdSevSnp: return "t3n/amd-sev-snp";
    case TeeVendor::kAwsNitro: return "t3n/aws-nitro";
    case TeeVendor::kSimulated: return "t3n/simulated";
  }
  return "t3n/unknown";
}

Result<EnclaveDataKey> EnclaveDataKey::derive(TeeVendor vendor, ByteView platform_root, std::string_view purpose) {
  if (platform_root.size() < 32) return common::invalid_argument("the platform root must have at least 32 bytes");
  if (purpose.empty()) return common::invalid_argument("an enclave data key needs a purpose");
  // info = vendor label ‖ 0x00 ‖ purpose: the separator keeps label/purpose splits apart.
  Bytes info = common::to_bytes(tee_vendor_label(vendor));
  info.push_back(0);
  common::append(info, common::as_bytes(purpose));
  T3N_ASSIGN_OR_RETURN(SecretBytes key, crypto::hkdf(crypto::HashAlg::kSha256, common::as_bytes(std::string_view("t3n-enclave-data-v1")),
                                                     platform_root, info, 32));
  return EnclaveDataKey(std::move(key));
}

Result<Bytes> EnclaveDataKey::seal(ByteView aad, ByteView plaintext) const {
  return crypto::seal_box(crypto::AeadAlg::kAes256Gcm, key_.view(), aad, plaintext);
}

Result<Bytes> EnclaveDataKey::open(ByteView aad, ByteView sealed) const {
  return crypto::open_box(crypto::AeadAlg::kAes256Gcm, key_.view(), aad, sealed);
}

}  // namespace t3n::attest
