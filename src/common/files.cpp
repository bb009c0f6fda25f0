#include "common/files.h"

#include <fstream>
#include <sstream>

namespace t3n::common {

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return not_found("cannot read " + path.string());
  return ss.str();
}

Status write_file_atomic(const std::filesystem::path& path, ByteView contents) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(contents.data()), static_cast<std::streamsize>(contents.size()));
    if (!out.good()) return internal_error("cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return internal_error("cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message());
  return {};
}

}  // namespace t3n::common
