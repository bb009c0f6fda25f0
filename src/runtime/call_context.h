// What a host function sees of the current call. One per call; host
// functions reach it through the wasmtime store's data.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/json.h"
#include "common/log.h"
#include "runtime/manifest.h"
#include "store/store.h"

namespace t3n::runtime {

struct CallContext {
  // The call's transaction: kv-store reads and writes join it.
  store::Transaction* tx = nullptr;
  std::uint32_t contract_id = 0;
  std::string tenant_tid;                 // 40 lowercase hex
  Bytes tenant_did;                       // 20-byte compact DID
  std::optional<Bytes> calling_user_did;  // none for admin/webhook paths
  std::uint64_t cluster_timestamp_ms = 0;
  std::uint64_t seqno = 0;
  std::string request_id;
  const Manifest* manifest = nullptr;
  const std::map<std::string, std::string>* node_config = nullptr;   // t3n:host/node-config
  const std::map<std::string, common::Json>* cluster_config = nullptr;  // t3n:host/config
  std::optional<Bytes> user_profile;  // the caller's decrypted data blob, if any

  // Filled during the call.
  std::map<std::string, Bytes> scratch;  // the `state` interface
  std::size_t scratch_bytes = 0;
  std::vector<std::string> contract_log;  // logging + stdout/stderr, tagged
  std::size_t contract_log_bytes = 0;
  std::uint64_t host_calls = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

// Limits on what one call may accumulate in host memory.
inline constexpr std::size_t kMaxLogLineBytes = 4 * 1024;
inline constexpr std::size_t kMaxLogBytesPerCall = 256 * 1024;
inline constexpr std::size_t kMaxScratchBytes = 16 * 1024 * 1024;
inline constexpr std::uint64_t kMaxHostCallsPerCall = 1'000'000;

}  // namespace t3n::runtime
