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

}  // namespace t3n::common
