// Single-use, short-lived nonces of the operator API (POST /api/admin/nonce):
// a nonce is gone once presented, whatever the outcome, so a signed body
// runs at most once; an unused one expires after kNonceLifetimeMs.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/status.h"
#include "crypto/random.h"

namespace t3n::api {

inline constexpr std::uint64_t kNonceLifetimeMs = 5 * 60 * 1000;
inline constexpr std::size_t kMaxOpenNonces = 10'000;

class AdminNonces {
 public:
  explicit AdminNonces(common::ClockMs clock) : clock_(std::move(clock)) {}

  Result<std::string> issue() {
    Bytes raw(32);
    T3N_RETURN_IF_ERROR(crypto::random_bytes(raw));
    std::string nonce = common::hex_encode(raw);
    std::lock_guard lock(mu_);
    prune();
    if (open_.size() >= kMaxOpenNonces) return Status(ErrorCode::kResourceExhausted, "too many open admin nonces; use one first");
    open_[nonce] = clock_() + kNonceLifetimeMs;
    return nonce;
  }

  Status consume(const std::string& nonce) {
    std::lock_guard lock(mu_);
    auto it = open_.find(nonce);
    if (it == open_.end()) return Status(ErrorCode::kUnauthenticated, "unknown or already used admin nonce");
    const bool expired = it->second <= clock_();
    open_.erase(it);
    if (expired) return Status(ErrorCode::kUnauthenticated, "the admin nonce expired (they live 5 minutes)");
    return {};
  }

 private:
  void prune() {
    const std::uint64_t now = clock_();
    for (auto it = open_.begin(); it != open_.end();) it = it->second <= now ? open_.erase(it) : std::next(it);
  }
  common::ClockMs clock_;
  std::mutex mu_;
  std::map<std::string, std::uint64_t> open_;
};

}  // namespace t3n::api
