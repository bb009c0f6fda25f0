// Authentication of inner requests: a DID signature over the method, path,
// body digest, timestamp and nonce, with a freshness window and a nonce
// seen-set against replay.
//
// Headers (inside the OHTTP-encrypted request):
//   t3n-did: did:key:z… | did:pkh:eip155:1:0x…
//   t3n-timestamp: unix milliseconds
//   t3n-nonce: 16–64 characters [A-Za-z0-9_-]
//   t3n-signature: base64url signature (see verify_did_signature)
// Signed message (UTF-8):
//   "t3n-request-v1\n" method "\n" path "\n" hex(SHA-256(body)) "\n" timestamp "\n" nonce "\n" did
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/bytes.h"
#include "common/status.h"
#include "identity/did.h"

namespace t3n::identity {

inline constexpr std::string_view kHeaderDid = "t3n-did";
inline constexpr std::string_view kHeaderTimestamp = "t3n-timestamp";
inline constexpr std::string_view kHeaderNonce = "t3n-nonce";
inline constexpr std::string_view kHeaderSignature = "t3n-signature";

std::string request_signing_message(std::string_view method, std::string_view path, ByteView body,
                                    std::uint64_t timestamp_ms, std::string_view nonce, std::string_view did);

// Remembers nonces for the freshness window; a nonce is accepted once.
class ReplayGuard {
 public:
  explicit ReplayGuard(std::chrono::milliseconds window = std::chrono::minutes(5), std::size_t max_entries = 1'000'000);
  // kUnauthenticated for a stale or future timestamp or a replayed nonce.
  Status check_and_record(std::string_view did, std::string_view nonce, std::uint64_t timestamp_ms,
                          std::uint64_t now_ms);

 private:
  std::chrono::milliseconds window_;
  std::size_t max_entries_;
  std::mutex mu_;
  std::unordered_map<std::string, std::uint64_t> seen_;          // did|nonce → expiry
  std::deque<std::pair<std::uint64_t, std::string>> expiries_;  // in arrival order
};

using HeaderLookup = std::function<std::string(std::string_view name)>;

// Checks the four headers and the signature; on success the caller's DID.
Result<ParsedDid> authenticate_request(std::string_view method, std::string_view path, ByteView body,
                                       const HeaderLookup& header, ReplayGuard& replay, std::uint64_t now_ms);

}  // namespace t3n::identity
