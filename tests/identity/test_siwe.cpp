#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "common/encoding.h"
#include "crypto/secp256k1.h"
#include "identity/siwe.h"

namespace t3n::identity {
namespace {

// The three examples of EIP-4361 ("Examples" section), byte for byte.
const std::string kSpecTail =
    "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2\n"
    "\n"
    "I accept the ExampleOrg Terms of Service: https://example.com/tos\n"
    "\n"
    "URI: https://example.com/login\n"
    "Version: 1\n"
    "Chain ID: 1\n"
    "Nonce: 32891756\n"
    "Issued At: 2021-09-30T16:25:24Z\n"
    "Resources:\n"
    "- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/\n"
    "- https://example.com/my-web2-claim.json";
const std::string kSpecImplicitScheme = "example.com wants you to sign in with your Ethereum account:\n" + kSpecTail;
const std::string kSpecPort = "example.com:3388 wants you to sign in with your Ethereum account:\n" + kSpecTail;
const std::string kSpecScheme = "https://example.com wants you to sign in with your Ethereum account:\n" + kSpecTail;

// Every optional field present.
const std::string kFull =
    "https://example.com:8443 wants you to sign in with your Ethereum account:\n"
    "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2\n"
    "\n"
    "I accept the ExampleOrg Terms of Service: https://example.com/tos\n"
    "\n"
    "URI: https://example.com/login\n"
    "Version: 1\n"
    "Chain ID: 1\n"
    "Nonce: 32891756\n"
    "Issued At: 2021-09-30T16:25:24Z\n"
    "Expiration Time: 2021-09-30T16:35:24.123+00:00\n"
    "Not Before: 2021-09-30T18:25:24+02:00\n"
    "Request ID: req_1-a:b@c\n"
    "Resources:\n"
    "- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/\n"
    "- https://example.com/my-web2-claim.json";

// Computed once with ethers 6.17.0:
//   new Wallet("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318").signMessageSync(kEthersMessage)
// (the well-known web3.js documentation key; address 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23).
const std::string kEthersMessage =
    "node.t3n.example wants you to sign in with your Ethereum account:\n"
    "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23\n"
    "\n"
    "Sign in to T3N.\n"
    "\n"
    "URI: https://node.t3n.example/api\n"
    "Version: 1\n"
    "Chain ID: 1\n"
    "Nonce: 0x00112233445566778899aabbccddeeff\n"
    "Issued At: 2024-05-01T12:00:00Z\n"
    "Expiration Time: 2024-05-01T12:10:00Z";
const std::string kEthersSignature =
    "fac91c31ba4c7ac39f03fd63c2632c0db53c563c4710c7fe80c7de1eded2dca1"
    "12bdb0a7a2a4d5bdb180dab3144eb6a506ce12844b95a472462daa356bab90ca1c";
const std::string kEthersHashMessage = "74b6a6580e237d4df1823421d01a35d571efe9077b6183afd497b627fdd77cee";
const std::string kEthersAddress = "2c7536e3605d9c16a7a3d7b1898e529396a65c23";
constexpr std::int64_t kEthersIssued = 1714564800;  // 2024-05-01T12:00:00Z

std::string replace_once(std::string s, std::string_view from, std::string_view to) {
  std::size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << "test bug: '" << from << "' not in the message";
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

SiweExpectations ethers_expectations() {
  SiweExpectations e;
  e.address = "0x" + kEthersAddress;
  e.nonce = "0x00112233445566778899aabbccddeeff";
  e.now_unix = kEthersIssued + 300;
  return e;
}

TEST(Siwe, TheSpecExamplesParse) {
  for (const std::string& text : {kSpecImplicitScheme, kSpecPort, kSpecScheme}) {
    auto m = parse_siwe(text);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    EXPECT_EQ(m->address, "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2");
    EXPECT_EQ(m->statement, "I accept the ExampleOrg Terms of Service: https://example.com/tos");
    EXPECT_EQ(m->uri, "https://example.com/login");
    EXPECT_EQ(m->version, "1");
    EXPECT_EQ(m->chain_id, 1u);
    EXPECT_EQ(m->nonce, "32891756");
    EXPECT_EQ(m->issued_at, "2021-09-30T16:25:24Z");
    EXPECT_EQ(m->issued_at_unix, 1633019124);
    EXPECT_FALSE(m->expiration_time || m->not_before || m->request_id);
    ASSERT_TRUE(m->resources);
    EXPECT_EQ(*m->resources,
              (std::vector<std::string>{"ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/",
                                        "https://example.com/my-web2-claim.json"}));
    EXPECT_EQ(format_siwe(*m), text);
  }
  EXPECT_FALSE(parse_siwe(kSpecImplicitScheme)->scheme);
  EXPECT_EQ(parse_siwe(kSpecPort)->domain, "example.com:3388");
  EXPECT_EQ(parse_siwe(kSpecScheme)->scheme, "https");
  EXPECT_EQ(parse_siwe(kSpecScheme)->domain, "example.com");
}

TEST(Siwe, EveryOptionalFieldParsesAndRoundTrips) {
  auto m = parse_siwe(kFull);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->domain, "example.com:8443");
  EXPECT_EQ(m->expiration_time, "2021-09-30T16:35:24.123+00:00");
  EXPECT_EQ(m->expiration_time_unix, 1633019124 + 600);
  EXPECT_EQ(m->not_before_unix, 1633019124);  // 18:25:24+02:00 is 16:25:24Z
  EXPECT_EQ(m->request_id, "req_1-a:b@c");
  EXPECT_EQ(format_siwe(*m), kFull);
  // "Resources:" with no items, and an empty Request ID, are in the grammar.
  auto bare = parse_siwe(kEthersMessage + "\nRequest ID: \nResources:");
  ASSERT_TRUE(bare.ok()) << bare.status().to_string();
  EXPECT_EQ(bare->request_id, "");
  ASSERT_TRUE(bare->resources);
  EXPECT_TRUE(bare->resources->empty());
}

TEST(Siwe, NoStatementMeansTwoBlankLinesAndAnEmptyStatementThree) {
  // ABNF: address LF LF [statement LF] LF "URI: ".
  const std::string none =
      replace_once(kSpecImplicitScheme, "I accept the ExampleOrg Terms of Service: https://example.com/tos\n", "");
  ASSERT_NE(none.find("Cc2\n\n\nURI: "), std::string::npos);
  auto m = parse_siwe(none);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_FALSE(m->statement);
  EXPECT_EQ(format_siwe(*m), none);

  const std::string empty = replace_once(none, "Cc2\n\n\nURI: ", "Cc2\n\n\n\nURI: ");
  auto e = parse_siwe(empty);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e->statement, "");
  EXPECT_EQ(format_siwe(*e), empty);

  // One blank line and no statement (what some libraries emit) is not EIP-4361.
  auto one = parse_siwe(replace_once(none, "Cc2\n\n\nURI: ", "Cc2\n\nURI: "));
  ASSERT_FALSE(one.ok());
  EXPECT_NE(one.status().message().find("two"), std::string::npos) << one.status().message();
  // Four blank lines: neither form.
  EXPECT_FALSE(parse_siwe(replace_once(none, "Cc2\n\n\nURI: ", "Cc2\n\n\n\n\nURI: ")).ok());
}

TEST(Siwe, AHexChallengeNonceIsInTheGrammar) {
  auto m = parse_siwe(kEthersMessage);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->nonce, "0x00112233445566778899aabbccddeeff");
}

TEST(Siwe, EachRuleViolatedOnceIsRefused) {
  ASSERT_TRUE(parse_siwe(kFull).ok());
  const std::string mixed = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty input", ""},
      {"header only", "example.com wants you to sign in with your Ethereum account:"},
      {"header casing", replace_once(kFull, "wants you", "Wants you")},
      {"header wording", replace_once(kFull, "Ethereum account:", "Ethereum account")},
      {"bad scheme", replace_once(kFull, "https://example.com:8443", "1https://example.com:8443")},
      {"empty domain", replace_once(kFull, "https://example.com:8443", "https://")},
      {"domain with a path", replace_once(kFull, "example.com:8443 wants", "example.com/x wants")},
      {"domain with a bad port", replace_once(kFull, "example.com:8443 wants", "example.com:84a3 wants")},
      {"domain with a bad escape", replace_once(kFull, "example.com:8443 wants", "exa%zzmple.com wants")},
      {"bad address checksum", replace_once(kFull, mixed, "0xc02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2")},
      {"address too short", replace_once(kFull, mixed, "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc")},
      {"address too long", replace_once(kFull, mixed, mixed + "2")},
      {"address 0X prefix", replace_once(kFull, mixed, "0XC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2")},
      {"address non-hex", replace_once(kFull, mixed, "0xg02aaa39b223fe8d0a0e5c4f27ead9083c756cc2")},
      {"no blank line after address", replace_once(kFull, "Cc2\n\nI accept", "Cc2\nI accept")},
      {"no blank line after statement", replace_once(kFull, "/tos\n\nURI", "/tos\nURI")},
      {"statement with a quote", replace_once(kFull, "I accept", "I \"accept\"")},
      {"statement with percent", replace_once(kFull, "I accept", "100% accept")},
      {"statement not ASCII", replace_once(kFull, "I accept", "I acc\xc3\xa9pt")},
      {"missing URI", replace_once(kFull, "URI: https://example.com/login\n", "")},
      {"URI without scheme", replace_once(kFull, "URI: https://example.com/login", "URI: example.com/login")},
      {"URI with a space", replace_once(kFull, "URI: https://example.com/login", "URI: https://example.com/log in")},
      {"URI with two fragments", replace_once(kFull, "URI: https://example.com/login", "URI: https://e.com/a#b#c")},
      {"missing Version", replace_once(kFull, "Version: 1\n", "")},
      {"lowercase version", replace_once(kFull, "Version: 1", "version: 1")},
      {"version 2", replace_once(kFull, "Version: 1", "Version: 2")},
      {"version trailing space", replace_once(kFull, "Version: 1", "Version: 1 ")},
      {"wrong order", replace_once(kFull, "Version: 1\nChain ID: 1", "Chain ID: 1\nVersion: 1")},
      {"missing Chain ID", replace_once(kFull, "Chain ID: 1\n", "")},
      {"chain id not digits", replace_once(kFull, "Chain ID: 1", "Chain ID: 0x1")},
      {"chain id negative", replace_once(kFull, "Chain ID: 1", "Chain ID: -1")},
      {"chain id empty", replace_once(kFull, "Chain ID: 1", "Chain ID: ")},
      {"chain id over 64 bits", replace_once(kFull, "Chain ID: 1", "Chain ID: 18446744073709551616")},
      {"missing Nonce", replace_once(kFull, "Nonce: 32891756\n", "")},
      {"nonce too short", replace_once(kFull, "Nonce: 32891756", "Nonce: 3289175")},
      {"nonce not alphanumeric", replace_once(kFull, "Nonce: 32891756", "Nonce: 3289-1756")},
      {"missing Issued At", replace_once(kFull, "Issued At: 2021-09-30T16:25:24Z\n", "")},
      {"date Feb 30", replace_once(kFull, "2021-09-30T16:25:24Z", "2021-02-30T16:25:24Z")},
      {"date Feb 29 of a common year", replace_once(kFull, "2021-09-30T16:25:24Z", "2021-02-29T16:25:24Z")},
      {"date month 13", replace_once(kFull, "2021-09-30T16:25:24Z", "2021-13-01T16:25:24Z")},
      {"date space for T", replace_once(kFull, "2021-09-30T16:25:24Z", "2021-09-30 16:25:24Z")},
      {"date no offset", replace_once(kFull, "2021-09-30T16:25:24Z", "2021-09-30T16:25:24")},
      {"date hour 24", replace_once(kFull, "2021-09-30T16:25:24Z", "2021-09-30T24:00:00Z")},
      {"date short offset", replace_once(kFull, "18:25:24+02:00", "18:25:24+2:00")},
      {"date empty fraction", replace_once(kFull, "16:35:24.123", "16:35:24.")},
      {"date trailing text", replace_once(kFull, "2021-09-30T16:25:24Z", "2021-09-30T16:25:24ZZ")},
      {"date without seconds", replace_once(kFull, "2021-09-30T16:25:24Z", "2021-09-30T16:25Z")},
      {"optional fields out of order",
       replace_once(kFull, "Expiration Time: 2021-09-30T16:35:24.123+00:00\nNot Before: 2021-09-30T18:25:24+02:00",
                    "Not Before: 2021-09-30T18:25:24+02:00\nExpiration Time: 2021-09-30T16:35:24.123+00:00")},
      {"field repeated", replace_once(kFull, "Request ID:", "Request ID: x\nRequest ID:")},
      {"request id with a slash", replace_once(kFull, "Request ID: req_1-a:b@c", "Request ID: a/b")},
      {"resource without dash",
       replace_once(kFull, "- https://example.com/my-web2-claim.json", "https://example.com/my-web2-claim.json")},
      {"resource not a URI", replace_once(kFull, "- https://example.com/my-web2-claim.json", "- my web2 claim")},
      {"trailing LF", kFull + "\n"},
      {"trailing text", kFull + "\nthanks"},
      {"leading text", "hello\n" + kFull},
      {"CRLF", replace_all(kFull, "\n", "\r\n")},
      {"one CR", replace_once(kFull, "Version: 1\n", "Version: 1\r\n")},
      {"NUL byte", replace_once(kFull, "Nonce: 32891756", std::string("Nonce: 32891756\0", 16))},
      {"tab", replace_once(kFull, "I accept", "I\taccept")},
      {"too long", replace_once(kFull, "req_1-a:b@c", std::string(kMaxSiweMessageSize, 'a'))},
  };
  for (const auto& [name, text] : cases) {
    auto m = parse_siwe(text);
    EXPECT_FALSE(m.ok()) << name;
    if (!m.ok()) {
      EXPECT_EQ(m.status().code(), ErrorCode::kInvalidArgument) << name;
    }
  }
}

TEST(Siwe, ErrorsNameTheLineNotItsContent) {
  auto v = parse_siwe(replace_once(kFull, "Version: 1", "version: 1"));
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("line 7"), std::string::npos) << v.status().message();
  EXPECT_NE(v.status().message().find("Version"), std::string::npos) << v.status().message();

  const std::string marker = "Zq9SecretMarker";
  for (const std::string& text : {
           replace_once(kFull, "Chain ID: 1", "Chain ID: " + marker),
           replace_once(kFull, "Nonce: 32891756", "Nonce: " + marker + "!"),
           replace_once(kFull, "I accept", marker + "\"x\""),
           replace_once(kFull, "example.com:8443", marker + "/x"),
           replace_once(kFull, "2021-09-30T16:25:24Z", marker),
           replace_once(kFull, "https://example.com/login", marker),
           kFull + "\n" + marker,
       }) {
    auto m = parse_siwe(text);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().message().find(marker), std::string::npos) << m.status().message();
  }
}

TEST(Siwe, AddressCaseRules) {
  // All lower or all upper case: no checksum to check (EIP-55); mixed case must be the checksum.
  EXPECT_TRUE(parse_siwe(replace_once(kFull, "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
                                      "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"))
                  .ok());
  EXPECT_TRUE(parse_siwe(replace_once(kFull, "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
                                      "0xC02AAA39B223FE8D0A0E5C4F27EAD9083C756CC2"))
                  .ok());
  // Flip the case of each letter in turn: every flip breaks the checksum.
  const std::string good = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
  for (std::size_t i = 2; i < good.size(); ++i) {
    if (!std::isalpha(static_cast<unsigned char>(good[i]))) continue;
    std::string flipped = good;
    flipped[i] = static_cast<char>(std::isupper(static_cast<unsigned char>(good[i])) ? std::tolower(good[i])
                                                                                     : std::toupper(good[i]));
    EXPECT_FALSE(parse_siwe(replace_once(kFull, good, flipped)).ok()) << i;
  }
}

TEST(Siwe, Rfc3339ToUnixSeconds) {
  EXPECT_EQ(*parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*parse_rfc3339("1969-12-31T23:59:59Z"), -1);
  EXPECT_EQ(*parse_rfc3339("2021-09-30T16:25:24Z"), 1633019124);
  EXPECT_EQ(*parse_rfc3339("2021-09-30t16:25:24z"), 1633019124);
  EXPECT_EQ(*parse_rfc3339("2021-09-30T16:25:24.999999999Z"), 1633019124);
  EXPECT_EQ(*parse_rfc3339("2021-09-30T18:25:24+02:00"), 1633019124);
  EXPECT_EQ(*parse_rfc3339("2021-09-30T11:55:24-04:30"), 1633019124);
  EXPECT_EQ(*parse_rfc3339("2021-09-30T16:25:24-00:00"), 1633019124);
  EXPECT_EQ(*parse_rfc3339("2024-02-29T23:59:59Z"), 1709251199);
  EXPECT_EQ(*parse_rfc3339("2000-02-29T00:00:00Z"), 951782400);
  EXPECT_EQ(*parse_rfc3339("2016-12-31T23:59:60Z"), 1483228800);  // leap second = next second
  EXPECT_EQ(*parse_rfc3339("9999-12-31T23:59:59Z"), 253402300799);
  EXPECT_FALSE(parse_rfc3339("1900-02-29T00:00:00Z").ok());
  EXPECT_FALSE(parse_rfc3339("2021-04-31T00:00:00Z").ok());
  EXPECT_FALSE(parse_rfc3339("2021-09-30T16:60:00Z").ok());
  EXPECT_FALSE(parse_rfc3339("2021-09-30T16:25:61Z").ok());
  EXPECT_FALSE(parse_rfc3339("2021-09-30T16:25:24+24:00").ok());
  EXPECT_FALSE(parse_rfc3339("2021-09-30T16:25:24+02:60").ok());
  EXPECT_FALSE(parse_rfc3339("2021-09-30T16:25:24+0200").ok());
  EXPECT_FALSE(parse_rfc3339("2021-9-30T16:25:24Z").ok());
  EXPECT_FALSE(parse_rfc3339("+2021-09-30T16:25:24Z").ok());
  EXPECT_FALSE(parse_rfc3339("").ok());
}

TEST(SiweCheck, AFreshMessageForTheChallengePasses) {
  auto m = parse_siwe(kEthersMessage);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_TRUE(check_siwe(*m, ethers_expectations()).ok()) << check_siwe(*m, ethers_expectations()).to_string();
  // The authenticator's address in any case.
  auto e = ethers_expectations();
  e.address = "0x2C7536E3605D9C16A7A3D7B1898E529396A65C23";
  EXPECT_TRUE(check_siwe(*m, e).ok());
}

TEST(SiweCheck, AnotherAddressOrAReplayedNonceIsRefused) {
  auto m = *parse_siwe(kEthersMessage);
  auto e = ethers_expectations();
  e.address = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c24";
  EXPECT_EQ(check_siwe(m, e).code(), ErrorCode::kUnauthenticated);
  e = ethers_expectations();
  e.nonce = "0x00112233445566778899aabbccddeef0";  // the node's current challenge is another one
  EXPECT_EQ(check_siwe(m, e).code(), ErrorCode::kUnauthenticated);
  e.nonce = "0X00112233445566778899AABBCCDDEEFF";  // nonces compare exactly
  EXPECT_EQ(check_siwe(m, e).code(), ErrorCode::kUnauthenticated);
  // Malformed expectations are the caller's bug.
  e = ethers_expectations();
  e.address = "eth:0x" + kEthersAddress;
  EXPECT_EQ(check_siwe(m, e).code(), ErrorCode::kInvalidArgument);
  e = ethers_expectations();
  e.nonce.clear();
  EXPECT_EQ(check_siwe(m, e).code(), ErrorCode::kInvalidArgument);
}

TEST(SiweCheck, ExpirySkewAndLifetime) {
  const auto m = *parse_siwe(kEthersMessage);
  const std::int64_t exp = kEthersIssued + 600;
  auto at = [&](std::int64_t now, SiweMessage msg) {
    auto e = ethers_expectations();
    e.now_unix = now;
    return check_siwe(msg, e);
  };
  EXPECT_TRUE(at(exp - 1, m).ok());
  EXPECT_EQ(at(exp, m).code(), ErrorCode::kUnauthenticated);  // expired
  EXPECT_EQ(at(exp + 3600, m).code(), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(at(kEthersIssued - 60, m).ok());  // the signer's clock 60 s ahead
  EXPECT_EQ(at(kEthersIssued - 61, m).code(), ErrorCode::kUnauthenticated);

  SiweMessage no_exp = m;
  no_exp.expiration_time.reset();
  no_exp.expiration_time_unix.reset();
  EXPECT_EQ(at(kEthersIssued, no_exp).code(), ErrorCode::kUnauthenticated);

  SiweMessage backwards = m;
  backwards.expiration_time_unix = kEthersIssued;
  EXPECT_EQ(at(kEthersIssued - 10, backwards).code(), ErrorCode::kUnauthenticated);

  SiweMessage longest = m;
  longest.expiration_time_unix = kEthersIssued + 900;
  EXPECT_TRUE(at(kEthersIssued, longest).ok());
  SiweMessage too_long = m;
  too_long.expiration_time_unix = kEthersIssued + 901;
  EXPECT_EQ(at(kEthersIssued, too_long).code(), ErrorCode::kUnauthenticated);

  // The same through the text: Not Before one minute and one second ahead.
  auto nb = parse_siwe(kEthersMessage + "\nNot Before: 2024-05-01T12:06:01Z");
  ASSERT_TRUE(nb.ok()) << nb.status().to_string();
  EXPECT_EQ(at(kEthersIssued + 300, *nb).code(), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(at(kEthersIssued + 301, *nb).ok());
}

TEST(SiweCheck, DomainAllowListAndChain) {
  const auto m = *parse_siwe(kEthersMessage);
  auto e = ethers_expectations();
  e.allowed_domains = {"other.example"};
  EXPECT_EQ(check_siwe(m, e).code(), ErrorCode::kUnauthenticated);
  e.allowed_domains = {"other.example", "NODE.t3n.example"};
  EXPECT_TRUE(check_siwe(m, e).ok());
  e.allowed_domains = {"node.t3n.example:443"};
  EXPECT_EQ(check_siwe(m, e).code(), ErrorCode::kUnauthenticated);
  e = ethers_expectations();
  e.chain_id = 5;
  EXPECT_EQ(check_siwe(m, e).code(), ErrorCode::kUnauthenticated);
  e.chain_id = 1;
  EXPECT_TRUE(check_siwe(m, e).ok());
}

Bytes hex(std::string_view h) { return *common::hex_decode(h); }

// n − s over 32 big-endian bytes: the other, high-s half of a signature.
Bytes negate_s(const Bytes& sig) {
  const Bytes n = hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  Bytes out = sig;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = n[static_cast<std::size_t>(i)] - sig[32 + static_cast<std::size_t>(i)] - borrow;
    borrow = d < 0;
    out[32 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
  }
  out[64] = static_cast<std::uint8_t>(sig[64] == 27 ? 28 : 27);
  return out;
}

TEST(Eip191, TheEthersVectorRecovers) {
  EXPECT_EQ(common::hex_encode(crypto::eip191_hash(common::as_bytes(kEthersMessage))), kEthersHashMessage);
  auto who = recover_eip191_address(kEthersMessage, hex(kEthersSignature));
  ASSERT_TRUE(who.ok()) << who.status().to_string();
  EXPECT_EQ(common::hex_encode(*who), kEthersAddress);
  // v as 0/1 too.
  Bytes v01 = hex(kEthersSignature);
  v01[64] = static_cast<std::uint8_t>(v01[64] - 27);
  EXPECT_EQ(common::hex_encode(*recover_eip191_address(kEthersMessage, v01)), kEthersAddress);
  // Another message recovers another address (or none).
  auto other = recover_eip191_address(kEthersMessage + " ", hex(kEthersSignature));
  EXPECT_TRUE(!other.ok() || common::hex_encode(*other) != kEthersAddress);
}

TEST(Eip191, AGeneratedSignatureRecoversAndMalformedOnesFail) {
  auto signer = crypto::Secp256k1Signer::create();
  ASSERT_TRUE(signer.ok());
  const Bytes secret(32, 0x42);
  const Bytes pub = *signer->public_key(secret);
  const Bytes address = *crypto::eth_address(pub);
  const std::string msg = kEthersMessage;
  const crypto::Digest32 digest = crypto::eip191_hash(common::as_bytes(msg));
  Bytes sig = *signer->sign_recoverable(secret, digest);
  sig[64] = static_cast<std::uint8_t>(sig[64] + 27);
  auto who = recover_eip191_address(msg, sig);
  ASSERT_TRUE(who.ok()) << who.status().to_string();
  EXPECT_EQ(Bytes(who->begin(), who->end()), address);

  // High-s: the crypto layer alone would recover the same address from
  // (r, n − s, v ^ 1); personal_sign recovery here refuses it.
  const Bytes high = negate_s(sig);
  ASSERT_EQ(*crypto::eth_recover_personal_signer(common::as_bytes(msg), high), address);
  EXPECT_EQ(recover_eip191_address(msg, high).status().code(), ErrorCode::kVerificationFailed);
  EXPECT_EQ(recover_eip191_address(kEthersMessage, negate_s(hex(kEthersSignature))).status().code(),
            ErrorCode::kVerificationFailed);

  for (int v : {2, 26, 29, 255}) {
    Bytes bad = sig;
    bad[64] = static_cast<std::uint8_t>(v);
    EXPECT_FALSE(recover_eip191_address(msg, bad).ok()) << v;
  }
  EXPECT_FALSE(recover_eip191_address(msg, ByteView(sig).first(64)).ok());
  Bytes zero_r = sig;
  std::fill(zero_r.begin(), zero_r.begin() + 32, 0);
  EXPECT_FALSE(recover_eip191_address(msg, zero_r).ok());
  Bytes zero_s = sig;
  std::fill(zero_s.begin() + 32, zero_s.begin() + 64, 0);
  EXPECT_FALSE(recover_eip191_address(msg, zero_s).ok());
  Bytes r_over_n = sig;
  std::fill(r_over_n.begin(), r_over_n.begin() + 32, 0xff);
  EXPECT_FALSE(recover_eip191_address(msg, r_over_n).ok());
}

TEST(SiweVerify, SignatureMustBeByTheMessagesAddress) {
  auto ok = verify_siwe(kEthersMessage, hex(kEthersSignature), ethers_expectations());
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->nonce, "0x00112233445566778899aabbccddeeff");

  // Edited after signing: Chain ID 1 → 10 still parses and passes the checks, the signature does not.
  auto edited = verify_siwe(replace_once(kEthersMessage, "Chain ID: 1", "Chain ID: 10"), hex(kEthersSignature),
                            ethers_expectations());
  EXPECT_EQ(edited.status().code(), ErrorCode::kUnauthenticated);

  // A valid signature by another key over a message naming this address.
  auto signer = crypto::Secp256k1Signer::create();
  const Bytes forged = *crypto::eth_personal_sign(*signer, Bytes(32, 0x42), common::as_bytes(kEthersMessage));
  EXPECT_EQ(verify_siwe(kEthersMessage, forged, ethers_expectations()).status().code(), ErrorCode::kUnauthenticated);

  // High-s twin of the real signature.
  EXPECT_EQ(verify_siwe(kEthersMessage, negate_s(hex(kEthersSignature)), ethers_expectations()).status().code(),
            ErrorCode::kUnauthenticated);

  // Right signature, but the node expected another account.
  auto e = ethers_expectations();
  e.address = "0x" + std::string(40, '1');
  EXPECT_EQ(verify_siwe(kEthersMessage, hex(kEthersSignature), e).status().code(), ErrorCode::kUnauthenticated);
  // Expired by the time it arrives.
  e = ethers_expectations();
  e.now_unix = kEthersIssued + 600;
  EXPECT_EQ(verify_siwe(kEthersMessage, hex(kEthersSignature), e).status().code(), ErrorCode::kUnauthenticated);
}

}  // namespace
}  // namespace t3n::identity
