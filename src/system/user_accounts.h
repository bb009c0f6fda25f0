// Users' accounts (SYSTEM-CONTRACTS.md tee:user): the profile — the user's
// private data blob, JSON sealed with the user's data key in the CAS
// (`user_data` holds its CID), with verified contacts under
// `verified_contacts` — and removal by crypto-shredding. Shared by the
// tee:user contract and the user-profile / user-removal host interfaces.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "cas/blob_store.h"
#include "common/json.h"
#include "common/status.h"
#include "identity/email_otp.h"
#include "identity/mailer.h"
#include "identity/user_data.h"
#include "identity/users.h"
#include "identity/wallets.h"
#include "store/store.h"

namespace t3n::system {

// SMS OTP ([sms]): the operator's HTTP SMS gateway, reached through the
// outbox after the otp-request commits: POST {"to", "from", "text"} as JSON.
struct SmsProvider {
  std::string url;
  std::string authorization;  // the Authorization header's value (secret; "" = none)
  std::string from = "T3N";
};

// What tee:user needs beyond the store: the identity components and the CAS.
struct AccountServices {
  const identity::UserDirectory& users;
  const identity::UserDataKeys& keys;
  const identity::CustodialWallets& wallets;
  cas::BlobStore& cas;
  identity::EmailOtp* email_otp = nullptr;  // null: no e-mail OTP on this node
  identity::EmailOtp* sms_otp = nullptr;    // codes for phone numbers (null: no SMS)
  std::optional<SmsProvider> sms_provider;  // none: the dev SMS mailbox below, if any
  identity::Mailer* sms_dev_mailbox = nullptr;
  std::function<void()> outbox_notify;      // after a commit that queued an SMS
};

// "+44 20 7946-0000" → "+442079460000" (E.164: + and 8..15 digits).
Result<std::string> canonical_phone(std::string_view text);

inline constexpr std::size_t kMaxProfileBytes = 64 * 1024;

// The user's profile JSON (an object), none if they stored none. A blob that
// is not a JSON object (data.put of raw bytes) reads as none.
Result<std::optional<common::Json>> read_profile(store::Transaction& tx, const AccountServices& a, const Bytes& user);
// Seals `profile` (an object, ≤ kMaxProfileBytes) with the user's data key
// (created if absent), puts it in the CAS and points `user_data` at it;
// returns the blob's CID.
Result<std::string> write_profile(store::Transaction& tx, const AccountServices& a, const Bytes& user, const common::Json& profile);

struct RemovalReport {
  std::size_t authenticators = 0;  // index entries removed
  std::size_t wallets = 0;         // wallets marked abandoned
  bool data = false;               // a profile/data blob was referenced
  bool data_key = false;           // the data key existed (and is now destroyed)
  std::size_t audit_batches = 0;   // the user's audit trail, erased
};
// Everything of the user in `tx`: authenticator index and user row, the
// data reference, delegations, audit trail, wallets (abandoned, keys dropped) and — last —
// the data key, so every sealed copy anywhere (CAS blobs, ledger history)
// becomes unreadable.
Result<RemovalReport> remove_user(store::Transaction& tx, const AccountServices& a, const Bytes& user, std::uint64_t now_ms);

}  // namespace t3n::system
