// E-mail OTP rules (identity/email_otp.h) with an injected clock and a
// capturing mailer: expiry, attempts, single use, cooldown, send cap,
// per-flow binding, failed delivery, memory bound.
#include <gtest/gtest.h>

#include <regex>

#include "identity/email_otp.h"

namespace t3n::identity {
namespace {

class CapturingMailer final : public Mailer {
 public:
  Status send(const std::string& to, const std::string&, const std::string& body) override {
    if (fail) return Status(ErrorCode::kUnavailable, "sending the code failed (SMTP: test)");
    last_to = to;
    std::smatch m;
    if (std::regex_search(body, m, std::regex("code is (\\d{6})"))) last_code = m[1];
    ++sent;
    return {};
  }
  std::string last_to, last_code;
  int sent = 0;
  bool fail = false;
};

class EmailOtpTest : public ::testing::Test {
 protected:
  std::uint64_t now_ = 1'000'000;
  CapturingMailer mail_;
  EmailOtp otp_{OtpPolicy{}, [this] { return now_; }, mail_};
  std::string wrong(const std::string& code) { return code == "000000" ? "000001" : "000000"; }
};

TEST(CanonicalEmail, LowerCasesAndRefusesWhatIsNotOneAddress) {
  EXPECT_EQ(*canonical_email("Alice@Example.COM"), "alice@example.com");
  for (const char* bad : {"", "alice", "@example.com", "alice@", "alice@example", "a b@example.com", "a@b@example.com",
                          "alice@example.com.", "Alice <alice@example.com>", "a\r\nBcc: x@y.z@example.com"})
    EXPECT_FALSE(canonical_email(bad).ok()) << bad;
}

TEST_F(EmailOtpTest, TheMailedCodeLogsInOnceForItsFlowOnly) {
  ASSERT_TRUE(otp_.send("flow-a", "alice@example.com").ok());
  EXPECT_EQ(mail_.last_to, "alice@example.com");
  ASSERT_EQ(mail_.last_code.size(), 6u);
  const std::string code = mail_.last_code;
  EXPECT_EQ(otp_.verify("flow-b", code).status().code(), ErrorCode::kUnauthenticated) << "bound to its flow";
  auto ok = otp_.verify("flow-a", code);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(*ok, "alice@example.com");
  EXPECT_EQ(otp_.verify("flow-a", code).status().code(), ErrorCode::kUnauthenticated) << "single use";
}

TEST_F(EmailOtpTest, CodesExpire) {
  ASSERT_TRUE(otp_.send("f", "alice@example.com").ok());
  now_ += OtpPolicy{}.code_ttl_ms;
  auto r = otp_.verify("f", mail_.last_code);
  EXPECT_EQ(r.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("expired"), std::string::npos);
}

TEST_F(EmailOtpTest, TooManyWrongAttemptsBurnTheCode) {
  ASSERT_TRUE(otp_.send("f", "alice@example.com").ok());
  const std::string code = mail_.last_code;
  for (std::uint32_t i = 0; i + 1 < OtpPolicy{}.max_attempts; ++i)
    EXPECT_EQ(otp_.verify("f", wrong(code)).status().message(), "wrong code");
  EXPECT_NE(otp_.verify("f", wrong(code)).status().message().find("too many attempts"), std::string::npos);
  EXPECT_FALSE(otp_.verify("f", code).ok()) << "the right code is gone too";
  EXPECT_FALSE(otp_.verify("f", "12345").ok());
}

TEST_F(EmailOtpTest, CooldownAndSendCapAnswerOtpRateLimited) {
  ASSERT_TRUE(otp_.send("f1", "alice@example.com").ok());
  now_ += 10 * 1000;
  Status s = otp_.send("f2", "alice@example.com");
  EXPECT_EQ(s.code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "OtpRateLimited (reason=cooldown_active, retry_after_secs=50)");
  EXPECT_TRUE(otp_.send("f2", "bob@example.com").ok()) << "the cooldown is per address";
  // Past each cooldown up to the cap, then the cap answers until the window ends.
  for (std::uint32_t i = 1; i < OtpPolicy{}.send_cap; ++i) {
    now_ += OtpPolicy{}.cooldown_ms;
    ASSERT_TRUE(otp_.send("f1", "alice@example.com").ok()) << i;
  }
  now_ += OtpPolicy{}.cooldown_ms;
  s = otp_.send("f1", "alice@example.com");
  EXPECT_EQ(s.code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(s.message().find("reason=send_cap_exceeded"), std::string::npos);
  now_ += OtpPolicy{}.cap_window_ms;
  EXPECT_TRUE(otp_.send("f1", "alice@example.com").ok());
}

TEST_F(EmailOtpTest, ANewCodeReplacesTheOldOneOfTheFlow) {
  ASSERT_TRUE(otp_.send("f", "alice@example.com").ok());
  const std::string first = mail_.last_code;
  now_ += OtpPolicy{}.cooldown_ms;
  ASSERT_TRUE(otp_.send("f", "alice@example.com").ok());
  if (first != mail_.last_code) {
    EXPECT_FALSE(otp_.verify("f", first).ok());
  }
  EXPECT_TRUE(otp_.verify("f", mail_.last_code).ok());
}

TEST_F(EmailOtpTest, AFailedDeliveryLeavesNoCodeAndATypedError) {
  mail_.fail = true;
  Status s = otp_.send("f", "alice@example.com");
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(s.message().find("alice"), std::string::npos) << "no address in the error";
  EXPECT_EQ(otp_.verify("f", "123456").status().message(), "no code is pending: ask for one first");
}

TEST_F(EmailOtpTest, MemoryStaysBoundedUnderAFloodOfAddresses) {
  for (std::size_t i = 0; i < EmailOtp::kPruneAbove + 10; ++i)
    ASSERT_TRUE(otp_.send("flow" + std::to_string(i), "u" + std::to_string(i) + "@example.com").ok());
  EXPECT_GE(otp_.tracked(), EmailOtp::kPruneAbove);
  now_ += OtpPolicy{}.cap_window_ms + OtpPolicy{}.code_ttl_ms;
  ASSERT_TRUE(otp_.send("late", "late@example.com").ok());
  EXPECT_LE(otp_.tracked(), 2u);
}

}  // namespace
}  // namespace t3n::identity
