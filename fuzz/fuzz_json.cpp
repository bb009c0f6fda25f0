// JSON parsing of hostile input: never crashes, never recurses without bound.
#include <string_view>

#include "common/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto j = t3n::common::parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
  if (j.ok() && j->is_object()) {
    (void)t3n::common::json_string(*j, "method");
    (void)t3n::common::json_u64(*j, "id");
    (void)t3n::common::json_hex(*j, "key");
  }
  return 0;
}
