// Metering: reserve before a call, settle inside its transaction, the
// ledger pages newest first, and a balance that cannot cover a charge
// changes nothing.
#include <gtest/gtest.h>

#include "store_test_util.h"
#include "system/contract_logs.h"
#include "system/metering.h"

#include <limits>

#include "common/encoding.h"

namespace t3n::system {
namespace {

using namespace t3n::store::testing;

class MeteringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::Store::open(options_for(dir_.path()));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(s).value();
    ASSERT_TRUE(ensure_metering_tables(*store_).ok());
    ASSERT_TRUE(ensure_contract_log_tables(*store_).ok());
  }
  Status in_tx(const std::function<Status(store::Transaction&)>& f) {
    auto tx = store_->begin(store::Principal::system());
    T3N_RETURN_IF_ERROR(f(tx));
    return store_->commit(tx).status();
  }
  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  Pricing pricing_{.enabled = true};
  Metering metering_{pricing_};
  Bytes alice_ = Bytes(20, 0xa1);
  Bytes bob_ = Bytes(20, 0xb0);
};

TEST_F(MeteringTest, ReserveSettleAndRefuse) {
  ASSERT_TRUE(in_tx([&](auto& tx) { return metering_.mint(tx, alice_, 1000, "welcome", 1); }).ok());
  {
    auto r = metering_.reserve(*store_, alice_, 600);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(metering_.reserved(alice_), 600u);
    // A second call while the first holds its reserve cannot overspend.
    auto second = metering_.reserve(*store_, alice_, 600);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.status().message(),
              "InsufficientCredit (account=did:t3n:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1, required=600, available=400)");
  }
  EXPECT_EQ(metering_.reserved(alice_), 0u);  // released with the reservation
  CallUsage u{"z:x:app", "f", 250'000, 10, {{"z:x:m", 3000}}, 0, {}, 0};
  const auto charges = metering_.price(u);
  ASSERT_EQ(charges.size(), 2u);
  EXPECT_EQ(charges[0].amount, 100 + 3 + 10);  // base + ceil(250000/100000) fuel + 10 host calls
  EXPECT_EQ(charges[1].amount, 30u);           // 3 KiB at 10
  ASSERT_TRUE(in_tx([&](auto& tx) { return metering_.settle(tx, alice_, charges, 2); }).ok());
  auto tx = store_->begin(store::Principal::system());
  EXPECT_EQ(metering_.balance(tx, alice_)->available, 1000u - 143u);
  // More than the balance: refused, nothing written.
  auto big = store_->begin(store::Principal::system());
  EXPECT_EQ(metering_.settle(big, alice_, {Charge(5000, std::string())}, 3).code(), ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(big.has_writes());
}

// Every priced use of a call becomes its own charge with its reason.
TEST_F(MeteringTest, PricesEveryKindOfUse) {
  CallUsage u{"z:x:app", "f", 0, 0, {{"z:x:a", 1}, {"z:x:b", 2048}}, 3000, {"api.example.com", "hooks.example.com"}, 5000};
  const auto charges = metering_.price(u);
  ASSERT_EQ(charges.size(), 5u);
  EXPECT_EQ(charges[0].reason_json()["kind"], "invocation");
  EXPECT_EQ(charges[0].amount, 100u);  // no fuel, no host calls: the base price
  EXPECT_EQ(charges[1].reason_json()["map"], "z:x:a");
  EXPECT_EQ(charges[1].amount, 10u);  // a started KiB counts
  EXPECT_EQ(charges[2].amount, 20u);
  EXPECT_EQ(charges[3].reason_json()["kind"], "cas_bytes");
  EXPECT_EQ(charges[3].amount, 15u);  // 3 KiB at 5
  EXPECT_EQ(charges[4].reason_json()["kind"], "outbox_egress");
  EXPECT_EQ(charges[4].reason_json()["upstream"], "api.example.com");
  EXPECT_EQ(charges[4].amount, 2 * 100u + 5u);  // two entries, 5 KiB of bodies
  EXPECT_EQ(metering_.reserve_for(50'000'000), 100u + 500u);
}

TEST_F(MeteringTest, UsagePagesNewestFirstAndTransfersShowBothSides) {
  ASSERT_TRUE(in_tx([&](auto& tx) { return metering_.mint(tx, alice_, 1000, "welcome", 1); }).ok());
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(in_tx([&](auto& tx) { return metering_.settle(tx, alice_, {Charge(10, common::Json{{"kind", "invocation"}})}, 2 + i); }).ok());
  ASSERT_TRUE(in_tx([&](auto& tx) { return metering_.transfer(tx, alice_, bob_, 100, "gift", 9); }).ok());
  auto tx = store_->begin(store::Principal::system());
  auto page = metering_.usage_page(tx, alice_, 3, std::nullopt, {});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ((*page)["entries"].size(), 3u);
  EXPECT_EQ((*page)["entries"][0]["kind"], "transfer");
  EXPECT_EQ((*page)["entries"][0]["direction"], "out");
  EXPECT_EQ((*page)["entries"][0]["seq_no"], 7);
  EXPECT_EQ((*page)["next_cursor"], 4);
  auto rest = metering_.usage_page(tx, alice_, 10, (*page)["next_cursor"].get<std::uint64_t>(), {});
  ASSERT_EQ((*rest)["entries"].size(), 4u);
  EXPECT_EQ((*rest)["entries"][3]["kind"], "mint");
  EXPECT_TRUE((*rest)["next_cursor"].is_null());
  auto mints = metering_.usage_page(tx, alice_, 10, std::nullopt, {"mint"});
  ASSERT_EQ((*mints)["entries"].size(), 1u);
  auto bobs = metering_.usage_page(tx, bob_, 10, std::nullopt, {});
  EXPECT_EQ((*bobs)["entries"][0]["direction"], "in");
  EXPECT_EQ((*bobs)["balance"]["available"], 100);
  EXPECT_EQ((*page)["balance"]["available"], 1000 - 50 - 100);
}

// A call's charges share one ledger row; pages split it anywhere and
// still list every entry once, newest first, beside single-entry rows
// (mints, and charges kept as JSON by earlier versions).
TEST_F(MeteringTest, ChargeGroupsPageEntryByEntry) {
  ASSERT_TRUE(in_tx([&](auto& tx) { return metering_.mint(tx, alice_, 100'000, "welcome", 1); }).ok());  // seq 1
  ASSERT_TRUE(in_tx([&](auto& tx) {  // seq 2: a charge row as earlier versions wrote it
                BalanceRow row = *metering_.balance(tx, alice_);
                row.available -= 7;
                row.last_settled_seq_no = 2;
                Bytes key = alice_;
                common::append_u64_be(key, std::numeric_limits<std::uint64_t>::max() - 2);
                const common::Json legacy = {{"seq_no", 2}, {"kind", "charge"}, {"amount", 7}, {"timestamp_ms", 2},
                                             {"direction", "out"}, {"counterparty", nullptr},
                                             {"reason", {{"kind", "invocation"}}}, {"note", nullptr}};
                T3N_RETURN_IF_ERROR(kTokenLedgerTable.in(tx).put(key, legacy.dump()));
                return kBalancesTable.in(tx).put(alice_, row);
              }).ok());
  CallUsage u{"z:x:app", "f", 0, 0, {{"z:x:a", 1}, {"z:x:b", 1}}, 0, {}, 0};
  for (int call = 0; call < 4; ++call)  // seqs 3..14, three per call
    ASSERT_TRUE(in_tx([&](auto& tx) { return metering_.settle(tx, alice_, metering_.price(u), 3 + call); }).ok());
  // 20 maps: 21 charges, two rows (16 + 5): seqs 15..35.
  CallUsage wide{"z:x:app", "g", 0, 0, {}, 0, {}, 0};
  for (int m = 0; m < 20; ++m) wide.kv_bytes["z:x:m" + std::to_string(m)] = 1;
  ASSERT_TRUE(in_tx([&](auto& tx) { return metering_.settle(tx, alice_, metering_.price(wide), 9); }).ok());
  auto tx = store_->begin(store::Principal::system());
  for (std::uint32_t limit : {1u, 2u, 4u, 7u, 200u}) {
    std::vector<std::uint64_t> seqs;
    std::optional<std::uint64_t> cursor;
    for (int page = 0; page < 100; ++page) {
      auto p = metering_.usage_page(tx, alice_, limit, cursor, {});
      ASSERT_TRUE(p.ok()) << p.status().to_string();
      EXPECT_LE((*p)["entries"].size(), limit);
      for (const auto& e : (*p)["entries"]) seqs.push_back(e["seq_no"].get<std::uint64_t>());
      if ((*p)["next_cursor"].is_null()) break;
      cursor = (*p)["next_cursor"].get<std::uint64_t>();
    }
    ASSERT_EQ(seqs.size(), 35u) << "limit " << limit;
    for (std::size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], 35 - i) << "limit " << limit;
  }
  auto first = metering_.usage_page(tx, alice_, 200, std::nullopt, {});
  const auto& entries = (*first)["entries"];
  EXPECT_EQ(entries[0]["reason"]["map"], "z:x:m9");  // the newest charge of the wide call (maps in order)
  EXPECT_EQ(entries[20]["reason"]["kind"], "invocation");
  EXPECT_EQ(entries[20]["timestamp_ms"], 9);
  EXPECT_EQ(entries[32]["reason"]["kind"], "invocation");  // seq 3
  EXPECT_EQ(entries[33]["amount"], 7);                      // the legacy row
  EXPECT_EQ(entries[34]["kind"], "mint");
  auto charges = metering_.usage_page(tx, alice_, 3, std::nullopt, {"charge"});
  EXPECT_EQ((*charges)["entries"].size(), 3u);
  auto mints = metering_.usage_page(tx, alice_, 5, std::nullopt, {"mint"});
  ASSERT_EQ((*mints)["entries"].size(), 1u);
  EXPECT_EQ((*mints)["entries"][0]["seq_no"], 1);
  EXPECT_EQ((*first)["balance"]["last_settled_seq_no"], 35);
}

TEST_F(MeteringTest, LogRingKeepsTheNewestEntries) {
  std::vector<std::string> lines;
  for (int i = 0; i < 7; ++i) lines.push_back("info: line " + std::to_string(i));
  lines.push_back("stderr: oops");
  ASSERT_TRUE(in_tx([&](auto& tx) { return append_contract_logs(tx, 5, lines, 10, 5); }).ok());
  auto tx = store_->begin(store::Principal::system());
  auto all = read_contract_logs(tx, 5, std::nullopt, 100, "debug");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ((*all)["entries"].size(), 5u);
  EXPECT_EQ((*all)["entries"][0]["message"], "line 3");
  EXPECT_EQ((*all)["entries"][4]["level"], "error");
  auto old = read_contract_logs(tx, 5, 0, 2, "debug");
  EXPECT_TRUE((*old)["truncated"]);
  EXPECT_EQ((*old)["next_seq"], 5);
  auto errors = read_contract_logs(tx, 5, std::nullopt, 100, "error");
  EXPECT_EQ((*errors)["entries"].size(), 1u);
  auto none = read_contract_logs(tx, 6, std::nullopt, 100, "debug");
  EXPECT_EQ((*none)["entries"].size(), 0u);
}

}  // namespace
}  // namespace t3n::system
