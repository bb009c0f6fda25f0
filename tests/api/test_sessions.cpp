// The session table's rules (T3N-CLIENT-PROTOCOL.md §2) with an injected clock.
#include <gtest/gtest.h>

#include "api/sessions.h"
#include "common/encoding.h"
#include "crypto/mlkem.h"

namespace t3n::api {
namespace {

class SessionTableTest : public ::testing::Test {
 protected:
  SessionTable make(SessionLimits l) {
    return SessionTable(l, [this] { return now_ms_; });
  }
  // What a client would do: its own copy of the keys from the same secret.
  static SessionKeyPair client_keys(ByteView secret) { return std::move(derive_session_keys(secret)).value(); }
  static Bytes seal(const SessionKeyPair& k, std::string_view text) {
    return std::move(session_seal(k.c2s, common::as_bytes(text))).value();
  }
  std::uint64_t now_ms_ = 1'000'000;
  const Bytes secret_ = Bytes(32, 0x42);
};

TEST_F(SessionTableTest, UuidV4Ids) {
  for (int i = 0; i < 50; ++i) {
    auto id = random_uuid_v4();
    ASSERT_TRUE(id.ok());
    EXPECT_TRUE(is_uuid_v4(*id)) << *id;
  }
  EXPECT_FALSE(is_uuid_v4("00000000-0000-1000-8000-000000000000"));  // version 1
  EXPECT_FALSE(is_uuid_v4("00000000-0000-4000-c000-000000000000"));  // wrong variant
  EXPECT_FALSE(is_uuid_v4("00000000-0000-4000-8000-00000000000"));
}

TEST_F(SessionTableTest, OpensOnceAndRefusesAReplay) {
  SessionTable t = make({});
  auto id = t.create(secret_, std::nullopt);
  ASSERT_TRUE(id.ok());
  const auto k = client_keys(secret_);
  const Bytes msg = seal(k, "{\"a\":1}");
  auto plain = t.open(*id, msg);
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  EXPECT_EQ(common::to_string(*plain), "{\"a\":1}");
  auto again = t.open(*id, msg);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(again.status().message().find("Unauthorized: replayed"), std::string::npos);
  EXPECT_EQ(t.stats().refused.at("replayed"), 1u);
  // The reply decrypts with the client's s2c key, not with c2s.
  auto reply = t.seal(*id, common::as_bytes("ok"));
  ASSERT_TRUE(reply.ok());
  EXPECT_TRUE(session_open(k.s2c, *reply).ok());
  EXPECT_FALSE(session_open(k.c2s, *reply).ok());
}

TEST_F(SessionTableTest, AnotherSessionsCiphertextAndGarbageChangeNothing) {
  SessionTable t = make({});
  auto a = t.create(secret_, std::nullopt);
  auto b = t.create(Bytes(32, 0x43), std::nullopt);
  const Bytes for_a = seal(client_keys(secret_), "x");
  auto cross = t.open(*b, for_a);
  ASSERT_FALSE(cross.ok());
  EXPECT_NE(cross.status().message().find("does not decrypt"), std::string::npos);
  EXPECT_FALSE(t.open(*a, Bytes(5, 1)).ok());
  // The failed attempts spent nothing: a's message still opens once.
  EXPECT_TRUE(t.open(*a, for_a).ok());
  EXPECT_FALSE(t.open("not-a-session", for_a).ok());
  EXPECT_EQ(t.stats().refused.at("undecryptable"), 2u);
  EXPECT_EQ(t.stats().refused.at("unknown_session"), 1u);
}

TEST_F(SessionTableTest, IdleAndAbsoluteExpiry) {
  SessionLimits l;
  l.idle_ms = 1000;
  l.absolute_ms = 5000;
  SessionTable t = make(l);
  auto id = t.create(secret_, std::nullopt);
  const auto k = client_keys(secret_);
  now_ms_ += 999;
  EXPECT_TRUE(t.open(*id, seal(k, "1")).ok());  // activity resets the idle clock
  now_ms_ += 999;
  EXPECT_TRUE(t.open(*id, seal(k, "2")).ok());
  now_ms_ += 1000;  // idle for the whole limit
  auto idle = t.open(*id, seal(k, "3"));
  ASSERT_FALSE(idle.ok());
  EXPECT_NE(idle.status().message().find("Unauthorized: session expired"), std::string::npos);
  // Absolute: busy sessions end too.
  auto id2 = t.create(secret_, std::nullopt);
  for (int i = 0; i < 5; ++i) {
    now_ms_ += 900;
    EXPECT_TRUE(t.open(*id2, seal(k, std::to_string(i))).ok()) << i;
  }
  now_ms_ += 600;  // 5100 ms after the handshake
  EXPECT_FALSE(t.open(*id2, seal(k, "late")).ok());
  EXPECT_EQ(t.stats().open, 0u);
}

TEST_F(SessionTableTest, BoundedTableEvictsTheLeastRecentlyUsedSession) {
  SessionLimits l;
  l.max_sessions = 2;
  SessionTable t = make(l);
  const auto k = client_keys(secret_);
  auto a = t.create(secret_, std::nullopt);
  now_ms_ += 1;
  auto b = t.create(secret_, std::nullopt);
  now_ms_ += 1;
  EXPECT_TRUE(t.open(*a, seal(k, "a")).ok());  // a is now the most recent
  now_ms_ += 1;
  auto c = t.create(secret_, std::nullopt);  // evicts b
  EXPECT_TRUE(t.open(*a, seal(k, "a2")).ok());
  EXPECT_TRUE(t.open(*c, seal(k, "c")).ok());
  EXPECT_FALSE(t.open(*b, seal(k, "b")).ok());
  EXPECT_EQ(t.stats().evicted, 1u);
  EXPECT_EQ(t.stats().open, 2u);
}

TEST_F(SessionTableTest, NonceMemoryIsBoundedPerSession) {
  SessionLimits l;
  l.max_messages = 3;
  SessionTable t = make(l);
  auto id = t.create(secret_, std::nullopt);
  const auto k = client_keys(secret_);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(t.open(*id, seal(k, "m")).ok());
  auto used_up = t.open(*id, seal(k, "m"));
  ASSERT_FALSE(used_up.ok());
  EXPECT_NE(used_up.status().message().find("used up"), std::string::npos);
}

TEST_F(SessionTableTest, AWrongKemCiphertextGivesASessionThatCannotDecrypt) {
  // FIPS 203 implicit rejection: decapsulating a tampered ciphertext gives a
  // different secret, so the client's first message fails to decrypt.
  auto kp = crypto::mlkem768_keygen();
  ASSERT_TRUE(kp.ok());
  auto enc = crypto::mlkem768_encapsulate(kp->encapsulation_key);
  ASSERT_TRUE(enc.ok());
  Bytes tampered = enc->ciphertext;
  tampered[0] ^= 1;
  auto wrong = crypto::mlkem768_decapsulate(kp->decapsulation_key, tampered);
  ASSERT_TRUE(wrong.ok());
  SessionTable t = make({});
  auto id = t.create(*wrong, std::nullopt);
  EXPECT_FALSE(t.open(*id, seal(client_keys(enc->shared_secret), "hello")).ok());
}

TEST_F(SessionTableTest, LoginStateIsPerSession) {
  SessionTable t = make({});
  auto a = t.create(secret_, SessionLogin{"did:t3n:" + std::string(40, 'a'), "eth:0x" + std::string(40, '1')});
  auto b = t.create(secret_, std::nullopt);
  std::optional<SessionLogin> la, lb;
  ASSERT_TRUE(t.with_state(*a, [&](SessionState& s) { la = s.login; return Status{}; }).ok());
  ASSERT_TRUE(t.with_state(*b, [&](SessionState& s) { lb = s.login; return Status{}; }).ok());
  ASSERT_TRUE(la.has_value());
  EXPECT_FALSE(lb.has_value());
  EXPECT_EQ(t.with_state("gone", [](SessionState&) { return Status{}; }).code(), ErrorCode::kUnauthenticated);
}

}  // namespace
}  // namespace t3n::api
