#include "store/receipt.h"

#include <algorithm>

#include "common/encoding.h"
#include "crypto/ed25519.h"
#include "crypto/mldsa.h"
#include "store/digest_json.h"
#include "store/history_tree.h"

namespace t3n::store {

Status verify_receipt(const Receipt& r, const std::optional<TrustedNodeKeys>& trusted) {
  if (r.seqno == 0 || r.seqno > r.tree_size) return common::verification_failed("receipt: seqno outside the signed tree");
  if (r.signature_seqno <= r.tree_size) return common::verification_failed("receipt: signature precedes the tree it signs");
  if (trusted && (trusted->ed25519_public_key != r.ed25519_public_key ||
                  trusted->mldsa_public_key != r.mldsa_public_key))
    return common::verification_failed("receipt: signed by keys other than the trusted node keys");
  const Digest32 leaf = history_leaf(r.write_set_digest, r.commit_evidence, r.claims_digest);
  T3N_RETURN_IF_ERROR(verify_history_inclusion(leaf, r.seqno - 1, r.tree_size, r.path, r.history_root));
  const Bytes payload = signature_payload(r.signature_seqno, r.tree_size, r.history_root, r.state_root);
  Status ed = crypto::ed25519_verify(r.ed25519_public_key, payload, r.ed25519_signature);
  if (!ed.ok()) return common::verification_failed("receipt: Ed25519 signature: " + ed.message());
  Status pq = crypto::mldsa65_verify(r.mldsa_public_key, payload, r.mldsa_signature);
  if (!pq.ok()) return common::verification_failed("receipt: ML-DSA-65 signature: " + pq.message());
  return {};
}

common::Json receipt_to_json(const Receipt& r) {
  common::Json path = common::Json::array();
  for (const auto& p : r.path) path.push_back(common::hex_encode(p));
  return {
      {"seqno", r.seqno},
      {"leaf_components",
       {{"write_set_digest", common::hex_encode(r.write_set_digest)},
        {"commit_evidence", common::hex_encode(r.commit_evidence)},
        {"claims_digest", common::hex_encode(r.claims_digest)}}},
      {"tree_size", r.tree_size},
      {"path", std::move(path)},
      {"signature",
       {{"seqno", r.signature_seqno},
        {"history_root", common::hex_encode(r.history_root)},
        {"state_root", common::hex_encode(r.state_root)},
        {"ed25519_public_key", common::base64url_encode(r.ed25519_public_key)},
        {"ed25519_signature", common::base64url_encode(r.ed25519_signature)},
        {"mldsa65_public_key", common::base64url_encode(r.mldsa_public_key)},
        {"mldsa65_signature", common::base64url_encode(r.mldsa_signature)}}},
  };
}

namespace {

Result<Bytes> b64_field(const common::Json& j, std::string_view field) {
  T3N_ASSIGN_OR_RETURN(std::string s, common::json_string(j, field));
  auto r = common::base64url_decode(s);
  if (!r.ok()) return r.status().with_context("field '" + std::string(field) + "'");
  return r;
}

}  // namespace

Result<Receipt> receipt_from_json(const common::Json& j) {
  Receipt r;
  T3N_ASSIGN_OR_RETURN(r.seqno, common::json_u64(j, "seqno"));
  T3N_ASSIGN_OR_RETURN(r.tree_size, common::json_u64(j, "tree_size"));
  if (!j.contains("leaf_components") || !j.contains("signature"))
    return common::invalid_argument("receipt: 'leaf_components' and 'signature' are required");
  const auto& lc = j["leaf_components"];
  T3N_ASSIGN_OR_RETURN(r.write_set_digest, json_digest(lc, "write_set_digest"));
  T3N_ASSIGN_OR_RETURN(r.commit_evidence, json_digest(lc, "commit_evidence"));
  T3N_ASSIGN_OR_RETURN(r.claims_digest, json_digest(lc, "claims_digest"));
  T3N_ASSIGN_OR_RETURN(r.path, json_digest_list(j, "path", 64));
  const auto& s = j["signature"];
  T3N_ASSIGN_OR_RETURN(r.signature_seqno, common::json_u64(s, "seqno"));
  T3N_ASSIGN_OR_RETURN(r.history_root, json_digest(s, "history_root"));
  T3N_ASSIGN_OR_RETURN(r.state_root, json_digest(s, "state_root"));
  T3N_ASSIGN_OR_RETURN(r.ed25519_public_key, b64_field(s, "ed25519_public_key"));
  T3N_ASSIGN_OR_RETURN(r.ed25519_signature, b64_field(s, "ed25519_signature"));
  T3N_ASSIGN_OR_RETURN(r.mldsa_public_key, b64_field(s, "mldsa65_public_key"));
  T3N_ASSIGN_OR_RETURN(r.mldsa_signature, b64_field(s, "mldsa65_signature"));
  return r;
}

}  // namespace t3n::store
