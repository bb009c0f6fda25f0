#include "identity/email_otp.h"

#include "crypto/ct.h"
#include "crypto/random.h"

namespace t3n::identity {

namespace {

Result<std::string> random_code() {
  // Uniform over 000000..999999: rejection sampling on 32 bits.
  for (;;) {
    T3N_ASSIGN_OR_RETURN(Bytes b, crypto::random_vector(4));
    const std::uint32_t v = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
    if (v >= 4'294'000'000u) continue;  // 4,294,000,000 = 4294 × 10^6
    std::string s = std::to_string(v % 1'000'000);
    return std::string(6 - s.size(), '0') + s;
  }
}

Status rate_limited(std::string_view reason, std::uint64_t retry_ms) {
  return Status(ErrorCode::kResourceExhausted, "OtpRateLimited (reason=" + std::string(reason) +
                                                   ", retry_after_secs=" + std::to_string((retry_ms + 999) / 1000) + ")");
}

}  // namespace

Result<std::string> canonical_email(std::string_view text) {
  if (text.empty() || text.size() > 254) return common::invalid_argument("'email' is not an e-mail address");
  std::string out;
  std::size_t at = std::string::npos;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"')
      return common::invalid_argument("'email' is not an e-mail address");
    if (c == '@') {
      if (at != std::string::npos) return common::invalid_argument("'email' is not an e-mail address");
      at = i;
    }
    out += static_cast<char>(std::tolower(c));
  }
  if (at == std::string::npos || at == 0 || at + 1 >= out.size() || out.find('.', at) == std::string::npos ||
      out.back() == '.')
    return common::invalid_argument("'email' is not an e-mail address");
  return out;
}

EmailOtp::EmailOtp(OtpPolicy policy, common::ClockMs clock, Mailer& mailer)
    : policy_(policy), clock_(std::move(clock)), mailer_(mailer), mac_(std::move(crypto::random_secret(32)).value()) {}

crypto::Digest32 EmailOtp::mac_of(const std::string& flow, std::string_view code) const {
  return mac_.mac(common::as_bytes(flow + '\0' + std::string(code)));
}

Status EmailOtp::send(const std::string& flow, const std::string& address) {
  T3N_ASSIGN_OR_RETURN(std::string code, issue(flow, address));
  // Sent outside the lock (SMTP is slow); a failed send withdraws the code.
  Status sent = mailer_.send(address, "Your T3N sign-in code",
                             "Your T3N sign-in code is " + code + "\n\nIt expires in " +
                                 std::to_string(policy_.code_ttl_ms / 60000) + " minutes. If you did not ask for it, ignore this mail.");
  if (!sent.ok()) withdraw(flow);
  return sent;
}

void EmailOtp::withdraw(const std::string& flow) {
  std::lock_guard lock(mu_);
  pending_.erase(flow);
}

Result<std::string> EmailOtp::issue(const std::string& flow, const std::string& address) {
  T3N_ASSIGN_OR_RETURN(std::string code, random_code());
  {
    std::lock_guard lock(mu_);
    const std::uint64_t now = clock_();
    prune_locked(now);
    AddressState& a = addresses_[address];
    if (a.last_sent_ms != 0 && now < a.last_sent_ms + policy_.cooldown_ms)
      return rate_limited("cooldown_active", a.last_sent_ms + policy_.cooldown_ms - now);
    if (now >= a.window_start_ms + policy_.cap_window_ms) {
      a.window_start_ms = now;
      a.sent_in_window = 0;
    }
    if (a.sent_in_window >= policy_.send_cap)
      return rate_limited("send_cap_exceeded", a.window_start_ms + policy_.cap_window_ms - now);
    a.last_sent_ms = now;
    ++a.sent_in_window;
    pending_[flow] = Pending{address, mac_of(flow, code), now + policy_.code_ttl_ms, 0};
  }
  return code;
}

void EmailOtp::prune_locked(std::uint64_t now) {
  // Bounded memory under a flood of addresses or flows: forget what can no
  // longer matter, at most once a minute and only past a size.
  if (pending_.size() + addresses_.size() < kPruneAbove || now < next_prune_ms_) return;
  next_prune_ms_ = now + 60 * 1000;
  std::erase_if(pending_, [&](const auto& kv) { return now >= kv.second.expires_ms; });
  std::erase_if(addresses_, [&](const auto& kv) {
    return now >= kv.second.window_start_ms + policy_.cap_window_ms && now >= kv.second.last_sent_ms + policy_.cooldown_ms;
  });
}

std::size_t EmailOtp::tracked() const {
  std::lock_guard lock(mu_);
  return pending_.size() + addresses_.size();
}

Result<std::string> EmailOtp::verify(const std::string& flow, std::string_view code) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(flow);
  if (it == pending_.end()) return Status(ErrorCode::kUnauthenticated, "no code is pending: ask for one first");
  Pending& p = it->second;
  if (clock_() >= p.expires_ms) {
    pending_.erase(it);
    return Status(ErrorCode::kUnauthenticated, "the code expired: ask for a new one");
  }
  const crypto::Digest32 got = mac_of(flow, code);
  if (code.size() != 6 || !crypto::constant_time_equal(got, p.code_mac)) {
    if (++p.attempts >= policy_.max_attempts) {
      pending_.erase(it);
      return Status(ErrorCode::kUnauthenticated, "wrong code; too many attempts: ask for a new one");
    }
    return Status(ErrorCode::kUnauthenticated, "wrong code");
  }
  std::string address = std::move(p.address);
  pending_.erase(it);
  return address;
}

}  // namespace t3n::identity
