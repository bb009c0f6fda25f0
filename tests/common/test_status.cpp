#include <gtest/gtest.h>

#include "common/status.h"

namespace t3n::common {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return invalid_argument("must be positive");
  return v;
}

Result<int> doubled(int v) {
  T3N_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return 2 * x;
}

Status check(int v) {
  T3N_RETURN_IF_ERROR(parse_positive(v).status());
  return {};
}

TEST(Status, OkAndErrorCarryCodeAndMessage) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.to_string(), "ok");
  Status err = invalid_argument("bad key");
  EXPECT_FALSE(err.ok());
  EXPECT_EQ(err.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(err.to_string(), "invalid_argument: bad key");
  EXPECT_EQ(err.with_context("loading config").message(), "loading config: bad key");
}

TEST(Result, PropagatesErrorsThroughMacros) {
  EXPECT_EQ(*doubled(4), 8);
  auto r = doubled(-1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(check(3).ok());
  EXPECT_EQ(check(0).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.value_or(7), 7);
}

TEST(Result, AnOkStatusIsNotAValue) {
  Result<int> r{Status()};
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInternal);
}

TEST(Result, ValueOnErrorAborts) {
  EXPECT_DEATH({ (void)Result<int>(invalid_argument("x")).value(); }, "Result::value\\(\\) on error");
}

TEST(ErrorCode, EveryCodeHasAName) {
  for (int c = 0; c <= static_cast<int>(ErrorCode::kInternal); ++c)
    EXPECT_NE(error_code_name(static_cast<ErrorCode>(c)), "unknown");
}

}  // namespace
}  // namespace t3n::common
