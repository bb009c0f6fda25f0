// JSON (nlohmann) with parsing that returns a Result instead of throwing,
// and typed field accessors whose errors name the field.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::common {

using Json = nlohmann::json;

// Parses text as JSON; nesting deeper than `max_depth` is refused so hostile
// input cannot exhaust the stack.
Result<Json> parse_json(std::string_view text, std::size_t max_depth = 128);

// Field accessors: `object` must be a JSON object; errors read like
// "field 'input.amount': expected an unsigned integer".
Result<std::string> json_string(const Json& object, std::string_view field);
Result<std::uint64_t> json_u64(const Json& object, std::string_view field);
Result<bool> json_bool(const Json& object, std::string_view field);
Result<Bytes> json_hex(const Json& object, std::string_view field);
Result<std::optional<std::string>> json_optional_string(const Json& object, std::string_view field);

}  // namespace t3n::common
