#include "system/kyc.h"

#include <algorithm>

#include "common/encoding.h"
#include "crypto/ct.h"
#include "crypto/hash.h"
#include "identity/did.h"
#include "identity/users.h"

namespace t3n::system {
namespace {

using common::Json;

Bytes key_of(const Bytes& user, const std::string& provider) {
  Bytes k = user;
  k.insert(k.end(), provider.begin(), provider.end());
  return k;
}

// Provider decision words → kyc-status's alphabet.
std::string status_of(const std::string& decision) {
  if (decision == "approved" || decision == "verified" || decision == "success") return "verified";
  if (decision == "declined" || decision == "rejected") return "rejected";
  return "pending";  // resubmission_requested, expired, abandoned, review, …
}

}  // namespace

Status ensure_kyc_tables(store::Store& store) { return store::ensure_tables(store, kKycTable); }

Result<Json> accept_kyc_webhook(store::Transaction& tx, const std::string& provider_id, const KycProvider& provider,
                                const std::string& body, const std::string& signature_hex, std::uint64_t now_ms) {
  std::string sig_text = signature_hex;
  std::transform(sig_text.begin(), sig_text.end(), sig_text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto sig = common::hex_decode(sig_text);
  const auto want = crypto::hmac_sha256(common::as_bytes(provider.webhook_secret), common::as_bytes(body));
  if (!sig.ok() || !crypto::constant_time_equal(*sig, ByteView(want.data(), want.size())))
    return Status(ErrorCode::kUnauthenticated, "bad_signature: the webhook is not signed with this provider's secret");
  auto j = common::parse_json(body, 16);
  if (!j.ok() || !j->is_object()) return common::invalid_argument("invalid_body: a decision is a JSON object");
  // Veriff's decision shape {verification: {id, status, vendorData, …}}, or the flat {user_did, status, session_id}.
  const Json& v = j->contains("verification") && (*j)["verification"].is_object() ? (*j)["verification"] : *j;
  const std::string user_text = v.value("vendorData", v.value("user_did", std::string()));
  const std::string decision = v.value("status", v.value("decision", std::string()));
  const std::string session = v.value("id", v.value("session_id", std::string()));
  if (decision.empty()) return common::invalid_argument("invalid_body: the decision has no status");
  auto user = identity::parse_t3n_did(user_text);
  if (!user.ok()) return Json{{"status", "orphan"}, {"detail", "vendorData names no did:t3n user"}};
  T3N_ASSIGN_OR_RETURN(auto exists, identity::kUsersTable.in(tx).get(*user));
  if (!exists) return Json{{"status", "orphan"}, {"detail", "no such user on this node"}};
  auto table = kKycTable.in(tx);
  const Bytes key = key_of(*user, provider_id);
  T3N_ASSIGN_OR_RETURN(auto raw, table.get(key));
  Json row = Json{{"provider", provider_id}, {"vc_ids", Json::array()}, {"seen", Json::array()}};
  if (raw) {
    auto parsed = common::parse_json(common::to_string(*raw), 8);
    if (!parsed.ok()) return common::data_loss("a KYC row is corrupt");
    row = std::move(*parsed);
  }
  // A replayed webhook (same signed body) changes nothing, so an old
  // approval cannot be replayed over a later decline.
  const std::string digest = common::hex_encode(crypto::sha256(common::as_bytes(body)));
  for (const auto& d : row["seen"])
    if (d == digest) return Json{{"status", "duplicate"}, {"kyc_status", row.value("status", "pending")}};
  row["seen"].push_back(digest);
  while (row["seen"].size() > 64) row["seen"].erase(0);
  row["status"] = status_of(decision);
  row["provider_status"] = decision.substr(0, 64);
  row["session_id"] = session.substr(0, 128);
  row["updated_at"] = now_ms;
  if (row["status"] == "rejected" && v.contains("reason") && v["reason"].is_string()) row["error"] = v["reason"].get<std::string>().substr(0, 256);
  else row.erase("error");
  if (v.contains("vc_ids") && v["vc_ids"].is_array()) row["vc_ids"] = v["vc_ids"];
  T3N_RETURN_IF_ERROR(table.put(key, common::to_bytes(row.dump())));
  return Json{{"status", "recorded"}, {"kyc_status", row["status"]}};
}

Result<Json> kyc_status_of(store::Transaction& tx, const Bytes& user, const std::string& provider_id) {
  T3N_ASSIGN_OR_RETURN(auto raw, kKycTable.in(tx).get(key_of(user, provider_id)));
  if (!raw) {
    return Json{{"status", "pending"}, {"provider", provider_id}, {"vc_ids", Json::array()}};
  }
  auto row = common::parse_json(common::to_string(*raw), 8);
  if (!row.ok()) return common::data_loss("a KYC row is corrupt");
  Json out = {{"status", row->value("status", "pending")},
              {"provider", provider_id},
              {"updated_at", (*row)["updated_at"]},
              {"updated_at_ms", (*row)["updated_at"]},
              {"vc_ids", row->value("vc_ids", Json::array())}};
  if (row->contains("error")) out["error"] = (*row)["error"];
  return out;
}

}  // namespace t3n::system
