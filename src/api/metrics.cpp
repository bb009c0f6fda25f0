#include "api/metrics.h"

#include <cstdio>

namespace t3n::api {

void Histogram::observe(double seconds) {
  for (std::size_t i = 0; i < kBounds.size(); ++i)
    if (seconds <= kBounds[i]) ++buckets_[i];
  ++count_;
  sum_micros_ += static_cast<std::uint64_t>(seconds * 1e6);
}

std::string Histogram::render(const std::string& name, const std::string& help) const {
  std::string m = "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  for (std::size_t i = 0; i < kBounds.size(); ++i)
    m += name + "_bucket{le=\"" + std::to_string(kBounds[i]) + "\"} " + std::to_string(buckets_[i].load()) + "\n";
  m += name + "_bucket{le=\"+Inf\"} " + std::to_string(count_.load()) + "\n";
  m += name + "_sum " + std::to_string(static_cast<double>(sum_micros_.load()) / 1e6) + "\n";
  m += name + "_count " + std::to_string(count_.load()) + "\n";
  return m;
}

std::string render_counter(const std::string& name, const std::string& help, std::uint64_t value) {
  const std::string base = name.substr(0, name.find('{'));
  return "# HELP " + base + " " + help + "\n# TYPE " + base + " counter\n" + name + " " + std::to_string(value) + "\n";
}

std::string render_gauge(const std::string& name, const std::string& help, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  return "# HELP " + name + " " + help + "\n# TYPE " + name + " gauge\n" + name + " " + buf + "\n";
}

}  // namespace t3n::api
