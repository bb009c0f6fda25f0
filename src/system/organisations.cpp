#include "system/organisations.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "common/encoding.h"
#include "crypto/hash.h"
#include "identity/did.h"

namespace t3n::system {
namespace {

using common::Json;

Bytes concat(ByteView a, ByteView b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Result<Json> decode_row(const Bytes& raw, const char* what) {
  auto j = common::parse_json(common::to_string(raw), 16);
  if (!j.ok()) return common::data_loss(std::string("an organisation's ") + what + " row is corrupt");
  return std::move(*j);
}

Result<std::optional<Json>> read_json(store::Table<store::BytesCodec, store::BytesCodec> table, const Bytes& key, const char* what) {
  T3N_ASSIGN_OR_RETURN(auto raw, table.get(key));
  if (!raw) return std::optional<Json>();
  T3N_ASSIGN_OR_RETURN(Json j, decode_row(*raw, what));
  return std::optional<Json>(std::move(j));
}

Status put_json(store::Table<store::BytesCodec, store::BytesCodec> table, const Bytes& key, const Json& j) {
  return table.put(key, common::to_bytes(j.dump()));
}

// Input fields: every tee:org-data input is an object carrying org_did.
const Json* field(const Json& in, const char* name) {
  if (!in.is_object()) return nullptr;
  auto it = in.find(name);
  return it == in.end() || it->is_null() ? nullptr : &*it;
}

Result<std::string> string_field(const Json& in, const char* name) {
  const Json* f = field(in, name);
  if (f == nullptr || !f->is_string()) return common::invalid_argument(std::string("InvalidInput: '") + name + "' is required (a string)");
  return f->get<std::string>();
}

Result<std::string> scope_field(const Json& in) {
  T3N_ASSIGN_OR_RETURN(std::string scope, string_field(in, "scope"));
  return canonical_scope(scope);
}

Result<Bytes> did_field(const Json& in, const char* name) {
  T3N_ASSIGN_OR_RETURN(std::string did, string_field(in, name));
  auto id = identity::parse_t3n_did(did);
  if (!id.ok()) return common::invalid_argument(std::string("InvalidDid: '") + name + "' must be did:t3n:<40 hex>");
  return std::move(*id);
}

Result<std::vector<Bytes>> did_list(const Json& in, const char* name, std::size_t max) {
  const Json* f = field(in, name);
  if (f == nullptr || !f->is_array()) return common::invalid_argument(std::string("InvalidInput: '") + name + "' must be a list of DIDs");
  if (f->size() > max) return common::invalid_argument(std::string("TooMany: '") + name + "' holds at most " + std::to_string(max));
  std::vector<Bytes> out;
  std::set<Bytes> seen;
  for (const auto& d : *f) {
    if (!d.is_string()) return common::invalid_argument(std::string("InvalidDid: '") + name + "' must be a list of did:t3n:<40 hex>");
    auto id = identity::parse_t3n_did(d.get<std::string>());
    if (!id.ok()) return common::invalid_argument(std::string("InvalidDid: '") + name + "' must be a list of did:t3n:<40 hex>");
    if (seen.insert(*id).second) out.push_back(std::move(*id));
  }
  return out;
}

Json did_array(const std::vector<Bytes>& ids) {
  Json a = Json::array();
  for (const auto& id : ids) a.push_back(identity::t3n_did(id));
  return a;
}

Result<std::optional<std::uint64_t>> optional_u64(const Json& in, const char* name) {
  const Json* f = field(in, name);
  if (f == nullptr) return std::optional<std::uint64_t>();
  if (!f->is_number_unsigned() && !(f->is_number_integer() && f->get<std::int64_t>() >= 0))
    return common::invalid_argument(std::string("InvalidInput: '") + name + "' must be a non-negative integer");
  return std::optional<std::uint64_t>(f->get<std::uint64_t>());
}

// The first key after every key that starts with `prefix` (an end bound
// for scans; keys here are shorter than 320 bytes).
Bytes prefix_end(ByteView prefix) {
  Bytes end(prefix.begin(), prefix.end());
  end.insert(end.end(), 320, 0xff);
  return end;
}

Bytes data_prefix(const Bytes& org, const std::string& scope) {
  Bytes k = org;
  k.push_back(static_cast<std::uint8_t>(scope.size()));
  k.insert(k.end(), scope.begin(), scope.end());
  return k;
}

Result<Bytes> entry_id_of(const Json& in, const Bytes& org, const std::string& scope, const Bytes& writer, bool allow_seq) {
  if (const Json* e = field(in, "entry_id")) {
    if (!e->is_string()) return common::invalid_argument("InvalidEntryId: 32 lower-case hex characters");
    std::string text = e->get<std::string>();
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto id = common::hex_decode_canonical(text, 16);
    if (!id.ok()) return common::invalid_argument("InvalidEntryId: 32 lower-case hex characters");
    return std::move(*id);
  }
  if (!allow_seq) return common::invalid_argument("InvalidInput: 'entry_id' is required");
  T3N_ASSIGN_OR_RETURN(auto seq, optional_u64(in, "client_seq_no"));
  if (!seq) return common::invalid_argument("InvalidInput: org-data-write needs entry_id or client_seq_no");
  // SHA-256 over (org, scope, writer, seq), domain-separated; its first 16 bytes.
  std::string pre = "t3n org-data entry|" + identity::t3n_did(org) + "|" + scope + "|" + identity::t3n_did(writer) + "|" + std::to_string(*seq);
  const auto d = crypto::sha256(common::as_bytes(pre));
  return Bytes(d.begin(), d.begin() + 16);
}

Json mutation(const char* status) { return Json{{"status", status}, {"tx_hash", nullptr}}; }

// A full replacement of one policy row: an empty list deletes it.
Result<Json> replace_row(store::Table<store::BytesCodec, store::BytesCodec> table, const Bytes& key, bool empty, const Json& row) {
  if (empty) {
    T3N_ASSIGN_OR_RETURN(bool existed, table.remove(key));
    Json out = mutation("deleted");
    out["deleted"] = existed;
    return out;
  }
  T3N_ASSIGN_OR_RETURN(auto existing, table.get(key));
  T3N_RETURN_IF_ERROR(put_json(table, key, row));
  return mutation(existing ? "updated" : "created");
}

Result<Json> require_policy(store::Transaction& tx, const Bytes& org) {
  T3N_ASSIGN_OR_RETURN(auto p, org_policy(tx, org));
  if (!p) return common::not_found("OrgNotFound: " + identity::t3n_did(org) + " has no organisation policy");
  return std::move(*p);
}

std::vector<Bytes> admins_of(const Json& policy) {
  std::vector<Bytes> out;
  if (policy.contains("admins") && policy["admins"].is_array())
    for (const auto& a : policy["admins"])
      if (a.is_string())
        if (auto id = identity::parse_t3n_did(a.get<std::string>()); id.ok()) out.push_back(std::move(*id));
  return out;
}

Status set_admin_index(store::Transaction& tx, const Bytes& org, const std::vector<Bytes>& before, const std::vector<Bytes>& after) {
  auto index = kUserOrgsTable.in(tx);
  for (const auto& u : before)
    if (std::find(after.begin(), after.end(), u) == after.end()) T3N_RETURN_IF_ERROR(index.remove(concat(u, org)).status());
  for (const auto& u : after) T3N_RETURN_IF_ERROR(index.put(concat(u, org), {}));
  return {};
}

Result<UserGrant> parse_grant(const Json& g) {
  if (!g.is_object()) return common::invalid_argument("InvalidGrant: each grant is an object");
  UserGrant out;
  T3N_ASSIGN_OR_RETURN(out.user, did_field(g, "user_did"));
  for (const char* list : {"functions", "scopes"}) {
    const Json* f = field(g, list);
    if (f == nullptr) continue;
    if (!f->is_array() || f->size() > 64) return common::invalid_argument(std::string("InvalidGrant: '") + list + "' is a list of ≤ 64 strings");
    for (const auto& s : *f) {
      if (!s.is_string() || s.get<std::string>().empty() || s.get<std::string>().size() > 128)
        return common::invalid_argument(std::string("InvalidGrant: '") + list + "' entries are 1..128 characters");
      std::string v = s.get<std::string>();
      if (std::string(list) == "scopes") {
        T3N_ASSIGN_OR_RETURN(v, canonical_scope(v));
        out.scopes.push_back(v);
      } else {
        out.functions.push_back(v);
      }
    }
  }
  if (const Json* c = field(g, "constraints")) {
    if (!c->is_object() || c->size() > 32) return common::invalid_argument("InvalidGrant: 'constraints' is an object of ≤ 32 strings");
    for (const auto& [k, v] : c->items()) {
      if (!v.is_string() || k.size() > 128 || v.get<std::string>().size() > 256)
        return common::invalid_argument("InvalidGrant: 'constraints' values are strings");
      out.constraints[k] = v.get<std::string>();
    }
  }
  T3N_ASSIGN_OR_RETURN(out.expires_at_secs, optional_u64(g, "expires_at_secs"));
  return out;
}

Result<std::vector<UserGrant>> grants_from_row(const Json& row) {
  std::vector<UserGrant> out;
  if (!row.contains("grants") || !row["grants"].is_array()) return out;
  for (const auto& g : row["grants"]) {
    auto parsed = parse_grant(g);
    if (!parsed.ok()) return common::data_loss("an organisation's grant row is corrupt");
    out.push_back(std::move(*parsed));
  }
  return out;
}

Result<std::string> contract_id_field(const Json& in) {
  T3N_ASSIGN_OR_RETURN(std::string c, string_field(in, "contract_id"));
  if (c.empty() || c.size() > 256) return common::invalid_argument("InvalidContractId: 1..256 characters");
  return c;
}

Result<std::vector<Bytes>> writers_of(store::Transaction& tx, const Bytes& org, const std::string& scope) {
  T3N_ASSIGN_OR_RETURN(auto row, read_json(kOrgWritersTable.in(tx), concat(org, common::as_bytes(scope)), "writers"));
  std::vector<Bytes> out;
  if (row && row->contains("writers") && (*row)["writers"].is_array())
    for (const auto& w : (*row)["writers"])
      if (w.is_string())
        if (auto id = identity::parse_t3n_did(w.get<std::string>()); id.ok()) out.push_back(std::move(*id));
  return out;
}

// May `user` read `scope`'s entries? Admins may; so may a user holding a
// live grant of this org (any contract) that names the scope.
Result<bool> may_read(store::Transaction& tx, const Bytes& org, const std::string& scope, const Bytes& user, std::uint64_t now_secs) {
  T3N_ASSIGN_OR_RETURN(bool admin, is_org_admin(tx, org, user));
  if (admin) return true;
  T3N_ASSIGN_OR_RETURN(auto rows, kOrgGrantsTable.in(tx).scan(org, prefix_end(org), 1000));
  for (const auto& [_, raw] : rows) {
    T3N_ASSIGN_OR_RETURN(Json row, decode_row(raw, "grant"));
    T3N_ASSIGN_OR_RETURN(auto grants, grants_from_row(row));
    for (const auto& g : grants)
      if (g.user == user && (!g.expires_at_secs || *g.expires_at_secs >= now_secs) &&
          std::find(g.scopes.begin(), g.scopes.end(), scope) != g.scopes.end())
        return true;
  }
  return false;
}

// ---- the tee:org-data functions ----

Result<Json> policy_create(OrgDataCall& c) {
  T3N_ASSIGN_OR_RETURN(Bytes org, did_field(c.input, "org_did"));
  T3N_ASSIGN_OR_RETURN(Bytes admin, did_field(c.input, "initial_admin_did"));
  if (admin != c.caller) return common::permission_denied("NotInitialAdmin: the caller must be initial_admin_did");
  T3N_ASSIGN_OR_RETURN(auto max_admins, optional_u64(c.input, "max_admins"));
  if (max_admins && (*max_admins == 0 || *max_admins > kMaxAdminsCeiling))
    return common::invalid_argument("InvalidMaxAdmins: 1.." + std::to_string(kMaxAdminsCeiling));
  T3N_ASSIGN_OR_RETURN(auto org_row, read_json(kOrgsTable.in(c.tx), org, "record"));
  if (!org_row) return common::not_found("OrgNotFound: " + identity::t3n_did(org) + " is not an organisation of this node");
  if ((*org_row)["creator"] != identity::t3n_did(c.caller))
    return common::permission_denied("NotOrgCreator: only the organisation's creator may initialise its policy");
  T3N_ASSIGN_OR_RETURN(auto existing, org_policy(c.tx, org));
  if (existing) return common::failed_precondition("PolicyExists: " + identity::t3n_did(org) + " already has a policy");
  const std::uint64_t now = c.now_ms / 1000;
  Json p = {{"admins", did_array({admin})}, {"max_admins", max_admins.value_or(kDefaultMaxAdmins)}, {"created_at_secs", now}, {"updated_at_secs", now}};
  T3N_RETURN_IF_ERROR(put_json(kOrgPolicyTable.in(c.tx), org, p));
  T3N_RETURN_IF_ERROR(set_admin_index(c.tx, org, {}, {admin}));
  return mutation("created");
}

Result<Json> policy_update_meta(OrgDataCall& c) {
  T3N_ASSIGN_OR_RETURN(Bytes org, did_field(c.input, "org_did"));
  T3N_RETURN_IF_ERROR(require_org_admin(c.tx, org, c.caller));
  T3N_ASSIGN_OR_RETURN(Json p, require_policy(c.tx, org));
  T3N_ASSIGN_OR_RETURN(auto admins, did_list(c.input, "admins", kMaxAdminsCeiling));
  T3N_ASSIGN_OR_RETURN(auto max_admins, optional_u64(c.input, "max_admins"));
  T3N_ASSIGN_OR_RETURN(auto validity, optional_u64(c.input, "max_credential_validity_secs"));
  const std::uint64_t cap = max_admins.value_or(p.value("max_admins", kDefaultMaxAdmins));
  if (cap == 0 || cap > kMaxAdminsCeiling) return common::invalid_argument("InvalidMaxAdmins: 1.." + std::to_string(kMaxAdminsCeiling));
  if (admins.empty()) return common::invalid_argument("NoAdmins: an organisation keeps at least one admin");
  if (admins.size() > cap)
    return common::invalid_argument("TooManyAdmins: " + std::to_string(admins.size()) + " admins exceed max_admins " + std::to_string(cap));
  const auto before = admins_of(p);
  const bool keeps_self = std::find(admins.begin(), admins.end(), c.caller) != admins.end();
  if (!keeps_self && before.size() == 1)
    return common::failed_precondition("SoleAdmin: the sole admin cannot remove themselves; add another admin first");
  if (validity && *validity == 0) return common::invalid_argument("InvalidValidity: max_credential_validity_secs must be positive");
  p["admins"] = did_array(admins);
  p["max_admins"] = cap;
  if (validity) p["max_credential_validity_secs"] = *validity;
  p["updated_at_secs"] = c.now_ms / 1000;
  T3N_RETURN_IF_ERROR(put_json(kOrgPolicyTable.in(c.tx), org, p));
  T3N_RETURN_IF_ERROR(set_admin_index(c.tx, org, before, admins));
  return mutation("updated");
}

Result<Json> policy_set_writers(OrgDataCall& c) {
  T3N_ASSIGN_OR_RETURN(Bytes org, did_field(c.input, "org_did"));
  T3N_RETURN_IF_ERROR(require_org_admin(c.tx, org, c.caller));
  T3N_ASSIGN_OR_RETURN(std::string scope, scope_field(c.input));
  T3N_ASSIGN_OR_RETURN(auto writers, did_list(c.input, "writers", kMaxWritersPerScope));
  return replace_row(kOrgWritersTable.in(c.tx), concat(org, common::as_bytes(scope)), writers.empty(),
                     Json{{"writers", did_array(writers)}});
}

Result<Json> policy_set_grants(OrgDataCall& c) {
  T3N_ASSIGN_OR_RETURN(Bytes org, did_field(c.input, "org_did"));
  T3N_RETURN_IF_ERROR(require_org_admin(c.tx, org, c.caller));
  T3N_ASSIGN_OR_RETURN(std::string contract, contract_id_field(c.input));
  const Json* list = field(c.input, "grants");
  if (list == nullptr || !list->is_array()) return common::invalid_argument("InvalidInput: 'grants' must be a list");
  if (list->size() > kMaxGrantsPerContract)
    return common::invalid_argument("TooMany: at most " + std::to_string(kMaxGrantsPerContract) + " grants per contract");
  Json grants = Json::array();
  std::set<Bytes> users;
  for (const auto& g : *list) {
    T3N_ASSIGN_OR_RETURN(UserGrant parsed, parse_grant(g));
    if (!users.insert(parsed.user).second)
      return common::invalid_argument("DuplicateGrant: " + identity::t3n_did(parsed.user) + " appears twice");
    grants.push_back(parsed.to_json());
  }
  return replace_row(kOrgGrantsTable.in(c.tx), concat(org, common::as_bytes(contract)), grants.empty(), Json{{"grants", grants}});
}

Result<Json> policy_delete_grants(OrgDataCall& c) {
  T3N_ASSIGN_OR_RETURN(Bytes org, did_field(c.input, "org_did"));
  T3N_RETURN_IF_ERROR(require_org_admin(c.tx, org, c.caller));
  T3N_ASSIGN_OR_RETURN(std::string contract, contract_id_field(c.input));
  T3N_ASSIGN_OR_RETURN(bool existed, kOrgGrantsTable.in(c.tx).remove(concat(org, common::as_bytes(contract))));
  Json out = mutation("deleted");
  out["deleted"] = existed;
  return out;
}

// The org and scope of a data mutation, once the caller is one of the scope's writers.
Result<std::pair<Bytes, std::string>> writer_scope(OrgDataCall& c) {
  T3N_ASSIGN_OR_RETURN(Bytes org, did_field(c.input, "org_did"));
  T3N_RETURN_IF_ERROR(require_policy(c.tx, org).status());
  T3N_ASSIGN_OR_RETURN(std::string scope, scope_field(c.input));
  T3N_ASSIGN_OR_RETURN(auto writers, writers_of(c.tx, org, scope));
  if (std::find(writers.begin(), writers.end(), c.caller) == writers.end())
    return common::permission_denied("NotWriter: the caller may not write scope '" + scope + "' of " + identity::t3n_did(org));
  return std::make_pair(std::move(org), std::move(scope));
}

Result<Json> data_write(OrgDataCall& c) {
  T3N_ASSIGN_OR_RETURN(auto target, writer_scope(c));
  const auto& [org, scope] = target;
  T3N_ASSIGN_OR_RETURN(std::string payload_hex, string_field(c.input, "payload_hex"));
  std::transform(payload_hex.begin(), payload_hex.end(), payload_hex.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  auto payload = common::hex_decode_canonical(payload_hex, payload_hex.size() / 2);
  if (payload_hex.size() % 2 != 0 || !payload.ok()) return common::invalid_argument("InvalidPayload: 'payload_hex' must be hex");
  if (payload->size() > kMaxPayloadBytes)
    return common::invalid_argument("PayloadTooLarge: at most " + std::to_string(kMaxPayloadBytes) + " bytes");
  T3N_ASSIGN_OR_RETURN(Bytes entry, entry_id_of(c.input, org, scope, c.caller, true));
  auto data = kOrgDataTable.in(c.tx);
  const Bytes key = concat(data_prefix(org, scope), entry);
  T3N_ASSIGN_OR_RETURN(auto existing, data.get(key));
  if (!existing) {
    auto counts = kOrgScopeCounts.in(c.tx);
    const Bytes ck = concat(org, common::as_bytes(scope));
    T3N_ASSIGN_OR_RETURN(auto n, counts.get(ck));
    if (n.value_or(0) >= kMaxEntriesPerScope)
      return common::failed_precondition("ScopeFull: a scope holds at most " + std::to_string(kMaxEntriesPerScope) + " entries");
    T3N_RETURN_IF_ERROR(counts.put(ck, n.value_or(0) + 1));
  }
  T3N_RETURN_IF_ERROR(put_json(data, key, Json{{"payload_hex", payload_hex}, {"writer", identity::t3n_did(c.caller)}, {"updated_at_ms", c.now_ms}}));
  Json out = mutation(existing ? "updated" : "created");
  out["entry_id"] = common::hex_encode(entry);
  return out;
}

Status uncount(store::Transaction& tx, const Bytes& org, const std::string& scope, std::uint64_t removed) {
  auto counts = kOrgScopeCounts.in(tx);
  const Bytes ck = concat(org, common::as_bytes(scope));
  T3N_ASSIGN_OR_RETURN(auto n, counts.get(ck));
  const std::uint64_t left = n.value_or(0) > removed ? *n - removed : 0;
  if (left == 0) return counts.remove(ck).status();
  return counts.put(ck, left);
}

Result<Json> data_delete(OrgDataCall& c) {
  T3N_ASSIGN_OR_RETURN(auto target, writer_scope(c));
  const auto& [org, scope] = target;
  T3N_ASSIGN_OR_RETURN(Bytes entry, entry_id_of(c.input, org, scope, c.caller, false));
  T3N_ASSIGN_OR_RETURN(bool existed, kOrgDataTable.in(c.tx).remove(concat(data_prefix(org, scope), entry)));
  if (existed) T3N_RETURN_IF_ERROR(uncount(c.tx, org, scope, 1));
  Json out = mutation("deleted");
  out["entry_id"] = common::hex_encode(entry);
  out["deleted"] = existed;
  return out;
}

Result<Json> data_delete_scope(OrgDataCall& c) {
  T3N_ASSIGN_OR_RETURN(Bytes org, did_field(c.input, "org_did"));
  T3N_RETURN_IF_ERROR(require_org_admin(c.tx, org, c.caller));
  T3N_ASSIGN_OR_RETURN(std::string scope, scope_field(c.input));
  const Bytes prefix = data_prefix(org, scope);
  const Bytes end = prefix_end(prefix);
  auto data = kOrgDataTable.in(c.tx);
  std::uint64_t removed = 0;
  for (;;) {
    T3N_ASSIGN_OR_RETURN(auto keys, c.tx.scan(kOrgDataTable.name, prefix, end, 1000));
    std::uint64_t this_round = 0;
    for (const auto& [k, _] : keys) {
      T3N_ASSIGN_OR_RETURN(bool gone, data.remove(k));
      this_round += gone ? 1 : 0;
    }
    removed += this_round;
    if (this_round == 0) break;  // the scan sees this transaction's removals
  }
  T3N_RETURN_IF_ERROR(uncount(c.tx, org, scope, removed));
  Json out = mutation("deleted");
  out["deleted_entries"] = removed;
  return out;
}

Result<Json> policy_get(OrgDataCall& c) {
  T3N_ASSIGN_OR_RETURN(Bytes org, did_field(c.input, "org_did"));
  T3N_RETURN_IF_ERROR(require_org_admin(c.tx, org, c.caller));
  return require_policy(c.tx, org);
}

Result<Json> policy_view(OrgDataCall& c) {
  T3N_ASSIGN_OR_RETURN(Bytes org, did_field(c.input, "org_did"));
  T3N_ASSIGN_OR_RETURN(std::uint64_t secs, effective_validity_secs(c.tx, org, c.defaults));
  return Json{{"effective_validity_secs", secs}};
}

Result<Json> writers_get(OrgDataCall& c) {
  T3N_ASSIGN_OR_RETURN(Bytes org, did_field(c.input, "org_did"));
  T3N_RETURN_IF_ERROR(require_org_admin(c.tx, org, c.caller));
  T3N_ASSIGN_OR_RETURN(std::string scope, scope_field(c.input));
  T3N_ASSIGN_OR_RETURN(auto writers, writers_of(c.tx, org, scope));
  return Json{{"writers", did_array(writers)}};
}

Result<Json> grants_get(OrgDataCall& c) {
  T3N_ASSIGN_OR_RETURN(Bytes org, did_field(c.input, "org_did"));
  T3N_RETURN_IF_ERROR(require_org_admin(c.tx, org, c.caller));
  T3N_ASSIGN_OR_RETURN(std::string contract, contract_id_field(c.input));
  T3N_ASSIGN_OR_RETURN(auto row, read_json(kOrgGrantsTable.in(c.tx), concat(org, common::as_bytes(contract)), "grant"));
  Json grants = row && row->contains("grants") ? (*row)["grants"] : Json::array();
  return Json{{"contract_id", contract}, {"grants", grants}};
}

// The org and scope of a data read, once the caller may read the scope.
Result<std::pair<Bytes, std::string>> reader_scope(OrgDataCall& c) {
  T3N_ASSIGN_OR_RETURN(Bytes org, did_field(c.input, "org_did"));
  T3N_RETURN_IF_ERROR(require_policy(c.tx, org).status());
  T3N_ASSIGN_OR_RETURN(std::string scope, scope_field(c.input));
  T3N_ASSIGN_OR_RETURN(bool allowed, may_read(c.tx, org, scope, c.caller, c.now_ms / 1000));
  if (!allowed) return common::permission_denied("NotOrgReader: the caller may not read scope '" + scope + "' of " + identity::t3n_did(org));
  return std::make_pair(std::move(org), std::move(scope));
}

Result<Json> data_list(OrgDataCall& c) {
  T3N_ASSIGN_OR_RETURN(auto target, reader_scope(c));
  const auto& [org, scope] = target;
  T3N_ASSIGN_OR_RETURN(auto offset, optional_u64(c.input, "offset"));
  T3N_ASSIGN_OR_RETURN(auto limit_in, optional_u64(c.input, "limit"));
  const std::uint64_t limit = std::clamp<std::uint64_t>(limit_in.value_or(kDefaultListLimit), 1, kMaxListLimit);
  T3N_ASSIGN_OR_RETURN(auto total, kOrgScopeCounts.in(c.tx).get(concat(org, common::as_bytes(scope))));
  const std::uint64_t n = total.value_or(0);
  const std::uint64_t from = offset.value_or(0);
  Json ids = Json::array();
  if (from < n) {
    const Bytes prefix = data_prefix(org, scope);
    const Bytes end = prefix_end(prefix);
    // Entries are ordered by id; the page is [from, from + limit).
    T3N_ASSIGN_OR_RETURN(auto rows, c.tx.scan(kOrgDataTable.name, prefix, end, static_cast<std::uint32_t>(std::min<std::uint64_t>(from + limit, kMaxEntriesPerScope))));
    for (std::size_t i = from; i < rows.size(); ++i)
      ids.push_back(common::hex_encode(ByteView(rows[i].first).subspan(prefix.size())));
  }
  const std::uint64_t next = from + ids.size();
  return Json{{"entry_ids", ids}, {"next_offset", next < n && !ids.empty() ? Json(next) : Json(nullptr)}, {"total", n}};
}

Result<Json> data_get(OrgDataCall& c) {
  T3N_ASSIGN_OR_RETURN(auto target, reader_scope(c));
  const auto& [org, scope] = target;
  T3N_ASSIGN_OR_RETURN(Bytes entry, entry_id_of(c.input, org, scope, c.caller, false));
  T3N_ASSIGN_OR_RETURN(auto row, read_json(kOrgDataTable.in(c.tx), concat(data_prefix(org, scope), entry), "data"));
  if (!row) return common::not_found("EntryNotFound: no entry " + common::hex_encode(entry) + " in scope '" + scope + "'");
  return Json{{"entry_id", common::hex_encode(entry)}, {"payload_hex", (*row)["payload_hex"]}};
}

using OrgDataFn = Result<Json> (*)(OrgDataCall&);
const std::map<std::string, OrgDataFn>& org_data_functions() {
  static const std::map<std::string, OrgDataFn> fns = {
      {"org-policy-create", policy_create},      {"org-policy-update-meta", policy_update_meta},
      {"org-policy-set-writers", policy_set_writers}, {"org-policy-set-grants", policy_set_grants},
      {"org-policy-delete-grants", policy_delete_grants}, {"org-data-write", data_write},
      {"org-data-delete", data_delete},          {"org-data-delete-scope", data_delete_scope},
      {"org-policy-get", policy_get},            {"org-policy-view", policy_view},
      {"org-writers-get", writers_get},          {"org-grants-get", grants_get},
      {"org-data-list", data_list},              {"org-data-get", data_get},
  };
  return fns;
}

}  // namespace

Status ensure_organisation_tables(store::Store& store) {
  return store::ensure_tables(store, kOrgsTable, kOrgPolicyTable, kOrgWritersTable, kOrgGrantsTable, kOrgDataTable, kOrgScopeCounts,
                              kUserOrgsTable);
}

Json UserGrant::to_json() const {
  Json c = Json::object();
  for (const auto& [k, v] : constraints) c[k] = v;
  return Json{{"user_did", identity::t3n_did(user)},
              {"functions", functions},
              {"scopes", scopes},
              {"constraints", c},
              {"expires_at_secs", expires_at_secs ? Json(*expires_at_secs) : Json(nullptr)}};
}

Result<std::string> canonical_scope(const std::string& scope) {
  std::string s = scope;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (s.empty() || s.size() > 64 ||
      !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':'; }))
    return common::invalid_argument("InvalidScope: a scope is 1..64 of [a-z0-9_.:-]");
  return s;
}

Result<Bytes> create_organisation(store::Transaction& tx, const Bytes& creator, const std::string& name, std::uint64_t now_ms) {
  if (name.empty() || name.size() > kMaxOrgNameBytes)
    return common::invalid_argument("InvalidName: an organisation's name is 1..128 bytes");
  if (std::any_of(name.begin(), name.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
    return common::invalid_argument("InvalidName: no control characters");
  const std::string pre = "t3n organisation|" + identity::t3n_did(creator) + "|" + std::to_string(now_ms) + "|" + name;
  const auto d = crypto::sha256(common::as_bytes(pre));
  Bytes org(d.begin(), d.begin() + 20);
  auto orgs = kOrgsTable.in(tx);
  T3N_ASSIGN_OR_RETURN(auto existing, orgs.get(org));
  if (existing) return common::failed_precondition("OrgExists: an organisation of that name was just created; retry");
  T3N_RETURN_IF_ERROR(put_json(orgs, org, Json{{"name", name}, {"creator", identity::t3n_did(creator)}, {"created_at_ms", now_ms}}));
  const std::uint64_t now = now_ms / 1000;
  T3N_RETURN_IF_ERROR(put_json(kOrgPolicyTable.in(tx), org,
                               Json{{"admins", did_array({creator})}, {"max_admins", kDefaultMaxAdmins}, {"created_at_secs", now}, {"updated_at_secs", now}}));
  T3N_RETURN_IF_ERROR(set_admin_index(tx, org, {}, {creator}));
  return org;
}

Result<std::optional<Json>> org_policy(store::Transaction& tx, const Bytes& org) { return read_json(kOrgPolicyTable.in(tx), org, "policy"); }

Result<bool> is_org_admin(store::Transaction& tx, const Bytes& org, const Bytes& user) {
  T3N_ASSIGN_OR_RETURN(auto p, org_policy(tx, org));
  if (!p) return false;
  const auto admins = admins_of(*p);
  return std::find(admins.begin(), admins.end(), user) != admins.end();
}

Status require_org_admin(store::Transaction& tx, const Bytes& org, const Bytes& user) {
  T3N_ASSIGN_OR_RETURN(auto p, org_policy(tx, org));
  if (!p) return common::not_found("OrgNotFound: " + identity::t3n_did(org) + " has no organisation policy");
  const auto admins = admins_of(*p);
  if (std::find(admins.begin(), admins.end(), user) == admins.end())
    return common::permission_denied("NotOrgAdmin: the caller is not an admin of " + identity::t3n_did(org));
  return {};
}

Result<std::uint64_t> effective_validity_secs(store::Transaction& tx, const Bytes& org, const OrgPolicyDefaults& d) {
  T3N_ASSIGN_OR_RETURN(Json p, require_policy(tx, org));
  std::uint64_t secs = d.max_credential_validity_secs;
  if (p.contains("max_credential_validity_secs") && p["max_credential_validity_secs"].is_number_unsigned())
    secs = std::min(secs, p["max_credential_validity_secs"].get<std::uint64_t>());
  return secs;
}

Result<std::optional<UserGrant>> live_grant(store::Transaction& tx, const Bytes& org, const std::string& contract, const Bytes& user,
                                            std::uint64_t now_secs) {
  T3N_ASSIGN_OR_RETURN(auto row, read_json(kOrgGrantsTable.in(tx), concat(org, common::as_bytes(contract)), "grant"));
  if (!row) return std::optional<UserGrant>();
  T3N_ASSIGN_OR_RETURN(auto grants, grants_from_row(*row));
  for (auto& g : grants)
    if (g.user == user) {
      if (g.expires_at_secs && *g.expires_at_secs < now_secs) return std::optional<UserGrant>();
      return std::optional<UserGrant>(std::move(g));
    }
  return std::optional<UserGrant>();
}

Result<Json> org_data_function(const std::string& name, OrgDataCall& call) {
  const auto& fns = org_data_functions();
  auto it = fns.find(name);
  if (it == fns.end()) return common::not_found("unknown-function: tee:org-data has no function '" + name.substr(0, 64) + "'");
  if (!call.input.is_object()) return common::invalid_argument("InvalidInput: the input must be a JSON object");
  return it->second(call);
}

std::vector<std::string> org_data_function_names() {
  std::vector<std::string> out;
  for (const auto& [n, _] : org_data_functions()) out.push_back(n);
  return out;
}

Result<Json> orgs_of(store::Transaction& tx, const Bytes& user) {
  T3N_ASSIGN_OR_RETURN(auto rows, kUserOrgsTable.in(tx).scan(user, prefix_end(user), 1000));
  Json out = Json::array();
  for (const auto& [k, _] : rows) {
    if (k.size() != 40) continue;
    const Bytes org(k.begin() + 20, k.end());
    T3N_ASSIGN_OR_RETURN(auto rec, read_json(kOrgsTable.in(tx), org, "record"));
    out.push_back(Json{{"org_did", identity::t3n_did(org)}, {"name", rec ? (*rec)["name"] : Json(nullptr)}});
  }
  return out;
}

}  // namespace t3n::system
