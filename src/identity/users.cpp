#include "identity/users.h"

#include "common/binary.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace t3n::identity {

Bytes UserRecordCodec::encode(const UserRecord& r) {
  common::BinaryWriter w;
  w.u8(1);  // row format
  w.u64(r.created_ms);
  return w.take();
}

Result<UserRecord> UserRecordCodec::decode(ByteView b) {
  common::BinaryReader r(b, "user record");
  T3N_ASSIGN_OR_RETURN(std::uint8_t format, r.u8());
  if (format != 1) return common::invalid_argument("unknown user record format");
  UserRecord out;
  T3N_ASSIGN_OR_RETURN(out.created_ms, r.u64());
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
  T3N_ASSIGN_OR_RETURN(auto row, kUsersTable.in(tx).get(user));
  if (!row) return common::not_found("no such user");
  return index.put(idx, user);
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
  T3N_RETURN_IF_ERROR(kUsersTable.in(tx).put(id, UserRecord{clock_()}));
  return id;
}

}  // namespace t3n::identity
