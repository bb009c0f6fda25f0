// The operator API's nonces: single use, expire after five minutes of the
// injected clock, bounded in number.
#include <gtest/gtest.h>

#include "api/admin_nonces.h"

namespace t3n::api {
namespace {

TEST(AdminNonces, SingleUseAndStaleNoncesAreRefused) {
  std::uint64_t now = 1'000'000;
  AdminNonces nonces([&now] { return now; });
  auto a = nonces.issue();
  auto b = nonces.issue();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->size(), 64u);
  EXPECT_TRUE(nonces.consume(*a).ok());
  EXPECT_EQ(nonces.consume(*a).code(), ErrorCode::kUnauthenticated);  // reused
  EXPECT_EQ(nonces.consume("ab").code(), ErrorCode::kUnauthenticated);  // never issued
  now += kNonceLifetimeMs;
  Status stale = nonces.consume(*b);
  EXPECT_EQ(stale.code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(stale.message().find("expired"), std::string::npos);
  EXPECT_EQ(nonces.consume(*b).code(), ErrorCode::kUnauthenticated);  // and gone
}

TEST(AdminNonces, OpenNoncesAreBoundedAndExpiredOnesMakeRoom) {
  std::uint64_t now = 0;
  AdminNonces nonces([&now] { return now; });
  for (std::size_t i = 0; i < kMaxOpenNonces; ++i) ASSERT_TRUE(nonces.issue().ok());
  EXPECT_EQ(nonces.issue().status().code(), ErrorCode::kResourceExhausted);
  now += kNonceLifetimeMs;
  EXPECT_TRUE(nonces.issue().ok());
}

}  // namespace
}  // namespace t3n::api
