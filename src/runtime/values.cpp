#include "runtime/values.h"

#include <limits>

#include "common/encoding.h"

namespace t3n::runtime {

using common::Json;
using wasmtime::component::Val;
using wasmtime::component::ValType;
namespace wc = wasmtime::component;

namespace {

Status type_error(const std::string& path, const std::string& expected, const Json& got) {
  return common::invalid_argument("'" + (path.empty() ? std::string("input") : path) + "': expected " + expected +
                                  ", got " + std::string(got.type_name()));
}

template <typename T>
Result<Val> integer(const Json& j, const std::string& path, const char* name) {
  if (j.is_number_unsigned()) {
    auto v = j.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
      return common::invalid_argument("'" + path + "': " + std::to_string(v) + " out of range for " + name);
    return Val(static_cast<T>(v));
  }
  if (j.is_number_integer()) {
    auto v = j.get<std::int64_t>();
    if (v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
        (v > 0 && static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(std::numeric_limits<T>::max())))
      return common::invalid_argument("'" + path + "': " + std::to_string(v) + " out of range for " + name);
    return Val(static_cast<T>(v));
  }
  return type_error(path, std::string("an integer (") + name + ")", j);
}

std::string kebab_to_snake(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c == '-') c = '_';
  return out;
}

bool utf8_decode_one(const std::string& s, std::uint32_t& cp) {
  if (s.empty()) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = 0;
  if (p[0] < 0x80) { cp = p[0]; n = 1; }
  else if ((p[0] & 0xE0) == 0xC0) { cp = p[0] & 0x1F; n = 2; }
  else if ((p[0] & 0xF0) == 0xE0) { cp = p[0] & 0x0F; n = 3; }
  else if ((p[0] & 0xF8) == 0xF0) { cp = p[0] & 0x07; n = 4; }
  else return false;
  if (s.size() != n) return false;
  for (std::size_t i = 1; i < n; ++i) cp = (cp << 6) | (p[i] & 0x3F);
  return true;
}

std::string utf8_encode(std::uint32_t cp) {
  std::string s;
  if (cp < 0x80) s += static_cast<char>(cp);
  else if (cp < 0x800) { s += static_cast<char>(0xC0 | (cp >> 6)); s += static_cast<char>(0x80 | (cp & 0x3F)); }
  else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

Result<Bytes> json_to_bytes(const Json& j, const std::string& path) {
  if (j.is_array()) {
    Bytes out;
    out.reserve(j.size());
    for (std::size_t i = 0; i < j.size(); ++i) {
      if (!j[i].is_number_integer() || j[i].get<std::int64_t>() < 0 || j[i].get<std::int64_t>() > 255)
        return common::invalid_argument("'" + path + "[" + std::to_string(i) + "]': expected a byte (0..255)");
      out.push_back(static_cast<std::uint8_t>(j[i].get<std::int64_t>()));
    }
    return out;
  }
  if (j.is_object() && j.size() == 1 && j.contains("base64") && j["base64"].is_string()) {
    auto b = common::base64_decode(j["base64"].get<std::string>());
    if (!b.ok()) return b.status().with_context("'" + path + ".base64'");
    return b;
  }
  if (j.is_string()) return common::to_bytes(j.get_ref<const std::string&>());
  return common::to_bytes(j.dump());
}

}  // namespace

Val bytes_to_val(ByteView bytes) {
  std::vector<Val> items;
  items.reserve(bytes.size());
  for (auto b : bytes) items.emplace_back(static_cast<std::uint8_t>(b));
  return Val(wc::List(std::move(items)));
}

Result<Bytes> val_to_bytes(const Val& val, std::string_view what) {
  if (!val.is_list()) return common::invalid_argument(std::string(what) + ": expected list<u8>");
  Bytes out;
  out.reserve(val.get_list().size());
  for (const auto& v : val.get_list()) {
    if (!v.is_u8()) return common::invalid_argument(std::string(what) + ": expected list<u8>");
    out.push_back(v.get_u8());
  }
  return out;
}

Result<Val> json_to_val(const Json& j, const ValType& t, const std::string& path) {
  if (t.is_bool()) {
    if (!j.is_boolean()) return type_error(path, "a boolean", j);
    return Val(j.get<bool>());
  }
  if (t.is_u8()) return integer<std::uint8_t>(j, path, "u8");
  if (t.is_u16()) return integer<std::uint16_t>(j, path, "u16");
  if (t.is_u32()) return integer<std::uint32_t>(j, path, "u32");
  if (t.is_u64()) return integer<std::uint64_t>(j, path, "u64");
  if (t.is_s8()) return integer<std::int8_t>(j, path, "s8");
  if (t.is_s16()) return integer<std::int16_t>(j, path, "s16");
  if (t.is_s32()) return integer<std::int32_t>(j, path, "s32");
  if (t.is_s64()) return integer<std::int64_t>(j, path, "s64");
  if (t.is_f32() || t.is_f64()) {
    if (!j.is_number()) return type_error(path, "a number", j);
    if (t.is_f32()) return Val(j.get<float>());
    return Val(j.get<double>());
  }
  if (t.is_char()) {
    std::uint32_t cp = 0;
    if (!j.is_string() || !utf8_decode_one(j.get_ref<const std::string&>(), cp))
      return type_error(path, "a one-character string", j);
    return Val::char_(cp);
  }
  if (t.is_string()) {
    if (!j.is_string()) return type_error(path, "a string", j);
    return Val::string(j.get_ref<const std::string&>());
  }
  if (t.is_list()) {
    ValType elem = t.list().element();
    if (elem.is_u8()) {
      T3N_ASSIGN_OR_RETURN(Bytes b, json_to_bytes(j, path));
      return bytes_to_val(b);
    }
    if (!j.is_array()) return type_error(path, "an array", j);
    std::vector<Val> items;
    items.reserve(j.size());
    for (std::size_t i = 0; i < j.size(); ++i) {
      T3N_ASSIGN_OR_RETURN(Val v, json_to_val(j[i], elem, path + "[" + std::to_string(i) + "]"));
      items.push_back(std::move(v));
    }
    return Val(wc::List(std::move(items)));
  }
  if (t.is_option()) {
    if (j.is_null()) return Val(wc::WitOption(std::nullopt));
    T3N_ASSIGN_OR_RETURN(Val v, json_to_val(j, t.option().ty(), path));
    return Val(wc::WitOption(std::move(v)));
  }
  if (t.is_record()) {
    if (!j.is_object()) return type_error(path, "an object", j);
    const auto& rt = t.record();
    std::vector<std::string> names;
    std::vector<Val> values;
    std::size_t matched = 0;
    for (std::size_t i = 0; i < rt.field_count(); ++i) {
      auto f = rt.field_nth(i);
      const std::string name(f->first);
      const std::string field_path = path.empty() ? name : path + "." + name;
      auto it = j.find(name);
      if (it == j.end()) it = j.find(kebab_to_snake(name));
      if (it == j.end()) {
        if (f->second.is_option()) {
          names.push_back(name);
          values.emplace_back(wc::WitOption(std::nullopt));
          continue;
        }
        return common::invalid_argument("'" + field_path + "' is missing");
      }
      ++matched;
      T3N_ASSIGN_OR_RETURN(Val v, json_to_val(*it, f->second, field_path));
      names.push_back(name);
      values.push_back(std::move(v));
    }
    if (matched != j.size()) {
      for (const auto& [k, v] : j.items()) {
        bool known = false;
        for (std::size_t i = 0; i < rt.field_count(); ++i) {
          std::string n(rt.field_nth(i)->first);
          if (k == n || k == kebab_to_snake(n)) known = true;
        }
        if (!known) return common::invalid_argument("'" + (path.empty() ? k : path + "." + k) + "': unknown field");
      }
    }
    std::vector<std::pair<std::string_view, Val>> entries;
    for (std::size_t i = 0; i < names.size(); ++i) entries.emplace_back(names[i], std::move(values[i]));
    return Val(wc::Record(std::move(entries)));
  }
  if (t.is_tuple()) {
    const auto& tt = t.tuple();
    if (!j.is_array() || j.size() != tt.types_count())
      return type_error(path, "an array of " + std::to_string(tt.types_count()) + " values", j);
    std::vector<Val> items;
    for (std::size_t i = 0; i < tt.types_count(); ++i) {
      T3N_ASSIGN_OR_RETURN(Val v, json_to_val(j[i], *tt.types_nth(i), path + "[" + std::to_string(i) + "]"));
      items.push_back(std::move(v));
    }
    return Val(wc::Tuple(std::move(items)));
  }
  if (t.is_enum()) {
    if (!j.is_string()) return type_error(path, "an enum case name", j);
    const auto& name = j.get_ref<const std::string&>();
    for (std::size_t i = 0; i < t.enum_().names_count(); ++i)
      if (*t.enum_().names_nth(i) == name) return Val::enum_(name);
    return common::invalid_argument("'" + path + "': unknown enum case '" + name + "'");
  }
  if (t.is_variant()) {
    std::string name;
    const Json* payload = nullptr;
    if (j.is_string()) {
      name = j.get<std::string>();
    } else if (j.is_object() && j.size() == 1) {
      name = j.begin().key();
      payload = &j.begin().value();
    } else {
      return type_error(path, "a variant (\"case\" or {\"case\": payload})", j);
    }
    for (std::size_t i = 0; i < t.variant().case_count(); ++i) {
      auto c = t.variant().case_nth(i);
      if (c->first != name) continue;
      if (!c->second) {
        if (payload != nullptr && !payload->is_null())
          return common::invalid_argument("'" + path + "': case '" + name + "' takes no payload");
        return Val(wc::Variant(name, std::nullopt));
      }
      if (payload == nullptr) return common::invalid_argument("'" + path + "': case '" + name + "' needs a payload");
      T3N_ASSIGN_OR_RETURN(Val v, json_to_val(*payload, *c->second, path + "." + name));
      return Val(wc::Variant(name, std::move(v)));
    }
    return common::invalid_argument("'" + path + "': unknown variant case '" + name + "'");
  }
  if (t.is_result()) {
    if (!j.is_object() || j.size() != 1 || (!j.contains("ok") && !j.contains("err")))
      return type_error(path, "{\"ok\": …} or {\"err\": …}", j);
    const bool ok = j.contains("ok");
    auto inner = ok ? t.result().ok() : t.result().err();
    std::optional<Val> payload;
    if (inner) {
      T3N_ASSIGN_OR_RETURN(Val v, json_to_val(j.begin().value(), *inner, path + (ok ? ".ok" : ".err")));
      payload = std::move(v);
    }
    return Val(ok ? wc::WitResult::ok(std::move(payload)) : wc::WitResult::err(std::move(payload)));
  }
  if (t.is_flags()) {
    if (!j.is_array()) return type_error(path, "an array of flag names", j);
    std::vector<wc::Flag> flags;
    for (const auto& f : j) {
      if (!f.is_string()) return type_error(path, "an array of flag names", j);
      bool known = false;
      for (std::size_t i = 0; i < t.flags().names_count(); ++i) known = known || *t.flags().names_nth(i) == f.get<std::string>();
      if (!known) return common::invalid_argument("'" + path + "': unknown flag '" + f.get<std::string>() + "'");
      flags.emplace_back(f.get<std::string>());
    }
    return Val(wc::Flags(std::move(flags)));
  }
  return common::invalid_argument("'" + path + "': this type cannot be given as JSON (resources, futures, streams)");
}

Json val_to_json(const Val& v) {
  if (v.is_bool()) return v.get_bool();
  if (v.is_u8()) return v.get_u8();
  if (v.is_u16()) return v.get_u16();
  if (v.is_u32()) return v.get_u32();
  if (v.is_u64()) return v.get_u64();
  if (v.is_s8()) return v.get_s8();
  if (v.is_s16()) return v.get_s16();
  if (v.is_s32()) return v.get_s32();
  if (v.is_s64()) return v.get_s64();
  if (v.is_f32()) return v.get_f32();
  if (v.is_f64()) return v.get_f64();
  if (v.capi()->kind == WASMTIME_COMPONENT_CHAR) return utf8_encode(v.capi()->of.character);
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_list()) {
    const auto& list = v.get_list();
    if (list.size() > 0 && list.begin()->is_u8()) {
      Bytes b;
      b.reserve(list.size());
      for (const auto& item : list) b.push_back(item.get_u8());
      auto parsed = common::parse_json(common::to_string(b));
      if (parsed.ok() && !b.empty()) return *parsed;
      return Json{{"base64", common::base64_encode(b)}};
    }
    Json arr = Json::array();
    for (const auto& item : list) arr.push_back(val_to_json(item));
    return arr;
  }
  if (v.is_record()) {
    Json obj = Json::object();
    for (const auto& f : v.get_record()) obj[std::string(f.name())] = val_to_json(f.value());
    return obj;
  }
  if (v.is_tuple()) {
    Json arr = Json::array();
    for (const auto& item : v.get_tuple()) arr.push_back(val_to_json(item));
    return arr;
  }
  if (v.is_variant()) {
    const auto& var = v.get_variant();
    if (var.value() == nullptr) return std::string(var.discriminant());
    return Json{{std::string(var.discriminant()), val_to_json(*var.value())}};
  }
  if (v.is_enum()) return std::string(v.get_enum());
  if (v.is_option()) {
    const auto& o = v.get_option();
    return o.value() == nullptr ? Json(nullptr) : val_to_json(*o.value());
  }
  if (v.is_result()) {
    const auto& r = v.get_result();
    Json payload = r.payload() == nullptr ? Json(nullptr) : val_to_json(*r.payload());
    return Json{{r.is_ok() ? "ok" : "err", std::move(payload)}};
  }
  if (v.is_flags()) {
    Json arr = Json::array();
    for (const auto& f : v.get_flags()) arr.push_back(std::string(f.name()));
    return arr;
  }
  return Json(nullptr);
}

}  // namespace t3n::runtime
