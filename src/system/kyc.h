// KYC status (SYSTEM-CONTRACTS.md tee:user kyc-status): a provider's
// decision reaches the node as a signed webhook at
// POST /api/kyc/webhook/<provider id> (an operator-configured integration,
// [kyc.providers.<id>] webhook_secret / signature_header). The signature is
// HMAC-SHA256(secret, exact body) in hex (Veriff's X-HMAC-SIGNATURE
// scheme); the body names the user by its did:t3n in vendorData. Without a
// provider, or before a decision, a user's status is the honest `pending`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/json.h"
#include "common/status.h"
#include "store/store.h"
#include "store/table.h"

namespace t3n::system {

struct KycProvider {
  std::string webhook_secret;                        // shared with the provider (secret)
  std::string signature_header = "x-hmac-signature";  // lower-case header name
};

// user id (20) ‖ provider id → {"status", "provider", "updated_at", "vc_ids", "session_id", "seen": [...]}.
inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kKycTable{"kyc"};
Status ensure_kyc_tables(store::Store& store);

// Checks the signature and records the decision. Returns {"status":
// "recorded" | "duplicate" | "orphan", "kyc_status"?}; kUnauthenticated for
// a bad signature (nothing changes), kInvalidArgument for a body that is not
// a decision.
Result<common::Json> accept_kyc_webhook(store::Transaction& tx, const std::string& provider_id, const KycProvider& provider,
                                        const std::string& body, const std::string& signature_hex, std::uint64_t now_ms);

// kyc-status's answer for `user` and `provider_id`.
// (Unconfigured or undecided providers answer the same honest pending.)
Result<common::Json> kyc_status_of(store::Transaction& tx, const Bytes& user, const std::string& provider_id);

}  // namespace t3n::system
