#include "common/log.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>
#include <nlohmann/json.hpp>

namespace t3n::common {
namespace {

spdlog::level::level_enum to_spd(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return spdlog::level::trace;
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarn: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
    case LogLevel::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

// A sink that appends formatted lines to a shared vector (for tests).
class MemorySink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit MemorySink(std::shared_ptr<std::vector<std::string>> lines) : lines_(std::move(lines)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_->emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

 private:
  std::shared_ptr<std::vector<std::string>> lines_;
};

}  // namespace

Result<LogLevel> parse_log_level(std::string_view name) {
  if (name == "trace") return LogLevel::kTrace;
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn" || name == "warning") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  if (name == "off") return LogLevel::kOff;
  return invalid_argument("unknown log level '" + std::string(name) + "' (trace, debug, info, warn, error, off)");
}

Logger Logger::to_stderr(std::string name, LogLevel level, LogFormat format) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(std::move(name), std::move(sink));
  // JSON lines carry their own fields; text lines get a UTC timestamp.
  if (format == LogFormat::kJson) {
    logger->set_pattern("%v");
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ %n: %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(to_spd(level));
  logger->flush_on(spdlog::level::warn);
  return Logger(std::move(logger), format, {});
}

Logger Logger::to_memory(std::shared_ptr<std::vector<std::string>> lines, LogLevel level) {
  auto logger = std::make_shared<spdlog::logger>("memory", std::make_shared<MemorySink>(std::move(lines)));
  logger->set_level(to_spd(level));
  return Logger(std::move(logger), LogFormat::kText, {});
}

Logger Logger::with(std::string key, std::string value) const {
  auto fields = fields_;
  fields.push_back({std::move(key), std::move(value)});
  return Logger(sink_, format_, std::move(fields));
}

bool Logger::enabled(LogLevel level) const { return sink_ && sink_->should_log(to_spd(level)); }

void Logger::write(LogLevel level, std::string message) const {
  if (format_ == LogFormat::kJson) {
    nlohmann::json line;
    line["ts"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
    line["level"] = spdlog::level::to_string_view(to_spd(level)).data();
    line["logger"] = sink_->name();
    line["msg"] = std::move(message);
    for (const auto& f : fields_) line[f.key] = f.value;
    sink_->log(to_spd(level), line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return;
  }
  for (const auto& f : fields_) {
    message += ' ';
    message += f.key;
    message += '=';
    message += f.value;
  }
  sink_->log(to_spd(level), message);
}

}  // namespace t3n::common
