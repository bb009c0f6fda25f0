#include "identity/user_data.h"

#include "crypto/aead.h"
#include "crypto/random.h"

namespace t3n::identity {

Result<std::optional<SecretBytes>> UserDataKeys::find(store::Transaction& tx, ByteView user_id) const {
  T3N_ASSIGN_OR_RETURN(auto sealed, kUserKeysTable.in(tx).get(Bytes(user_id.begin(), user_id.end())));
  if (!sealed) return std::optional<SecretBytes>{};
  auto key = crypto::open_box(crypto::AeadAlg::kAes256Gcm, kek_, user_id, *sealed);
  if (!key.ok()) return common::data_loss("a user's data key failed authentication");
  SecretBytes out(*key);
  common::secure_zero(*key);
  return std::optional<SecretBytes>(std::move(out));
}

Result<SecretBytes> UserDataKeys::find_or_create(store::Transaction& tx, ByteView user_id) const {
  T3N_ASSIGN_OR_RETURN(auto existing, find(tx, user_id));
  if (existing) return std::move(*existing);
  T3N_ASSIGN_OR_RETURN(SecretBytes key, crypto::random_secret(32));
  T3N_ASSIGN_OR_RETURN(Bytes wrapped, crypto::seal_box(crypto::AeadAlg::kAes256Gcm, kek_, user_id, key));
  T3N_RETURN_IF_ERROR(kUserKeysTable.in(tx).put(Bytes(user_id.begin(), user_id.end()), wrapped));
  return key;
}

Result<Bytes> UserDataKeys::seal_blob(const SecretBytes& key, ByteView user_id, ByteView plaintext) {
  return crypto::seal_box(crypto::AeadAlg::kAes256Gcm, key, user_id, plaintext);
}

Result<Bytes> UserDataKeys::open_blob(const SecretBytes& key, ByteView user_id, ByteView sealed) {
  return crypto::open_box(crypto::AeadAlg::kAes256Gcm, key, user_id, sealed);
}

}  // namespace t3n::identity
