#include "common/json.h"

#include "common/encoding.h"

namespace t3n::common {
namespace {

Status field_error(std::string_view field, std::string_view expected) {
  return invalid_argument("field '" + std::string(field) + "': expected " + std::string(expected));
}

Result<const Json*> field_of(const Json& object, std::string_view field) {
  if (!object.is_object()) return invalid_argument("expected a JSON object holding '" + std::string(field) + "'");
  auto it = object.find(field);
  if (it == object.end()) return invalid_argument("field '" + std::string(field) + "' is missing");
  return &*it;
}

}  // namespace

Result<Json> parse_json(std::string_view text, std::size_t max_depth) {
  // Depth check first, on the raw text, outside strings: cheap and avoids
  // deep recursion inside the parser.
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth) return invalid_argument("JSON nesting deeper than " + std::to_string(max_depth));
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  // nlohmann reports the byte position only through its exception, which
  // stays inside this function.
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // nlohmann appends "; last read: '<input bytes>'": never echo input
    // (it may be private, or not UTF-8).
    std::string what = e.what();
    if (auto last = what.find("; last read"); last != std::string::npos) what.resize(last);
    auto colon = what.find(": ");
    return invalid_argument("invalid JSON at byte " + std::to_string(e.byte) + ": " +
                            (colon == std::string::npos ? what : what.substr(colon + 2)));
  } catch (const Json::exception& e) {
    return invalid_argument(std::string("invalid JSON: ") + e.what());
  }
}

Result<std::string> json_string(const Json& object, std::string_view field) {
  T3N_ASSIGN_OR_RETURN(const Json* v, field_of(object, field));
  if (!v->is_string()) return field_error(field, "a string");
  return v->get<std::string>();
}

Result<std::uint64_t> json_u64(const Json& object, std::string_view field) {
  T3N_ASSIGN_OR_RETURN(const Json* v, field_of(object, field));
  if (!v->is_number_unsigned()) return field_error(field, "an unsigned integer");
  return v->get<std::uint64_t>();
}

Result<bool> json_bool(const Json& object, std::string_view field) {
  T3N_ASSIGN_OR_RETURN(const Json* v, field_of(object, field));
  if (!v->is_boolean()) return field_error(field, "a boolean");
  return v->get<bool>();
}

Result<Bytes> json_hex(const Json& object, std::string_view field) {
  T3N_ASSIGN_OR_RETURN(std::string s, json_string(object, field));
  auto r = hex_decode(s);
  if (!r.ok()) return r.status().with_context("field '" + std::string(field) + "'");
  return r;
}

Result<std::optional<std::string>> json_optional_string(const Json& object, std::string_view field) {
  if (!object.is_object()) return invalid_argument("expected a JSON object");
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) return field_error(field, "a string");
  return std::optional<std::string>{it->get<std::string>()};
}

}  // namespace t3n::common
