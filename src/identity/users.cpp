#include "identity/users.h"

#include "common/binary.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace t3n::identity {

Bytes UserRecordCodec::encode(const UserRecord& r) {
  common::BinaryWriter w;
  w.u8(2);  // row format: 1 had no index keys
  w.u64(r.created_ms);
  w.u32(static_cast<std::uint32_t>(r.index_keys.size()));
  for (const auto& k : r.index_keys) w.bytes(k);
  return w.take();
}

Result<UserRecord> UserRecordCodec::decode(ByteView b) {
  common::BinaryReader r(b, "user record");
  T3N_ASSIGN_OR_RETURN(std::uint8_t format, r.u8());
  if (format != 1 && format != 2) return common::invalid_argument("unknown user record format");
  UserRecord out;
  T3N_ASSIGN_OR_RETURN(out.created_ms, r.u64());
  if (format == 2) {
    T3N_ASSIGN_OR_RETURN(std::uint32_t n, r.u32());
    if (n > 1024) return common::invalid_argument("user record: too many authenticators");
    for (std::uint32_t i = 0; i < n; ++i) {
      T3N_ASSIGN_OR_RETURN(ByteView k, r.bytes(64));
      out.index_keys.emplace_back(k.begin(), k.end());
    }
  }
  T3N_RETURN_IF_ERROR(r.finish());
  return out;
}

UserDirectory::UserDirectory(SecretBytes index_key, common::ClockMs clock)
    : index_key_(std::move(index_key)), clock_(std::move(clock)) {}

Bytes UserDirectory::index_of(const std::string& authenticator) const {
  const auto mac = crypto::hmac_sha256(index_key_, common::as_bytes(authenticator));
  return Bytes(mac.begin(), mac.end());
}

Result<std::optional<Bytes>> UserDirectory::find(store::Transaction& tx, const std::string& authenticator) const {
  return kAuthenticatorIndex.in(tx).get(index_of(authenticator));
}

Status UserDirectory::link(store::Transaction& tx, const std::string& authenticator, const Bytes& user) const {
  const Bytes idx = index_of(authenticator);
  auto index = kAuthenticatorIndex.in(tx);
  T3N_ASSIGN_OR_RETURN(auto existing, index.get(idx));
  if (existing) {
    if (*existing == user) return {};
    return Status(ErrorCode::kAlreadyExists, "the authenticator belongs to another user");
  }
  auto users = kUsersTable.in(tx);
  T3N_ASSIGN_OR_RETURN(auto row, users.get(user));
  // A caller's first call: its user begins here (the login authenticator
  // joins the same row when the call's records are written).
  if (!row) row = UserRecord{clock_(), {}};
  if (row->index_keys.size() >= 1024) return Status(ErrorCode::kResourceExhausted, "the user has the most authenticators allowed (1024)");
  row->index_keys.push_back(idx);
  T3N_RETURN_IF_ERROR(users.put(user, *row));
  return index.put(idx, user);
}

Result<std::size_t> UserDirectory::remove(store::Transaction& tx, const Bytes& user) const {
  auto users = kUsersTable.in(tx);
  T3N_ASSIGN_OR_RETURN(auto row, users.get(user));
  if (!row) return common::not_found("no such user");
  auto index = kAuthenticatorIndex.in(tx);
  std::size_t removed = 0;
  for (const auto& idx : row->index_keys) {
    T3N_ASSIGN_OR_RETURN(auto owner, index.get(idx));
    if (owner && *owner == user) {
      T3N_ASSIGN_OR_RETURN(bool gone, index.remove(idx));
      removed += gone ? 1 : 0;
    }
  }
  T3N_ASSIGN_OR_RETURN(bool row_gone, users.remove(user));
  (void)row_gone;
  return removed;
}

Result<std::size_t> UserDirectory::move_authenticators(store::Transaction& tx, const Bytes& from, const Bytes& to) const {
  auto users = kUsersTable.in(tx);
  T3N_ASSIGN_OR_RETURN(auto source, users.get(from));
  if (!source) return common::not_found("no such user");
  T3N_ASSIGN_OR_RETURN(auto target, users.get(to));
  if (!target) return common::not_found("no such target user");
  auto index = kAuthenticatorIndex.in(tx);
  std::size_t moved = 0;
  for (const auto& idx : source->index_keys) {
    T3N_ASSIGN_OR_RETURN(auto owner, index.get(idx));
    if (!owner || *owner != from) continue;
    if (target->index_keys.size() >= 1024) return Status(ErrorCode::kResourceExhausted, "the target has the most authenticators allowed (1024)");
    T3N_RETURN_IF_ERROR(index.put(idx, to));
    target->index_keys.push_back(idx);
    ++moved;
  }
  T3N_RETURN_IF_ERROR(users.put(to, *target));
  T3N_RETURN_IF_ERROR(users.remove(from).status());
  return moved;
}

Result<Bytes> UserDirectory::new_user_id() { return crypto::random_vector(20); }

Result<Bytes> UserDirectory::find_or_create(store::Transaction& tx, const std::string& authenticator,
                                            const Bytes* proposed) const {
  const Bytes idx = index_of(authenticator);
  auto index = kAuthenticatorIndex.in(tx);
  T3N_ASSIGN_OR_RETURN(auto existing, index.get(idx));
  if (existing) return *existing;
  if (proposed != nullptr && proposed->size() != 20) return common::invalid_argument("a user id is 20 bytes");
  Bytes id;
  if (proposed != nullptr) {
    id = *proposed;
  } else {
    T3N_ASSIGN_OR_RETURN(id, new_user_id());
  }
  T3N_RETURN_IF_ERROR(index.put(idx, id));
  // The row may already exist in this transaction (an authenticator linked
  // during the user's first call): keep its index keys.
  auto users = kUsersTable.in(tx);
  T3N_ASSIGN_OR_RETURN(auto row, users.get(id));
  UserRecord record = row ? *row : UserRecord{clock_(), {}};
  record.index_keys.push_back(idx);
  T3N_RETURN_IF_ERROR(users.put(id, record));
  return id;
}

}  // namespace t3n::identity
