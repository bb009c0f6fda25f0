#include "consensus/tee_registry.h"

#include <algorithm>
#include <map>

#include "common/encoding.h"
#include "crypto/hash.h"

namespace t3n::consensus {

namespace {
constexpr std::string_view kDevEvidencePrefix = "t3n-dev-evidence/v1";
}  // namespace

common::Json TeeRecord::to_json() const {
  return {{"member_id", member_id},
          {"provider", provider},
          {"measurement", measurement},
          {"tcb_status", tcb_status},
          {"ed25519_public_key", ed25519_public_key},
          {"mldsa65_key_sha256", mldsa65_key_sha256},
          {"status", status},
          {"detail", detail.empty() ? common::Json(nullptr) : common::Json(detail)},
          {"verified_at_ms", verified_at_ms},
          {"expires_at_ms", expires_at_ms},
          {"verified_by", verified_by}};
}

Result<TeeRecord> TeeRecord::from_json(const common::Json& j) {
  if (!j.is_object()) return common::data_loss("a TEE registry record is not an object");
  TeeRecord r;
  r.member_id = j.value("member_id", std::uint64_t{0});
  r.provider = j.value("provider", "");
  r.measurement = j.value("measurement", "");
  r.tcb_status = j.value("tcb_status", "");
  r.ed25519_public_key = j.value("ed25519_public_key", "");
  r.mldsa65_key_sha256 = j.value("mldsa65_key_sha256", "");
  r.status = j.value("status", "");
  if (auto d = j.find("detail"); d != j.end() && d->is_string()) r.detail = d->get<std::string>();
  r.verified_at_ms = j.value("verified_at_ms", std::uint64_t{0});
  r.expires_at_ms = j.value("expires_at_ms", std::uint64_t{0});
  r.verified_by = j.value("verified_by", std::uint64_t{0});
  return r;
}

Bytes TeeRecordCodec::encode(const TeeRecord& r) { return common::to_bytes(r.to_json().dump()); }

Result<TeeRecord> TeeRecordCodec::decode(ByteView b) {
  auto j = common::parse_json(common::to_string(b));
  if (!j.ok()) return common::data_loss("a TEE registry record does not parse");
  return TeeRecord::from_json(*j);
}

Status ensure_tee_registry_table(store::Store& store) { return store::ensure_tables(store, kTeeRegistryTable); }

TeeRecord check_member(const PeerIdentity& identity, const PeerPolicy& policy, std::uint64_t now_ms,
                       const TeeRegistryPolicy& timing, std::uint64_t leader_id) {
  TeeRecord r;
  r.member_id = identity.id;
  const auto& ev = identity.evidence;
  const bool simulated = ev.size() >= kDevEvidencePrefix.size() &&
                         std::equal(kDevEvidencePrefix.begin(), kDevEvidencePrefix.end(), ev.begin());
  r.provider = simulated ? "simulated" : "unknown";
  r.measurement = common::hex_encode(crypto::sha256(ev));
  r.tcb_status = simulated ? "simulated" : "unknown";
  r.ed25519_public_key = common::base64url_encode(identity.ed25519_public_key);
  r.mldsa65_key_sha256 = common::hex_encode(crypto::sha256(identity.mldsa_public_key));
  r.verified_at_ms = now_ms;
  r.verified_by = leader_id;
  if (Status ok = policy ? policy(identity) : common::failed_precondition("no attestation policy"); ok.ok()) {
    r.status = "verified";
    r.expires_at_ms = now_ms + timing.ttl_ms;
  } else {
    r.status = "refused";
    r.detail = ok.message();
    r.expires_at_ms = now_ms;
  }
  return r;
}

Result<std::size_t> refresh_tee_registry(store::Store& store, const std::vector<std::uint64_t>& members,
                                         const std::vector<std::pair<PeerIdentity, std::uint64_t>>& seen,
                                         const PeerPolicy& policy, std::uint64_t now_ms, const TeeRegistryPolicy& timing,
                                         std::uint64_t leader_id) {
  std::map<std::uint64_t, const std::pair<PeerIdentity, std::uint64_t>*> latest;
  for (const auto& s : seen) latest[s.first.id] = &s;
  auto tx = store.begin(store::Principal::system());
  auto table = kTeeRegistryTable.in(tx);
  std::size_t written = 0;
  for (std::uint64_t id : members) {
    T3N_ASSIGN_OR_RETURN(auto have, table.get(id));
    auto it = latest.find(id);
    std::optional<TeeRecord> next;
    if (it != latest.end()) {
      // Evidence from a handshake newer than the record, or a record due
      // for its re-check: check (again) against the policy now.
      const bool newer = !have || it->second->second > have->verified_at_ms;
      const bool due = have && now_ms >= have->verified_at_ms + timing.reverify_ms;
      if (newer || due || (have && have->status != "verified")) {
        TeeRecord r = check_member(it->second->first, policy, now_ms, timing, leader_id);
        if (!have || due || newer || r.status != have->status || r.measurement != have->measurement) next = std::move(r);
      }
    } else if (have && have->status == "verified" && now_ms >= have->expires_at_ms) {
      TeeRecord r = *have;
      r.status = "expired";
      r.detail = "no attested link from this member since its record expired";
      next = std::move(r);
    }
    if (next) {
      T3N_RETURN_IF_ERROR(table.put(id, *next));
      ++written;
    }
  }
  if (written == 0) return written;
  T3N_RETURN_IF_ERROR(store.commit(tx).status());
  return written;
}

Result<std::vector<TeeRecord>> list_tee_registry(store::Store& store, const std::string& provider) {
  auto tx = store.begin(store::Principal::system());
  if (!store.map_spec(std::string(kTeeRegistryTable.name))) return std::vector<TeeRecord>{};
  T3N_ASSIGN_OR_RETURN(auto rows, kTeeRegistryTable.in(tx).scan({}, {}, 1000));
  std::vector<TeeRecord> out;
  for (auto& [id, r] : rows)
    if (provider.empty() || r.provider == provider) out.push_back(std::move(r));
  return out;
}

}  // namespace t3n::consensus
