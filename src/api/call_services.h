// The node's side of the host interfaces that need more than the call's
// transaction (runtime::CallServices): custodial wallets, the delegation a
// call runs under, and nested contract calls. One per top-level call; nested
// calls share it (same caller, same transaction).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/services.h"
#include "runtime/call_context.h"
#include "system/delegation.h"

namespace t3n::api {

// Who acts on whose data, when an agent calls on a user's delegation.
struct DelegationContext {
  Bytes subject;                        // the data owner (20-byte id)
  std::vector<std::string> agent_dids;  // the caller's DIDs
  std::string script;
  std::string version;
  std::string function;
  // A credential-based delegation (tee:delegation): its revocation is
  // re-read instead of the agent-auth grants.
  std::optional<system::DelegationCredential> credential;
};

class NodeCallServices final : public runtime::CallServices {
 public:
  NodeCallServices(NodeServices& s, std::optional<DelegationContext> delegation)
      : s_(s), delegation_(std::move(delegation)) {}

  Result<std::optional<runtime::UserWallets>> user_wallets(runtime::CallContext& ctx, bool create) override;
  Result<std::optional<Bytes>> sign_with_user_wallet(runtime::CallContext& ctx, ByteView address, ByteView digest32) override;
  Result<bool> has_wallet(runtime::CallContext& ctx, ByteView user_id) override;
  Result<Bytes> holder_public_key(runtime::CallContext& ctx) override;
  Result<Bytes> holder_sign(runtime::CallContext& ctx, ByteView message) override;
  runtime::InvokeOutcome invoke(runtime::CallContext& ctx, const std::string& target, const std::string& function,
                                ByteView input) override;
  Result<runtime::DelegationView> delegation(runtime::CallContext& ctx) override;
  Result<std::string> upsert_profile(runtime::CallContext& ctx, ByteView user, ByteView profile_json) override;
  Result<std::string> remove_user(runtime::CallContext& ctx, ByteView user) override;
  Status link_authenticator(runtime::CallContext& ctx, ByteView user, const std::string& authenticator) override;
  Result<std::string> update_authorisations(runtime::CallContext& ctx, ByteView user, ByteView payload) override;
  Result<std::string> register_agent(runtime::CallContext& ctx, ByteView user, const std::string& agent_uri, ByteView owner) override;
  Status otp_send(runtime::CallContext& ctx, const std::string& flow, const std::string& address) override;
  Result<std::string> otp_check(runtime::CallContext& ctx, const std::string& flow, const std::string& code) override;

  // The most nested calls one request may make, whatever the manifests say.
  static constexpr std::size_t kMaxCallDepth = 8;

 private:
  NodeServices& s_;
  std::optional<DelegationContext> delegation_;
};

}  // namespace t3n::api
