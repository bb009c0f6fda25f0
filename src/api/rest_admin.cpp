// The operator API (SYSTEM-CONTRACTS.md "Admin API"): POST /api/admin/nonce
// hands out a single-use nonce; POST /api/admin runs one action whose body
// carries that nonce and whose `x-admin-signature` header is an EIP-191
// personal_sign of the exact body text by an operator key of the node's
// config (admin.operator_addresses). Outside self-admitting nodes this is
// the only way a tenant is admitted.
#include "api/admin_nonces.h"
#include "api/execution.h"
#include "api/routes.h"
#include "common/encoding.h"
#include "crypto/random.h"
#include "crypto/secp256k1.h"
#include "identity/did.h"
#include "system/tenants.h"
#include "system/organisations.h"

namespace t3n::api {

namespace {

using common::Json;

HttpResponse refusal(int status, const std::string& code, const std::string& message) {
  return json_response({{"ok", false}, {"error", message}, {"code", code}}, status);
}

int http_status_of(const Status& st) {
  switch (st.code()) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kFailedPrecondition: return 412;
    case ErrorCode::kResourceExhausted: return 429;
    default: return 500;
  }
}

Result<Bytes> account_field(const Json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_string()) return common::invalid_argument(std::string("'") + field + "': expected a did:t3n");
  T3N_ASSIGN_OR_RETURN(std::string tid, system::parse_tenant_id(it->get<std::string>()));
  return common::hex_decode_canonical(tid, 20);
}

Result<std::uint64_t> amount_field(const Json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_number_unsigned() || it->get<std::uint64_t>() == 0)
    return common::invalid_argument(std::string("'") + field + "': expected a positive integer (base units, 10^6 per token)");
  return it->get<std::uint64_t>();
}

std::string optional_text(const Json& body, const char* field) {
  auto it = body.find(field);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

// The admission an operator's body asks for, owned by `owner` (its tid).
Result<system::AdmitRequest> admit_request(NodeServices& s, const Json& body, const Bytes& owner, const char* label_field) {
  system::AdmitRequest req;
  req.tid = common::hex_encode(owner);
  req.owner = owner;
  req.label = optional_text(body, label_field);
  if (req.label.size() > 128) return common::invalid_argument(std::string("'") + label_field + "': at most 128 characters");
  T3N_ASSIGN_OR_RETURN(req.quotas, system::TenantQuotas::parse(body.value("quotas", Json(nullptr)), system::default_quotas(s.system->env.tenancy)));
  if (auto loc = body.find("storage_location"); loc != body.end() && loc->is_object()) req.storage_location = *loc;
  if (auto c = body.find("credits"); c != body.end() && !c->is_null()) {
    T3N_ASSIGN_OR_RETURN(req.credits, amount_field(body, "credits"));
  }
  return req;
}

// tenant.admit {tenant, label?, quotas?, storage_location?, credits?}
Result<Json> admit(NodeServices& s, const Json& body) {
  T3N_ASSIGN_OR_RETURN(Bytes tenant, account_field(body, body.contains("tenant") ? "tenant" : "tenant_did"));
  // An individual tenant manages itself.
  T3N_ASSIGN_OR_RETURN(system::AdmitRequest req, admit_request(s, body, tenant, "label"));
  return in_system_transaction(s, [&](store::Transaction& tx) -> Result<Json> {
    // The tenant's user row, so the DID can log in and own what it registers.
    T3N_ASSIGN_OR_RETURN(auto user, identity::kUsersTable.in(tx).get(tenant));
    if (!user) return common::not_found("no user " + identity::t3n_did(tenant) + " on this node (it logs in once first)");
    T3N_ASSIGN_OR_RETURN(system::AdmitStatus st, system::admit_tenant(s.system->env, tx, req, s.clock()));
    return Json{{"status", st == system::AdmitStatus::kAdmitted ? "admitted" : "already-admitted"},
                {"tenant", identity::t3n_did(tenant)},
                {"granted_credits", st == system::AdmitStatus::kAdmitted && req.credits > 0 ? Json(req.credits) : Json(nullptr)}};
  });
}

// tenant.admit-for-org {org_did, tenant_label, quotas, storage_location}:
// the organisation (it has a policy here) becomes a tenant its admins manage.
Result<Json> admit_for_org(NodeServices& s, const Json& body) {
  T3N_ASSIGN_OR_RETURN(Bytes org, account_field(body, "org_did"));
  // Managed through the org's admins, never one user.
  T3N_ASSIGN_OR_RETURN(system::AdmitRequest req, admit_request(s, body, org, body.contains("tenant_label") ? "tenant_label" : "label"));
  req.kind = "org";
  return in_system_transaction(s, [&](store::Transaction& tx) -> Result<Json> {
    T3N_ASSIGN_OR_RETURN(auto p, system::org_policy(tx, org));
    if (!p) return common::failed_precondition("OrgPolicyMissing: no organisation policy for " + identity::t3n_did(org) + " on this node");
    if (!p->contains("admins") || (*p)["admins"].empty())
      return common::failed_precondition("OrgHasNoAdmins: " + identity::t3n_did(org) + " has no admin to manage a tenant");
    T3N_ASSIGN_OR_RETURN(auto existing, system::kTenantRecords.in(tx).get(req.tid));
    if (existing) return Status(ErrorCode::kAlreadyExists, "TenantExists: " + identity::t3n_did(org) + " is already a tenant");
    T3N_ASSIGN_OR_RETURN(system::AdmitStatus st, system::admit_tenant(s.system->env, tx, req, s.clock()));
    return Json{{"status", st == system::AdmitStatus::kAdmitted ? "admitted" : "already-admitted"},
                {"tenant", identity::t3n_did(org)},
                {"kind", "org"},
                {"admins", (*p)["admins"]},
                {"granted_credits", st == system::AdmitStatus::kAdmitted && req.credits > 0 ? Json(req.credits) : Json(nullptr)}};
  });
}

// token.transfer {to, amount, from?, note?}: without `from`, the operator
// grants new credits (a mint).
Result<Json> transfer(NodeServices& s, const Json& body) {
  if (!s.system->env.metering.enabled()) return common::failed_precondition("MeteringOff: this node does not meter ([metering] enabled = false)");
  T3N_ASSIGN_OR_RETURN(Bytes to, account_field(body, "to"));
  T3N_ASSIGN_OR_RETURN(std::uint64_t amount, amount_field(body, "amount"));
  const std::string note = optional_text(body, "note").substr(0, 256);
  std::optional<Bytes> from;
  if (body.contains("from")) {
    T3N_ASSIGN_OR_RETURN(from, account_field(body, "from"));
  }
  return in_system_transaction(s, [&](store::Transaction& tx) -> Result<Json> {
    if (from) {
      T3N_RETURN_IF_ERROR(s.system->env.metering.transfer(tx, *from, to, amount, note, s.clock()));
    } else {
      T3N_RETURN_IF_ERROR(s.system->env.metering.mint(tx, to, amount, note.empty() ? "operator grant" : note, s.clock()));
    }
    T3N_ASSIGN_OR_RETURN(system::BalanceRow b, s.system->env.metering.balance(tx, to));
    return Json{{"to", identity::t3n_did(to)}, {"amount", amount}, {"kind", from ? "transfer" : "mint"}, {"to_available", b.available}};
  });
}

// contract.register {name, version, component_base64, manifest?, tenant?, maps?}:
// the operator registers a tenant's contract (or one of its own).
Result<Json> register_contract(NodeServices& s, const Json& body) {
  registry::DeployRequest req;
  T3N_ASSIGN_OR_RETURN(req.name, common::json_string(body, "name"));
  T3N_ASSIGN_OR_RETURN(req.version, common::json_string(body, "version"));
  T3N_ASSIGN_OR_RETURN(std::string b64, common::json_string(body, "component_base64"));
  auto component = common::base64_decode(b64);
  if (!component.ok()) return common::invalid_argument("'component_base64': expected base64");
  req.component = std::move(*component);
  if (auto m = body.find("manifest"); m != body.end() && m->is_object()) req.manifest = *m;
  if (auto t = body.find("tenant"); t != body.end() && t->is_string()) {
    T3N_ASSIGN_OR_RETURN(std::string tid, system::parse_tenant_id(t->get<std::string>()));
    req.tenant = tid;
  }
  if (auto maps = body.find("maps"); maps != body.end() && maps->is_array())
    for (const auto& m : *maps)
      if (m.is_string()) req.maps.push_back(m.get<std::string>());
  T3N_ASSIGN_OR_RETURN(registry::PreparedContract prepared, s.registry.prepare(std::move(req)));
  T3N_ASSIGN_OR_RETURN(Json out, in_system_transaction(s, [&](store::Transaction& tx) -> Result<Json> {
                         T3N_ASSIGN_OR_RETURN(auto deployed, s.registry.record(tx, prepared, registry::Registrant{true, {}}));
                         return Json{{"name", deployed.version.name},
                                     {"version", deployed.version.version},
                                     {"contract_id", deployed.version.contract_id},
                                     {"tenant", deployed.version.tenant}};
                       }));
  s.registry.remember(prepared);
  return out;
}

// system.upgrade {name, version}: a system contract's version is the code of
// this binary; the action records it when the registry lacks it.
Result<Json> upgrade_system(NodeServices& s, const Json& body) {
  T3N_ASSIGN_OR_RETURN(std::string name, common::json_string(body, "name"));
  T3N_ASSIGN_OR_RETURN(std::string version, common::json_string(body, "version"));
  auto it = s.system->contracts.find(name);
  if (it == s.system->contracts.end()) return common::not_found("no system contract " + name);
  if (it->second.version != version)
    return common::failed_precondition("UnsupportedVersion: this t3nd implements " + name + " " + it->second.version +
                                       " only; a new version arrives with a new node binary");
  T3N_RETURN_IF_ERROR(system::register_system_contracts(s.store, s.registry, {it->second}));
  return Json{{"name", name}, {"version", version}, {"status", "current"}};
}

}  // namespace

void register_admin_routes(EndpointRegistry& r, NodeServices& s) {
  auto nonces = std::make_shared<AdminNonces>(s.clock);
  r.rest({"POST", "/api/admin/nonce", AuthPolicy::kNone, [nonces](const HttpRequest&) {
            auto n = nonces->issue();
            if (!n.ok()) return refusal(429, "resource_exhausted", n.status().message());
            return json_response({{"nonce", *n}, {"expires_in_ms", kNonceLifetimeMs}});
          }});
  r.rest({"POST", "/api/admin", AuthPolicy::kNone, [&s, nonces](const HttpRequest& req) {
            if (s.info.admin_addresses.empty())
              return refusal(403, "admin_disabled", "this node has no operator keys (admin.operator_addresses)");
            if (s.system == nullptr) return refusal(503, "unavailable", "system contracts are not wired on this node");
            std::string sig_hex = req.header("x-admin-signature");
            if (sig_hex.rfind("0x", 0) == 0) sig_hex = sig_hex.substr(2);
            auto sig = common::hex_decode(sig_hex);
            if (sig_hex.empty() || !sig.ok() || sig->size() != 65)
              return refusal(401, "bad_signature", "x-admin-signature: expected the hex of a 65-byte personal_sign signature");
            auto signer = crypto::eth_recover_personal_signer(common::as_bytes(req.body), *sig);
            if (!signer.ok() || s.info.admin_addresses.count("0x" + common::hex_encode(*signer)) == 0)
              return refusal(401, "wrong_signer", "the body is not signed by an operator key of this node");
            auto body = common::parse_json(req.body, 16);
            if (!body.ok() || !body->is_object()) return refusal(400, "invalid_body", "the body must be a JSON object");
            const auto nonce = body->find("nonce");
            const auto action = body->find("action");
            if (nonce == body->end() || !nonce->is_string()) return refusal(400, "invalid_body", "'nonce': expected the string from /api/admin/nonce");
            if (action == body->end() || !action->is_string()) return refusal(400, "invalid_body", "'action': expected a string");
            if (Status used = nonces->consume(nonce->get<std::string>()); !used.ok())
              return refusal(409, "bad_nonce", used.message());
            const std::string name = action->get<std::string>();
            Result<Json> out = common::invalid_argument("");
            if (name == "tenant.admit") {
              out = admit(s, *body);
            } else if (name == "tenant.admit-for-org") {
              out = admit_for_org(s, *body);
            } else if (name == "token.transfer") {
              out = transfer(s, *body);
            } else if (name == "contract.register") {
              out = register_contract(s, *body);
            } else if (name == "system.upgrade") {
              out = upgrade_system(s, *body);
            } else if (name == "cluster.add" || name == "cluster.remove" || name == "cluster.transfer") {
              out = s.cluster_admin ? s.cluster_admin(name, *body)
                                    : Result<Json>(common::failed_precondition("this node is not a cluster member (no [cluster] in its configuration)"));
            } else {
              return refusal(400, "unknown_action",
                             "unknown action '" + name.substr(0, 64) +
                                 "' (tenant.admit, tenant.admit-for-org, token.transfer, contract.register, system.upgrade, "
                                 "cluster.add, cluster.remove, cluster.transfer)");
            }
            if (!out.ok()) {
              const int status = http_status_of(out.status());
              return refusal(status, std::string(common::error_code_name(out.status().code())),
                             status == 500 ? "internal error" : out.status().message());
            }
            s.log.info("admin action {} by 0x{}", name, common::hex_encode(*signer));
            return json_response({{"ok", true}, {"action", name}, {"result", *out}});
          }});
}

}  // namespace t3n::api
