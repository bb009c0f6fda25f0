#include "identity/request_auth.h"

#include <algorithm>
#include <charconv>

#include "common/encoding.h"
#include "crypto/hash.h"

namespace t3n::identity {

std::string audience_of(ByteView ed25519_public_key) {
  Bytes in = common::to_bytes("t3n/audience/v1");
  in.insert(in.end(), ed25519_public_key.begin(), ed25519_public_key.end());
  return common::hex_encode(crypto::sha256(in));
}

std::string request_signing_message(std::string_view method, std::string_view path, ByteView body,
                                    std::uint64_t timestamp_ms, std::string_view nonce, std::string_view did,
                                    std::string_view audience) {
  std::string m = "t3n-request-v2\n";
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
  m += '\n';
  m += audience;
  return m;
}

ReplayGuard::ReplayGuard(std::chrono::milliseconds window, std::size_t max_entries)
    : window_(window), max_entries_(max_entries) {}

std::size_t ReplayGuard::size() const {
  std::lock_guard lock(mu_);
  return seen_.size();
}

Status ReplayGuard::check_and_record(std::string_view did, std::string_view nonce, std::uint64_t ts,
                                     std::uint64_t now) {
  const auto w = static_cast<std::uint64_t>(window_.count());
  if (ts + w < now) return Status(ErrorCode::kUnauthenticated, "request timestamp is too old");
  if (ts > now + w) return Status(ErrorCode::kUnauthenticated, "request timestamp is in the future");
  std::lock_guard lock(mu_);
  // Only nonces whose requests can no longer be fresh are forgotten.
  while (!expiries_.empty() && expiries_.top().first < now) {
    seen_.erase(expiries_.top().second);
    expiries_.pop();
  }
  std::string key(did);
  key += '|';
  key += nonce;
  if (seen_.count(key) != 0) return Status(ErrorCode::kUnauthenticated, "replayed request (nonce already used)");
  if (seen_.size() >= max_entries_)
    return Status(ErrorCode::kResourceExhausted, "too many requests in the freshness window: retry later");
  const std::uint64_t expiry = ts + w;
  seen_.emplace(key, expiry);
  expiries_.emplace(expiry, std::move(key));
  return {};
}

Result<AuthenticatedRequest> authenticate_request(std::string_view method, std::string_view path, ByteView body,
                                                  const HeaderLookup& header, std::string_view audience,
                                                  ReplayGuard& replay, std::uint64_t now_ms) {
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
  const std::string message = request_signing_message(method, path, body, ts, nonce, did_text, audience);
  T3N_RETURN_IF_ERROR(verify_did_signature(did, common::as_bytes(message), *sig));
  // Only a verified request may consume its nonce.
  T3N_RETURN_IF_ERROR(replay.check_and_record(did.did, nonce, ts, now_ms));
  AuthenticatedRequest out;
  out.timestamp_ms = ts;
  out.nonce = nonce;
  out.replay_expiry_ms = ts + static_cast<std::uint64_t>(replay.window().count());
  Bytes id = common::to_bytes(did.did);
  id.push_back(0);
  id.insert(id.end(), nonce.begin(), nonce.end());
  common::append_u64_be(out.replay_key, out.replay_expiry_ms);
  common::append(out.replay_key, crypto::sha256(id));
  out.did = std::move(did);
  return out;
}

}  // namespace t3n::identity
