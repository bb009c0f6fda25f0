#include "system/tenant_maps.h"

#include "common/encoding.h"
#include "system/tenants.h"

namespace t3n::system {

namespace {

using common::Json;

constexpr std::size_t kMaxAclIds = 256;
constexpr std::size_t kMaxExtraGrants = 64;
constexpr std::uint32_t kMaxPurgeKeys = 10'000;

const Json* field(const Json& in, const char* name) {
  auto it = in.find(name);
  return it == in.end() ? nullptr : &*it;
}

Result<store::Visibility> parse_visibility(const Json& v) {
  if (v.is_string() && v.get<std::string>() == "private") return store::Visibility::kPrivate;
  if (v.is_string() && v.get<std::string>() == "public") return store::Visibility::kPublic;
  return common::invalid_argument("'visibility': expected \"private\" or \"public\"");
}

// "all" | {only:[contract ids]} → (any, ids). Nothing else, as the SDK's
// wire shape (PascalCase forms are refused).
Result<std::pair<bool, std::vector<std::uint32_t>>> parse_set(const Json& v, const char* what) {
  const std::string err = std::string("'") + what + "': expected \"all\" or {\"only\": [contract ids]}";
  if (v.is_string()) {
    if (v.get<std::string>() != "all") return common::invalid_argument(err);
    return std::pair<bool, std::vector<std::uint32_t>>{true, {}};
  }
  if (!v.is_object() || v.size() != 1 || !v.contains("only") || !v["only"].is_array()) return common::invalid_argument(err);
  if (v["only"].size() > kMaxAclIds) return common::invalid_argument(std::string("'") + what + "': at most 256 contract ids");
  std::vector<std::uint32_t> ids;
  for (const auto& id : v["only"]) {
    if (!id.is_number_unsigned() || id.get<std::uint64_t>() == 0 || id.get<std::uint64_t>() > 0xFFFFFFFFu)
      return common::invalid_argument(err);
    ids.push_back(static_cast<std::uint32_t>(id.get<std::uint64_t>()));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return std::pair<bool, std::vector<std::uint32_t>>{false, std::move(ids)};
}

bool is_utf8(const std::string& text) {
  try {
    (void)Json(text).dump();  // nlohmann refuses invalid UTF-8 when serialising
    return true;
  } catch (const Json::exception&) {
    return false;
  }
}

Json set_json(bool any, const std::vector<std::uint32_t>& ids) { return any ? Json("all") : Json{{"only", ids}}; }

// null | {prefix?, max_len?, charset?: any|alnum|hex|printable}
Result<store::KeyRule> parse_key_validator(const Json& v) {
  store::KeyRule rule;
  if (v.is_null()) return rule;
  const char* err = "'key_validator': expected null or {prefix?: string, max_len?: 1..65536, charset?: \"any\"|\"alnum\"|\"hex\"|\"printable\"}";
  if (!v.is_object()) return common::invalid_argument(err);
  for (const auto& [k, _] : v.items())
    if (k != "prefix" && k != "max_len" && k != "charset") return common::invalid_argument(err);
  if (const Json* p = field(v, "prefix")) {
    if (!p->is_string() || p->get<std::string>().size() > 256) return common::invalid_argument(err);
    rule.prefix = p->get<std::string>();
  }
  if (const Json* m = field(v, "max_len")) {
    if (!m->is_number_unsigned() || m->get<std::uint64_t>() == 0 || m->get<std::uint64_t>() > 65536)
      return common::invalid_argument(err);
    rule.max_len = static_cast<std::uint32_t>(m->get<std::uint64_t>());
  }
  if (const Json* c = field(v, "charset")) {
    const std::string cs = c->is_string() ? c->get<std::string>() : "";
    if (cs == "any") rule.charset = store::KeyRule::Charset::kAny;
    else if (cs == "alnum") rule.charset = store::KeyRule::Charset::kAlnum;
    else if (cs == "hex") rule.charset = store::KeyRule::Charset::kHex;
    else if (cs == "printable") rule.charset = store::KeyRule::Charset::kPrintable;
    else return common::invalid_argument(err);
  }
  return rule;
}

// Extra grants name contracts (canonical names, any tenant) → their ids.
Result<std::vector<std::uint32_t>> resolve_grants(const SystemEnv& env, store::Transaction& tx, const Json& v,
                                                  const char* what, Json& names_out) {
  if (!v.is_array() || v.size() > kMaxExtraGrants)
    return common::invalid_argument(std::string("'") + what + "': expected at most 64 contract names");
  std::vector<std::uint32_t> ids;
  names_out = Json::array();
  for (const auto& n : v) {
    if (!n.is_string()) return common::invalid_argument(std::string("'") + what + "': expected contract names");
    T3N_ASSIGN_OR_RETURN(auto row, env.registry.row(tx, n.get<std::string>()));
    if (!row || row->status == registry::ContractStatus::kUnregistered)
      return common::not_found(std::string("ContractNotFound: '") + what + "' names " + n.get<std::string>());
    ids.push_back(row->contract_id);
    names_out.push_back(n);
  }
  return ids;
}

struct MapTarget {
  TenantRecord tenant;
  std::string name;
  std::string tail;
};

Result<MapTarget> target(SystemCall& call) {
  if (!call.input.is_object()) return common::invalid_argument("input: expected an object");
  T3N_ASSIGN_OR_RETURN(TenantRecord t, tenant_for_call(call.tx, call.caller, call.input));
  T3N_ASSIGN_OR_RETURN(std::string raw, common::json_string(call.input, "map_name"));
  T3N_ASSIGN_OR_RETURN(std::string name, canonical_name(t.tid, raw));
  std::string tail = name.substr(43);
  return MapTarget{std::move(t), std::move(name), std::move(tail)};
}

Result<std::optional<Json>> read_row(store::Transaction& tx, const std::string& name) {
  T3N_ASSIGN_OR_RETURN(auto text, kTenantMapsTable.in(tx).get(name));
  if (!text) return std::optional<Json>{};
  T3N_ASSIGN_OR_RETURN(Json j, common::parse_json(*text));
  return std::optional<Json>(std::move(j));
}

Json response_of(const Json& row) {
  return {{"name", row["name"]},
          {"tail", row["tail"]},
          {"visibility", row["visibility"]},
          {"writers", row["writers"]},
          {"readers", row["readers"]},
          {"metadata",
           {{"key_validator", row["key_validator"]},
            {"admin_readable", row["admin_readable"]},
            {"extra_read_grants", row["extra_read_grants"]},
            {"extra_write_grants", row["extra_write_grants"]},
            {"created_at_ms", row["created_at_ms"]}}}};
}

// Applies the fields present in `in` to `row` and `spec`.
Status apply_fields(const SystemEnv& env, store::Transaction& tx, const Json& in, Json& row, store::MapSpec& spec) {
  if (const Json* w = field(in, "writers")) {
    T3N_ASSIGN_OR_RETURN(auto set, parse_set(*w, "writers"));
    spec.any_writer = set.first;
    spec.writers = set.second;
    row["writers"] = set_json(set.first, set.second);
  }
  if (const Json* r = field(in, "readers")) {
    if (r->is_null()) {
      spec.any_reader = false;
      spec.readers.clear();
      row["readers"] = set_json(false, {});
    } else {
      T3N_ASSIGN_OR_RETURN(auto set, parse_set(*r, "readers"));
      spec.any_reader = set.first;
      spec.readers = set.second;
      row["readers"] = set_json(set.first, set.second);
    }
    spec.readers_listed = true;
  }
  if (const Json* k = field(in, "key_validator")) {
    T3N_ASSIGN_OR_RETURN(spec.key_rule, parse_key_validator(*k));
    row["key_validator"] = *k;
  }
  if (const Json* a = field(in, "admin_readable"); a != nullptr && !a->is_null()) {
    if (!a->is_boolean()) return common::invalid_argument("'admin_readable': expected a boolean");
    row["admin_readable"] = *a;
  }
  if (const Json* g = field(in, "extra_read_grants"); g != nullptr && !g->is_null()) {
    Json names;
    T3N_ASSIGN_OR_RETURN(spec.extra_readers, resolve_grants(env, tx, *g, "extra_read_grants", names));
    row["extra_read_grants"] = names;
  }
  if (const Json* g = field(in, "extra_write_grants"); g != nullptr && !g->is_null()) {
    Json names;
    T3N_ASSIGN_OR_RETURN(spec.extra_writers, resolve_grants(env, tx, *g, "extra_write_grants", names));
    row["extra_write_grants"] = names;
  }
  return {};
}

// The map's key, as the tenant sends it (UTF-8 text).
Result<Bytes> key_of(const Json& in) {
  auto it = in.find("key");
  if (it == in.end() || !it->is_string() || it->get<std::string>().empty())
    return common::invalid_argument("'key': expected a non-empty string");
  if (it->get<std::string>().size() > 4096) return common::invalid_argument("'key': at most 4096 bytes");
  return common::to_bytes(it->get<std::string>());
}

Result<Json> existing_row(store::Transaction& tx, const MapTarget& m) {
  T3N_ASSIGN_OR_RETURN(auto row, read_row(tx, m.name));
  if (!row) return common::not_found("MapNotFound: " + m.name + " (map-create it first)");
  return *row;
}

}  // namespace

Status ensure_tenant_map_tables(store::Store& store) { return store::ensure_tables(store, kTenantMapsTable); }

Result<Json> map_create(const SystemEnv& env, SystemCall& call) {
  T3N_ASSIGN_OR_RETURN(MapTarget m, target(call));
  T3N_ASSIGN_OR_RETURN(auto existing, kTenantMapsTable.in(call.tx).get(m.name));
  if (existing.has_value()) return Status(ErrorCode::kAlreadyExists, "MapExists: " + m.name);
  if (m.tenant.maps >= m.tenant.quotas.max_maps)
    return Status(ErrorCode::kResourceExhausted, "QuotaExceeded: the tenant has " + std::to_string(m.tenant.maps) +
                                                     " maps (max_maps " + std::to_string(m.tenant.quotas.max_maps) + ")");
  const Json* vis = field(call.input, "visibility");
  if (vis == nullptr) return common::invalid_argument("'visibility': expected \"private\" or \"public\"");
  T3N_ASSIGN_OR_RETURN(store::Visibility visibility, parse_visibility(*vis));
  if (field(call.input, "writers") == nullptr) return common::invalid_argument("'writers': expected \"all\" or {\"only\": [contract ids]}");
  store::MapSpec spec;
  spec.name = m.name;
  spec.visibility = visibility;
  spec.readers_listed = true;  // readers omitted = deny all
  Json row = {{"name", m.name},
              {"tail", m.tail},
              {"visibility", visibility == store::Visibility::kPublic ? "public" : "private"},
              {"writers", set_json(false, {})},
              {"readers", set_json(false, {})},
              {"key_validator", nullptr},
              {"admin_readable", false},
              {"extra_read_grants", Json::array()},
              {"extra_write_grants", Json::array()},
              {"created_at_ms", call.now_ms}};
  T3N_RETURN_IF_ERROR(apply_fields(env, call.tx, call.input, row, spec));
  // A map a deploy created (or one deleted before) keeps its place in the
  // store; its visibility, fixed for good, must match.
  if (auto old = env.store.map_spec(m.name)) {
    if (old->visibility != visibility)
      return common::invalid_argument("MapVisibility: " + m.name + " existed before as " +
                                      (old->visibility == store::Visibility::kPublic ? "public" : "private") +
                                      "; a map's visibility never changes");
    T3N_RETURN_IF_ERROR(call.tx.update_map(spec));
  } else {
    T3N_RETURN_IF_ERROR(call.tx.create_map(spec));
  }
  T3N_RETURN_IF_ERROR(kTenantMapsTable.in(call.tx).put(m.name, row.dump()));
  ++m.tenant.maps;
  T3N_RETURN_IF_ERROR(kTenantRecords.in(call.tx).put(m.tenant.tid, m.tenant));
  return response_of(row);
}

Result<Json> map_update(const SystemEnv& env, SystemCall& call) {
  T3N_ASSIGN_OR_RETURN(MapTarget m, target(call));
  T3N_ASSIGN_OR_RETURN(Json row, existing_row(call.tx, m));
  auto spec = env.store.map_spec(m.name);
  if (!spec) return common::data_loss("the map's store entry is missing");
  if (const Json* vis = field(call.input, "visibility"); vis != nullptr && !vis->is_null()) {
    T3N_ASSIGN_OR_RETURN(store::Visibility v, parse_visibility(*vis));
    if (v != spec->visibility) return common::invalid_argument("MapVisibility: a map's visibility never changes (create another map)");
  }
  T3N_RETURN_IF_ERROR(apply_fields(env, call.tx, call.input, row, *spec));
  T3N_RETURN_IF_ERROR(call.tx.update_map(*spec));
  T3N_RETURN_IF_ERROR(kTenantMapsTable.in(call.tx).put(m.name, row.dump()));
  return response_of(row);
}

Result<Json> map_delete(const SystemEnv& env, SystemCall& call) {
  T3N_ASSIGN_OR_RETURN(MapTarget m, target(call));
  T3N_RETURN_IF_ERROR(existing_row(call.tx, m).status());
  auto spec = env.store.map_spec(m.name);
  if (!spec) return common::data_loss("the map's store entry is missing");
  // Its contents go with it, in this transaction.
  T3N_ASSIGN_OR_RETURN(auto rows, call.tx.scan(m.name, {}, {}, kMaxPurgeKeys + 1));
  if (rows.size() > kMaxPurgeKeys)
    return Status(ErrorCode::kResourceExhausted, "MapTooLarge: " + m.name + " holds more than 10000 keys; remove keys first");
  for (const auto& [key, _] : rows) T3N_RETURN_IF_ERROR(call.tx.remove(m.name, key).status());
  store::MapSpec closed;
  closed.name = m.name;
  closed.visibility = spec->visibility;
  closed.readers_listed = true;  // nobody
  T3N_RETURN_IF_ERROR(call.tx.update_map(closed));
  T3N_RETURN_IF_ERROR(kTenantMapsTable.in(call.tx).remove(m.name).status());
  if (m.tenant.maps > 0) --m.tenant.maps;
  T3N_RETURN_IF_ERROR(kTenantRecords.in(call.tx).put(m.tenant.tid, m.tenant));
  return Json{{"name", m.name}, {"deleted", true}, {"deleted_keys", rows.size()}};
}

Result<Json> map_put(const SystemEnv& env, SystemCall& call) {
  T3N_ASSIGN_OR_RETURN(MapTarget m, target(call));
  T3N_RETURN_IF_ERROR(existing_row(call.tx, m).status());
  T3N_ASSIGN_OR_RETURN(Bytes key, key_of(call.input));
  auto spec = env.store.map_spec(m.name);
  if (!spec) return common::data_loss("the map's store entry is missing");
  T3N_RETURN_IF_ERROR(spec->key_rule.check(key));
  const Json* value = field(call.input, "value");
  if (value == nullptr || value->is_null()) return common::invalid_argument("'value': expected a string (or JSON to store as text)");
  std::string encoding = "utf8";
  if (const Json* e = field(call.input, "encoding"); e != nullptr && !e->is_null()) {
    if (!e->is_string()) return common::invalid_argument("'encoding': expected \"utf8\", \"hex\" or \"base64\"");
    encoding = e->get<std::string>();
  }
  Bytes bytes;
  if (!value->is_string()) {
    if (encoding != "utf8") return common::invalid_argument("'value': a non-string value is stored as its JSON text (encoding utf8)");
    bytes = common::to_bytes(value->dump());
  } else if (encoding == "utf8") {
    bytes = common::to_bytes(value->get<std::string>());
  } else if (encoding == "hex") {
    auto d = common::hex_decode(value->get<std::string>());
    if (!d.ok()) return common::invalid_argument("'value': not hex");  // never the value itself
    bytes = std::move(*d);
  } else if (encoding == "base64") {
    auto d = common::base64_decode(value->get<std::string>());
    if (!d.ok()) return common::invalid_argument("'value': not base64");
    bytes = std::move(*d);
  } else {
    return common::invalid_argument("'encoding': expected \"utf8\", \"hex\" or \"base64\"");
  }
  T3N_RETURN_IF_ERROR(call.tx.put(m.name, key, bytes));
  return Json{{"map_name", m.name}, {"size", bytes.size()}};
}

Result<Json> map_get(const SystemEnv& env, SystemCall& call) {
  T3N_ASSIGN_OR_RETURN(MapTarget m, target(call));
  T3N_ASSIGN_OR_RETURN(Json row, existing_row(call.tx, m));
  if (row.value("visibility", "private") != "public" && !row.value("admin_readable", false))
    return common::permission_denied("NotAdminReadable: " + m.name +
                                     " is private; its values are readable only by its contracts (map-update admin_readable: true to read them here)");
  T3N_ASSIGN_OR_RETURN(Bytes key, key_of(call.input));
  (void)env;
  T3N_ASSIGN_OR_RETURN(auto value, call.tx.get(m.name, key));
  if (!value) return Json{{"map_name", m.name}, {"value", nullptr}};
  const std::string text = common::to_string(*value);
  if (is_utf8(text)) return Json{{"map_name", m.name}, {"value", text}, {"encoding", "utf8"}};
  return Json{{"map_name", m.name}, {"value", common::base64_encode(*value)}, {"encoding", "base64"}};
}

Result<Json> map_remove(const SystemEnv& env, SystemCall& call) {
  T3N_ASSIGN_OR_RETURN(MapTarget m, target(call));
  T3N_RETURN_IF_ERROR(existing_row(call.tx, m).status());
  T3N_ASSIGN_OR_RETURN(Bytes key, key_of(call.input));
  (void)env;
  T3N_ASSIGN_OR_RETURN(bool existed, call.tx.remove(m.name, key));
  return Json{{"map_name", m.name}, {"removed", existed}};
}

Result<Json> map_list(const SystemEnv& env, SystemCall& call) {
  (void)env;
  if (!call.input.is_object()) return common::invalid_argument("input: expected an object");
  T3N_ASSIGN_OR_RETURN(TenantRecord t, tenant_for_call(call.tx, call.caller, call.input));
  const std::string prefix = "z:" + t.tid + ":";
  std::string end = prefix;
  end.back() = ';';  // the character after ':'
  T3N_ASSIGN_OR_RETURN(auto rows, kTenantMapsTable.in(call.tx).scan(common::as_bytes(prefix), common::as_bytes(end), 10'000));
  Json maps = Json::array();
  for (const auto& [name, text] : rows) {
    T3N_ASSIGN_OR_RETURN(Json row, common::parse_json(text));
    maps.push_back(response_of(row));
  }
  return Json{{"maps", maps}};
}

}  // namespace t3n::system
