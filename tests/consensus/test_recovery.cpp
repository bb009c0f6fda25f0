// Recovery shares: the ledger secret wrapped under a key split k-of-n
// (libgfshare), each share sealed to a member's X-Wing key.
#include <gtest/gtest.h>

#include "consensus/recovery.h"
#include "crypto/random.h"

namespace t3n::consensus {
namespace {

struct Members {
  std::vector<crypto::HpkePrivateKey> keys;
  std::vector<RecoveryMember> public_part;
  explicit Members(int n) {
    for (int i = 0; i < n; ++i) {
      auto k = crypto::HpkePrivateKey::generate(crypto::HpkeKem::kXWing);
      EXPECT_TRUE(k.ok());
      public_part.push_back({"member-" + std::to_string(i), k->public_key()});
      keys.push_back(std::move(*k));
    }
  }
};

SecretBytes secret() {
  auto s = crypto::random_secret(32);
  EXPECT_TRUE(s.ok());
  return std::move(*s);
}

std::vector<OpenedShare> open_shares(const RecoverySet& set, Members& m, std::initializer_list<int> who) {
  std::vector<OpenedShare> out;
  for (int i : who) {
    auto s = open_share(set, m.public_part[static_cast<std::size_t>(i)].name, m.keys[static_cast<std::size_t>(i)]);
    EXPECT_TRUE(s.ok()) << s.status().message();
    // Through the text form a member pastes into `t3n recovery submit-share`.
    auto again = OpenedShare::from_text(s->to_text());
    EXPECT_TRUE(again.ok());
    out.push_back(std::move(*again));
  }
  return out;
}

TEST(Recovery, AnyThresholdOfSharesRecoversTheLedgerSecret) {
  Members m(5);
  const SecretBytes ledger = secret();
  auto set = create_recovery_set(ledger.view(), 3, m.public_part, 3);
  ASSERT_TRUE(set.ok()) << set.status().message();
  // The stored form round-trips and holds no share in the clear.
  auto stored = RecoverySet::from_json(common::Json::parse(set->to_json().dump()));
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  for (auto who : {std::initializer_list<int>{0, 1, 2}, {4, 2, 0}, {1, 3, 4}, {0, 1, 2, 3, 4}}) {
    auto got = recover_ledger_secret(*stored, open_shares(*stored, m, who));
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_TRUE(std::equal(got->view().begin(), got->view().end(), ledger.view().begin(), ledger.view().end()));
  }
}

TEST(Recovery, FewerSharesThanTheThresholdRecoverNothing) {
  Members m(5);
  const SecretBytes ledger = secret();
  auto set = create_recovery_set(ledger.view(), 0, m.public_part, 3);
  ASSERT_TRUE(set.ok());
  auto two = recover_ledger_secret(*set, open_shares(*set, m, {0, 4}));
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.status().code(), ErrorCode::kVerificationFailed);
  // A share given twice does not count twice.
  auto shares = open_shares(*set, m, {1, 2});
  shares.push_back(std::move(open_shares(*set, m, {1})[0]));
  EXPECT_EQ(recover_ledger_secret(*set, shares).status().code(), ErrorCode::kInvalidArgument);
}

TEST(Recovery, AnAlteredOrForeignShareIsRefused) {
  Members m(3);
  const SecretBytes ledger = secret();
  auto set = create_recovery_set(ledger.view(), 0, m.public_part, 2);
  ASSERT_TRUE(set.ok());
  auto shares = open_shares(*set, m, {0, 1});
  shares[1].y.data()[5] ^= 0x01;
  auto got = recover_ledger_secret(*set, shares);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), ErrorCode::kVerificationFailed);
  // Another member's key does not open a share; neither does another set's share.
  EXPECT_EQ(open_share(*set, "member-0", m.keys[1]).status().code(), ErrorCode::kVerificationFailed);
  auto other = create_recovery_set(ledger.view(), 0, m.public_part, 2);
  ASSERT_TRUE(other.ok());
  auto mixed = open_shares(*set, m, {0});
  mixed.push_back(std::move(open_shares(*other, m, {1})[0]));
  EXPECT_EQ(recover_ledger_secret(*set, mixed).status().code(), ErrorCode::kVerificationFailed);
}

TEST(Recovery, BadParametersAndTextAreRefusedClearly) {
  Members m(3);
  const SecretBytes ledger = secret();
  EXPECT_EQ(create_recovery_set(ledger.view(), 0, m.public_part, 4).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(create_recovery_set(ledger.view(), 0, m.public_part, 1).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(create_recovery_set(ledger.view(), 0, {}, 1).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(create_recovery_set(ByteView(ledger.view().data(), 16), 0, m.public_part, 2).status().code(),
            ErrorCode::kInvalidArgument);
  for (const char* text : {"", "t3n-share-1:", "t3n-share-1:0:AAAA", "t3n-share-1:256:AAAA", "t3n-share-2:1:AAAA",
                           "t3n-share-1:1:not-base64!", "t3n-share-1:1:AAAA"})
    EXPECT_EQ(OpenedShare::from_text(text).status().code(), ErrorCode::kInvalidArgument) << text;
  EXPECT_EQ(RecoverySet::from_json(common::Json::parse(R"({"version":1,"epoch":0,"threshold":3,"shares":[],"wrapped_secret":""})"))
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace t3n::consensus
