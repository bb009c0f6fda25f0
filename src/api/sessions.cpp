#include "api/sessions.h"

#include "common/encoding.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "crypto/random.h"

namespace t3n::api {

namespace {
constexpr std::size_t kNonceSize = 12;
}  // namespace

std::string_view session_refusal_name(SessionRefusal r) {
  switch (r) {
    case SessionRefusal::kUnknown: return "unknown_session";
    case SessionRefusal::kExpired: return "expired";
    case SessionRefusal::kUndecryptable: return "undecryptable";
    case SessionRefusal::kReplayed: return "replayed";
    case SessionRefusal::kExhausted: return "exhausted";
  }
  return "unknown_session";
}

Status SessionTable::refuse(SessionRefusal r, std::string_view why) {
  ++stats_.refused[std::string(session_refusal_name(r))];
  return Status(ErrorCode::kUnauthenticated, "Unauthorized: " + std::string(why));
}

SessionTable::Session* SessionTable::live(const std::string& id, std::uint64_t now, Status& why) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    why = refuse(SessionRefusal::kUnknown, "unknown session (handshake again)");
    return nullptr;
  }
  Session& s = it->second;
  if (now >= s.created_ms + limits_.absolute_ms || now >= s.last_ms + limits_.idle_ms) {
    sessions_.erase(it);
    why = refuse(SessionRefusal::kExpired, "session expired (handshake again)");
    return nullptr;
  }
  return &s;
}

void SessionTable::evict_one() {
  auto oldest = sessions_.begin();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
    if (it->second.last_ms < oldest->second.last_ms) oldest = it;
  if (oldest != sessions_.end()) {
    sessions_.erase(oldest);
    ++stats_.evicted;
  }
}

Result<std::string> SessionTable::create(ByteView shared_secret, std::optional<SessionLogin> login) {
  T3N_ASSIGN_OR_RETURN(SessionKeyPair keys, derive_session_keys(shared_secret));
  T3N_ASSIGN_OR_RETURN(std::string id, random_uuid_v4());
  const std::uint64_t now = clock_();
  std::lock_guard lock(mu_);
  if (sessions_.size() >= limits_.max_sessions) {
    prune_locked(now);
    if (sessions_.size() >= limits_.max_sessions) evict_one();
  }
  Session s;
  s.c2s = std::move(keys.c2s);
  s.s2c = std::move(keys.s2c);
  s.created_ms = now;
  s.last_ms = now;
  s.state.login = std::move(login);
  s.state.expires_ms = now + limits_.absolute_ms;
  sessions_.emplace(id, std::move(s));
  ++stats_.handshakes;
  return id;
}

Result<Bytes> SessionTable::open(const std::string& id, ByteView sealed) {
  const std::uint64_t now = clock_();
  std::lock_guard lock(mu_);
  Status why;
  Session* s = live(id, now, why);
  if (s == nullptr) return why;
  auto plain = session_open(s->c2s, sealed);
  if (!plain.ok()) return refuse(SessionRefusal::kUndecryptable, "the request does not decrypt under this session");
  std::string nonce(reinterpret_cast<const char*>(sealed.data()), kNonceSize);
  if (s->nonces.count(nonce) != 0) return refuse(SessionRefusal::kReplayed, "replayed request");
  if (s->nonces.size() >= limits_.max_messages) {
    sessions_.erase(id);
    return refuse(SessionRefusal::kExhausted, "session used up (handshake again)");
  }
  s->nonces.insert(std::move(nonce));
  s->last_ms = now;
  return plain;
}

Result<Bytes> SessionTable::seal(const std::string& id, ByteView plaintext) {
  SecretBytes key;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return Status(ErrorCode::kUnauthenticated, "Unauthorized: unknown session");
    key = it->second.s2c.clone();
  }
  return session_seal(key, plaintext);
}

Status SessionTable::with_state(const std::string& id, const std::function<Status(SessionState&)>& fn) {
  const std::uint64_t now = clock_();
  std::lock_guard lock(mu_);
  Status why;
  Session* s = live(id, now, why);
  if (s == nullptr) return why;
  return fn(s->state);
}

void SessionTable::prune_locked(std::uint64_t now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (now >= it->second.created_ms + limits_.absolute_ms || now >= it->second.last_ms + limits_.idle_ms)
      it = sessions_.erase(it);
    else
      ++it;
  }
}

std::size_t SessionTable::prune() {
  const std::uint64_t now = clock_();
  std::lock_guard lock(mu_);
  const std::size_t before = sessions_.size();
  prune_locked(now);
  return before - sessions_.size();
}

SessionStats SessionTable::stats() const {
  std::lock_guard lock(mu_);
  SessionStats s = stats_;
  s.open = sessions_.size();
  return s;
}

}  // namespace t3n::api
