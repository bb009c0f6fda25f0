#include "common/config.h"
#include "common/files.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace t3n::common {

struct ConfigTable::Impl {
  toml::table table;
  std::string source;
};

namespace {

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: return "nothing";
  }
  return "an unknown value";
}

std::string position(const std::string& source, const toml::node& node) {
  const auto& src = node.source();
  std::string out = source;
  if (src.begin.line > 0) out += ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

struct Leaf {
  std::string key;
  const toml::node* node;
};

// A segment that dotted-path lookup would split or index ("a.b", "x[0]") is
// kept in quotes, so it never passes for a known key it only looks like.
void collect_leaves(const toml::table& table, const std::string& prefix, std::vector<Leaf>& out) {
  for (const auto& [k, v] : table) {
    std::string segment(k.str());
    if (segment.empty() || segment.find_first_of(".[]\"") != std::string::npos) segment = "\"" + segment + "\"";
    std::string key = prefix.empty() ? segment : prefix + "." + segment;
    if (const auto* sub = v.as_table()) collect_leaves(*sub, key, out);
    else out.push_back({std::move(key), &v});
  }
}

Json to_json(const toml::node& node) {
  if (const auto* t = node.as_table()) {
    Json out = Json::object();
    for (const auto& [k, v] : *t) out[std::string(k.str())] = to_json(v);
    return out;
  }
  if (const auto* a = node.as_array()) {
    Json out = Json::array();
    for (const auto& v : *a) out.push_back(to_json(v));
    return out;
  }
  if (const auto* s = node.as_string()) return Json(s->get());
  if (const auto* i = node.as_integer()) return Json(i->get());
  if (const auto* f = node.as_floating_point()) return Json(f->get());
  if (const auto* b = node.as_boolean()) return Json(b->get());
  std::ostringstream text;
  if (const auto* d = node.as_date()) text << *d;
  else if (const auto* t = node.as_time()) text << *t;
  else if (const auto* dt = node.as_date_time()) text << *dt;
  return Json(text.str());
}

}  // namespace

Result<Json> ConfigTable::get_json(std::string_view key) const {
  auto node = impl_->table.at_path(key);
  if (!node) return not_found("missing key '" + std::string(key) + "'");
  return to_json(*node.node());
}

ConfigTable::ConfigTable(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConfigTable::ConfigTable(ConfigTable&&) noexcept = default;
ConfigTable& ConfigTable::operator=(ConfigTable&&) noexcept = default;
ConfigTable::~ConfigTable() = default;

Result<ConfigTable> ConfigTable::parse_string(std::string_view text, std::string source_name) {
  try {
    auto impl = std::make_unique<Impl>();
    impl->table = toml::parse(text, source_name);
    impl->source = std::move(source_name);
    return ConfigTable(std::move(impl));
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    return invalid_argument(source_name + ":" + std::to_string(src.begin.line) + ":" +
                            std::to_string(src.begin.column) + ": " + std::string(e.description()));
  }
}

Result<ConfigTable> ConfigTable::parse_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read config file " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_string(ss.str(), path.string());
}

bool ConfigTable::contains(std::string_view key) const {
  return static_cast<bool>(impl_->table.at_path(key));
}

namespace {

template <typename T>
Result<T> typed(const toml::table& table, const std::string& source, std::string_view key,
                std::string_view expected) {
  auto node = table.at_path(key);
  if (!node) return invalid_argument(source + ": missing required key '" + std::string(key) + "'");
  if (auto v = node.value<T>(); v && node.node()->is<T>()) return *v;
  return invalid_argument(position(source, *node.node()) + ": key '" + std::string(key) + "': expected " +
                          std::string(expected) + ", found " + type_name(*node.node()));
}

}  // namespace

Result<std::string> ConfigTable::get_string(std::string_view key) const {
  return typed<std::string>(impl_->table, impl_->source, key, "a string");
}
Result<std::int64_t> ConfigTable::get_int(std::string_view key) const {
  return typed<std::int64_t>(impl_->table, impl_->source, key, "an integer");
}
Result<std::uint64_t> ConfigTable::get_uint(std::string_view key) const {
  T3N_ASSIGN_OR_RETURN(std::int64_t v, get_int(key));
  if (v < 0) {
    return invalid_argument(position(impl_->source, *impl_->table.at_path(key).node()) + ": key '" +
                            std::string(key) + "': must not be negative (got " + std::to_string(v) + ")");
  }
  return static_cast<std::uint64_t>(v);
}
Result<bool> ConfigTable::get_bool(std::string_view key) const { return typed<bool>(impl_->table, impl_->source, key, "a boolean"); }
Result<double> ConfigTable::get_double(std::string_view key) const {
  auto node = impl_->table.at_path(key);
  if (node && node.is_integer()) return static_cast<double>(*node.value<std::int64_t>());
  return typed<double>(impl_->table, impl_->source, key, "a number");
}

Result<std::vector<std::string>> ConfigTable::get_string_list(std::string_view key) const {
  auto node = impl_->table.at_path(key);
  if (!node) return invalid_argument(impl_->source + ": missing required key '" + std::string(key) + "'");
  const auto* arr = node.as_array();
  if (arr == nullptr) {
    return invalid_argument(position(impl_->source, *node.node()) + ": key '" + std::string(key) +
                            "': expected an array of strings, found " + type_name(*node.node()));
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const auto* s = (*arr)[i].as_string();
    if (s == nullptr) {
      return invalid_argument(position(impl_->source, (*arr)[i]) + ": key '" + std::string(key) + "[" +
                              std::to_string(i) + "]': expected a string, found " + type_name((*arr)[i]));
    }
    out.push_back(s->get());
  }
  return out;
}

Result<std::string> ConfigTable::get_string_or(std::string_view key, std::string fallback) const {
  if (!contains(key)) return fallback;
  return get_string(key);
}
Result<std::uint64_t> ConfigTable::get_uint_or(std::string_view key, std::uint64_t fallback) const {
  if (!contains(key)) return fallback;
  return get_uint(key);
}
Result<bool> ConfigTable::get_bool_or(std::string_view key, bool fallback) const {
  if (!contains(key)) return fallback;
  return get_bool(key);
}

std::vector<std::string> ConfigTable::leaf_keys() const {
  std::vector<Leaf> leaves;
  collect_leaves(impl_->table, "", leaves);
  std::vector<std::string> out;
  for (auto& l : leaves) out.push_back(std::move(l.key));
  return out;
}

Status ConfigTable::reject_unknown_keys(const std::vector<std::string_view>& known) const {
  std::vector<Leaf> leaves;
  collect_leaves(impl_->table, "", leaves);
  for (const auto& [key, node] : leaves) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string_view best;
    std::size_t best_d = 4;  // suggest only close matches
    for (auto k : known) {
      std::size_t d = edit_distance(key, k);
      if (d < best_d) {
        best_d = d;
        best = k;
      }
    }
    std::string msg = position(impl_->source, *node) + ": unknown key '" + key + "'";
    if (!best.empty()) msg += " (did you mean '" + std::string(best) + "'?)";
    return invalid_argument(msg);
  }
  return {};
}

}  // namespace t3n::common
