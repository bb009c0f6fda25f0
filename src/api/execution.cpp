#include "api/execution.h"

#include "system/audit_trail.h"

#include "api/call_services.h"

#include "common/encoding.h"
#include "identity/delegation.h"
#include "identity/did.h"
#include "system/audit_trail.h"
#include "system/contract_logs.h"
#include "system/delegation.h"
#include "system/tenants.h"

namespace t3n::api {

Status ensure_api_tables(store::Store& store) { return store::ensure_tables(store, kReplayTable, system::kAuditTable, kNodeStateTable); }

Status record_caller(const NodeServices& s, store::Transaction& tx, const Caller& caller, const Bytes& user_id,
                     bool create_user, bool user_removed) {
  // A session's messages are single-use by its nonce memory (sessions.h);
  // a DID-signed request's replay entry commits with its writes.
  if (!caller.is_session()) {
    auto replay = kReplayTable.in(tx);
    T3N_ASSIGN_OR_RETURN(auto seen, replay.get(caller.request.replay_key));
    if (seen) return Status(ErrorCode::kUnauthenticated, "replayed request (already committed)");
    T3N_RETURN_IF_ERROR(replay.put(caller.request.replay_key, Bytes{}));
  }
  // The call removed its own user (user-removal): nothing to check or create.
  if (user_removed) return {};
  // A session logged in as an existing user (its did:t3n).
  if (caller.is_session()) {
    T3N_ASSIGN_OR_RETURN(auto row, identity::kUsersTable.in(tx).get(user_id));
    if (!row) return Status(ErrorCode::kUnauthenticated, "Unauthorized: the session's user does not exist");
    return {};
  }
  if (!create_user) return {};
  // One read: the existing user, or `user_id` created now.
  T3N_ASSIGN_OR_RETURN(Bytes id, s.users.find_or_create(tx, caller.authenticator(), &user_id));
  if (id != user_id) return Status(ErrorCode::kConflict, "the caller's user was created concurrently");
  return {};
}

Result<std::optional<Bytes>> find_user(const NodeServices& s, const Caller& caller) {
  if (caller.is_session()) {
    T3N_ASSIGN_OR_RETURN(Bytes id, identity::parse_t3n_did(caller.session_did));
    return std::optional<Bytes>(std::move(id));
  }
  auto tx = s.store.begin(store::Principal::system());
  return s.users.find(tx, caller.authenticator());
}

namespace {
Result<Bytes> user_or_new(const NodeServices& s, const Caller& caller) {
  T3N_ASSIGN_OR_RETURN(auto user, find_user(s, caller));
  if (user) return *user;
  return identity::UserDirectory::new_user_id();
}
}  // namespace

Result<common::Json> write_as_caller(NodeServices& s, const Caller& caller,
                                     const std::function<Result<common::Json>(store::Transaction&, const Bytes& user)>& body) {
  for (int attempt = 0;; ++attempt) {
    T3N_ASSIGN_OR_RETURN(Bytes user, user_or_new(s, caller));
    auto tx = s.store.begin(store::Principal::system());
    // The caller's records first: the body sees its user, and may remove it
    // (tee:user's removal) without failing the check afterwards.
    // A failed record (a concurrently created user) retries like a conflict.
    Status recorded = record_caller(s, tx, caller, user);
    common::Json result;
    if (recorded.ok()) {
      T3N_ASSIGN_OR_RETURN(result, body(tx, user));
    }
    Result<store::CommitInfo> committed = recorded.ok() ? s.store.commit(tx) : Result<store::CommitInfo>(recorded);
    if (committed.ok()) {
      ++s.metrics.commits;
      if (result.is_object()) result["tx_seqno"] = committed->seqno;
      return result;
    }
    if (committed.status().code() != ErrorCode::kConflict || attempt + 1 >= kMaxConflictRetries) return committed.status();
    ++s.metrics.conflicts_retried;
  }
}

Result<std::optional<Bytes>> read_user_data(NodeServices& s, const Bytes& user) {
  auto tx = s.store.begin(store::Principal::system());
  T3N_ASSIGN_OR_RETURN(auto ref, identity::kUserDataTable.in(tx).get(user));
  if (!ref) return std::optional<Bytes>{};
  T3N_ASSIGN_OR_RETURN(cas::Cid cid, cas::Cid::parse(*ref));
  T3N_ASSIGN_OR_RETURN(Bytes sealed, s.cas.get(cid));
  T3N_ASSIGN_OR_RETURN(auto key, s.user_keys.find(tx, user));
  if (!key) return common::data_loss("the user's data key is missing");
  T3N_ASSIGN_OR_RETURN(Bytes data, identity::UserDataKeys::open_blob(*key, user, sealed));
  return std::optional<Bytes>(std::move(data));
}

Result<ExecuteParams> ExecuteParams::parse(const common::Json& j) {
  ParamReader r{j};
  ExecuteParams p;
  T3N_ASSIGN_OR_RETURN(p.script_name, r.string("script_name"));
  T3N_ASSIGN_OR_RETURN(p.function_name, r.string("function_name"));
  T3N_ASSIGN_OR_RETURN(p.script_version, r.optional_string("script_version"));
  T3N_ASSIGN_OR_RETURN(p.pii_did, r.optional_string("pii_did"));
  T3N_ASSIGN_OR_RETURN(p.blob_base64, r.optional_string("blob_base64"));
  p.input = r.any("input").value_or(common::Json(nullptr));
  return p;
}

namespace {

// tee:* — a system contract's function in one system transaction with the
// caller's records, like any state-changing method.
Result<common::Json> execute_system(NodeServices& s, const Caller& caller, const ExecuteParams& params,
                                    const std::optional<runtime::CallContext::AttachedBlob>& blob) {
  if (s.system == nullptr) return common::not_found("no contract of that name");
  auto it = s.system->contracts.find(params.script_name);
  if (it == s.system->contracts.end()) return common::not_found("no contract of that name");
  const system::SystemContract& contract = it->second;
  if (params.script_version && *params.script_version != contract.version)
    return common::not_found("the contract has no such version (" + params.script_name + " is at " + contract.version + ")");
  auto fn = contract.functions.find(params.function_name);
  if (fn == contract.functions.end())
    return common::not_found("unknown-function: " + params.script_name + " has no function '" + params.function_name + "'");
  std::vector<std::function<void()>> after_commit;
  const std::string authenticator = caller.is_session() ? caller.session_authenticator : caller.authenticator();
  // pii_did on a system function: only the delegable ones, only under the
  // data owner's grant to this caller for this contract and function.
  std::optional<Bytes> subject;
  if (params.pii_did) {
    T3N_ASSIGN_OR_RETURN(auto me, find_user(s, caller));
    if (!me || *params.pii_did != identity::t3n_did(*me)) {
      if (contract.delegable.count(params.function_name) == 0)
        return common::permission_denied("pii_did: " + params.script_name + "#" + params.function_name + " acts on the caller's own data only");
      T3N_ASSIGN_OR_RETURN(Bytes owner, identity::parse_t3n_did(*params.pii_did));
      auto tx = s.store.begin(store::Principal::system());
      T3N_ASSIGN_OR_RETURN(auto grants, identity::kDelegationsTable.in(tx).get(owner));
      if (!grants) return common::permission_denied("NotDelegated: the data owner has granted no delegations");
      std::vector<std::string> agent_dids{caller.did()};
      if (me) agent_dids.push_back(identity::t3n_did(*me));
      T3N_RETURN_IF_ERROR(identity::check_delegation(grants->grants, agent_dids, params.script_name, contract.version, params.function_name));
      subject = std::move(owner);
    }
  }
  T3N_ASSIGN_OR_RETURN(
      common::Json out,
      write_as_caller(s, caller, [&](store::Transaction& tx, const Bytes& user) -> Result<common::Json> {
        system::SystemCall call{tx, user, authenticator, params.input.is_null() ? common::Json::object() : params.input,
                                blob ? std::optional<ByteView>(blob->bytes) : std::nullopt, s.clock(), {}, subject};
        T3N_ASSIGN_OR_RETURN(common::Json response, fn->second(s.system->env, call));
        after_commit = std::move(call.after_commit);
        return common::Json{{"response", std::move(response)}, {"fuel", 0}};
      }));
  for (auto& f : after_commit) f();
  return out;
}

// The tenant's row, when the contract's tenant is an admitted one (it pays
// for its contracts' calls and owns their log ring).
Result<std::optional<system::TenantRecord>> tenant_of(store::Transaction& tx, NodeServices& s, const std::string& tid) {
  if (s.system == nullptr) return std::optional<system::TenantRecord>{};
  return system::kTenantRecords.in(tx).get(tid);
}

}  // namespace

Result<common::Json> execute_contract(NodeServices& s, const Caller& caller, const ExecuteParams& params,
                                      const std::string& request_id, const BeforeCommit& before_commit,
                                      const std::optional<runtime::CallContext::AttachedBlob>& blob_in) {
  Bytes decoded_blob;
  std::optional<runtime::CallContext::AttachedBlob> blob = blob_in;
  if (!blob && params.blob_base64) {
    auto d = common::base64_decode(*params.blob_base64);
    if (!d.ok()) return common::invalid_argument("'blob_base64': expected base64");
    decoded_blob = std::move(*d);
    blob = runtime::CallContext::AttachedBlob{decoded_blob, std::nullopt};
  }
  if (params.script_name.rfind("tee:", 0) == 0) return execute_system(s, caller, params, blob);
  T3N_ASSIGN_OR_RETURN(registry::ContractVersion v, s.registry.resolve(params.script_name, params.script_version));
  if (v.status == registry::ContractStatus::kDisabled)
    return common::failed_precondition("ContractDisabled: " + params.script_name + " is disabled by its tenant");
  T3N_ASSIGN_OR_RETURN(auto caller_user, find_user(s, caller));
  // Step 5: acting on someone else's data needs their grant for this
  // contract, version and function.
  Bytes subject;
  std::optional<DelegationContext> delegation;  // what authorisation re-reads during the call
  // An invocation envelope (tee:delegation credential): the host checks it
  // before anything runs; the call then acts on the credential's user.
  std::optional<system::AcceptedInvocation> invocation;
  // Only the delegation wire's envelope (an object with credential_jcs): a
  // contract's own field named "envelope" stays its business.
  const bool has_envelope = params.input.is_object() && params.input.contains("envelope") && params.input["envelope"].is_object() &&
                            params.input["envelope"].contains("credential_jcs");
  if (has_envelope && s.system != nullptr && s.system->env.accounts != nullptr) {
    auto snapshot = s.store.begin(store::Principal::system());
    T3N_ASSIGN_OR_RETURN(invocation, system::accept_invocation(snapshot, *s.system->env.accounts, s.system->env.org_defaults,
                                                               params.input["envelope"], params.input.value("request", common::Json(nullptr)),
                                                               params.script_name, params.function_name, s.clock()));
    subject = invocation->subject;
    if (params.pii_did && *params.pii_did != identity::t3n_did(subject))
      return common::permission_denied("DelegationRefused: pii_did is not the credential's user");
    std::vector<std::string> agent_dids{caller.did()};
    delegation = DelegationContext{subject, std::move(agent_dids), params.script_name, v.version, params.function_name, invocation->credential};
  } else if (params.pii_did && (!caller_user || *params.pii_did != identity::t3n_did(*caller_user))) {
    T3N_ASSIGN_OR_RETURN(subject, identity::parse_t3n_did(*params.pii_did));
    auto tx = s.store.begin(store::Principal::system());
    T3N_ASSIGN_OR_RETURN(auto delegations, identity::kDelegationsTable.in(tx).get(subject));
    if (!delegations) return common::permission_denied("the data owner has granted no delegations");
    std::vector<std::string> agent_dids{caller.did()};
    if (caller_user) agent_dids.push_back(identity::t3n_did(*caller_user));
    T3N_RETURN_IF_ERROR(identity::check_delegation(delegations->grants, agent_dids, params.script_name, v.version,
                                                   params.function_name));
    delegation = DelegationContext{subject, std::move(agent_dids), params.script_name, v.version, params.function_name, std::nullopt};
  }
  NodeCallServices call_services(s, std::move(delegation));
  T3N_ASSIGN_OR_RETURN(auto contract, s.registry.load(v));
  T3N_ASSIGN_OR_RETURN(Bytes tenant_did, common::hex_decode_canonical(v.tenant, 20));
  // Metering: an admitted tenant pays for its contracts' calls; the reserve
  // is held before anything runs.
  std::optional<system::TenantRecord> tenant;
  system::Metering* metering = nullptr;
  system::Reservation reservation;
  if (s.system != nullptr) {  // one snapshot for both reads, closed before the call runs
    auto snapshot = s.store.begin(store::Principal::system());
    T3N_ASSIGN_OR_RETURN(tenant, tenant_of(snapshot, s, v.tenant));
    if (s.system != nullptr && s.system->env.metering.enabled() && s.meter_calls && tenant) metering = &s.system->env.metering;
    if (metering != nullptr) {
      T3N_ASSIGN_OR_RETURN(reservation,
                           metering->reserve(snapshot, tenant_did, metering->reserve_for(contract->manifest().limits.fuel)));
    }
  }

  const std::uint64_t log_max = tenant ? tenant->quotas.log_max_entries : 0;
  // What a call leaves whatever its outcome: its charges and its log lines.
  auto keep = [&](store::Transaction& into, const std::vector<system::Charge>& charges,
                  const std::vector<std::string>& lines) -> Status {
    if (metering != nullptr) T3N_RETURN_IF_ERROR(metering->settle(into, tenant_did, charges, s.clock()));
    return system::append_contract_logs(into, v.contract_id, lines, s.clock(), log_max);
  };
  for (int attempt = 0;; ++attempt) {
    // A stranger's first call sees the id its user will get if the call commits.
    Bytes user = caller_user ? *caller_user : Bytes{};
    if (!caller_user) {
      T3N_ASSIGN_OR_RETURN(auto again, find_user(s, caller));
      if (again) caller_user = again;
      T3N_ASSIGN_OR_RETURN(user, again ? Result<Bytes>(*again) : identity::UserDirectory::new_user_id());
    }
    const Bytes& data_owner = subject.empty() ? user : subject;
    T3N_ASSIGN_OR_RETURN(auto profile, read_user_data(s, data_owner));
    auto tx = s.store.begin(store::Principal::contract(v.contract_id, v.tenant));
    runtime::CallContext ctx;
    ctx.tx = &tx;
    ctx.contract_id = v.contract_id;
    ctx.tenant_tid = v.tenant;
    ctx.tenant_did = tenant_did;
    ctx.calling_user_did = data_owner;
    if (invocation) ctx.vc_id = invocation->credential.vc_id_b64u();
    ctx.cluster_timestamp_ms = s.clock();
    ctx.seqno = s.store.last_seqno();
    ctx.request_id = request_id;
    ctx.node_config = &s.node_config_kv;
    ctx.user_profile = std::move(profile);
    ctx.attached_blob = blob;  // fresh per attempt: a rerun may persist it again (same CID)
    ctx.cluster_config = s.cluster_config;
    ctx.services = &call_services;
    ctx.contract_name = v.name;
    ctx.call_stack = {v.name};
    if (s.system != nullptr && s.system->env.metering.enabled()) {
      system::Metering& m = s.system->env.metering;
      ctx.balance_of = [&tx, &m](ByteView account) -> Result<std::optional<runtime::CallContext::Balance>> {
        T3N_ASSIGN_OR_RETURN(auto funds, tx.as_system([&] { return m.spendable(tx, Bytes(account.begin(), account.end())); }));
        if (!funds) return std::optional<runtime::CallContext::Balance>{};
        return std::optional<runtime::CallContext::Balance>(runtime::CallContext::Balance{funds->available, funds->reserved});
      };
    }
    runtime::CallOutcome out = s.runtime.call(*contract, params.function_name, params.input, ctx);
    s.metrics.fuel += out.fuel_consumed + ctx.nested_fuel;
    s.metrics.egress_bytes += ctx.egress_bytes;
    s.metrics.call_micros += static_cast<std::uint64_t>(out.elapsed.count());
    s.metrics.call_seconds.observe(static_cast<double>(out.elapsed.count()) / 1e6);
    system::CallUsage usage{params.script_name, params.function_name, out.fuel_consumed + ctx.nested_fuel, ctx.host_calls,
                            {}, ctx.cas_bytes, ctx.outbox_upstreams, ctx.egress_bytes_queued};
    // The dispatch's audit batch: host-stamped subject and actor.
    auto audit_batch = [&](bool committed, const std::string& outcome) {
      system::AuditBatch b;
      b.ts_ms = ctx.cluster_timestamp_ms;
      b.subject = data_owner;
      b.actor = caller.did();
      if (caller_user) b.actor_user = *caller_user;
      else if (subject.empty()) b.actor_user = user;
      b.committed = committed;
      if (invocation) b.vc_id = invocation->credential.vc_id_b64u();
      b.events.push_back({"execute", params.script_name + "#" + params.function_name, outcome, std::nullopt});
      for (const auto& e : ctx.audit_events) b.events.push_back({e.action, e.target, e.outcome, e.details});
      return b;
    };
    if (!out.ok) {
      ++s.metrics.calls_failed;
      // Only for a known user: strangers' failing calls must not grow the trail.
      if (s.audit && (caller_user || !subject.empty())) {
        Status audited = in_system_transaction(s, [&](store::Transaction& side) {
          return system::append_audit(side, audit_batch(false, "error: " + std::string(runtime::call_error_name(out.error))));
        });
        if (!audited.ok()) s.log.warn("a failed call's audit batch was not kept: {}", audited.message());
      }
      // The contract's writes go; what it cost and what it logged stay.
      if (metering != nullptr || (log_max > 0 && !ctx.contract_log.empty())) {
        usage.outbox_upstreams.clear();
        usage.outbox_bytes = 0;
        const auto charges = metering != nullptr ? metering->price(usage) : std::vector<system::Charge>{};
        Status kept = in_system_transaction(s, [&](store::Transaction& side) { return keep(side, charges, ctx.contract_log); });
        if (!kept.ok()) s.log.warn("a failed call's charge or logs were not kept: {}", kept.message());
      }
      const ErrorCode code = out.error == runtime::CallErrorKind::kUnknownFunction ? ErrorCode::kNotFound
                             : out.error == runtime::CallErrorKind::kBadInput       ? ErrorCode::kInvalidArgument
                                                                                    : ErrorCode::kFailedPrecondition;
      return Status(code, std::string(runtime::call_error_name(out.error)) + ": " + out.message);
    }
    common::Json result = {{"response", out.response}, {"fuel", out.fuel_consumed}};
    usage.kv_bytes = tx.tenant_write_bytes();
    const bool keep_logs = log_max > 0 && !ctx.contract_log.empty();
    // A read-only call commits nothing (no audit batch either: reads stay
    // free of ledger entries).
    if (!tx.has_writes() && metering == nullptr && !keep_logs && !invocation) {
      // A cluster confirms what the call read against the leader's state
      // after a Raft barrier (linearizable reads); a stale read re-runs.
      if (Status confirmed = s.store.confirm_reads(tx); !confirmed.ok()) {
        if (confirmed.code() != ErrorCode::kConflict || attempt + 1 >= kMaxConflictRetries) {
          ++s.metrics.calls_failed;
          return confirmed;
        }
        ++s.metrics.conflicts_retried;
        continue;
      }
      ++s.metrics.calls_ok;
      result["tx_seqno"] = nullptr;
      return result;
    }
    if (before_commit) before_commit(attempt);
    const bool contract_wrote = tx.has_writes();
    tx.continue_as_system();
    const auto charges = metering != nullptr ? metering->price(usage) : std::vector<system::Charge>{};
    if (metering != nullptr) {
      std::uint64_t total = 0;
      for (const auto& c : charges) total += c.amount;
      result["charged"] = total;
    }
    T3N_RETURN_IF_ERROR(keep(tx, charges, ctx.contract_log));
    // The envelope's nonce is spent with the call (a racing replay conflicts).
    if (invocation) T3N_RETURN_IF_ERROR(system::consume_invocation_nonce(tx, *invocation));
    if (s.audit && !ctx.caller_removed) T3N_RETURN_IF_ERROR(system::append_audit(tx, audit_batch(true, "success")));
    Status recorded = record_caller(s, tx, caller, user, contract_wrote, ctx.caller_removed);
    Result<store::CommitInfo> committed = recorded.ok() ? s.store.commit(tx) : Result<store::CommitInfo>(recorded);
    if (committed.ok()) {
      ++s.metrics.calls_ok;
      ++s.metrics.commits;
      if (s.on_contract_commit) s.on_contract_commit();
      result["tx_seqno"] = committed->seqno;
      return result;
    }
    if (committed.status().code() != ErrorCode::kConflict || attempt + 1 >= kMaxConflictRetries) {
      ++s.metrics.calls_failed;
      return committed.status();
    }
    ++s.metrics.conflicts_retried;
    caller_user.reset();
  }
}

Result<std::size_t> prune_replay_entries(NodeServices& s, std::uint32_t limit) {
  Bytes now;
  common::append_u64_be(now, s.clock());
  auto tx = s.store.begin(store::Principal::system());
  auto replay = kReplayTable.in(tx);
  T3N_ASSIGN_OR_RETURN(auto expired, replay.scan({}, now, limit));
  if (expired.empty()) return std::size_t{0};
  for (const auto& [key, _] : expired) T3N_RETURN_IF_ERROR(replay.remove(key).status());
  T3N_RETURN_IF_ERROR(s.store.commit(tx).status());
  return expired.size();
}

Result<std::size_t> prune_invocation_nonces(NodeServices& s, Bytes& cursor, std::uint32_t limit) {
  if (s.system == nullptr) return std::size_t{0};
  auto tx = s.store.begin(store::Principal::system());
  T3N_ASSIGN_OR_RETURN(system::NoncePruning pass, system::prune_invocation_nonces(tx, s.clock() / 1000, cursor, limit));
  if (pass.removed > 0) T3N_RETURN_IF_ERROR(s.store.commit(tx).status());
  cursor = std::move(pass.resume_after);
  return pass.removed;
}

}  // namespace t3n::api
