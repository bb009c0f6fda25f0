// The contract runtime: one shared Wasmtime engine (Cranelift, Component
// Model, pooling allocator, epoch interruption with a ticker thread, fuel),
// contracts compiled once and cached by content hash (encrypted at rest),
// and a fresh sandboxed instance for every call.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/json.h"
#include "common/log.h"
#include "common/status.h"
#include "crypto/hash.h"
#include "runtime/call_context.h"
#include "runtime/host_registry.h"
#include "runtime/manifest.h"

namespace t3n::runtime {

struct RuntimeOptions {
  LimitCeilings ceilings;
  std::uint32_t max_instances = 128;       // pooling allocator slots (concurrent calls)
  std::uint64_t epoch_tick_ms = 2;         // deadline granularity
  std::size_t max_wasm_stack = 512 * 1024;  // bytes of wasm stack per call
  // Compiled artifacts cache; entries are AES-256-GCM sealed with a key
  // derived from `cache_secret`, so the host cannot feed us native code.
  std::optional<std::filesystem::path> cache_dir;
  std::optional<SecretBytes> cache_secret;
  // A cached artifact larger than this is not read (it is recompiled and
  // rewritten); 0 = derived per component: max(64 MiB, 32 × its wasm size).
  std::uint64_t max_cached_artifact_bytes = 0;
  // What one call may write through all host interfaces together.
  WriteLimits write_limits;
  // Call elapsed time and `t3n:host/time` monotonic-ns; tests inject one.
  // Deadlines use the epoch ticker on the real steady clock, never this.
  MonotonicClock clock = steady_clock_ns;
  common::Logger log = common::Logger::to_stderr("runtime", common::LogLevel::kWarn);
};

enum class CallErrorKind {
  kUnknownFunction,
  kBadInput,
  kContractError,  // the export returned err(message)
  kTrap,
  kOutOfFuel,
  kDeadlineExceeded,
  kStackOverflow,
  kMemoryLimit,
  kHostError,
  kHostCallLimit,  // more than kMaxHostCallsPerCall host calls
};
std::string_view call_error_name(CallErrorKind kind);

struct CallOutcome {
  bool ok = false;
  common::Json response;  // when ok
  CallErrorKind error = CallErrorKind::kTrap;
  std::string message;    // when !ok; never contains request data or a backtrace
  std::uint64_t fuel_consumed = 0;
  std::chrono::microseconds elapsed{0};
};

class Runtime;

// A compiled, checked and linked contract. Immutable; shared between calls.
class Contract {
 public:
  ~Contract();
  const crypto::Digest32& code_hash() const;
  const Manifest& manifest() const;
  const std::string& export_interface() const;  // e.g. "z:tenant-flight/contracts@0.4.0"
  std::vector<std::string> functions() const;
  bool loaded_from_cache() const;

 private:
  friend class Runtime;
  struct Impl;
  explicit Contract(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Runtime {
 public:
  static Result<std::unique_ptr<Runtime>> create(RuntimeOptions options, std::shared_ptr<const HostRegistry> hosts);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Compiles (or loads from the cache) and checks a component against the
  // manifest: every host import must be granted and match the host's WIT
  // exactly; the component must export a `contracts` interface.
  Result<std::shared_ptr<const Contract>> load(ByteView component, Manifest manifest);

  // Runs `function` in a fresh instance with the manifest's limits. `input`
  // is the request's JSON: for a `generic-input` parameter it becomes the
  // envelope's `input` bytes; for typed parameters it is converted by type.
  CallOutcome call(const Contract& contract, std::string_view function, const common::Json& input, CallContext& ctx);

  // The export names of a compiled component, without checks (diagnostics).
  std::uint64_t epoch_ticks() const;

 private:
  struct Impl;
  explicit Runtime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace t3n::runtime
