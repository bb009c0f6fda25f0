// One source of wall-clock time, injectable: the store, the runtime, the
// replay guard and the node all take a ClockMs, so tests drive deadlines and
// windows without sleeping.
#pragma once

#include <cstdint>
#include <functional>

namespace t3n::common {

// Unix time in milliseconds.
using ClockMs = std::function<std::uint64_t()>;

std::uint64_t system_now_ms();
inline ClockMs system_clock_ms() { return &system_now_ms; }

}  // namespace t3n::common
