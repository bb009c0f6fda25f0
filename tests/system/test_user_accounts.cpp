// Users' accounts over a real store and a real CAS: the profile is sealed
// with the user's data key (no plaintext in the CAS, the store's files or
// the ledger), and removal is crypto-shredding of the current state — the
// data key's row is destroyed, the old ciphertext still in the CAS opens
// with no key the state holds, and every index entry of the user is gone.
// (The ledger's history still has the KEK-sealed key row: see
// src/system/README.md.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/encoding.h"
#include "identity/delegation.h"
#include "store/store_test_util.h"
#include "system/audit_trail.h"
#include "system/user_accounts.h"

namespace t3n::system {
namespace {

using common::Json;

struct Accounts : ::testing::Test {
  void SetUp() override {
    auto opened = store::Store::open(store::testing::options_for(dir.path() / "store"));
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    db = std::move(*opened);
    ASSERT_TRUE(store::ensure_tables(*db, identity::kUserKeysTable, identity::kUserDataTable, identity::kWalletsTable,
                                     identity::kUsersTable, identity::kAuthenticatorIndex, identity::kDelegationsTable,
                                     kAuditTable)
                    .ok());
    auto c = cas::open_local_blob_store(dir.path() / "cas");
    ASSERT_TRUE(c.ok());
    cas = std::move(*c);
    wallets = std::make_unique<identity::CustodialWallets>(keys, std::move(crypto::Secp256k1Signer::create()).value());
    accounts = std::make_unique<AccountServices>(AccountServices{users, keys, *wallets, *cas, nullptr, nullptr, std::nullopt, nullptr, {}});
    auto tx = db->begin(store::Principal::system());
    alice = users.find_or_create(tx, "eth:0x" + std::string(40, 'a')).value();
    ASSERT_TRUE(db->commit(tx).ok());
  }
  template <class F>
  auto in_tx(F&& fn) {
    auto tx = db->begin(store::Principal::system());
    auto out = fn(tx);
    EXPECT_TRUE(db->commit(tx).ok());
    return out;
  }
  // Every file under the node's directories that holds `needle`.
  std::vector<std::string> files_with(const std::string& needle) {
    std::vector<std::string> hits;
    for (const auto& f : std::filesystem::recursive_directory_iterator(dir.path())) {
      if (!f.is_regular_file()) continue;
      std::ifstream in(f.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (bytes.find(needle) != std::string::npos) hits.push_back(f.path().string());
    }
    return hits;
  }

  store::testing::TempDir dir;
  std::unique_ptr<store::Store> db;
  std::unique_ptr<cas::BlobStore> cas;
  identity::UserDataKeys keys{SecretBytes(Bytes(32, 0x42))};
  identity::UserDirectory users{SecretBytes(Bytes(32, 0x17)), [] { return std::uint64_t{1000}; }};
  std::unique_ptr<identity::CustodialWallets> wallets;
  std::unique_ptr<AccountServices> accounts;
  Bytes alice;
};

TEST_F(Accounts, AProfileIsSealedAndReadsBack) {
  const std::string marker = "ada-marker-7c1e@example.com";
  ASSERT_TRUE(in_tx([&](store::Transaction& tx) { return write_profile(tx, *accounts, alice, Json{{"email_address", marker}}).status(); }).ok());
  auto back = in_tx([&](store::Transaction& tx) { return read_profile(tx, *accounts, alice); });
  ASSERT_TRUE(back.ok() && *back);
  EXPECT_EQ((**back)["email_address"], marker);
  ASSERT_TRUE(db->flush().ok());
  EXPECT_TRUE(files_with(marker).empty()) << files_with(marker)[0];
  // Not an object, or too big: refused, nothing written.
  EXPECT_FALSE(in_tx([&](store::Transaction& tx) { return write_profile(tx, *accounts, alice, Json::array()).status(); }).ok());
  EXPECT_FALSE(in_tx([&](store::Transaction& tx) {
                 return write_profile(tx, *accounts, alice, Json{{"x", std::string(kMaxProfileBytes, 'x')}}).status();
               }).ok());
}

TEST_F(Accounts, RemovalShredsTheDataAndEveryIndexEntry) {
  ASSERT_TRUE(in_tx([&](store::Transaction& tx) { return users.link(tx, "email:ada@example.com", alice); }).ok());
  ASSERT_TRUE(in_tx([&](store::Transaction& tx) { return write_profile(tx, *accounts, alice, Json{{"first_name", "Ada"}}).status(); }).ok());
  auto wallet = in_tx([&](store::Transaction& tx) { return wallets->primary(tx, alice, true, 5); });
  ASSERT_TRUE(wallet.ok() && *wallet);
  // Keep what an attacker with the disk would keep: the sealed blob and the data key's row.
  Bytes sealed_blob;
  {
    auto tx = db->begin(store::Principal::system());
    auto cid = identity::kUserDataTable.in(tx).get(alice);
    ASSERT_TRUE(cid.ok() && *cid);
    sealed_blob = cas->get(cas::Cid::parse(**cid).value()).value();
  }
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(in_tx([&](store::Transaction& tx) {
                  return append_audit(tx, AuditBatch{std::uint64_t(10 + i), alice, std::nullopt, "did:t3n:x", std::nullopt, true,
                                                     {{"execute", "c#f", "success", std::nullopt}}});
                }).ok());
  auto report = in_tx([&](store::Transaction& tx) { return remove_user(tx, *accounts, alice, 9); });
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->authenticators, 2u);
  EXPECT_EQ(report->wallets, 1u);
  EXPECT_TRUE(report->data);
  EXPECT_TRUE(report->data_key);
  EXPECT_EQ(report->audit_batches, 3u);
  auto tx = db->begin(store::Principal::system());
  EXPECT_TRUE((*audit_page(tx, alice, 50, std::nullopt, std::nullopt))["batches"].empty()) << "the audit trail is gone too";
  EXPECT_FALSE(*users.find(tx, "eth:0x" + std::string(40, 'a'))) << "the login authenticator is gone";
  EXPECT_FALSE(*users.find(tx, "email:ada@example.com")) << "and the e-mail";
  EXPECT_FALSE(*identity::kUsersTable.in(tx).get(alice));
  EXPECT_FALSE(*identity::kUserDataTable.in(tx).get(alice));
  EXPECT_FALSE(*identity::kUserKeysTable.in(tx).get(alice)) << "the data key is destroyed";
  EXPECT_FALSE(*read_profile(tx, *accounts, alice));
  // The old ciphertext is still in the CAS, and a fresh key for the same
  // user (all the node could make now) does not open it.
  auto fresh = keys.find_or_create(tx, alice);
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE(identity::UserDataKeys::open_blob(*fresh, alice, sealed_blob).ok());
  // The wallet is marked abandoned and its sealed key dropped.
  auto history = wallets->history(tx, alice, **wallet);
  ASSERT_TRUE(history.ok() && *history);
  EXPECT_EQ((**history).size(), 2u);
  EXPECT_TRUE((**history)[1].contains("Abandoned"));
  auto row = identity::kWalletsTable.in(tx).get(alice);
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(common::to_string(**row).find("sealed"), std::string::npos);
}

TEST_F(Accounts, OldUserRecordsStillDecode) {
  // Format 1 (before index keys were kept) reads as a user without them.
  const Bytes v1 = {1, 0, 0, 0, 0, 0, 0, 0, 7};
  auto r = identity::UserRecordCodec::decode(v1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->created_ms, 7u);
  EXPECT_TRUE(r->index_keys.empty());
  const Bytes bad = {9};
  EXPECT_FALSE(identity::UserRecordCodec::decode(bad).ok());
}

}  // namespace
}  // namespace t3n::system
