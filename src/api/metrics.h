// Prometheus metrics (text exposition format 0.0.4).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace t3n::api {

// A histogram with fixed buckets (seconds).
class Histogram {
 public:
  static constexpr std::array<double, 10> kBounds{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.0};
  void observe(double seconds);
  std::string render(const std::string& name, const std::string& help) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size()> buckets_{};
  std::atomic<std::uint64_t> count_{0}, sum_micros_{0};
};

struct Metrics {
  std::atomic<std::uint64_t> requests{0}, ohttp_requests{0}, rpc_errors{0}, calls_ok{0}, calls_failed{0}, commits{0};
  std::atomic<std::uint64_t> fuel{0}, call_micros{0}, conflicts_retried{0}, replays_refused{0};
  std::atomic<std::uint64_t> egress_bytes{0};  // contracts' http request + response bodies
  Histogram call_seconds, ohttp_seconds;
};

// "# HELP …\n# TYPE … counter\nname value\n"
std::string render_counter(const std::string& name, const std::string& help, std::uint64_t value);
std::string render_gauge(const std::string& name, const std::string& help, double value);

}  // namespace t3n::api
