#include "system/user_accounts.h"

#include <algorithm>
#include <cctype>

#include "identity/delegation.h"
#include "system/audit_trail.h"

namespace t3n::system {

Result<std::optional<common::Json>> read_profile(store::Transaction& tx, const AccountServices& a, const Bytes& user) {
  T3N_ASSIGN_OR_RETURN(auto ref, identity::kUserDataTable.in(tx).get(user));
  if (!ref) return std::optional<common::Json>();
  T3N_ASSIGN_OR_RETURN(cas::Cid cid, cas::Cid::parse(*ref));
  T3N_ASSIGN_OR_RETURN(Bytes sealed, a.cas.get(cid));
  T3N_ASSIGN_OR_RETURN(auto key, a.keys.find(tx, user));
  if (!key) return common::data_loss("the user's data key is missing");
  T3N_ASSIGN_OR_RETURN(Bytes plain, identity::UserDataKeys::open_blob(*key, user, sealed));
  auto j = common::parse_json(common::to_string(plain), 32);
  common::secure_zero(plain.data(), plain.size());
  if (!j.ok() || !j->is_object()) return std::optional<common::Json>();
  return std::optional<common::Json>(std::move(*j));
}

Result<std::string> write_profile(store::Transaction& tx, const AccountServices& a, const Bytes& user, const common::Json& profile) {
  if (!profile.is_object()) return common::invalid_argument("a profile is a JSON object");
  std::string text = profile.dump(-1, ' ', false, common::Json::error_handler_t::replace);
  if (text.size() > kMaxProfileBytes) return common::invalid_argument("a profile is at most 64 KiB");
  T3N_ASSIGN_OR_RETURN(SecretBytes key, a.keys.find_or_create(tx, user));
  auto sealed = identity::UserDataKeys::seal_blob(key, user, common::as_bytes(text));
  common::secure_zero(text.data(), text.size());
  if (!sealed.ok()) return sealed.status();
  T3N_ASSIGN_OR_RETURN(cas::Cid cid, a.cas.put(*sealed));
  T3N_RETURN_IF_ERROR(identity::kUserDataTable.in(tx).put(user, cid.to_string()));
  return cid.to_string();
}

Result<std::string> canonical_phone(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ' ' || c == '-' || c == '(' || c == ')' || c == '.') continue;
    out.push_back(c);
  }
  const bool ok = out.size() >= 9 && out.size() <= 16 && out[0] == '+' && out[1] != '0' &&
                  std::all_of(out.begin() + 1, out.end(), [](unsigned char c) { return std::isdigit(c); });
  if (!ok) return common::invalid_argument("not an E.164 phone number (+ and 8..15 digits)");
  return out;
}

Result<RemovalReport> remove_user(store::Transaction& tx, const AccountServices& a, const Bytes& user, std::uint64_t now_ms) {
  RemovalReport r;
  T3N_ASSIGN_OR_RETURN(r.wallets, a.wallets.abandon(tx, user, now_ms));
  T3N_ASSIGN_OR_RETURN(r.data, identity::kUserDataTable.in(tx).remove(user));
  T3N_ASSIGN_OR_RETURN(r.audit_batches, erase_audit(tx, user));
  T3N_ASSIGN_OR_RETURN(bool delegations, identity::kDelegationsTable.in(tx).remove(user));
  (void)delegations;
  auto removed = a.users.remove(tx, user);
  if (removed.ok()) r.authenticators = *removed;
  else if (removed.status().code() != ErrorCode::kNotFound) return removed.status();
  // Last: with the key gone, every sealed copy of the user's data is noise.
  T3N_ASSIGN_OR_RETURN(r.data_key, identity::kUserKeysTable.in(tx).remove(user));
  return r;
}

}  // namespace t3n::system
