// tee:org-data/contracts — an organisation's data tier: policy (admins,
// max admins, credential validity cap), per-scope writers, per-contract user
// grants and the data entries (organisations.h holds the rules).
#include "system/organisations.h"
#include "system/system_contract.h"

namespace t3n::system {

SystemContract org_data_contract() {
  SystemContract c{"tee:org-data/contracts", "1.0.0", {}};
  for (const std::string& name : org_data_function_names())
    c.functions[name] = [name](const SystemEnv& env, SystemCall& call) -> Result<common::Json> {
      OrgDataCall odc{call.tx, call.caller, call.input, call.now_ms, env.org_defaults};
      return org_data_function(name, odc);
    };
  return c;
}

}  // namespace t3n::system
