// TOML config parsing: any input gives a config or a positioned error.
#include <string_view>

#include "common/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto cfg = t3n::common::ConfigTable::parse_string(std::string_view(reinterpret_cast<const char*>(data), size));
  if (cfg.ok()) {
    (void)cfg->get_uint("api.port");
    (void)cfg->get_string_list("api.listen");
    (void)cfg->reject_unknown_keys({"api.port", "api.listen"});
  }
  return 0;
}
