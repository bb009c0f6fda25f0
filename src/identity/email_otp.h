// E-mail one-time passwords for session logins (T3N-CLIENT-PROTOCOL.md §4):
// a 6-digit code from the CSPRNG, kept only as an HMAC, checked in constant
// time, single use, with expiry, an attempt limit, a per-address cooldown
// and a per-address send cap answered in the SDK's `OtpRateLimited (…)`
// form. Delivery goes through a Mailer: SMTP over libcurl (the production
// path, mailer.h) or, on a dev node without SMTP, a dev mailbox file.
// Pending codes are node-local (like sessions) and die with the process.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/hash.h"
#include "identity/mailer.h"

namespace t3n::identity {

struct OtpPolicy {
  std::uint64_t code_ttl_ms = 10 * 60 * 1000;
  std::uint32_t max_attempts = 5;
  std::uint64_t cooldown_ms = 60 * 1000;  // between two sends to one address
  std::uint32_t send_cap = 5;             // sends to one address per window
  std::uint64_t cap_window_ms = 60 * 60 * 1000;
};

// "Alice@Example.com" → "alice@example.com"; kInvalidArgument unless it is
// one plain address (local@domain, printable ASCII, no spaces, ≤ 254).
Result<std::string> canonical_email(std::string_view text);

class EmailOtp {
 public:
  EmailOtp(OtpPolicy policy, common::ClockMs clock, Mailer& mailer);

  // Sends a fresh code for `flow` (e.g. a session id) to `address`
  // (canonical). kResourceExhausted "OtpRateLimited (reason=…,
  // retry_after_secs=N)" inside the cooldown or over the cap.
  Status send(const std::string& flow, const std::string& address);
  // The code part of send, for a caller that delivers the message itself
  // (SMS through the outbox): the same limits; returns the code. withdraw
  // forgets it when delivery could not even be queued.
  Result<std::string> issue(const std::string& flow, const std::string& address);
  void withdraw(const std::string& flow);
  // The address `code` proves for `flow`; the code is used up on success,
  // and after max_attempts wrong tries. kUnauthenticated otherwise.
  Result<std::string> verify(const std::string& flow, std::string_view code);
  // Pending codes plus addresses with rate-limit state (memory bound checks).
  std::size_t tracked() const;
  static constexpr std::size_t kPruneAbove = 10'000;

 private:
  struct Pending {
    std::string address;
    crypto::Digest32 code_mac{};
    std::uint64_t expires_ms = 0;
    std::uint32_t attempts = 0;
  };
  struct AddressState {
    std::uint64_t last_sent_ms = 0;
    std::uint64_t window_start_ms = 0;
    std::uint32_t sent_in_window = 0;
  };
  crypto::Digest32 mac_of(const std::string& flow, std::string_view code) const;
  void prune_locked(std::uint64_t now);

  OtpPolicy policy_;
  common::ClockMs clock_;
  Mailer& mailer_;
  crypto::HmacSha256 mac_;
  mutable std::mutex mu_;
  std::uint64_t next_prune_ms_ = 0;
  std::map<std::string, Pending> pending_;        // by flow
  std::map<std::string, AddressState> addresses_;  // by canonical address
};

}  // namespace t3n::identity
