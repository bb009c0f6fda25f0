#include <gtest/gtest.h>

#include "crypto/ct.h"
#include "crypto/hash.h"
#include "crypto/kdf.h"
#include "crypto/random.h"
#include "test_util.h"

namespace t3n::crypto {
namespace {

using t3n::testing::hex;
using t3n::testing::to_hex;

TEST(Hash, FipsKnownAnswersForAbc) {
  auto abc = common::as_bytes("abc");
  EXPECT_EQ(to_hex(sha256(abc)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha384(abc)),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(to_hex(sha512(abc)),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
            "454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(to_hex(sha3_256(abc)), "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
  EXPECT_EQ(to_hex(shake128(abc, 16)), "5881092dd818bf5cf8a3ddb793fbcba7");
  EXPECT_EQ(to_hex(shake256(abc, 16)), "483366601360a8771c6863080cc4114d");
  EXPECT_EQ(to_hex(hash(HashAlg::kSha384, abc)), to_hex(sha384(abc)));
}

TEST(Hash, IncrementalSha256MatchesOneShot) {
  Sha256 h;
  h.update(common::as_bytes("a"));
  h.update(common::as_bytes("bc"));
  EXPECT_EQ(h.finish(), sha256(common::as_bytes("abc")));
  h.update(common::as_bytes("abc"));  // reusable after finish
  EXPECT_EQ(h.finish(), sha256(common::as_bytes("abc")));
}

TEST(Hash, KeccakKnownAnswersFromVectors) {
  auto v = t3n::testing::load_vectors("crypto/keccak-eth/known-answers.json");
  ASSERT_TRUE(v.contains("keccak256"));
  int n = 0;
  for (const auto& c : v["keccak256"]) {
    EXPECT_EQ("0x" + to_hex(keccak256(hex(c["input_hex"]))), c["digest"].get<std::string>());
    ++n;
  }
  EXPECT_GE(n, 4);
}

TEST(Hash, DigestByNameCoversThePreHashList) {
  auto abc = common::as_bytes("abc");
  EXPECT_EQ(*digest_by_name("SHA2-256", abc), hash(HashAlg::kSha256, abc));
  for (const char* name : {"SHA2-224", "SHA2-512/224", "SHA2-512/256", "SHA3-224", "SHA3-384", "SHA3-512"})
    EXPECT_TRUE(digest_by_name(name, abc).ok()) << name;
  EXPECT_EQ(digest_by_name("SHAKE-256", abc, 64)->size(), 64u);
  EXPECT_FALSE(digest_by_name("SHAKE-256", abc).ok());  // XOF needs a length
  EXPECT_EQ(digest_by_name("MD17", abc).status().code(), ErrorCode::kInvalidArgument);
}

TEST(Hmac, Rfc4231TestCase2) {
  EXPECT_EQ(to_hex(hmac_sha256(common::as_bytes("Jefe"), common::as_bytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Keccak, Keccak512OfEmptyAndAbc) {
  // Original Keccak padding (not SHA3-512): the values Ethereum tooling gives.
  EXPECT_EQ(to_hex(keccak512({})),
            "0eab42de4c3ceb9235fc91acffe746b29c29a8c366b7c60e4e67c466f36a4304c00fa9caf9d87976ba469bcbe06713b435f091ef2769fb160cdab33d3670680e");
  EXPECT_EQ(to_hex(keccak512(common::as_bytes("abc"))),
            "18587dc2ea106b9a1563e32b3312421ca164c7f1f07bc922a9c83d77cea3a1e5d0c69910739025372dc14ac9642629379540c17e2a65b19d77aa511a9d00bb96");
}

TEST(Hmac, KeyedObjectMatchesRfc4231AndIsReusable) {
  // Case 2 (short key), then case 6 (131-byte key: hashed first) and an empty
  // message, each MAC'd twice to show the keyed state is not consumed.
  HmacSha256 jefe(common::as_bytes("Jefe"));
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(to_hex(jefe.mac(common::as_bytes("what do ya want for nothing?"))),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const Bytes long_key(131, 0xaa);
  HmacSha256 big(long_key);
  const auto msg = common::as_bytes("Test Using Larger Than Block-Size Key - Hash Key First");
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(to_hex(big.mac(msg)), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(big.mac({}), hmac_sha256(long_key, {}));
  const Bytes block_key(64, 0x11);  // exactly one block: used as is
  EXPECT_EQ(HmacSha256(block_key).mac(msg), hmac_sha256(block_key, msg));
}

TEST(Hkdf, Rfc5869TestCase1) {
  Bytes ikm(22, 0x0b);
  Bytes salt = hex("000102030405060708090a0b0c");
  Bytes info = hex("f0f1f2f3f4f5f6f7f8f9");
  SecretBytes prk = hkdf_extract(HashAlg::kSha256, salt, ikm);
  EXPECT_EQ(to_hex(prk), "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  T3N_ASSERT_OK_AND_ASSIGN(SecretBytes okm, hkdf_expand(HashAlg::kSha256, prk, info, 42));
  EXPECT_EQ(to_hex(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(Hkdf, Rfc5869TestCase3EmptySaltAndInfo) {
  Bytes ikm(22, 0x0b);
  T3N_ASSERT_OK_AND_ASSIGN(SecretBytes okm, hkdf(HashAlg::kSha256, {}, ikm, {}, 42));
  EXPECT_EQ(to_hex(okm),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(Hkdf, RejectsBadLengths) {
  Bytes prk(32, 1);
  EXPECT_EQ(hkdf_expand(HashAlg::kSha256, prk, {}, 0).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(hkdf_expand(HashAlg::kSha256, prk, {}, 255 * 32 + 1).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(hkdf_expand(HashAlg::kSha256, prk, {}, 255 * 32).ok());
  EXPECT_FALSE(hkdf_expand(HashAlg::kSha256, Bytes(8, 1), {}, 32).ok());  // PRK too short
}

TEST(DeriveKey, LabelsSeparateKeys) {
  Bytes secret(32, 9);
  auto a = derive_key(secret, "ledger/epoch-key", common::as_bytes("1"), 32);
  auto b = derive_key(secret, "ledger/epoch-key", common::as_bytes("2"), 32);
  auto c = derive_key(secret, "user/data-key", common::as_bytes("1"), 32);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_FALSE(constant_time_equal(*a, *b));
  EXPECT_FALSE(constant_time_equal(*a, *c));
  EXPECT_TRUE(constant_time_equal(*a, *derive_key(secret, "ledger/epoch-key", common::as_bytes("1"), 32)));
  EXPECT_FALSE(derive_key(secret, "", {}, 32).ok());
}

TEST(ConstantTime, ComparesContentsAndLengths) {
  EXPECT_TRUE(constant_time_equal(Bytes{1, 2}, Bytes{1, 2}));
  EXPECT_FALSE(constant_time_equal(Bytes{1, 2}, Bytes{1, 3}));
  EXPECT_FALSE(constant_time_equal(Bytes{1, 2}, Bytes{1, 2, 3}));
  EXPECT_TRUE(constant_time_equal(Bytes{}, Bytes{}));
}

TEST(Random, ProducesDistinctOutput) {
  T3N_ASSERT_OK_AND_ASSIGN(Bytes a, random_vector(32));
  T3N_ASSERT_OK_AND_ASSIGN(Bytes b, random_vector(32));
  EXPECT_NE(a, b);
  EXPECT_NE(a, Bytes(32, 0));
  EXPECT_TRUE(random_vector(0).ok());
}

}  // namespace
}  // namespace t3n::crypto
