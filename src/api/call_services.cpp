#include "api/call_services.h"

#include <algorithm>

#include "common/encoding.h"
#include "identity/delegation.h"
#include "identity/did.h"
#include "identity/email_otp.h"
#include "identity/wallets.h"
#include "system/agent_registry.h"
#include "system/user_accounts.h"

namespace t3n::api {
namespace {

using Kind = runtime::InvokeOutcome::Kind;

// The user the call acts for, or why there is none.
Result<Bytes> user_of(const runtime::CallContext& ctx) {
  if (!ctx.calling_user_did || ctx.calling_user_did->size() != 20)
    return common::failed_precondition("no calling user");
  return *ctx.calling_user_did;
}

Status need_tx(const runtime::CallContext& ctx, const NodeServices& s) {
  if (ctx.tx == nullptr) return common::failed_precondition("no transaction");
  if (s.wallets == nullptr) return common::failed_precondition("custodial wallets are not offered by this node");
  return {};
}

runtime::InvokeOutcome outcome(Kind kind, std::string detail) {
  runtime::InvokeOutcome o;
  o.kind = kind;
  o.detail = std::move(detail);
  return o;
}

}  // namespace

Result<std::optional<runtime::UserWallets>> NodeCallServices::user_wallets(runtime::CallContext& ctx, bool create) {
  T3N_RETURN_IF_ERROR(need_tx(ctx, s_));
  T3N_ASSIGN_OR_RETURN(Bytes user, user_of(ctx));
  return ctx.tx->as_system([&]() -> Result<std::optional<runtime::UserWallets>> {
    T3N_ASSIGN_OR_RETURN(auto primary, s_.wallets->primary(*ctx.tx, user, create, ctx.cluster_timestamp_ms));
    if (!primary) return std::optional<runtime::UserWallets>{};
    T3N_ASSIGN_OR_RETURN(auto all, s_.wallets->list(*ctx.tx, user));
    runtime::UserWallets out;
    out.primary = *primary;
    for (std::size_t i = 1; i < all.size(); ++i) out.secondary.push_back(all[i].address);
    return std::optional<runtime::UserWallets>(std::move(out));
  });
}

Result<std::optional<Bytes>> NodeCallServices::sign_with_user_wallet(runtime::CallContext& ctx, ByteView address,
                                                                     ByteView digest32) {
  T3N_RETURN_IF_ERROR(need_tx(ctx, s_));
  T3N_ASSIGN_OR_RETURN(Bytes user, user_of(ctx));
  return ctx.tx->as_system([&] { return s_.wallets->sign_digest(*ctx.tx, user, address, digest32); });
}

Result<bool> NodeCallServices::has_wallet(runtime::CallContext& ctx, ByteView user_id) {
  T3N_RETURN_IF_ERROR(need_tx(ctx, s_));
  return ctx.tx->as_system([&]() -> Result<bool> {
    T3N_ASSIGN_OR_RETURN(auto all, s_.wallets->list(*ctx.tx, user_id));
    return !all.empty();
  });
}

Result<Bytes> NodeCallServices::holder_public_key(runtime::CallContext& ctx) {
  T3N_RETURN_IF_ERROR(need_tx(ctx, s_));
  T3N_ASSIGN_OR_RETURN(Bytes user, user_of(ctx));
  return ctx.tx->as_system([&] { return s_.wallets->holder_public_key(*ctx.tx, user, ctx.cluster_timestamp_ms); });
}

Result<Bytes> NodeCallServices::holder_sign(runtime::CallContext& ctx, ByteView message) {
  T3N_RETURN_IF_ERROR(need_tx(ctx, s_));
  T3N_ASSIGN_OR_RETURN(Bytes user, user_of(ctx));
  return ctx.tx->as_system([&] { return s_.wallets->holder_sign(*ctx.tx, user, message, ctx.cluster_timestamp_ms); });
}

Result<runtime::DelegationView> NodeCallServices::delegation(runtime::CallContext& ctx) {
  runtime::DelegationView view;
  if (!delegation_) return view;
  view.delegated = true;
  if (ctx.tx == nullptr) return common::failed_precondition("no transaction");
  const DelegationContext& d = *delegation_;
  if (d.credential) {
    T3N_ASSIGN_OR_RETURN(bool revoked, ctx.tx->as_system([&] { return system::is_revoked(*ctx.tx, *d.credential, d.function); }));
    view.revoked = revoked;
    return view;
  }
  // Read in the call's transaction: a revocation that commits first makes
  // this call conflict and rerun, and the rerun sees it.
  T3N_ASSIGN_OR_RETURN(auto grants, ctx.tx->as_system([&] { return identity::kDelegationsTable.in(*ctx.tx).get(d.subject); }));
  if (!grants || !identity::check_delegation(grants->grants, d.agent_dids, d.script, d.version, d.function).ok()) {
    view.revoked = true;
    return view;
  }
  // The union of the hosts every matching grant allows; any grant without a
  // host list leaves hosts to the contract's allow list.
  std::vector<std::string> hosts;
  bool narrowed = true;
  for (const auto& agent : grants->grants) {
    if (std::find(d.agent_dids.begin(), d.agent_dids.end(), agent.agent_did) == d.agent_dids.end()) continue;
    for (const auto& script : agent.scripts) {
      std::vector<identity::AgentGrant> one{identity::AgentGrant{agent.agent_did, {script}}};
      if (!identity::check_delegation(one, d.agent_dids, d.script, d.version, d.function).ok()) continue;
      if (!script.allowed_hosts) narrowed = false;
      else hosts.insert(hosts.end(), script.allowed_hosts->begin(), script.allowed_hosts->end());
    }
  }
  if (narrowed) view.allowed_hosts = std::move(hosts);
  return view;
}

runtime::InvokeOutcome NodeCallServices::invoke(runtime::CallContext& ctx, const std::string& target,
                                                const std::string& function, ByteView input) {
  if (ctx.tx == nullptr) return outcome(Kind::kInnerTrapped, "no transaction");
  if (ctx.call_stack.size() >= kMaxCallDepth) return outcome(Kind::kDepthExceeded, {});
  if (target.rfind("tee:", 0) == 0) return outcome(Kind::kTargetUnknown, target + " (system contracts are not callable from contracts)");
  auto v = s_.registry.resolve(target, std::nullopt);
  if (!v.ok()) return outcome(Kind::kTargetUnknown, target);
  if (std::find(ctx.call_stack.begin(), ctx.call_stack.end(), v->name) != ctx.call_stack.end())
    return outcome(Kind::kReentrant, v->name);
  if (v->status == registry::ContractStatus::kDisabled) return outcome(Kind::kTargetUnknown, target + " is disabled");
  auto contract = s_.registry.load(*v);
  if (!contract.ok()) return outcome(Kind::kTargetUnknown, target);
  const auto fns = (*contract)->functions();
  if (std::find(fns.begin(), fns.end(), function) == fns.end())
    return outcome(Kind::kTargetUnknown, target + "#" + function.substr(0, 128));
  common::Json in(nullptr);
  if (!input.empty()) {
    auto parsed = common::parse_json(std::string_view(reinterpret_cast<const char*>(input.data()), input.size()));
    if (!parsed.ok()) return outcome(Kind::kEncodingFailed, "the input is not JSON");
    in = std::move(*parsed);
  }
  auto tenant_did = common::hex_decode_canonical(v->tenant, 20);
  if (!tenant_did.ok()) return outcome(Kind::kTargetUnknown, target);

  runtime::CallContext inner;
  inner.tx = ctx.tx;
  inner.contract_id = v->contract_id;
  inner.tenant_tid = v->tenant;
  inner.tenant_did = std::move(*tenant_did);
  inner.calling_user_did = ctx.calling_user_did;  // the caller's identity passes through unchanged
  inner.cluster_timestamp_ms = ctx.cluster_timestamp_ms;
  inner.seqno = ctx.seqno;
  inner.request_id = ctx.request_id;
  inner.node_config = ctx.node_config;
  inner.cluster_config = ctx.cluster_config;
  inner.user_profile = ctx.user_profile;
  inner.balance_of = ctx.balance_of;
  inner.services = this;
  inner.contract_name = v->name;
  inner.call_stack = ctx.call_stack;
  inner.call_stack.push_back(v->name);

  store::Transaction::Savepoint sp = ctx.tx->savepoint();
  runtime::CallOutcome out = ctx.tx->as_contract(store::Principal::contract(v->contract_id, v->tenant), [&] {
    return s_.runtime.call(**contract, function, in, inner);
  });
  ctx.nested_fuel += out.fuel_consumed + inner.nested_fuel;
  ctx.host_calls += inner.host_calls;
  ctx.egress_bytes += inner.egress_bytes;
  ctx.cas_bytes += inner.cas_bytes;
  for (auto& line : inner.contract_log) ctx.contract_log.push_back(std::move(line));
  if (!out.ok) {
    ctx.tx->rollback_to(std::move(sp));  // the inner writes go; the caller's stay
    if (out.error == runtime::CallErrorKind::kContractError) return outcome(Kind::kInnerFailed, out.message);
    if (out.error == runtime::CallErrorKind::kBadInput) return outcome(Kind::kEncodingFailed, out.message);
    return outcome(Kind::kInnerTrapped, std::string(runtime::call_error_name(out.error)) + ": " + out.message);
  }
  ctx.writes.absorb(inner.writes);
  ctx.outbox_enqueued += inner.outbox_enqueued;
  ctx.outbox_upstreams.insert(ctx.outbox_upstreams.end(), inner.outbox_upstreams.begin(), inner.outbox_upstreams.end());
  ctx.egress_bytes_queued += inner.egress_bytes_queued;
  runtime::InvokeOutcome ok;
  ok.output = common::to_bytes(out.response.dump());
  return ok;
}

namespace {

Result<const system::AccountServices*> accounts_of(const NodeServices& s, const runtime::CallContext& ctx) {
  if (s.system == nullptr || s.system->env.accounts == nullptr)
    return Status(ErrorCode::kUnimplemented, "accounts are not available on this node");
  if (ctx.tx == nullptr) return common::failed_precondition("no transaction");
  return s.system->env.accounts;
}

}  // namespace

Result<std::string> NodeCallServices::upsert_profile(runtime::CallContext& ctx, ByteView user, ByteView profile_json) {
  T3N_ASSIGN_OR_RETURN(const system::AccountServices* a, accounts_of(s_, ctx));
  auto incoming = common::parse_json(common::to_string(profile_json), 32);
  if (!incoming.ok() || !incoming->is_object()) return common::invalid_argument("the profile is not a JSON object");
  // Verified contacts are the host's to write (otp-verify), never a contract's.
  if (incoming->contains("verified_contacts")) return common::permission_denied("verified_contacts are set by the host, not by contracts");
  const Bytes id(user.begin(), user.end());
  return ctx.tx->as_system([&]() -> Result<std::string> {
    T3N_ASSIGN_OR_RETURN(auto existing, system::read_profile(*ctx.tx, *a, id));
    common::Json merged = *incoming;
    if (existing && existing->contains("verified_contacts")) merged["verified_contacts"] = (*existing)["verified_contacts"];
    return system::write_profile(*ctx.tx, *a, id, merged);
  });
}

Result<std::string> NodeCallServices::remove_user(runtime::CallContext& ctx, ByteView user) {
  T3N_ASSIGN_OR_RETURN(const system::AccountServices* a, accounts_of(s_, ctx));
  const Bytes id(user.begin(), user.end());
  return ctx.tx->as_system([&]() -> Result<std::string> {
    T3N_ASSIGN_OR_RETURN(system::RemovalReport r, system::remove_user(*ctx.tx, *a, id, ctx.cluster_timestamp_ms));
    return common::Json{{"removed", true},
                        {"authenticators_removed", r.authenticators},
                        {"wallets_abandoned", r.wallets},
                        {"data_key_destroyed", r.data_key}}
        .dump();
  });
}

Status NodeCallServices::link_authenticator(runtime::CallContext& ctx, ByteView user, const std::string& authenticator) {
  T3N_ASSIGN_OR_RETURN(const system::AccountServices* a, accounts_of(s_, ctx));
  // One canonical text per identity, as the logins use it.
  std::string canonical;
  if (authenticator.rfind("email:", 0) == 0) {
    T3N_ASSIGN_OR_RETURN(std::string email, identity::canonical_email(authenticator.substr(6)));
    canonical = "email:" + email;
  } else if (authenticator.rfind("eth:0x", 0) == 0 && authenticator.size() == 46) {
    std::string hex = authenticator.substr(6);
    std::transform(hex.begin(), hex.end(), hex.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!common::hex_decode_canonical(hex, 20).ok()) return common::invalid_argument("eth: expects 0x + 40 hex");
    canonical = "eth:0x" + hex;
  } else if (authenticator.rfind("oidc:", 0) == 0 && authenticator.size() > 5 && authenticator.size() <= 1024 &&
             authenticator.find('|') != std::string::npos) {
    canonical = authenticator;
  } else {
    return common::invalid_argument("expected email:<address>, eth:0x<40 hex> or oidc:<issuer>|<subject>");
  }
  const Bytes id(user.begin(), user.end());
  return ctx.tx->as_system([&] { return a->users.link(*ctx.tx, canonical, id); });
}

Result<std::string> NodeCallServices::update_authorisations(runtime::CallContext& ctx, ByteView user, ByteView payload) {
  T3N_RETURN_IF_ERROR(accounts_of(s_, ctx).status());
  auto j = common::parse_json(common::to_string(payload), 16);
  if (!j.ok()) return common::invalid_argument("the payload is not JSON");
  T3N_ASSIGN_OR_RETURN(auto grants, identity::parse_delegations(*j));
  const Bytes id(user.begin(), user.end());
  T3N_RETURN_IF_ERROR(ctx.tx->as_system([&] { return identity::kDelegationsTable.in(*ctx.tx).put(id, identity::Delegations{*j, grants}); }));
  return common::Json{{"agents", grants.size()}}.dump();
}

Result<std::string> NodeCallServices::register_agent(runtime::CallContext& ctx, ByteView user, const std::string& agent_uri,
                                                     ByteView owner) {
  if (ctx.tx == nullptr) return common::failed_precondition("no transaction");
  const Bytes id(user.begin(), user.end());
  T3N_RETURN_IF_ERROR(
      ctx.tx->as_system([&] { return system::register_agent(*ctx.tx, id, agent_uri, owner, ctx.cluster_timestamp_ms); }));
  return common::Json{{"did", identity::t3n_did(id)}, {"agent_uri", agent_uri}}.dump();
}

Status NodeCallServices::otp_send(runtime::CallContext& ctx, const std::string& flow, const std::string& address) {
  T3N_ASSIGN_OR_RETURN(const system::AccountServices* a, accounts_of(s_, ctx));
  if (a->email_otp == nullptr) return Status(ErrorCode::kUnimplemented, "this node has no mailer configured");
  return a->email_otp->send(flow, address);
}

Result<std::string> NodeCallServices::otp_check(runtime::CallContext& ctx, const std::string& flow, const std::string& code) {
  T3N_ASSIGN_OR_RETURN(const system::AccountServices* a, accounts_of(s_, ctx));
  if (a->email_otp == nullptr) return Status(ErrorCode::kUnimplemented, "this node has no mailer configured");
  return a->email_otp->verify(flow, code);
}

}  // namespace t3n::api
