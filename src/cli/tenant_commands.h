// `t3n tenant`, `t3n map`, `t3n contract`, `t3n usage` (tee:tenant and
// token calls over OHTTP, as the SDK's TenantClient makes them) and
// `t3n admin` (the operator API, bodies signed EIP-191 with an operator key).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "api/client.h"
#include "common/json.h"

namespace t3n::cli {

using PrintFn = std::function<void(const common::Json& j, const std::string& human)>;

class TenantCommands {
 public:
  // Adds the commands to `app`; `with_trust` adds a command's trust options.
  void add(CLI::App& app, const std::function<void(CLI::App*)>& with_trust);
  // A command of the signed, attested kind (tenant, map, contract, usage) was given.
  bool parsed_signed() const;
  bool parsed_admin() const;
  // Runs the given command; returns the exit code.
  int run_signed(api::NodeClient& client, const api::RequestSigner& signer, bool json, const PrintFn& print);
  int run_admin(api::NodeClient& client, bool json, const PrintFn& print);

 private:
  CLI::App* tenant_ = nullptr;
  CLI::App* tenant_claim_ = nullptr;
  CLI::App* tenant_me_ = nullptr;
  CLI::App* map_ = nullptr;
  CLI::App* map_create_ = nullptr;
  CLI::App* map_update_ = nullptr;
  CLI::App* map_delete_ = nullptr;
  CLI::App* map_put_ = nullptr;
  CLI::App* map_get_ = nullptr;
  CLI::App* map_list_ = nullptr;
  CLI::App* contract_ = nullptr;
  CLI::App* upload_ = nullptr;
  CLI::App* enable_ = nullptr;
  CLI::App* disable_ = nullptr;
  CLI::App* unregister_ = nullptr;
  CLI::App* logs_ = nullptr;
  CLI::App* usage_ = nullptr;
  CLI::App* admin_ = nullptr;
  CLI::App* admin_address_ = nullptr;
  CLI::App* admin_admit_ = nullptr;
  CLI::App* admin_transfer_ = nullptr;
  CLI::App* admin_send_ = nullptr;

  std::string tail_, visibility_ = "private", writers_, readers_, key_prefix_, key_charset_, admin_readable_;
  std::uint32_t key_max_len_ = 0;
  std::string key_, value_, value_file_, encoding_ = "utf8";
  std::string file_, version_, manifest_file_, source_hash_;
  std::uint64_t since_ = 0, limit_ = 50, after_ = 0;
  CLI::Option* since_opt_ = nullptr;
  CLI::Option* after_opt_ = nullptr;
  CLI::Option* log_entries_opt_ = nullptr;
  CLI::Option* credits_opt_ = nullptr;
  std::string min_level_ = "debug";
  std::vector<std::string> kinds_;
  std::string admin_key_ = ".t3n/admin-key.json";
  std::string did_, label_, to_, from_, note_, action_, params_ = "{}";
  std::uint64_t credits_ = 0, amount_ = 0, log_entries_ = 0;
};

}  // namespace t3n::cli
