// TOML configuration (toml++). Accessors take dotted keys ("api.port") and
// fail with errors that name the key, the file position and what was found.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace t3n::common {

class ConfigTable {
 public:
  static Result<ConfigTable> parse_file(const std::filesystem::path& path);
  static Result<ConfigTable> parse_string(std::string_view text, std::string source_name = "<config>");

  ConfigTable(ConfigTable&&) noexcept;
  ConfigTable& operator=(ConfigTable&&) noexcept;
  ~ConfigTable();

  bool contains(std::string_view key) const;

  // Required values: a missing key is an error naming it.
  Result<std::string> get_string(std::string_view key) const;
  Result<std::int64_t> get_int(std::string_view key) const;
  Result<std::uint64_t> get_uint(std::string_view key) const;  // refuses negatives
  Result<bool> get_bool(std::string_view key) const;
  Result<double> get_double(std::string_view key) const;
  Result<std::vector<std::string>> get_string_list(std::string_view key) const;

  // Optional values: absent → fallback; present with the wrong type → error.
  Result<std::string> get_string_or(std::string_view key, std::string fallback) const;
  Result<std::uint64_t> get_uint_or(std::string_view key, std::uint64_t fallback) const;
  Result<bool> get_bool_or(std::string_view key, bool fallback) const;

  // A value of any shape (a table, array or scalar) as JSON; dates and
  // times as their TOML text. Missing key → kNotFound.
  Result<Json> get_json(std::string_view key) const;

  // Every leaf key in the file must be one of `known` (dotted). An unknown key
  // is usually a typo: the error names it and suggests the closest known key.
  Status reject_unknown_keys(const std::vector<std::string_view>& known) const;

  // All leaf keys, dotted, in document order.
  std::vector<std::string> leaf_keys() const;

 private:
  struct Impl;
  explicit ConfigTable(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace t3n::common
