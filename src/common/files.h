// Whole-file reads for configuration, keys and artifacts.
#pragma once

#include <filesystem>
#include <string>

#include "common/status.h"

namespace t3n::common {

// kNotFound naming the path when the file cannot be read.
Result<std::string> read_file(const std::filesystem::path& path);

}  // namespace t3n::common
