// t3nd — the T3N node daemon.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "common/log.h"
#include "crypto/self_test.h"

namespace {

int run_dev(const t3n::common::Logger& log) {
  log.info("t3nd {} starting in dev mode", T3N_VERSION);
  auto report = t3n::crypto::run_self_test();
  if (!report.ok()) {
    log.error("crypto self-test failed: {}", report.status().to_string());
    return 1;
  }
  for (const auto& name : report->passed) log.info("self-test passed: {}", name);
  std::printf(
      "\nt3nd %s: crypto self-test passed (%zu checks).\n"
      "The dev node (HTTP API, contracts, storage) is not built yet; this build\n"
      "provides the foundation: the crypto module and the toolchain.\n",
      T3N_VERSION, report->passed.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"t3nd — T3N confidential-compute node"};
  app.set_version_flag("--version", std::string("t3nd ") + T3N_VERSION);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")->capture_default_str();
  app.require_subcommand(0, 1);
  auto* dev = app.add_subcommand("dev", "Run a one-node development cluster (simulated TEE)");
  auto* self_test = app.add_subcommand("self-test", "Run the cryptographic self test and exit");
  CLI11_PARSE(app, argc, argv);

  auto level = t3n::common::parse_log_level(log_level);
  if (!level.ok()) {
    std::fprintf(stderr, "error: %s\n", level.status().message().c_str());
    return 2;
  }
  auto log = t3n::common::Logger::to_stderr("t3nd", *level);
  if (dev->parsed() || self_test->parsed()) return run_dev(log);
  std::printf("%s", app.help().c_str());
  return 0;
}
