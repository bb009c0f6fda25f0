// Authentication of inner requests: a DID signature over the method, path,
// body digest, timestamp, nonce and audience, with a freshness window and a
// nonce seen-set against replay.
//
// Headers (inside the OHTTP-encrypted request):
//   t3n-did: did:key:z… | did:pkh:eip155:1:0x…
//   t3n-timestamp: unix milliseconds
//   t3n-nonce: 16–64 characters [A-Za-z0-9_-]
//   t3n-signature: base64url signature (see verify_did_signature)
// Signed message (UTF-8):
//   "t3n-request-v2\n" method "\n" path "\n" hex(SHA-256(body)) "\n" timestamp "\n" nonce "\n" did "\n" audience
// The audience names the node the request is for (audience_of its attested
// Ed25519 key), so a request signed for one node is refused by every other.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "identity/did.h"

namespace t3n::identity {

inline constexpr std::string_view kHeaderDid = "t3n-did";
inline constexpr std::string_view kHeaderTimestamp = "t3n-timestamp";
inline constexpr std::string_view kHeaderNonce = "t3n-nonce";
inline constexpr std::string_view kHeaderSignature = "t3n-signature";

// hex(SHA-256("t3n/audience/v1" ‖ key)): what a client signs for, computed
// from the Ed25519 key of the node's verified attestation.
std::string audience_of(ByteView ed25519_public_key);

std::string request_signing_message(std::string_view method, std::string_view path, ByteView body,
                                    std::uint64_t timestamp_ms, std::string_view nonce, std::string_view did,
                                    std::string_view audience);

// Remembers nonces until their request could no longer be fresh; a nonce is
// accepted once. Fails closed: when full of unexpired nonces it refuses new
// requests (kResourceExhausted) instead of forgetting a nonce early.
class ReplayGuard {
 public:
  explicit ReplayGuard(std::chrono::milliseconds window = std::chrono::minutes(5), std::size_t max_entries = 2'000'000);
  // kUnauthenticated for a stale or future timestamp or a replayed nonce.
  Status check_and_record(std::string_view did, std::string_view nonce, std::uint64_t timestamp_ms,
                          std::uint64_t now_ms);
  std::chrono::milliseconds window() const { return window_; }
  std::size_t size() const;

 private:
  std::chrono::milliseconds window_;
  std::size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::uint64_t> seen_;  // did|nonce → expiry
  using Expiry = std::pair<std::uint64_t, std::string>;
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> expiries_;  // soonest first
};

using HeaderLookup = std::function<std::string(std::string_view name)>;

struct AuthenticatedRequest {
  ParsedDid did;  // canonical text in did.did
  std::uint64_t timestamp_ms = 0;
  std::string nonce;
  // The request's entry in the replicated replay set (a state-changing call
  // commits it with its writes, so a restart or another node cannot run it
  // again): u64 big-endian expiry ‖ SHA-256(did ‖ 0x00 ‖ nonce). Ordered by
  // expiry, so expired entries are one range scan.
  Bytes replay_key;
  std::uint64_t replay_expiry_ms = 0;
};

// Checks the four headers, the signature for `audience`, freshness and the
// in-memory replay set; on success the caller.
Result<AuthenticatedRequest> authenticate_request(std::string_view method, std::string_view path, ByteView body,
                                                  const HeaderLookup& header, std::string_view audience,
                                                  ReplayGuard& replay, std::uint64_t now_ms);

}  // namespace t3n::identity
