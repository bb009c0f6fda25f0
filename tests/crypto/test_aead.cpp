#include <gtest/gtest.h>

#include "crypto/aead.h"
#include "test_util.h"

namespace t3n::crypto {
namespace {

using t3n::testing::hex;
using t3n::testing::to_hex;

constexpr AeadAlg kAll[] = {AeadAlg::kAes128Gcm, AeadAlg::kAes256Gcm, AeadAlg::kChaCha20Poly1305};

TEST(Aead, Rfc8439ChaCha20Poly1305KnownAnswer) {
  // RFC 8439 §2.8.2.
  Bytes key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  Bytes nonce = hex("070000004041424344454647");
  Bytes aad = hex("50515253c0c1c2c3c4c5c6c7");
  std::string pt =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen "
      "would be it.";
  T3N_ASSERT_OK_AND_ASSIGN(Bytes ct, aead_seal(AeadAlg::kChaCha20Poly1305, key, nonce, aad, common::as_bytes(pt)));
  EXPECT_EQ(to_hex(ByteView(ct).last(16)), "1ae10b594f09e26a7e902ecbd0600691");
  EXPECT_EQ(to_hex(ByteView(ct).first(16)), "d31a8d34648e60db7b86afbc53ef7ec2");
}

TEST(Aead, NistGcmTestCase3Aes128) {
  // McGrew & Viega GCM spec, test case 3 (AES-128, 64-byte plaintext, no AAD).
  Bytes key = hex("feffe9928665731c6d6a8f9467308308");
  Bytes nonce = hex("cafebabefacedbaddecaf888");
  Bytes pt = hex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255");
  T3N_ASSERT_OK_AND_ASSIGN(Bytes ct, aead_seal(AeadAlg::kAes128Gcm, key, nonce, {}, pt));
  EXPECT_EQ(to_hex(ByteView(ct).last(16)), "4d5c2af327cd64a62cf35abd2ba6fab4");
}

TEST(Aead, RoundTripAndEveryTamperIsDetected) {
  for (AeadAlg alg : kAll) {
    Bytes key(aead_key_size(alg), 0x11), nonce(12, 0x22), aad{1, 2, 3};
    Bytes pt = common::to_bytes("attack at dawn");
    T3N_ASSERT_OK_AND_ASSIGN(Bytes ct, aead_seal(alg, key, nonce, aad, pt));
    ASSERT_EQ(ct.size(), pt.size() + kAeadTagSize);
    EXPECT_EQ(*aead_open(alg, key, nonce, aad, ct), pt);
    for (std::size_t i = 0; i < ct.size(); ++i) {
      Bytes bad = ct;
      bad[i] ^= 0x80;
      auto r = aead_open(alg, key, nonce, aad, bad);
      ASSERT_FALSE(r.ok()) << aead_name(alg) << " byte " << i;
      EXPECT_EQ(r.status().code(), ErrorCode::kVerificationFailed);
    }
    Bytes other_aad{1, 2, 4};
    EXPECT_EQ(aead_open(alg, key, nonce, other_aad, ct).status().code(), ErrorCode::kVerificationFailed);
    Bytes other_nonce(12, 0x23);
    EXPECT_EQ(aead_open(alg, key, other_nonce, aad, ct).status().code(), ErrorCode::kVerificationFailed);
  }
}

TEST(Aead, EmptyPlaintextAndAad) {
  for (AeadAlg alg : kAll) {
    Bytes key(aead_key_size(alg), 7), nonce(12, 8);
    T3N_ASSERT_OK_AND_ASSIGN(Bytes ct, aead_seal(alg, key, nonce, {}, {}));
    EXPECT_EQ(ct.size(), kAeadTagSize);
    EXPECT_TRUE(aead_open(alg, key, nonce, {}, ct)->empty());
  }
}

TEST(Aead, WrongLengthsAreClearErrors) {
  Bytes key(32, 1), nonce(12, 2);
  EXPECT_EQ(aead_seal(AeadAlg::kAes128Gcm, key, nonce, {}, {}).status().code(), ErrorCode::kInvalidArgument);
  auto short_nonce = aead_seal(AeadAlg::kAes256Gcm, key, Bytes(8, 0), {}, {});
  ASSERT_FALSE(short_nonce.ok());
  EXPECT_NE(short_nonce.status().message().find("nonce must be 12 bytes"), std::string::npos);
  EXPECT_EQ(aead_open(AeadAlg::kAes256Gcm, key, nonce, {}, Bytes(15, 0)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(aead_open(AeadAlg::kAes256Gcm, key, nonce, {}, {}).status().code(), ErrorCode::kInvalidArgument);
}

TEST(SealedBox, FormatIsNonceCiphertextTag) {
  Bytes key(32, 3);
  Bytes pt = common::to_bytes("hello");
  T3N_ASSERT_OK_AND_ASSIGN(Bytes box, seal_box(AeadAlg::kAes256Gcm, key, common::as_bytes("map:k"), pt));
  ASSERT_EQ(box.size(), kAeadNonceSize + pt.size() + kAeadTagSize);
  // The same box decrypts through the primitive with its explicit nonce.
  EXPECT_EQ(*aead_open(AeadAlg::kAes256Gcm, key, ByteView(box).first(12), common::as_bytes("map:k"),
                       ByteView(box).subspan(12)),
            pt);
  EXPECT_EQ(*open_box(AeadAlg::kAes256Gcm, key, common::as_bytes("map:k"), box), pt);
  EXPECT_FALSE(open_box(AeadAlg::kAes256Gcm, key, common::as_bytes("map:other"), box).ok());
  EXPECT_EQ(open_box(AeadAlg::kAes256Gcm, key, {}, Bytes(20, 0)).status().code(), ErrorCode::kInvalidArgument);
  T3N_ASSERT_OK_AND_ASSIGN(Bytes box2, seal_box(AeadAlg::kAes256Gcm, key, {}, pt));
  EXPECT_NE(ByteView(box).first(12).data()[0] + 0, -1);  // nonce present
  EXPECT_NE(Bytes(box.begin(), box.begin() + 12), Bytes(box2.begin(), box2.begin() + 12));  // fresh nonces
}

}  // namespace
}  // namespace t3n::crypto
