#include "cli/admin_client.h"

#include "common/encoding.h"
#include "common/files.h"
#include "crypto/secp256k1.h"

namespace t3n::cli {

using common::Json;

Result<AdminKey> load_admin_key(const std::string& path) {
  auto text = common::read_file(path);
  if (!text.ok()) return common::not_found("no operator key at " + path + " (t3n keygen --type eth --key " + path + ")");
  T3N_ASSIGN_OR_RETURN(Json j, common::parse_json(*text));
  T3N_ASSIGN_OR_RETURN(std::string type, common::json_string(j, "type"));
  if (type != "eth" && type != "secp256k1") return common::invalid_argument(path + ": an operator key is an eth (secp256k1) key");
  T3N_ASSIGN_OR_RETURN(std::string secret, common::json_string(j, "secret"));
  T3N_ASSIGN_OR_RETURN(Bytes raw, common::base64url_decode(secret));
  T3N_ASSIGN_OR_RETURN(auto signer, crypto::Secp256k1Signer::create());
  T3N_ASSIGN_OR_RETURN(Bytes pub, signer.public_key(raw));
  T3N_ASSIGN_OR_RETURN(Bytes address, crypto::eth_address(pub));
  return AdminKey{std::move(raw), std::move(address)};
}

// One operator action: a fresh nonce, the body signed as it is sent.
Result<Json> send_admin(api::NodeClient& client, const AdminKey& key, const std::string& action, Json body) {
  T3N_ASSIGN_OR_RETURN(api::JsonReply n, client.post_json_reply("/api/admin/nonce", "{}"));
  if (n.http_status != 200 || !n.body.contains("nonce")) return Status(ErrorCode::kUnavailable, "the node gave no admin nonce");
  body["action"] = action;
  body["nonce"] = n.body["nonce"];
  const std::string text = body.dump();
  T3N_ASSIGN_OR_RETURN(auto signer, crypto::Secp256k1Signer::create());
  T3N_ASSIGN_OR_RETURN(Bytes sig, crypto::eth_personal_sign(signer, key.secret, common::as_bytes(text)));
  T3N_ASSIGN_OR_RETURN(api::JsonReply r, client.post_json_reply("/api/admin", text, {{"x-admin-signature", "0x" + common::hex_encode(sig)}}));
  if (r.http_status != 200)
    return Status(r.http_status == 401 || r.http_status == 403 ? ErrorCode::kPermissionDenied : ErrorCode::kFailedPrecondition,
                  action + " refused (HTTP " + std::to_string(r.http_status) + "): " + r.body.value("error", r.body.dump()));
  return r.body;
}

}  // namespace t3n::cli
