// Shared by the benchmark programs.
#pragma once

#include <cstdio>
#include <sys/resource.h>
#include <time.h>
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


// CPU seconds this process has used (user + system), and the calling
// thread's own: node CPU = process minus the client threads.
inline double process_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

inline double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace t3n::bench
