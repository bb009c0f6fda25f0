#include "identity/request_auth.h"

#include <algorithm>
#include <charconv>

#include "common/encoding.h"
#include "crypto/hash.h"

namespace t3n::identity {

std::string request_signing_message(std::string_view method, std::string_view path, ByteView body,
                                    std::uint64_t timestamp_ms, std::string_view nonce, std::string_view did) {
  std::string m = "t3n-request-v1\n";
  m += method;
  m += '\n';
  m += path;
  m += '\n';
  m += common::hex_encode(crypto::sha256(body));
  m += '\n';
  m += std::to_string(timestamp_ms);
  m += '\n';
  m += nonce;
  m += '\n';
  m += did;
  return m;
}

ReplayGuard::ReplayGuard(std::chrono::milliseconds window, std::size_t max_entries)
    : window_(window), max_entries_(max_entries) {}

Status ReplayGuard::check_and_record(std::string_view did, std::string_view nonce, std::uint64_t ts,
                                     std::uint64_t now) {
  const auto w = static_cast<std::uint64_t>(window_.count());
  if (ts + w < now) return Status(ErrorCode::kUnauthenticated, "request timestamp is too old");
  if (ts > now + w) return Status(ErrorCode::kUnauthenticated, "request timestamp is in the future");
  std::lock_guard lock(mu_);
  while (!expiries_.empty() && (expiries_.front().first < now || expiries_.size() > max_entries_)) {
    seen_.erase(expiries_.front().second);
    expiries_.pop_front();
  }
  std::string key(did);
  key += '|';
  key += nonce;
  if (seen_.count(key) != 0) return Status(ErrorCode::kUnauthenticated, "replayed request (nonce already used)");
  const std::uint64_t expiry = ts + w;
  seen_.emplace(key, expiry);
  expiries_.emplace_back(expiry, std::move(key));
  return {};
}

Result<ParsedDid> authenticate_request(std::string_view method, std::string_view path, ByteView body,
                                       const HeaderLookup& header, ReplayGuard& replay, std::uint64_t now_ms) {
  const std::string did_text = header(kHeaderDid);
  const std::string ts_text = header(kHeaderTimestamp);
  const std::string nonce = header(kHeaderNonce);
  const std::string sig_text = header(kHeaderSignature);
  if (did_text.empty() || ts_text.empty() || nonce.empty() || sig_text.empty())
    return Status(ErrorCode::kUnauthenticated, "missing authentication headers (t3n-did, t3n-timestamp, t3n-nonce, t3n-signature)");
  std::uint64_t ts = 0;
  auto [p, ec] = std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), ts);
  if (ec != std::errc() || p != ts_text.data() + ts_text.size())
    return Status(ErrorCode::kUnauthenticated, "t3n-timestamp must be unix milliseconds");
  if (nonce.size() < 16 || nonce.size() > 64 ||
      !std::all_of(nonce.begin(), nonce.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }))
    return Status(ErrorCode::kUnauthenticated, "t3n-nonce must be 16–64 characters [A-Za-z0-9_-]");
  auto sig = common::base64url_decode(sig_text);
  if (!sig.ok()) return Status(ErrorCode::kUnauthenticated, "t3n-signature must be base64url");
  T3N_ASSIGN_OR_RETURN(ParsedDid did, parse_did(did_text));
  const std::string message = request_signing_message(method, path, body, ts, nonce, did_text);
  T3N_RETURN_IF_ERROR(verify_did_signature(did, common::as_bytes(message), *sig));
  // Only a verified request may consume its nonce.
  T3N_RETURN_IF_ERROR(replay.check_and_record(did_text, nonce, ts, now_ms));
  return did;
}

}  // namespace t3n::identity
