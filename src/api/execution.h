// The execution flow of ARCHITECTURE.md §3 (steps 3–8) and the commit rule
// every state-changing method shares: the caller's user (created if new) and
// the caller's replay entry join the method's own writes in one transaction,
// so a request that changed state can never run again — not after a
// restart, not on another node — and a read-only request commits nothing.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <type_traits>

#include "api/endpoints.h"
#include "api/services.h"
#include "common/json.h"
#include "store/table.h"

namespace t3n::api {

// Replay entries (identity::AuthenticatedRequest::replay_key → empty),
// ordered by expiry so expired ones are pruned with one range scan.
inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kReplayTable{"replay_nonces"};
// The node's own markers: "initial-state" = the t3nd version whose start-up
// writes (tables, system contracts) are in the ledger; cluster followers
// wait for it instead of writing themselves.
inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kNodeStateTable{"node_state"};

Status ensure_api_tables(store::Store& store);

inline constexpr int kMaxConflictRetries = 3;

// Runs body(tx) in a fresh system transaction and commits it if it wrote
// anything; reruns the whole body on an OCC conflict, up to
// kMaxConflictRetries times. body returns Status or Result<T>.
template <class Body>
auto in_system_transaction(NodeServices& s, Body&& body) -> std::invoke_result_t<Body&, store::Transaction&> {
  for (int attempt = 0;; ++attempt) {
    auto tx = s.store.begin(store::Principal::system());
    auto out = body(tx);
    if (!out.ok() || !tx.has_writes()) return out;
    auto committed = s.store.commit(tx);
    if (committed.ok()) {
      ++s.metrics.commits;
      return out;
    }
    if (committed.status().code() != ErrorCode::kConflict || attempt + 1 >= kMaxConflictRetries) return committed.status();
  }
}

// Inside a transaction about to commit for `caller`: refuses a request whose
// replay entry is already committed, records it otherwise, and creates the
// caller's user with `user_id` if the user is new. kConflict if another
// request created the caller's user with a different id meanwhile.
// `create_user` false: only the replay entry (a metered call that wrote
// nothing of its own commits its charge, but makes no stranger a user).
// `user_removed`: the call removed its own user (user-removal) — only the
// replay entry.
Status record_caller(const NodeServices& s, store::Transaction& tx, const Caller& caller, const Bytes& user_id,
                     bool create_user = true, bool user_removed = false);

// The caller's user id, if the caller has one (a read; creates nothing).
Result<std::optional<Bytes>> find_user(const NodeServices& s, const Caller& caller);

// Runs `body(tx, user)` in a system transaction (user = the caller's id,
// new if the caller has none yet), records the caller, commits; retries the
// whole body on an OCC conflict. The result gets "tx_seqno".
Result<common::Json> write_as_caller(NodeServices& s, const Caller& caller,
                                     const std::function<Result<common::Json>(store::Transaction&, const Bytes& user)>& body);

// The user's decrypted data blob, if any.
Result<std::optional<Bytes>> read_user_data(NodeServices& s, const Bytes& user);

struct ExecuteParams {
  std::string script_name;
  std::optional<std::string> script_version;
  std::string function_name;
  common::Json input;
  std::optional<std::string> pii_did;
  // A file sent with the request over OHTTP (base64; the session channel
  // sends it as a multipart part instead): contract upload from the CLI.
  std::optional<std::string> blob_base64;
  static Result<ExecuteParams> parse(const common::Json& j);
};

// Observes each attempt after the contract ran and before the commit (tests
// use it to make a conflicting commit land in between; metrics could too).
using BeforeCommit = std::function<void(int attempt)>;

// action.execute: resolve, authorise (own data or a delegation grant),
// run in a fresh sandbox, commit on `ok` (with the caller's records),
// retry on conflict, never commit on err/trap/timeout.
// `blob`: the file uploaded with the request (session multipart), which the
// contract may persist through t3n:host/stash.
Result<common::Json> execute_contract(NodeServices& s, const Caller& caller, const ExecuteParams& params,
                                      const std::string& request_id, const BeforeCommit& before_commit = {},
                                      const std::optional<runtime::CallContext::AttachedBlob>& blob = std::nullopt);

// Removes replay entries whose window has passed (bounded work per call).
Result<std::size_t> prune_replay_entries(NodeServices& s, std::uint32_t limit = 10'000);

// Removes used invocation-envelope nonces of credentials long expired, a
// bounded window of rows per pass; `cursor` carries the scan between passes.
Result<std::size_t> prune_invocation_nonces(NodeServices& s, Bytes& cursor, std::uint32_t limit = 2'000);

}  // namespace t3n::api
