// Whole-file reads for configuration, keys and artifacts.
#pragma once

#include <filesystem>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::common {

// kNotFound naming the path when the file cannot be read.
Result<std::string> read_file(const std::filesystem::path& path);

// Writes to a temporary file beside `path`, then renames it over `path`, so
// readers see the old or the new contents, never a torn file.
Status write_file_atomic(const std::filesystem::path& path, ByteView contents);

}  // namespace t3n::common
