// Users and the authenticators that reach them (ARCHITECTURE.md §5 system
// maps `users` and `dids`). A user is a did:t3n with a random 20-byte id;
// each authenticator (the canonical text of a did:key or did:pkh) is indexed
// by a keyed hash, so the index reveals no DID even to someone who can read
// the map. Users are created only inside state-changing transactions: a
// read-only call by a stranger commits nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "store/store.h"
#include "store/table.h"

namespace t3n::identity {

struct UserRecord {
  std::uint64_t created_ms = 0;
  // The index keys (HMACs, never the authenticators' text) of this user's
  // authenticators, so removal can find every index entry.
  std::vector<Bytes> index_keys;
};
struct UserRecordCodec {
  using Value = UserRecord;
  static Bytes encode(const UserRecord& r);
  static Result<UserRecord> decode(ByteView b);
};

// user id (20 bytes) → record; HMAC(index key, authenticator) → user id.
inline constexpr store::TableDef<store::BytesCodec, UserRecordCodec> kUsersTable{"users"};
inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kAuthenticatorIndex{"dids"};

class UserDirectory {
 public:
  UserDirectory(SecretBytes index_key, common::ClockMs clock);

  // The user an authenticator (canonical DID text) belongs to, read in `tx`.
  Result<std::optional<Bytes>> find(store::Transaction& tx, const std::string& authenticator) const;
  // The user, created in `tx` if new (it exists once `tx` commits) with id
  // `proposed` if given, else a random one. `tx` must be a system
  // transaction (or continue_as_system'd).
  Result<Bytes> find_or_create(store::Transaction& tx, const std::string& authenticator,
                               const Bytes* proposed = nullptr) const;
  // Links a further authenticator to `user` in `tx` (its row is begun if
  // this is the user's first call). kAlreadyExists if it already belongs to
  // another user (a no-op if to this one).
  Status link(store::Transaction& tx, const std::string& authenticator, const Bytes& user) const;
  // Removes the user: every authenticator index entry of theirs and their
  // row (a removed user's authenticators can later start a new user).
  // Returns how many index entries went. kNotFound for an unknown user.
  Result<std::size_t> remove(store::Transaction& tx, const Bytes& user) const;
  // Account merge: every authenticator of `from` now names `to` (its row
  // gains their index keys); `from`'s row goes. Returns how many moved.
  Result<std::size_t> move_authenticators(store::Transaction& tx, const Bytes& from, const Bytes& to) const;
  // A fresh random user id (20 bytes).
  static Result<Bytes> new_user_id();

 private:
  Bytes index_of(const std::string& authenticator) const;
  SecretBytes index_key_;
  common::ClockMs clock_;
};

}  // namespace t3n::identity
