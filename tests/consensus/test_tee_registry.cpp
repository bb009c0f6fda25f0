// The TEE registry's rules on a real store: records from attested
// identities, refusals, re-checks when due, expiry of members not seen.
#include <gtest/gtest.h>

#include "consensus/tee_registry.h"
#include "crypto/ed25519.h"
#include "crypto/mldsa.h"
#include "store/store_test_util.h"

namespace t3n::consensus {
namespace {

PeerIdentity identity(std::uint64_t id, bool good) {
  auto ed = crypto::Ed25519PrivateKey::from_seed(Bytes(32, static_cast<std::uint8_t>(id)));
  auto pq = crypto::mldsa65_keygen_derand(Bytes(32, static_cast<std::uint8_t>(id + 100)));
  EXPECT_TRUE(ed.ok() && pq.ok());
  store::NodeSigningKeys keys{std::move(*ed), std::move(*pq)};
  PeerIdentity p{id, keys.ed25519.public_key(), keys.mldsa.public_key, simulated_evidence(keys)};
  if (!good) p.evidence.back() ^= 1;  // no longer binds the keys
  return p;
}

std::map<std::uint64_t, TeeRecord> by_id(store::Store& s) {
  auto list = list_tee_registry(s);
  EXPECT_TRUE(list.ok());
  std::map<std::uint64_t, TeeRecord> out;
  for (auto& r : *list) out[r.member_id] = r;
  return out;
}

TEST(TeeRegistry, VerifiesRefusesRechecksAndExpires) {
  store::testing::TempDir dir;
  auto s = store::Store::open(store::testing::options_for(dir.path()));
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(ensure_tee_registry_table(**s).ok());
  const TeeRegistryPolicy timing{1000, 5000};
  const std::vector<std::uint64_t> members{1, 2, 3};
  std::vector<std::pair<PeerIdentity, std::uint64_t>> seen{{identity(1, true), 10}, {identity(2, true), 10}, {identity(3, false), 10}};
  auto n = refresh_tee_registry(**s, members, seen, dev_cluster_policy(), 100, timing, 1);
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 3u);
  auto r = by_id(**s);
  EXPECT_EQ(r[1].status, "verified");
  EXPECT_EQ(r[1].provider, "simulated");
  EXPECT_EQ(r[1].verified_by, 1u);
  EXPECT_EQ(r[1].expires_at_ms, 5100u);
  EXPECT_EQ(r[2].status, "verified");
  EXPECT_EQ(r[3].status, "refused");  // its evidence does not bind its keys
  EXPECT_FALSE(r[3].detail.empty());
  // Nothing new and nothing due: nothing written.
  n = refresh_tee_registry(**s, members, seen, dev_cluster_policy(), 500, timing, 1);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);  // the refused member is re-checked on every pass, written only on change
  // Due: member 1 re-checked; member 2 no longer seen.
  seen.erase(seen.begin() + 1);
  n = refresh_tee_registry(**s, members, seen, dev_cluster_policy(), 1200, timing, 1);
  ASSERT_TRUE(n.ok());
  r = by_id(**s);
  EXPECT_EQ(r[1].verified_at_ms, 1200u);
  EXPECT_EQ(r[2].status, "verified");  // not expired yet
  n = refresh_tee_registry(**s, members, seen, dev_cluster_policy(), 5200, timing, 1);
  ASSERT_TRUE(n.ok());
  r = by_id(**s);
  EXPECT_EQ(r[2].status, "expired");
  EXPECT_EQ(r[1].status, "verified");
  // Queries by TEE type.
  auto simulated = list_tee_registry(**s, "simulated");
  ASSERT_TRUE(simulated.ok());
  EXPECT_EQ(simulated->size(), 3u);
  auto tdx = list_tee_registry(**s, "IntelTdx");
  ASSERT_TRUE(tdx.ok());
  EXPECT_TRUE(tdx->empty());
}

}  // namespace
}  // namespace t3n::consensus
