// Structured logging on spdlog. A Logger carries context fields (node, tenant,
// request id) and writes one line per event, as text or JSON.
//
// Secrets cannot be printed: SecretBytes/SecretArray format as
// "<redacted N bytes>", and `Redacted` wraps any value that is personal data.
#pragma once

#include <fmt/format.h>
#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::common {

enum class LogFormat { kText, kJson };
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };

Result<LogLevel> parse_log_level(std::string_view name);

struct LogField {
  std::string key;
  std::string value;
};

class Logger {
 public:
  // Writes to stderr. `name` identifies the component ("t3nd", "store", …).
  static Logger to_stderr(std::string name, LogLevel level = LogLevel::kInfo, LogFormat format = LogFormat::kText);
  // Keeps lines in memory (tests assert on what was, or was not, logged).
  static Logger to_memory(std::shared_ptr<std::vector<std::string>> lines, LogLevel level = LogLevel::kTrace);

  // A child logger that adds a context field to every line.
  Logger with(std::string key, std::string value) const;

  template <typename... A>
  void trace(fmt::format_string<A...> f, A&&... a) const { emit(LogLevel::kTrace, f, std::forward<A>(a)...); }
  template <typename... A>
  void debug(fmt::format_string<A...> f, A&&... a) const { emit(LogLevel::kDebug, f, std::forward<A>(a)...); }
  template <typename... A>
  void info(fmt::format_string<A...> f, A&&... a) const { emit(LogLevel::kInfo, f, std::forward<A>(a)...); }
  template <typename... A>
  void warn(fmt::format_string<A...> f, A&&... a) const { emit(LogLevel::kWarn, f, std::forward<A>(a)...); }
  template <typename... A>
  void error(fmt::format_string<A...> f, A&&... a) const { emit(LogLevel::kError, f, std::forward<A>(a)...); }

  bool enabled(LogLevel level) const;

 private:
  Logger(std::shared_ptr<spdlog::logger> sink, LogFormat format, std::vector<LogField> fields)
      : sink_(std::move(sink)), format_(format), fields_(std::move(fields)) {}

  template <typename... A>
  void emit(LogLevel level, fmt::format_string<A...> f, A&&... a) const {
    if (!enabled(level)) return;
    write(level, fmt::format(f, std::forward<A>(a)...));
  }
  void write(LogLevel level, std::string message) const;

  std::shared_ptr<spdlog::logger> sink_;
  LogFormat format_ = LogFormat::kText;
  std::vector<LogField> fields_;
};

// Wraps a value that must not reach logs (personal data, request bodies).
template <typename T>
struct Redacted {
  const T& value;
};

}  // namespace t3n::common

template <>
struct fmt::formatter<t3n::common::SecretBytes> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(const t3n::common::SecretBytes& s, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "<redacted {} bytes>", s.size());
  }
};

template <std::size_t N>
struct fmt::formatter<t3n::common::SecretArray<N>> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(const t3n::common::SecretArray<N>&, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "<redacted {} bytes>", N);
  }
};

template <typename T>
struct fmt::formatter<t3n::common::Redacted<T>> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(const t3n::common::Redacted<T>&, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "<redacted>");
  }
};
