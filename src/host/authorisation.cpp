// host:interfaces/authorisation@2.1.0 — may the current caller, in this
// contract, reach these hosts right now? A pure read: the contract's
// http_allow_list first, then, for a call an agent makes on a user's data,
// the user's grant as it stands in this call's transaction (revoked since
// the call began → denied-revoked; the grant's allowedHosts narrower →
// denied-scope). It only answers; egress enforces the allow list anyway.
#include "host/egress.h"
#include "host/host.h"
#include "host/util.h"

namespace t3n::host {
namespace {

constexpr const char* kAuthError =
    "variant { denied-unauthorized(string), denied-no-allowlist, denied-scope(string), denied-revoked }";

// none: authorised; otherwise the auth-error value.
Result<std::optional<Val>> decide(runtime::CallContext& ctx, const ValArgs& args) {
  T3N_RETURN_IF_ERROR(arity(args, 1));
  if (!args[0].is_list()) return common::invalid_argument("host: expected a list of strings");
  std::vector<std::string> hosts;
  for (const auto& h : args[0].get_list()) {
    if (!h.is_string()) return common::invalid_argument("host: expected a list of strings");
    hosts.emplace_back(h.get_string());
  }
  if (ctx.manifest == nullptr || ctx.manifest->http_allow_list.empty())
    return std::optional<Val>(variant_case("denied-no-allowlist"));
  for (const auto& h : hosts)
    if (!host_allowed(h, ctx.manifest->http_allow_list))
      return std::optional<Val>(variant_case("denied-unauthorized", h.substr(0, 253)));
  if (ctx.services == nullptr) return std::optional<Val>{};
  auto d = ctx.services->delegation(ctx);
  // The grant could not be read: deny (never allow on doubt).
  if (!d.ok()) return std::optional<Val>(variant_case("denied-unauthorized", "delegation unavailable"));
  if (!d->delegated) return std::optional<Val>{};
  if (d->revoked) return std::optional<Val>(variant_case("denied-revoked"));
  if (d->allowed_hosts)
    for (const auto& h : hosts)
      if (!host_allowed(h, *d->allowed_hosts)) return std::optional<Val>(variant_case("denied-scope", h.substr(0, 253)));
  return std::optional<Val>{};
}

}  // namespace

runtime::HostInterface authorisation_interface() {
  runtime::HostInterface iface{"host:interfaces/authorisation@2.1.0", "authorisation", {}};
  iface.functions["is-authorized"] = {"func(host: list<string>) -> bool",
                                      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
                                        T3N_ASSIGN_OR_RETURN(auto denied, decide(ctx, args));
                                        return set_result(r, Val(!denied.has_value()));
                                      }};
  iface.functions["check-authorized"] = {std::string("func(host: list<string>) -> result<_, ") + kAuthError + ">",
                                         [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
                                           T3N_ASSIGN_OR_RETURN(auto denied, decide(ctx, args));
                                           if (!denied) return set_result(r, ok_unit());
                                           return set_result(r, err_val(std::move(*denied)));
                                         }};
  return iface;
}

}  // namespace t3n::host
