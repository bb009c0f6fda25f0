// What a host function sees of the current call. One per call; host
// functions reach it through the wasmtime store's data.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/json.h"
#include "common/log.h"
#include "runtime/manifest.h"
#include "store/store.h"

namespace t3n::runtime {

// A monotonic time source in nanoseconds from an arbitrary origin. The
// runtime reads it for a call's elapsed time and `t3n:host/time`'s
// monotonic-ns; tests inject one to drive time. Never the cluster timestamp
// (that comes with the call) and never the epoch ticker (deadlines stay on
// the real steady clock).
using MonotonicClock = std::function<std::uint64_t()>;

inline std::uint64_t steady_clock_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

// What one call may write through host interfaces, all of them together:
// the kv-store write-set and the state scratch space. 32 MiB holds one
// value of the store's maximum size (16 MiB) with room to spare.
struct WriteLimits {
  std::size_t max_bytes = 32 * 1024 * 1024;
  std::size_t max_entries = 10'000;
};

// The call's write budget. Each entry is named by (space, key) — a space is
// an interface's namespace, e.g. "kv/<map>" or "state" — and charged its
// current size, so rewriting an entry charges only the difference and
// releasing one (state's delete) refunds it. A host function asks `fits`
// before writing and `record`s after a successful write; a refusal is the
// interface's typed error, never a trap.
class WriteBudget {
 public:
  explicit WriteBudget(WriteLimits limits = {}) : limits_(limits) {}

  bool fits(std::string_view space, ByteView key, std::size_t size) const {
    auto it = charged_.find(make_key(space, key));
    const std::size_t old = it == charged_.end() ? 0 : it->second;
    const std::size_t entries = entries_ + (it == charged_.end() ? 1 : 0);
    return entries <= limits_.max_entries && size <= limits_.max_bytes && bytes_ - old <= limits_.max_bytes - size;
  }
  void record(std::string_view space, ByteView key, std::size_t size) {
    auto [it, inserted] = charged_.try_emplace(make_key(space, key), 0);
    if (inserted) ++entries_;
    bytes_ = bytes_ - it->second + size;
    it->second = size;
  }
  void release(std::string_view space, ByteView key) {
    auto it = charged_.find(make_key(space, key));
    if (it == charged_.end()) return;
    bytes_ -= it->second;
    --entries_;
    charged_.erase(it);
  }
  // A nested call's writes join this call's budget when it succeeds.
  void absorb(const WriteBudget& inner) {
    for (const auto& [key, size] : inner.charged_) record(key.first, key.second, size);
  }
  std::size_t bytes() const { return bytes_; }
  std::size_t entries() const { return entries_; }
  const WriteLimits& limits() const { return limits_; }

 private:
  using Key = std::pair<std::string, Bytes>;
  static Key make_key(std::string_view space, ByteView key) { return {std::string(space), Bytes(key.begin(), key.end())}; }

  WriteLimits limits_;
  std::map<Key, std::size_t> charged_;
  std::size_t bytes_ = 0;
  std::size_t entries_ = 0;
};

struct CallContext;

// The calling user's custodial wallets (20-byte addresses).
struct UserWallets {
  Bytes primary;
  std::vector<Bytes> secondary;
};

// How a nested contract call ended (contracts-call's invoke-error cases).
struct InvokeOutcome {
  enum class Kind { kOk, kNotAllowlisted, kTargetUnknown, kDepthExceeded, kReentrant, kInnerFailed, kInnerTrapped, kEncodingFailed };
  Kind kind = Kind::kOk;
  Bytes output;         // kOk: the inner function's JSON result
  std::string detail;   // otherwise: what to tell the caller (never request data)
};

// Whether a delegated call may still reach hosts (authorisation). Direct
// calls have no delegation; delegated ones carry the grant's host list.
struct DelegationView {
  bool delegated = false;
  bool revoked = false;                                   // the grant is gone since the call began
  std::optional<std::vector<std::string>> allowed_hosts;  // none = the grant does not narrow hosts
};

// What the node offers host interfaces beyond the call's transaction:
// custody of users' keys, delegation state and nested calls. The api layer
// implements it for each call; a null pointer means the node offers none
// (unit tests), and the interfaces answer their typed "unavailable" errors.
class CallServices {
 public:
  virtual ~CallServices() = default;
  // The calling user's wallets; `create` makes the primary at first need.
  // none: the user has none (and `create` was false).
  virtual Result<std::optional<UserWallets>> user_wallets(CallContext& ctx, bool create) = 0;
  // r ‖ s ‖ v (v ∈ {27, 28}) over `digest32` with the caller's wallet
  // `address`; none if the caller owns no such wallet.
  virtual Result<std::optional<Bytes>> sign_with_user_wallet(CallContext& ctx, ByteView address, ByteView digest32) = 0;
  virtual Result<bool> has_wallet(CallContext& ctx, ByteView user_id) = 0;
  // The caller's custodial P-256 holder key (created at first need): its
  // public point (SEC1 uncompressed), and ES256 signatures (raw r ‖ s).
  virtual Result<Bytes> holder_public_key(CallContext& ctx) = 0;
  virtual Result<Bytes> holder_sign(CallContext& ctx, ByteView message) = 0;
  // Calls `function` of `target` in this call's transaction (contracts-call).
  virtual InvokeOutcome invoke(CallContext& ctx, const std::string& target, const std::string& function, ByteView input) = 0;
  // The delegation this call runs under, read in its transaction.
  virtual Result<DelegationView> delegation(CallContext& ctx) = 0;

  // Accounts (user-profile, user-removal, did-registry, agent-auth), in the
  // call's transaction; `user` is a 20-byte id the interface has checked.
  // A node without accounts answers kUnimplemented.
  virtual Result<std::string> upsert_profile(CallContext&, ByteView /*user*/, ByteView /*profile_json*/) { return no_accounts(); }
  virtual Result<std::string> remove_user(CallContext&, ByteView /*user*/) { return no_accounts(); }
  virtual Status link_authenticator(CallContext&, ByteView /*user*/, const std::string& /*authenticator*/) { return no_accounts(); }
  virtual Result<std::string> update_authorisations(CallContext&, ByteView /*user*/, ByteView /*payload*/) { return no_accounts(); }
  virtual Result<std::string> register_agent(CallContext&, ByteView /*user*/, const std::string& /*agent_uri*/, ByteView /*owner*/) {
    return no_accounts();
  }
  // E-mail OTP (the otp interface): send a code for `flow` to `address`
  // (canonical); the address a code proves for `flow`.
  virtual Status otp_send(CallContext&, const std::string& /*flow*/, const std::string& /*address*/) { return no_accounts(); }
  virtual Result<std::string> otp_check(CallContext&, const std::string& /*flow*/, const std::string& /*code*/) { return no_accounts(); }

 protected:
  static Status no_accounts() { return Status(ErrorCode::kUnimplemented, "accounts are not available here"); }
};

struct CallContext {
  // The call's transaction: kv-store reads and writes join it.
  store::Transaction* tx = nullptr;
  std::uint32_t contract_id = 0;
  std::string tenant_tid;                 // 40 lowercase hex
  Bytes tenant_did;                       // 20-byte compact DID
  std::optional<Bytes> calling_user_did;  // none for admin/webhook paths
  std::optional<std::string> vc_id;       // the delegation credential a delegated call runs under
  std::uint64_t cluster_timestamp_ms = 0;
  std::uint64_t seqno = 0;
  std::string request_id;
  const Manifest* manifest = nullptr;
  const std::map<std::string, std::string>* node_config = nullptr;   // t3n:host/node-config
  const std::map<std::string, common::Json>* cluster_config = nullptr;  // t3n:host/config
  std::optional<Bytes> user_profile;  // the caller's decrypted data blob, if any
  // profile-ref: this execution's opaque handles → the profile path each
  // names (resolved by http-with-placeholders' {{ref.<handle>}}).
  std::map<std::string, std::string> profile_handles;
  // The blob uploaded with this request (multipart executeWithBlob): the
  // t3n:host/stash pending slot. Public to the network (sent unencrypted).
  struct AttachedBlob {
    ByteView bytes;
    std::optional<std::string> media_type;
    bool consumed = false;
  };
  std::optional<AttachedBlob> attached_blob;
  // Metering balances (t3n token interface): an account's, read in the
  // call's transaction; unset when the node does not meter.
  struct Balance {
    std::uint64_t available = 0;
    std::uint64_t reserved = 0;
  };
  std::function<Result<std::optional<Balance>>(ByteView account)> balance_of;
  // Node services for signing, authorisation and contracts-call (null: none).
  CallServices* services = nullptr;
  std::string contract_name;               // canonical name of the running contract
  std::vector<std::string> call_stack;     // contracts-call: outermost first, this one last
  std::uint64_t nested_fuel = 0;           // fuel of nested calls (metering)
  // The runtime sets both when the call starts (RuntimeOptions::clock).
  const MonotonicClock* clock = nullptr;
  std::uint64_t started_ns = steady_clock_ns();

  // Filled during the call.
  std::map<std::string, Bytes> scratch;  // the `state` interface
  WriteBudget writes;                     // every host interface that writes
  std::vector<std::string> contract_log;  // logging + stdout/stderr, tagged
  // logging#audit: the contract's own audit events (the host stamps who and
  // when and writes them in the dispatch's batch).
  struct AuditEvent {
    std::string action, target, outcome;
    std::optional<std::string> details;
  };
  std::vector<AuditEvent> audit_events;
  std::size_t contract_log_bytes = 0;
  std::uint64_t host_calls = 0;
  std::uint64_t egress_bytes = 0;     // http request + response bodies (metering)
  std::uint32_t outbox_enqueued = 0;  // new outbox entries this call
  std::vector<std::string> outbox_upstreams;  // their hosts (metering: outbox_egress)
  std::uint64_t egress_bytes_queued = 0;      // their request bodies
  std::uint64_t cas_bytes = 0;        // bytes this call put into the CAS (stash)
  bool caller_removed = false;        // user-removal removed the calling user in this call
  bool host_call_limit_hit = false;  // set when the call is cut at kMaxHostCallsPerCall

  std::uint64_t now_ns() const { return clock != nullptr && *clock ? (*clock)() : steady_clock_ns(); }
};

// Limits on what one call may accumulate in host memory.
inline constexpr std::size_t kMaxLogLineBytes = 4 * 1024;
inline constexpr std::size_t kMaxLogBytesPerCall = 256 * 1024;
inline constexpr std::uint64_t kMaxHostCallsPerCall = 1'000'000;
inline constexpr std::size_t kMaxAttachedBlobBytes = 16 * 1024 * 1024;

}  // namespace t3n::runtime
