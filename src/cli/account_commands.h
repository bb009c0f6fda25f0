// `t3n profile`, `t3n otp`, `t3n wallet`, `t3n agent` — the caller's own
// account (tee:user and tee:agent-registry calls over OHTTP, DID-signed).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "api/client.h"
#include "cli/tenant_commands.h"

namespace t3n::cli {

class AccountCommands {
 public:
  void add(CLI::App& app, const std::function<void(CLI::App*)>& with_trust);
  bool parsed() const;
  int run(api::NodeClient& client, const api::RequestSigner& signer, const PrintFn& print);

 private:
  CLI::App* profile_ = nullptr;
  CLI::App* profile_fields_ = nullptr;
  CLI::App* profile_set_ = nullptr;
  CLI::App* profile_remove_ = nullptr;
  CLI::App* otp_ = nullptr;
  CLI::App* otp_request_ = nullptr;
  CLI::App* otp_verify_ = nullptr;
  CLI::App* wallet_ = nullptr;
  CLI::App* wallet_address_ = nullptr;
  CLI::App* wallet_list_ = nullptr;
  CLI::App* wallet_history_ = nullptr;
  CLI::App* agent_ = nullptr;
  CLI::App* agent_register_ = nullptr;
  CLI::App* agent_get_ = nullptr;

  std::vector<std::string> fields_;
  std::string email_, code_, address_, uri_, did_;
  bool yes_ = false;
};

}  // namespace t3n::cli
