// Files only the user may read (the secret key, the trusted-node cache):
// created 0600 from the first byte, never with wider mode, never torn.
#pragma once

#include <filesystem>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::cli {

// Writes `contents` to a fresh temporary file beside `path` (O_CREAT|O_EXCL,
// mode 0600), fsyncs it, then moves it to `path`: over an existing file when
// `replace`, else kAlreadyExists if `path` exists (no check-then-write race).
// The directory is created (mode 0700) when missing.
Status write_private_file(const std::filesystem::path& path, ByteView contents, bool replace);

}  // namespace t3n::cli
