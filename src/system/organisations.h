// Organisations and their data tier (SYSTEM-CONTRACTS.md tee:organisation,
// tee:org-data): an organisation is a did:t3n its creator made; its policy
// names the admins (who manage it), per-scope writers (who may write data)
// and per-contract user grants (functions, scopes, constraints, expiry) that
// delegation credentials are checked against. Org data entries are opaque
// bytes per (scope, entry id). Everything is private state (encrypted at
// rest). Shared by both contracts, org-owned tenants and tee:delegation.
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

namespace t3n::system {

// org id (20) → {"name", "creator", "created_at_ms"}.
inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kOrgsTable{"orgs"};
// org id → the policy meta (OrgPolicyMeta's wire shape).
inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kOrgPolicyTable{"org_policy"};
// org id ‖ scope → {"writers": [...]}.
inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kOrgWritersTable{"org_writers"};
// org id ‖ contract id → {"grants": [...]}.
inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kOrgGrantsTable{"org_grants"};
// org id ‖ len(scope) ‖ scope ‖ entry id (16) → {"payload_hex", "writer", "updated_at_ms"}.
inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kOrgDataTable{"org_data"};
// org id ‖ scope → the number of entries in the scope (u64).
inline constexpr store::TableDef<store::BytesCodec, store::U64Codec> kOrgScopeCounts{"org_scope_counts"};
// user id ‖ org id → "" : the organisations a user administers.
inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kUserOrgsTable{"user_orgs"};

Status ensure_organisation_tables(store::Store& store);

inline constexpr std::size_t kMaxOrgNameBytes = 128;
inline constexpr std::uint64_t kDefaultMaxAdmins = 5;
inline constexpr std::uint64_t kMaxAdminsCeiling = 64;
inline constexpr std::size_t kMaxWritersPerScope = 256;
inline constexpr std::size_t kMaxGrantsPerContract = 256;
inline constexpr std::size_t kMaxEntriesPerScope = 100000;
inline constexpr std::size_t kMaxPayloadBytes = 64 * 1024;
inline constexpr std::uint32_t kDefaultListLimit = 50;
inline constexpr std::uint32_t kMaxListLimit = 500;

// Policy knobs of the node ([delegation] in node.toml).
struct OrgPolicyDefaults {
  // The cluster's ceiling on a delegation credential's validity window.
  std::uint64_t max_credential_validity_secs = 30ull * 24 * 3600;
};

struct UserGrant {
  Bytes user;  // 20-byte id
  std::vector<std::string> functions;
  std::vector<std::string> scopes;
  std::map<std::string, std::string> constraints;
  std::optional<std::uint64_t> expires_at_secs;
  common::Json to_json() const;
};

// Creates an organisation with the caller as its sole admin and seeds its
// policy; returns its id. Deterministic (the id hashes creator, name and time).
Result<Bytes> create_organisation(store::Transaction& tx, const Bytes& creator, const std::string& name, std::uint64_t now_ms);

// The organisation's policy (none: no such org, or it has no data policy).
Result<std::optional<common::Json>> org_policy(store::Transaction& tx, const Bytes& org);
// kPermissionDenied "NotOrgAdmin: …" unless `user` is an admin of `org`
// (kNotFound "OrgNotFound: …" when the org has no policy).
Status require_org_admin(store::Transaction& tx, const Bytes& org, const Bytes& user);
Result<bool> is_org_admin(store::Transaction& tx, const Bytes& org, const Bytes& user);
// min(org cap, cluster ceiling).
Result<std::uint64_t> effective_validity_secs(store::Transaction& tx, const Bytes& org, const OrgPolicyDefaults& d);

// The live grant of `user` under `org`/`contract`, none if there is none or
// it expired at `now_secs`.
Result<std::optional<UserGrant>> live_grant(store::Transaction& tx, const Bytes& org, const std::string& contract,
                                            const Bytes& user, std::uint64_t now_secs);

// Scope names: 1..64 of [a-z0-9_.:-], lower-cased on the way in.
Result<std::string> canonical_scope(const std::string& scope);

// Every tee:org-data function (input → output), by its wire name; the
// caller is a 20-byte user id.
struct OrgDataCall {
  store::Transaction& tx;
  const Bytes& caller;
  const common::Json& input;
  std::uint64_t now_ms;
  const OrgPolicyDefaults& defaults;
};
Result<common::Json> org_data_function(const std::string& name, OrgDataCall& call);
std::vector<std::string> org_data_function_names();

// The organisations `user` administers: [{org_did, name}], ≤ 1000.
Result<common::Json> orgs_of(store::Transaction& tx, const Bytes& user);

}  // namespace t3n::system
