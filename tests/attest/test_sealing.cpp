#include <gtest/gtest.h>

#include "attest/sealing.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"

namespace t3n::attest {
namespace {

const Bytes kRoot(32, 0x42);
const Bytes kAad = common::to_bytes("user:alice");
const Bytes kPlain = common::to_bytes("date of birth: 1990-01-01");

TEST(EnclaveDataKey, RoundTripsInTheDocumentedWireFormat) {
  auto key = EnclaveDataKey::derive(TeeVendor::kIntelTdx, kRoot, "ledger");
  ASSERT_TRUE(key.ok()) << key.status().to_string();
  auto sealed = key->seal(kAad, kPlain);
  ASSERT_TRUE(sealed.ok());
  ASSERT_EQ(sealed->size(), crypto::kAeadNonceSize + kPlain.size() + crypto::kAeadTagSize);
  auto opened = key->open(kAad, *sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, kPlain);

  // Independent derivation: HKDF-SHA256(salt, root, label ‖ 0 ‖ purpose), AES-256-GCM.
  Bytes info = common::to_bytes("t3n/intel-tdx");
  info.push_back(0);
  common::append(info, common::as_bytes(std::string_view("ledger")));
  auto k = crypto::hkdf(crypto::HashAlg::kSha256, common::as_bytes(std::string_view("t3n-enclave-data-v1")), kRoot, info, 32);
  ASSERT_TRUE(k.ok());
  const ByteView box(*sealed);
  auto direct = crypto::aead_open(crypto::AeadAlg::kAes256Gcm, k->view(), box.subspan(0, 12), kAad, box.subspan(12));
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(*direct, kPlain);
  // Fresh nonce each time.
  EXPECT_NE(*key->seal(kAad, kPlain), *sealed);
}

TEST(EnclaveDataKey, KeysAreSeparatedByVendorPurposeAndRoot) {
  auto tdx = EnclaveDataKey::derive(TeeVendor::kIntelTdx, kRoot, "ledger");
  auto sealed = tdx->seal(kAad, kPlain);
  ASSERT_TRUE(sealed.ok());
  for (auto vendor : {TeeVendor::kAmdSevSnp, TeeVendor::kAwsNitro, TeeVendor::kSimulated}) {
    auto other = EnclaveDataKey::derive(vendor, kRoot, "ledger");
    auto r = other->open(kAad, *sealed);
    ASSERT_FALSE(r.ok()) << tee_vendor_label(vendor);
    EXPECT_EQ(r.status().code(), ErrorCode::kVerificationFailed);
  }
  EXPECT_FALSE(EnclaveDataKey::derive(TeeVendor::kIntelTdx, kRoot, "ledgers")->open(kAad, *sealed).ok());
  Bytes root2 = kRoot;
  root2[31] ^= 1;
  EXPECT_FALSE(EnclaveDataKey::derive(TeeVendor::kIntelTdx, root2, "ledger")->open(kAad, *sealed).ok());
}

TEST(EnclaveDataKey, TamperingAndBadInputAreRejected) {
  auto key = EnclaveDataKey::derive(TeeVendor::kAmdSevSnp, kRoot, "blobs");
  auto sealed = key->seal(kAad, kPlain);
  ASSERT_TRUE(sealed.ok());
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    Bytes m = *sealed;
    m[i] ^= 0x01;
    EXPECT_FALSE(key->open(kAad, m).ok()) << i;
  }
  EXPECT_FALSE(key->open(common::to_bytes("user:bob"), *sealed).ok());
  EXPECT_FALSE(key->open(kAad, ByteView(*sealed).subspan(0, 20)).ok());
  EXPECT_FALSE(key->open(kAad, Bytes{}).ok());
  auto short_root = EnclaveDataKey::derive(TeeVendor::kAwsNitro, Bytes(31, 1), "x");
  ASSERT_FALSE(short_root.ok());
  EXPECT_EQ(short_root.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(EnclaveDataKey::derive(TeeVendor::kAwsNitro, kRoot, "").ok());
}

}  // namespace
}  // namespace t3n::attest
