// contract.register, contract.current — the contract registry's methods.
#include "api/execution.h"
#include "api/routes.h"
#include "common/encoding.h"
#include "system/tenants.h"

namespace t3n::api {

namespace {

struct RegisterParams {
  registry::DeployRequest request;
  static Result<RegisterParams> parse(const common::Json& j) {
    ParamReader r{j};
    RegisterParams p;
    T3N_ASSIGN_OR_RETURN(p.request.name, r.string("name"));
    T3N_ASSIGN_OR_RETURN(p.request.version, r.string("version"));
    T3N_ASSIGN_OR_RETURN(std::string b64, r.string("component"));
    auto component = common::base64_decode(b64);
    if (!component.ok()) return common::invalid_argument("'component': expected base64");
    p.request.component = std::move(*component);
    T3N_ASSIGN_OR_RETURN(p.request.maps, r.string_list("maps", 64));
    T3N_ASSIGN_OR_RETURN(p.request.tenant, r.optional_string("tenant"));
    if (auto m = r.any("manifest"); m && !m->is_null()) {
      if (!m->is_object()) return common::invalid_argument("'manifest': expected an object");
      p.request.manifest = *m;
    }
    return p;
  }
};

struct NameParams {
  std::string name;
  std::optional<std::string> version;
  static Result<NameParams> parse(const common::Json& j) {
    ParamReader r{j};
    NameParams p;
    T3N_ASSIGN_OR_RETURN(p.name, r.string("name"));
    T3N_ASSIGN_OR_RETURN(p.version, r.optional_string("version"));
    return p;
  }
};

// A user registers under an admitted tenant of its own: on a node that lets
// users admit themselves, its first registration admits it (as tenant-claim
// does), and each version is charged like tee:tenant contract-register.
Status admit_and_charge(NodeServices& s, store::Transaction& tx, const registry::Registrant& who,
                        const registry::DeployRequest& req) {
  if (who.is_operator || s.system == nullptr) return {};
  const system::SystemEnv& env = s.system->env;
  const std::string own = common::hex_encode(who.user);
  const std::string tid = req.tenant.value_or(own);
  T3N_ASSIGN_OR_RETURN(auto record, system::kTenantRecords.in(tx).get(tid));
  if (!record) {
    // On a self-admitting node the first registrant under an unclaimed
    // tenant id becomes its owner (admit_tenant refuses a namespace that
    // another user owns).
    if (!env.tenancy.self_admit) return common::permission_denied("NotATenant: " + tid + " is not an admitted tenant of yours");
    T3N_RETURN_IF_ERROR(system::admit_tenant(env, tx, system::self_admission(env, tid, who.user), s.clock()).status());
  }
  return system::charge_registration(env, tx, tid, req.name, req.version, s.clock());
}

}  // namespace

void register_contract_endpoints(EndpointRegistry& r, NodeServices& s) {
  // Outside dev mode only operators register; in dev mode any user, under
  // their own tenant (the registry enforces who owns names and tenants).
  r.rpc<RegisterParams>("contract.register", s.info.dev ? AuthPolicy::kDidSigned : AuthPolicy::kOperator, true,
                        [&s](RpcContext& ctx, const RegisterParams& p) -> Result<common::Json> {
                          T3N_ASSIGN_OR_RETURN(registry::PreparedContract prepared, s.registry.prepare(p.request));
                          registry::Deployed deployed;
                          T3N_ASSIGN_OR_RETURN(
                              common::Json out,
                              write_as_caller(s, *ctx.caller, [&](store::Transaction& tx, const Bytes& user) -> Result<common::Json> {
                                registry::Registrant who{ctx.caller->is_operator, user};
                                T3N_RETURN_IF_ERROR(admit_and_charge(s, tx, who, prepared.request));
                                T3N_ASSIGN_OR_RETURN(deployed, s.registry.record(tx, prepared, who));
                                return common::Json{{"name", deployed.version.name},
                                                    {"version", deployed.version.version},
                                                    {"cid", deployed.version.cid},
                                                    {"contract_id", deployed.version.contract_id},
                                                    {"tenant", deployed.version.tenant},
                                                    {"functions", deployed.functions}};
                              }));
                          s.registry.remember(prepared);
                          return out;
                        });
  r.rpc<NameParams>("contract.current", AuthPolicy::kDidSigned, false,
                    [&s](RpcContext&, const NameParams& p) -> Result<common::Json> {
                      T3N_ASSIGN_OR_RETURN(auto v, s.registry.resolve(p.name, p.version));
                      return common::Json{{"name", v.name},           {"version", v.version},
                                          {"cid", v.cid},             {"contract_id", v.contract_id},
                                          {"tenant", v.tenant},       {"manifest", v.manifest}};
                    },
                    false);
}

}  // namespace t3n::api
