// T3N sessions (T3N-CLIENT-PROTOCOL.md §2): the channel the official SDK
// speaks. A handshake decapsulates the client's ML-KEM-768 ciphertext to the
// node's session key and derives two AES-256-GCM keys (HKDF-SHA256, empty
// salt, "t3-session-v1-c2s" / "-s2c"); the session is known by a random UUID
// v4. Node rules beyond the SDK's: every nonce a session has opened is
// remembered (a repeat is a replay), sessions expire (absolute and idle) and
// are bounded in number (the least recently used session goes, never the
// nonces of a live one), and nothing is created or changed by a message that
// does not decrypt. Sessions are node-local and die with the process.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "api/session_client.h"

namespace t3n::api {

struct SessionLimits {
  std::uint64_t absolute_ms = 24ull * 3600 * 1000;  // from the handshake
  std::uint64_t idle_ms = 30ull * 60 * 1000;        // since the last message
  std::size_t max_sessions = 100'000;
  std::size_t max_messages = 1'000'000;  // per session (its nonce memory)
};

// Who a session is logged in as.
struct SessionLogin {
  std::string did;            // did:t3n:…
  std::string authenticator;  // the identity-map key it logged in with (eth:0x…, email:…)
};

// A login in progress (one method at a time per session).
struct PendingLogin {
  enum class Kind { kNone, kEth, kEthAdd, kEmailOtp, kOidc } kind = Kind::kNone;
  Bytes challenge;            // eth: the 32 random bytes signed as the SIWE nonce
  std::string authenticator;  // eth:0x… / email:… being proven
  bool eth_derived = false;
  std::string oidc_provider;
  std::string oidc_nonce;
  std::uint64_t started_ms = 0;
};

// What a handler may read and change of its session, under the table's lock.
struct SessionState {
  std::optional<SessionLogin> login;
  PendingLogin pending;
  std::uint64_t expires_ms = 0;
};

enum class SessionRefusal { kUnknown, kExpired, kUndecryptable, kReplayed, kExhausted };
std::string_view session_refusal_name(SessionRefusal r);

struct SessionStats {
  std::uint64_t open = 0;
  std::uint64_t handshakes = 0;
  std::uint64_t evicted = 0;
  std::map<std::string, std::uint64_t> refused;  // by session_refusal_name
};

class SessionTable {
 public:
  SessionTable(SessionLimits limits, common::ClockMs clock) : limits_(limits), clock_(std::move(clock)) {}

  // A new session keyed from the KEM shared secret; returns its id.
  Result<std::string> create(ByteView shared_secret, std::optional<SessionLogin> login);
  // Decrypts `sealed` (nonce ‖ ciphertext ‖ tag) for session `id`. Only a
  // message that decrypts touches the session (idle time, nonce memory).
  // kUnauthenticated with "Unauthorized: …" on any refusal.
  Result<Bytes> open(const std::string& id, ByteView sealed);
  // Encrypts a reply for session `id` (fresh random nonce).
  Result<Bytes> seal(const std::string& id, ByteView plaintext);
  // Runs `fn` on the session's state under the lock (kUnauthenticated if gone).
  Status with_state(const std::string& id, const std::function<Status(SessionState&)>& fn);
  // Drops expired sessions (upkeep); returns how many.
  std::size_t prune();
  SessionStats stats() const;
  const SessionLimits& limits() const { return limits_; }

 private:
  struct Session {
    SecretBytes c2s;
    SecretBytes s2c;
    std::uint64_t created_ms = 0;
    std::uint64_t last_ms = 0;
    std::unordered_set<std::string> nonces;
    SessionState state;
  };
  Status refuse(SessionRefusal r, std::string_view why);
  Session* live(const std::string& id, std::uint64_t now, Status& why);  // with mu_ held
  void evict_one();                                                     // with mu_ held
  void prune_locked(std::uint64_t now);                                 // with mu_ held

  SessionLimits limits_;
  common::ClockMs clock_;
  mutable std::mutex mu_;
  std::map<std::string, Session> sessions_;
  SessionStats stats_;
};

}  // namespace t3n::api
