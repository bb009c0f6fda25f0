// Users' private data keys (ARCHITECTURE.md §4): one random key per user,
// stored sealed by the cluster key-encryption key with the user id as
// associated data; destroying the sealed key shreds every copy of the user's
// data. The user's data blob itself lives in CAS, sealed with that key; the
// `user_data` row holds its CID.
#pragma once

#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/status.h"
#include "store/store.h"
#include "store/table.h"

namespace t3n::identity {

inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kUserKeysTable{"user_keys"};
inline constexpr store::TableDef<store::BytesCodec, store::StringCodec> kUserDataTable{"user_data"};

class UserDataKeys {
 public:
  explicit UserDataKeys(SecretBytes kek) : kek_(std::move(kek)) {}

  // The user's key, if one exists (read in `tx`).
  Result<std::optional<SecretBytes>> find(store::Transaction& tx, ByteView user_id) const;
  // The user's key, created and stored (sealed) in `tx` if absent.
  Result<SecretBytes> find_or_create(store::Transaction& tx, ByteView user_id) const;

  // The user's data blob, sealed / opened with the user's key (AAD = user id).
  static Result<Bytes> seal_blob(const SecretBytes& key, ByteView user_id, ByteView plaintext);
  static Result<Bytes> open_blob(const SecretBytes& key, ByteView user_id, ByteView sealed);

 private:
  SecretBytes kek_;
};

}  // namespace t3n::identity
