// tee:organisation/contracts — organisation-create-self {name} →
// {organisation_did: <40 hex>, org_did}: the caller creates an organisation
// and becomes its sole admin (its data policy is seeded at once); organisation-get {org_did} and organisation-list-mine
// read what the caller may see.
#include "common/encoding.h"
#include "identity/did.h"
#include "system/organisations.h"
#include "system/system_contract.h"

namespace t3n::system {
namespace {

using common::Json;

Result<Json> create_self(const SystemEnv&, SystemCall& call) {
  if (!call.input.is_object()) return common::invalid_argument("InvalidInput: the input must be a JSON object");
  auto name = call.input.find("name");
  if (name == call.input.end() || !name->is_string()) return common::invalid_argument("InvalidName: 'name' is required (1..128 bytes)");
  T3N_ASSIGN_OR_RETURN(Bytes org, create_organisation(call.tx, call.caller, name->get<std::string>(), call.now_ms));
  // The SDK reads organisation_did as the bare 40 hex of the DID.
  return Json{{"organisation_did", common::hex_encode(org)}, {"org_did", identity::t3n_did(org)},
              {"admins", Json::array({identity::t3n_did(call.caller)})}};
}

Result<Json> get(const SystemEnv&, SystemCall& call) {
  if (!call.input.is_object() || !call.input.contains("org_did") || !call.input["org_did"].is_string())
    return common::invalid_argument("InvalidDid: 'org_did' is required");
  auto org = identity::parse_t3n_did(call.input["org_did"].get<std::string>());
  if (!org.ok()) return common::invalid_argument("InvalidDid: 'org_did' must be did:t3n:<40 hex>");
  T3N_ASSIGN_OR_RETURN(auto raw, kOrgsTable.in(call.tx).get(*org));
  if (!raw) return common::not_found("OrgNotFound: " + identity::t3n_did(*org) + " is not an organisation of this node");
  auto rec = common::parse_json(common::to_string(*raw), 8);
  if (!rec.ok()) return common::data_loss("an organisation row is corrupt");
  T3N_ASSIGN_OR_RETURN(bool admin, is_org_admin(call.tx, *org, call.caller));
  Json out = {{"organisation_did", identity::t3n_did(*org)}, {"name", (*rec)["name"]}, {"created_at_ms", (*rec)["created_at_ms"]}, {"is_admin", admin}};
  return out;
}

Result<Json> list_mine(const SystemEnv&, SystemCall& call) {
  T3N_ASSIGN_OR_RETURN(Json orgs, orgs_of(call.tx, call.caller));
  return Json{{"organisations", orgs}};
}

}  // namespace

SystemContract organisation_contract() {
  SystemContract c{"tee:organisation/contracts", "1.0.0", {}};
  c.functions["organisation-create-self"] = create_self;
  c.functions["organisation-get"] = get;
  c.functions["organisation-list-mine"] = list_mine;
  return c;
}

}  // namespace t3n::system
