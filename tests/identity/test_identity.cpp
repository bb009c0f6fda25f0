#include <gtest/gtest.h>

#include "api/client.h"
#include "common/encoding.h"
#include "identity/delegation.h"
#include "identity/did.h"
#include "identity/request_auth.h"

namespace t3n::identity {
namespace {

const std::string kAud = audience_of(Bytes(32, 0x11));


TEST(Did, EveryKeyTypeSignsAndVerifies) {
  for (KeyType t : {KeyType::kEd25519, KeyType::kSecp256k1, KeyType::kP256, KeyType::kEthereumAddress}) {
    auto signer = api::RequestSigner::generate(t);
    ASSERT_TRUE(signer.ok());
    auto parsed = parse_did(signer->did());
    ASSERT_TRUE(parsed.ok()) << signer->did() << ": " << parsed.status().to_string();
    EXPECT_EQ(parsed->type, t);
    const std::string body = "{}";
    auto headers = signer->sign("POST", "/api/rpc", common::as_bytes(body), 1000, kAud);
    ASSERT_TRUE(headers.ok());
    std::map<std::string, std::string> h(headers->begin(), headers->end());
    auto sig = common::base64url_decode(h["t3n-signature"]);
    const std::string msg = request_signing_message("POST", "/api/rpc", common::as_bytes(body), 1000, h["t3n-nonce"], signer->did(), kAud);
    EXPECT_TRUE(verify_did_signature(*parsed, common::as_bytes(msg), *sig).ok()) << signer->did();
    EXPECT_EQ(verify_did_signature(*parsed, common::as_bytes(msg + "x"), *sig).code(), ErrorCode::kUnauthenticated);
  }
}

TEST(Did, KnownDidKeyAndBadInputs) {
  // RFC 8032 test 1 key as a did:key (the W3C did:key spec's encoding).
  auto known = parse_did("did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw");
  ASSERT_TRUE(known.ok());
  EXPECT_EQ(common::hex_encode(known->key), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  EXPECT_FALSE(parse_did("did:web:example.com").ok());
  EXPECT_FALSE(parse_did("did:key:6MktwupdmLXVV").ok());
  EXPECT_FALSE(parse_did("did:key:zQ3sh").ok());
  EXPECT_FALSE(parse_did("did:pkh:eip155:1:0x1234").ok());
  EXPECT_FALSE(parse_did("did:pkh:eip155:x:0x2c7536e3605d9c16a7a3d7b1898e529396a65c23").ok());
  EXPECT_TRUE(parse_did("did:pkh:eip155:1:0x2c7536e3605d9c16a7a3d7b1898e529396a65c23").ok());
  EXPECT_FALSE(parse_did(std::string(300, 'd')).ok());
  auto id = parse_t3n_did(t3n_did(Bytes(20, 0xab)));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, Bytes(20, 0xab));
  EXPECT_FALSE(parse_t3n_did("did:t3n:xyz").ok());
}

TEST(RequestAuth, FreshnessReplayAndHeaders) {
  auto signer = api::RequestSigner::generate(KeyType::kEd25519);
  ReplayGuard guard(std::chrono::minutes(5));
  const std::string body = R"({"a":1})";
  const std::uint64_t now = 1'700'000'000'000;
  auto headers = *signer->sign("POST", "/api/rpc", common::as_bytes(body), now, kAud);
  auto lookup = [&](const api::HeaderFields& hs) {
    return [hs](std::string_view n) {
      for (const auto& [k, v] : hs)
        if (k == n) return v;
      return std::string();
    };
  };
  EXPECT_TRUE(authenticate_request("POST", "/api/rpc", common::as_bytes(body), lookup(headers), kAud, guard, now + 1000).ok());
  auto replay = authenticate_request("POST", "/api/rpc", common::as_bytes(body), lookup(headers), kAud, guard, now + 2000);
  ASSERT_FALSE(replay.ok());
  EXPECT_NE(replay.status().message().find("replayed"), std::string::npos);
  // Body, path or method changed: the signature no longer matches.
  auto fresh = *signer->sign("POST", "/api/rpc", common::as_bytes(body), now, kAud);
  EXPECT_FALSE(authenticate_request("POST", "/api/rpc", common::as_bytes(R"({"a":2})"), lookup(fresh), kAud, guard, now).ok());
  EXPECT_FALSE(authenticate_request("POST", "/api/other", common::as_bytes(body), lookup(fresh), kAud, guard, now).ok());
  // Stale and future timestamps.
  auto old = *signer->sign("POST", "/api/rpc", common::as_bytes(body), now - 600'000, kAud);
  EXPECT_NE(authenticate_request("POST", "/api/rpc", common::as_bytes(body), lookup(old), kAud, guard, now).status().message().find("too old"),
            std::string::npos);
  auto future = *signer->sign("POST", "/api/rpc", common::as_bytes(body), now + 600'000, kAud);
  EXPECT_FALSE(authenticate_request("POST", "/api/rpc", common::as_bytes(body), lookup(future), kAud, guard, now).ok());
  // Missing or malformed headers.
  EXPECT_EQ(authenticate_request("POST", "/api/rpc", common::as_bytes(body), lookup({}), kAud, guard, now).status().code(),
            ErrorCode::kUnauthenticated);
  auto short_nonce = fresh;
  for (auto& [k, v] : short_nonce)
    if (k == "t3n-nonce") v = "abc";
  EXPECT_FALSE(authenticate_request("POST", "/api/rpc", common::as_bytes(body), lookup(short_nonce), kAud, guard, now).ok());
}

// Defect (issue 10): a request signed for one node ran on any other node
// (the signature named no audience).
TEST(RequestAuth, ARequestSignedForOneNodeIsRefusedByAnother) {
  auto signer = api::RequestSigner::generate(KeyType::kEd25519);
  ReplayGuard guard(std::chrono::minutes(5));
  const std::string body = R"({"a":1})";
  const std::uint64_t now = 1'700'000'000'000;
  const std::string other = audience_of(Bytes(32, 0x22));
  ASSERT_NE(other, kAud);
  auto headers = *signer->sign("POST", "/api/rpc", common::as_bytes(body), now, kAud);
  auto lookup = [&headers](std::string_view n) {
    for (const auto& [k, v] : headers)
      if (k == n) return v;
    return std::string();
  };
  auto refused = authenticate_request("POST", "/api/rpc", common::as_bytes(body), lookup, other, guard, now);
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnauthenticated);
  auto ok = authenticate_request("POST", "/api/rpc", common::as_bytes(body), lookup, kAud, guard, now);
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  // The replay key orders by expiry and names the request, not its contents.
  EXPECT_EQ(ok->replay_key.size(), 8u + 32u);
  EXPECT_EQ(ok->replay_expiry_ms, now + 300'000);
}

// Defect (issue 10): when full, the guard evicted unexpired nonces, so a
// flood made room for a replay. It now refuses instead.
TEST(RequestAuth, TheReplayGuardFailsClosedWhenFull) {
  ReplayGuard guard(std::chrono::minutes(5), 3);
  const std::uint64_t now = 1'700'000'000'000;
  ASSERT_TRUE(guard.check_and_record("did:a", "nonce-0000000000001", now, now).ok());
  ASSERT_TRUE(guard.check_and_record("did:a", "nonce-0000000000002", now, now).ok());
  ASSERT_TRUE(guard.check_and_record("did:a", "nonce-0000000000003", now, now).ok());
  EXPECT_EQ(guard.check_and_record("did:a", "nonce-0000000000004", now, now).code(), ErrorCode::kResourceExhausted);
  // The first nonce is still remembered: its replay is refused as a replay.
  EXPECT_EQ(guard.check_and_record("did:a", "nonce-0000000000001", now, now + 1).code(), ErrorCode::kUnauthenticated);
  // Once the window has passed, room is made by expiry only.
  EXPECT_TRUE(guard.check_and_record("did:a", "nonce-0000000000005", now + 300'001, now + 300'001).ok());
  EXPECT_EQ(guard.size(), 1u);
}

// Defect (issue 10): did:pkh users were keyed by the raw text (one wallet,
// two users); hex ids accepted 0x and upper case (a 19-byte tenant passed).
TEST(Did, OneWalletHasOneCanonicalDid) {
  auto lower = parse_did("did:pkh:eip155:1:0x2c7536e3605d9c16a7a3d7b1898e529396a65c23");
  auto mixed = parse_did("did:pkh:eip155:01:0x2C7536E3605D9C16A7A3d7b1898e529396a65c23");
  ASSERT_TRUE(lower.ok());
  ASSERT_TRUE(mixed.ok()) << mixed.status().to_string();
  EXPECT_EQ(lower->did, mixed->did);
  EXPECT_EQ(lower->did, "did:pkh:eip155:1:0x2c7536e3605d9c16a7a3d7b1898e529396a65c23");
  EXPECT_FALSE(parse_did("did:pkh:eip155:99999999999999999999999:0x2c7536e3605d9c16a7a3d7b1898e529396a65c23").ok());
  EXPECT_FALSE(parse_t3n_did("did:t3n:" + std::string(40, 'A')).ok());
  EXPECT_FALSE(parse_t3n_did("did:t3n:0x" + std::string(38, 'a')).ok());
  EXPECT_TRUE(common::hex_decode_canonical(std::string(40, 'a'), 20).ok());
  EXPECT_FALSE(common::hex_decode_canonical("0x" + std::string(38, 'a'), 20).ok());
  EXPECT_FALSE(common::hex_decode_canonical(std::string(40, 'A'), 20).ok());
  EXPECT_FALSE(common::hex_decode_canonical(std::string(38, 'a'), 20).ok());
}

TEST(Delegation, VersionRequirements) {
  struct Case { const char* req; const char* version; bool expected; };
  const Case cases[] = {
      {"^1.2", "1.2.0", true},   {"^1.2", "1.9.9", true},    {"^1.2", "2.0.0", false},  {"^1.2", "1.1.9", false},
      {"^0.3.1", "0.3.5", true}, {"^0.3.1", "0.4.0", false}, {"^0.0.3", "0.0.4", false}, {"~1.2.3", "1.2.9", true},
      {"~1.2.3", "1.3.0", false}, {"=1.2.3", "1.2.3", true}, {"=1.2.3", "1.2.4", false}, {">=1.0, <2.0", "1.5.0", true},
      {">=1.0, <2.0", "2.0.0", false}, {"*", "7.0.0", true}, {"1.2.3", "1.4.0", true},  {"1.2.3", "1.2.2", false},
  };
  for (const auto& c : cases) {
    auto m = version_matches(c.req, c.version);
    ASSERT_TRUE(m.ok()) << c.req;
    EXPECT_EQ(*m, c.expected) << c.req << " vs " << c.version;
  }
  EXPECT_FALSE(version_matches("^x.1", "1.0.0").ok());
  EXPECT_FALSE(version_matches("^1", "one").ok());
}

TEST(Delegation, GrantsNameAgentScriptVersionAndFunction) {
  auto grants = parse_delegations(common::Json::parse(
      R"({"agents":[{"agentDid":"did:key:zAgent","scripts":[{"scriptName":"counter","versionReq":"^1.0","functions":["get"]}]}]})"));
  ASSERT_TRUE(grants.ok());
  EXPECT_TRUE(check_delegation(*grants, {"did:key:zAgent"}, "counter", "1.2.0", "get").ok());
  EXPECT_EQ(check_delegation(*grants, {"did:key:zOther"}, "counter", "1.2.0", "get").code(), ErrorCode::kPermissionDenied);
  EXPECT_FALSE(check_delegation(*grants, {"did:key:zAgent"}, "counter", "2.0.0", "get").ok());
  EXPECT_FALSE(check_delegation(*grants, {"did:key:zAgent"}, "counter", "1.2.0", "increment").ok());
  EXPECT_FALSE(check_delegation(*grants, {"did:key:zAgent"}, "payments", "1.2.0", "get").ok());
  EXPECT_FALSE(parse_delegations(common::Json::parse(R"({"agents":[{"agentDid":"x","scripts":[{"scriptName":"a","bogus":1}]}]})")).ok());
  EXPECT_FALSE(parse_delegations(common::Json::parse(R"({"agents":[{"agentDid":"x","scripts":[{"scriptName":"a","versionReq":"^z"}]}]})")).ok());
  EXPECT_FALSE(parse_delegations(common::Json::parse(R"({"nope":[]})")).ok());
}

}  // namespace
}  // namespace t3n::identity
