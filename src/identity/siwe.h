// Sign-In with Ethereum (EIP-4361) messages and EIP-191 personal_sign
// address recovery.
//
// parse_siwe() accepts exactly the ABNF of EIP-4361, LF line endings only,
// nothing before the first or after the last field:
//
//   [scheme "://"] domain " wants you to sign in with your Ethereum account:" LF
//   address LF
//   LF
//   [statement LF]
//   LF
//   "URI: " uri LF
//   "Version: 1" LF
//   "Chain ID: " 1*DIGIT LF
//   "Nonce: " 8*(ALPHA / DIGIT) LF
//   "Issued At: " date-time
//   [LF "Expiration Time: " date-time]
//   [LF "Not Before: " date-time]
//   [LF "Request ID: " *pchar]
//   [LF "Resources:" *(LF "- " URI)]
//
// So with no statement the address is followed by two blank lines, and an
// empty statement (present, zero characters) by three. A nonce of the form
// "0x" + hex (what the T3N SDK writes for a node challenge) is alphanumeric
// and needs no exception to the grammar.
//
// Errors say which line or field is wrong, never what it contained.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::identity {

// Longer messages are refused before parsing.
inline constexpr std::size_t kMaxSiweMessageSize = 16 * 1024;

struct SiweMessage {
  std::optional<std::string> scheme;     // e.g. "https", when the message names one
  std::string domain;                    // RFC 3986 authority
  std::string address;                   // "0x" + 40 hex, as written (EIP-55 checked if mixed case)
  std::optional<std::string> statement;  // present but empty is possible
  std::string uri;
  std::string version;  // always "1"
  std::uint64_t chain_id = 0;
  std::string nonce;
  std::string issued_at;  // RFC 3339 text, as written
  std::optional<std::string> expiration_time;
  std::optional<std::string> not_before;
  std::optional<std::string> request_id;
  std::optional<std::vector<std::string>> resources;  // "Resources:" line present, possibly no items

  // The times above as unix seconds (fractions dropped, offsets applied).
  std::int64_t issued_at_unix = 0;
  std::optional<std::int64_t> expiration_time_unix;
  std::optional<std::int64_t> not_before_unix;
};

// kInvalidArgument for anything that is not an EIP-4361 message.
Result<SiweMessage> parse_siwe(std::string_view text);

// The message text of `m` (what parse_siwe reads back to the same fields).
// The chain id is written without leading zeros.
std::string format_siwe(const SiweMessage& m);

// RFC 3339 date-time ("2021-09-30T16:25:24Z", "…T16:25:24.5+02:00") to unix
// seconds; fractions are dropped, a leap second counts as the next second.
Result<std::int64_t> parse_rfc3339(std::string_view text);

struct SiweExpectations {
  std::string address;  // "0x" + 40 hex, any case (from the eth:0x… authenticator)
  std::string nonce;    // compared exactly; the node passes "0x" + hex(challenge)
  std::int64_t now_unix = 0;
  std::int64_t allowed_skew_seconds = 60;    // tolerance for the signer's clock running ahead
  std::int64_t max_lifetime_seconds = 900;   // Expiration Time − Issued At
  std::vector<std::string> allowed_domains;  // empty: any domain; else one must match (ASCII case-insensitive)
  std::optional<std::uint64_t> chain_id;     // nullopt: any chain
};

// Checks a parsed message against what the node expects:
//   address equal (case-insensitive), nonce equal, chain id and domain allowed;
//   Issued At ≤ now + skew; Not Before (if any) ≤ now + skew;
//   Expiration Time present, after Issued At, > now, and
//   Expiration Time − Issued At ≤ max lifetime.
// kInvalidArgument when the expectations themselves are malformed,
// kUnauthenticated when the message does not satisfy them.
Status check_siwe(const SiweMessage& m, const SiweExpectations& expect);

// EIP-191 personal_sign: recovers the address that signed
// keccak256("\x19Ethereum Signed Message:\n" ‖ decimal length ‖ message).
// The signature is r ‖ s ‖ v, v ∈ {27, 28} (or 0, 1); high-s is refused
// (kVerificationFailed), as is anything that recovers no key.
Result<std::array<std::uint8_t, 20>> recover_eip191_address(std::string_view message, ByteView signature65);

// The whole sign-in: parse_siwe(text), check_siwe against `expect`, and the
// EIP-191 signature must recover to the message's own address. On success
// the parsed message. Failures of the signature are kUnauthenticated.
Result<SiweMessage> verify_siwe(std::string_view text, ByteView signature65, const SiweExpectations& expect);

}  // namespace t3n::identity
