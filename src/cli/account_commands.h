// `t3n profile`, `t3n otp`, `t3n wallet`, `t3n agent`, `t3n org`,
// `t3n audit` — the caller's own account, organisations and audit trail
// (tee:user, tee:agent-registry, tee:organisation, tee:org-data calls and
// audit.list over OHTTP, DID-signed).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
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
  CLI::App* org_ = nullptr;
  CLI::App* org_create_ = nullptr;
  CLI::App* org_list_ = nullptr;
  CLI::App* org_show_ = nullptr;
  CLI::App* org_call_ = nullptr;
  CLI::App* audit_ = nullptr;

  std::vector<std::string> fields_;
  std::string email_, code_, address_, uri_, did_;
  std::string org_name_, org_did_, org_function_, org_input_ = "{}";
  std::uint32_t audit_limit_ = 20;
  std::string audit_cursor_, audit_pii_did_;
  bool yes_ = false;
};

}  // namespace t3n::cli
