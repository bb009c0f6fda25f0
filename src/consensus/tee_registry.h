// The TEE registry: every cluster member's attestation as the cluster
// checked it, in the replicated `tee_registry` table (member id → record,
// JSON). The leader keeps it: a member attested on a peer link (its
// evidence binds its node keys and passed the cluster's policy) gets a
// `verified` record that expires after `ttl_ms`; the leader re-checks each
// member's latest evidence against the policy every `reverify_ms`; a member
// whose evidence fails becomes `refused`, one not seen again before its
// record expires becomes `expired`. GET /api/tee-registry serves it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "consensus/peer_channel.h"
#include "store/store.h"
#include "store/table.h"

namespace t3n::consensus {

struct TeeRecord {
  std::uint64_t member_id = 0;
  std::string provider;     // "simulated" (dev clusters), later IntelTdx / AmdSevSnp / AwsNitro
  std::string measurement;  // hex; simulated: SHA-256 of the evidence
  std::string tcb_status;   // "simulated", or the verifier's TCB status
  std::string ed25519_public_key;  // base64url
  std::string mldsa65_key_sha256;  // hex
  std::string status;       // "verified", "refused" or "expired"
  std::string detail;       // why, when not verified
  std::uint64_t verified_at_ms = 0, expires_at_ms = 0;
  std::uint64_t verified_by = 0;  // the leader that checked it

  common::Json to_json() const;
  static Result<TeeRecord> from_json(const common::Json& j);
};

struct TeeRecordCodec {
  using Value = TeeRecord;
  static Bytes encode(const TeeRecord& r);
  static Result<TeeRecord> decode(ByteView b);
};

inline constexpr store::TableDef<store::U64Codec, TeeRecordCodec> kTeeRegistryTable{"tee_registry"};

Status ensure_tee_registry_table(store::Store& store);

struct TeeRegistryPolicy {
  std::uint64_t reverify_ms = 5 * 60 * 1000;
  std::uint64_t ttl_ms = 30 * 60 * 1000;
};

// What the registry says of a peer identity under `policy` now.
TeeRecord check_member(const PeerIdentity& identity, const PeerPolicy& policy, std::uint64_t now_ms,
                       const TeeRegistryPolicy& timing, std::uint64_t leader_id);

// The leader's pass over the registry: `members` are the configuration's
// ids, `seen` the latest attested identity of each member (this one's own
// included). Writes only what changed or is due; returns how many records.
Result<std::size_t> refresh_tee_registry(store::Store& store, const std::vector<std::uint64_t>& members,
                                         const std::vector<std::pair<PeerIdentity, std::uint64_t>>& seen,
                                         const PeerPolicy& policy, std::uint64_t now_ms, const TeeRegistryPolicy& timing,
                                         std::uint64_t leader_id);

// Every record (optionally of one provider), member ids ascending.
Result<std::vector<TeeRecord>> list_tee_registry(store::Store& store, const std::string& provider = "");

}  // namespace t3n::consensus
