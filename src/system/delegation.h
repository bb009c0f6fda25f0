// Delegation credentials (SYSTEM-CONTRACTS.md tee:delegation): a user lets
// an agent key call given functions of one contract on the user's data, for
// an organisation, inside a validity window. The credential is RFC 8785 JCS
// JSON with domain "ot3.delegation/1", signed EIP-191 by the user (their
// Ethereum login, or the node with their custodial wallet). Each agent call
// carries an invocation envelope {credential_jcs, user_sig, agent_sig,
// nonce, request_hash} that the host checks before the contract runs:
// signatures, window, the org's cap and grant, revocation and nonce replay.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"
#include "store/store.h"
#include "store/table.h"
#include "system/organisations.h"
#include "system/user_accounts.h"

namespace t3n::system {

inline constexpr std::string_view kCredentialDomain = "ot3.delegation/1";
inline constexpr std::string_view kInvocationDomain = "ot3.invocation/1";
inline constexpr std::size_t kMaxCredentialFunctions = 16;
inline constexpr std::size_t kMaxCredentialBytes = 16 * 1024;

// user id (20) ‖ vc_id (16) → {"revoked_functions": null | [...], "at_ms"}.
inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kRevocationsTable{"delegation_revocations"};
// user id ‖ vc_id ‖ nonce (16) → the credential's not_after (u64): used nonces.
inline constexpr store::TableDef<store::BytesCodec, store::U64Codec> kInvocationNonces{"delegation_nonces"};
Status ensure_delegation_tables(store::Store& store);

struct DelegationCredential {
  Bytes user;          // 20-byte id of user_did
  Bytes agent_pubkey;  // 33-byte compressed secp256k1
  Bytes org;           // 20-byte id of org_did
  std::string contract;
  std::vector<std::string> functions;  // sorted, deduped, 1..16
  std::vector<std::string> scopes;
  std::map<std::string, std::string> metadata;
  std::uint64_t not_before_secs = 0;
  std::uint64_t not_after_secs = 0;
  Bytes vc_id;  // 16 bytes
  std::string vc_id_b64u() const;
};

// RFC 8785 JCS of a JSON value without fractional numbers (the credential
// and request shapes carry big integers as strings).
Result<std::string> jcs(const common::Json& value);

// The credential body in its wire projection (binary fields base64url, the
// window as decimal strings) → the parsed credential; every body invariant
// the SDK's validateCredentialBody checks. "InvalidCredential: <what>".
Result<DelegationCredential> parse_credential_body(const common::Json& body);
// JCS bytes as signed → the credential; the bytes must be canonical.
Result<DelegationCredential> parse_credential_jcs(ByteView jcs_bytes);

// A revocation of `cred` in force (whole, or the function revoked)?
Result<bool> is_revoked(store::Transaction& tx, const DelegationCredential& cred, const std::string& function);
// Records the revocation of the credential (all functions, or these; they
// merge with earlier ones). Returns the revoked set (none = whole).
Result<std::optional<std::vector<std::string>>> revoke_credential(store::Transaction& tx, const DelegationCredential& cred,
                                                                  const std::optional<std::vector<std::string>>& functions,
                                                                  std::uint64_t now_ms);

// A delegated call the host accepted.
struct AcceptedInvocation {
  DelegationCredential credential;
  Bytes subject;    // = credential.user: whose data the call acts on
  Bytes nonce_key;  // its kInvocationNonces row
};
// Checks an invocation envelope for `contract`#`function`: the credential
// (canonical, domain, window within the org's effective cap), the user's
// EIP-191 signature by an address of that user, the agent's signature over
// "ot3.invocation/1" ‖ vc_id ‖ nonce ‖ request_hash, request_hash =
// SHA-256(JCS(request)), the org grant (functions, scopes, constraints,
// expiry), revocation, and the nonce unused. A pure read: the call's own
// transaction consumes the nonce (consume_invocation_nonce) so a replay
// racing it conflicts. kPermissionDenied "DelegationRefused: <reason>".
Result<AcceptedInvocation> accept_invocation(store::Transaction& tx, const AccountServices& accounts, const OrgPolicyDefaults& defaults,
                                             const common::Json& envelope, const common::Json& request, const std::string& contract,
                                             const std::string& function, std::uint64_t now_ms);
// Records the invocation's nonce in the call's transaction; "Replay" if it
// was used already.
Status consume_invocation_nonce(store::Transaction& tx, const AcceptedInvocation& inv);

// Upkeep: deletes used nonces whose credential ended more than
// kNonceKeepAfterExpirySecs ago (the window check refuses such an envelope
// before its nonce is looked at, so the row guards nothing). Scans at most
// `limit` rows after `after` (exclusive; empty = from the start) and says
// where the next pass resumes (empty = the table was covered: start over).
inline constexpr std::uint64_t kNonceKeepAfterExpirySecs = 300;
struct NoncePruning {
  std::size_t removed = 0;
  Bytes resume_after;
};
Result<NoncePruning> prune_invocation_nonces(store::Transaction& tx, std::uint64_t now_secs, const Bytes& after,
                                             std::uint32_t limit);

}  // namespace t3n::system
