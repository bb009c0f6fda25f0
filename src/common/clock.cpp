#include "common/clock.h"

#include <chrono>

namespace t3n::common {

std::uint64_t system_now_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace t3n::common
