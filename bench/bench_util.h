// Shared by the benchmark programs.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "common/status.h"

namespace t3n::bench {

// Unwraps a Result during benchmark setup; setup failure ends the program.
template <typename T>
T must(Result<T> r) {
  if (!r.ok()) {
    std::fprintf(stderr, "benchmark setup failed: %s\n", r.status().to_string().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

// The same for a plain Status.
inline void must(const Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "benchmark setup failed: %s\n", s.to_string().c_str());
    std::exit(1);
  }
}

}  // namespace t3n::bench
