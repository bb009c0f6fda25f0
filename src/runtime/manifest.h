// The contract manifest (HOST-API.md): granted host interfaces, their
// allowlists and the sandbox limits. Stored with the registry row.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace t3n::runtime {

struct Limits {
  std::uint64_t fuel = 50'000'000;
  std::uint64_t memory_mib = 64;
  std::uint64_t timeout_ms = 2'000;
};

// Ceilings an operator allows; a manifest may ask for less, never more.
struct LimitCeilings {
  std::uint64_t fuel = 5'000'000'000;
  std::uint64_t memory_mib = 256;
  std::uint64_t timeout_ms = 30'000;
};

struct ContractCallGrant {
  std::string target;
  std::vector<std::string> allowed_functions;
  std::uint32_t max_depth = 1;
};

struct Manifest {
  std::set<std::string> host_capabilities;  // "kv_store", "logging", …
  std::vector<std::string> http_allow_list;
  std::vector<std::string> placeholder_allowlist;
  bool sign_as_user = false;
  std::vector<ContractCallGrant> contracts_call;
  bool stash = false;
  std::vector<std::string> provider_config;
  std::vector<std::string> outbox_hosts;
  // WASI extras, off by default: wall/monotonic clocks and randomness.
  bool wasi_clocks = false;
  bool wasi_random = false;
  Limits limits;

  bool grants(std::string_view capability) const { return host_capabilities.count(std::string(capability)) != 0; }
};

// Parses and validates: unknown keys, unknown capabilities and limits above
// the ceilings are errors that name the field.
Result<Manifest> parse_manifest(const common::Json& json, const LimitCeilings& ceilings = {});
common::Json manifest_to_json(const Manifest& m);

// HOST-API.md "Tiers": what a tenant contract (`z:<tid>:…`) may be granted
// by default; every other capability is system-only unless the operator's
// policy adds it (tenancy.extra_capabilities).
bool is_tenant_tier_capability(std::string_view capability);

// Capability name (manifest) for an interface name ("host:interfaces/kv-store@2.1.0" → "kv_store").
std::string capability_of_interface(std::string_view interface_name);

}  // namespace t3n::runtime
