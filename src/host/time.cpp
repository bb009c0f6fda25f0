// t3n:host/time@1.0.0 — the cluster timestamp and elapsed time inside the
// call (from the runtime's injectable clock, RuntimeOptions::clock).
#include "host/host.h"
#include "host/outbox.h"
#include "host/util.h"

namespace t3n::host {

runtime::HostInterface time_interface() {
  runtime::HostInterface iface{"t3n:host/time@1.0.0", "time", {}};
  iface.functions["wall-clock-ms"] = {"func() -> u64", [](runtime::CallContext& ctx, const ValArgs&, ValArgs& r) {
                                        return set_result(r, Val(ctx.cluster_timestamp_ms));
                                      }};
  iface.functions["monotonic-ns"] = {"func() -> u64", [](runtime::CallContext& ctx, const ValArgs&, ValArgs& r) {
                                       const std::uint64_t now = ctx.now_ns();
                                       // A clock that goes back reads as no time elapsed.
                                       return set_result(r, Val(now > ctx.started_ns ? now - ctx.started_ns : 0));
                                     }};
  return iface;
}

std::shared_ptr<runtime::HostRegistry> core_registry(const HostDeps& deps) {
  auto r = std::make_shared<runtime::HostRegistry>();
  r->add(kv_store_interface());
  r->add(logging_interface());
  r->add(tenant_context_interface());
  r->add(clock_interface());
  r->add(state_interface());
  r->add(config_interface());
  r->add(node_config_interface());
  r->add(time_interface());
  r->add(stash_interface(deps.cas));
  r->add(http_interface(deps.egress));
  r->add(http_with_placeholders_interface(deps.egress));
  r->add(outbox_interface());
  r->add(token_interface());
  r->add(signing_interface(deps.signing));
  r->add(provider_config_interface(deps.providers));
  r->add(authorisation_interface());
  r->add(contracts_call_interface());
  r->add(profile_ref_interface());
  r->add(vp_interface(deps.egress, deps.trusted_issuers));
  r->add(audit_interface(deps.ledger));
  r->add(analytics_interface(deps.ledger));
  r->add(consensus_trigger_interface());
  r->add(user_profile_interface());
  r->add(user_removal_interface());
  r->add(did_registry_interface());
  r->add(agent_auth_interface());
  r->add(agent_registry_interface());
  r->add(otp_interface());
  return r;
}

std::shared_ptr<runtime::HostRegistry> core_registry(cas::BlobStore* cas, const Egress* egress) {
  HostDeps deps;
  deps.cas = cas;
  deps.egress = egress;
  return core_registry(deps);
}

}  // namespace t3n::host
