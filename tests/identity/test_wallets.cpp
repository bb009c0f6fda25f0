// Custodial wallets over a real store: keys created at first need, sealed
// with the user's data key, signatures an independent recovery accepts, and
// neither the plaintext key in the row nor on disk; shredding the data key
// makes the wallet unusable.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "common/encoding.h"
#include "common/json.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/p256.h"
#include "crypto/secp256k1.h"
#include "identity/wallets.h"
#include "store/store_test_util.h"

namespace t3n::identity {
namespace {

struct WalletFixture : ::testing::Test {
  void SetUp() override {
    auto opened = store::Store::open(store::testing::options_for(dir.path() / "store"));
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    db = std::move(*opened);
    ASSERT_TRUE(store::ensure_tables(*db, kUserKeysTable, kWalletsTable).ok());
    wallets = std::make_unique<CustodialWallets>(keys, std::move(crypto::Secp256k1Signer::create()).value());
  }
  // Runs fn in one system transaction and commits it.
  template <class F>
  auto in_tx(F&& fn) {
    auto tx = db->begin(store::Principal::system());
    auto out = fn(tx);
    EXPECT_TRUE(db->commit(tx).ok());
    return out;
  }

  store::testing::TempDir dir;
  std::unique_ptr<store::Store> db;
  UserDataKeys keys{SecretBytes(Bytes(32, 0x42))};
  std::unique_ptr<CustodialWallets> wallets;
  const Bytes alice = Bytes(20, 0xa1);
  const Bytes bob = Bytes(20, 0xb0);
};

TEST_F(WalletFixture, CreatedAtFirstNeedSignaturesRecoverToTheAddress) {
  auto none = in_tx([&](store::Transaction& tx) { return wallets->primary(tx, alice, false, 1); });
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none) << "no wallet without a need";
  auto made = in_tx([&](store::Transaction& tx) { return wallets->primary(tx, alice, true, 1); });
  ASSERT_TRUE(made.ok() && *made) << made.status().to_string();
  auto again = in_tx([&](store::Transaction& tx) { return wallets->primary(tx, alice, true, 2); });
  ASSERT_TRUE(again.ok() && *again);
  EXPECT_EQ(**again, **made) << "the primary is stable";

  const Bytes message = common::to_bytes("hello custodial");
  const auto digest = crypto::eip191_hash(message);
  auto sig = in_tx([&](store::Transaction& tx) { return wallets->sign_digest(tx, alice, **made, digest); });
  ASSERT_TRUE(sig.ok() && *sig) << sig.status().to_string();
  ASSERT_EQ((*sig)->size(), 65u);
  EXPECT_TRUE((**sig)[64] == 27 || (**sig)[64] == 28);
  auto recovered = crypto::eth_recover_personal_signer(message, **sig);
  ASSERT_TRUE(recovered.ok());
  EXPECT_EQ(*recovered, **made);

  // Bob owns no such wallet: no signature, and his own is another address.
  auto foreign = in_tx([&](store::Transaction& tx) { return wallets->sign_digest(tx, bob, **made, digest); });
  ASSERT_TRUE(foreign.ok());
  EXPECT_FALSE(*foreign);
  auto bobs = in_tx([&](store::Transaction& tx) { return wallets->primary(tx, bob, true, 3); });
  ASSERT_TRUE(bobs.ok() && *bobs);
  EXPECT_NE(**bobs, **made);

  auto second = in_tx([&](store::Transaction& tx) { return wallets->add(tx, alice, 4); });
  ASSERT_TRUE(second.ok());
  auto all = in_tx([&](store::Transaction& tx) { return wallets->list(tx, alice); });
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_TRUE((*all)[0].primary);
  EXPECT_EQ((*all)[1].address, *second);
}

TEST_F(WalletFixture, TheKeyIsSealedInTheRowAndAbsentFromDisk) {
  auto made = in_tx([&](store::Transaction& tx) { return wallets->primary(tx, alice, true, 1); });
  ASSERT_TRUE(made.ok() && *made);
  auto holder = in_tx([&](store::Transaction& tx) { return wallets->holder_public_key(tx, alice, 1); });
  ASSERT_TRUE(holder.ok());
  // Open the box as only the node could (the test knows the key-encryption
  // key), to learn the secret and look for it.
  Bytes secret_bytes;
  {
  auto tx = db->begin(store::Principal::system());
  auto row = kWalletsTable.in(tx).get(alice);
  ASSERT_TRUE(row.ok() && *row);
  const std::string row_text(row->value().begin(), row->value().end());
  auto j = common::parse_json(row_text);
  ASSERT_TRUE(j.ok());
  auto data_key = keys.find(tx, alice);
  ASSERT_TRUE(data_key.ok() && *data_key);
  auto sealed = common::base64_decode((*j)["wallets"][0]["sealed"].get<std::string>());
  ASSERT_TRUE(sealed.ok());
  Bytes aad = common::to_bytes("t3n custodial key v1|secp256k1|");
  aad.insert(aad.end(), alice.begin(), alice.end());
  aad.insert(aad.end(), (*made)->begin(), (*made)->end());
  auto secret = crypto::open_box(crypto::AeadAlg::kAes256Gcm, **data_key, aad, *sealed);
  ASSERT_TRUE(secret.ok()) << "the row holds the key sealed with the user's data key";
  const std::string secret_hex = common::hex_encode(*secret);
  EXPECT_EQ(row_text.find(secret_hex), std::string::npos);
  EXPECT_EQ(row_text.find(std::string(secret->begin(), secret->end())), std::string::npos);
  // Sealed under another user's AAD it does not open: rows cannot be swapped.
  Bytes other = aad;
  other[other.size() - 21] ^= 1;
  EXPECT_FALSE(crypto::open_box(crypto::AeadAlg::kAes256Gcm, **data_key, other, *sealed).ok());
  secret_bytes = *secret;
  }  // the read transaction ends before the store closes
  // No file the store wrote holds the secret, raw or in hex.
  const std::string secret_hex = common::hex_encode(secret_bytes);
  const std::string secret_raw(secret_bytes.begin(), secret_bytes.end());
  db.reset();
  std::size_t files = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (!f.is_regular_file()) continue;
    ++files;
    std::ifstream in(f.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(secret_raw), std::string::npos) << f.path();
    EXPECT_EQ(bytes.find(secret_hex), std::string::npos) << f.path();
  }
  EXPECT_GT(files, 0u);
}

TEST_F(WalletFixture, ShreddingTheDataKeyMakesTheWalletUnusable) {
  auto made = in_tx([&](store::Transaction& tx) { return wallets->primary(tx, alice, true, 1); });
  ASSERT_TRUE(made.ok() && *made);
  EXPECT_TRUE(in_tx([&](store::Transaction& tx) { return kUserKeysTable.in(tx).remove(alice); }).ok());
  const auto digest = crypto::eip191_hash(common::to_bytes("x"));
  auto tx = db->begin(store::Principal::system());
  auto sig = wallets->sign_digest(tx, alice, **made, digest);
  ASSERT_FALSE(sig.ok());
  EXPECT_EQ(sig.status().code(), ErrorCode::kDataLoss);
}

TEST_F(WalletFixture, HolderKeySignsES256AndIsStable) {
  auto pub = in_tx([&](store::Transaction& tx) { return wallets->holder_public_key(tx, alice, 1); });
  ASSERT_TRUE(pub.ok()) << pub.status().to_string();
  auto pub2 = in_tx([&](store::Transaction& tx) { return wallets->holder_public_key(tx, alice, 2); });
  ASSERT_TRUE(pub2.ok());
  EXPECT_EQ(*pub, *pub2);
  const Bytes msg = common::to_bytes("kb-jwt signing input");
  auto sig = in_tx([&](store::Transaction& tx) { return wallets->holder_sign(tx, alice, msg, 3); });
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(crypto::p256_verify_raw(*pub, msg, *sig).ok());
}

}  // namespace
}  // namespace t3n::identity
