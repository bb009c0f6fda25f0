// tee:user/contracts — the caller's own account (SYSTEM-CONTRACTS.md):
// e-mail OTP that verifies a contact, the profile with its verified-e-mail
// gate, custodial wallets, removal by crypto-shredding, the honest KYC
// status, agent grants. Refusals are "<code>: <detail>" strings the SDK
// parses (UserUpsertError: email_not_verified, legacy_field,
// user_not_found). Profile values never reach an error or a log.
#include <algorithm>

#include "common/encoding.h"
#include "crypto/hash.h"
#include "host/outbox.h"
#include "identity/delegation.h"
#include "identity/did.h"
#include "system/system_contract.h"
#include "system/tenants.h"
#include "system/user_accounts.h"

namespace t3n::system {
namespace {

using common::Json;

Status require_object(const Json& in) {
  if (!in.is_null() && !in.is_object()) return common::invalid_argument("the input must be a JSON object");
  return {};
}

// A field by its wire name or the SDK's camelCase spelling.
const Json* field(const Json& obj, const char* snake, const char* camel) {
  if (!obj.is_object()) return nullptr;
  if (auto it = obj.find(snake); it != obj.end() && !it->is_null()) return &*it;
  if (auto it = obj.find(camel); it != obj.end() && !it->is_null()) return &*it;
  return nullptr;
}

struct OtpTarget {
  std::string channel;  // "email" | "sms"
  std::string contact;  // canonical
};

Result<OtpTarget> otp_target(const Json& request) {
  if (const Json* e = field(request, "email_channel", "emailChannel")) {
    const Json* addr = field(*e, "email_address", "emailAddress");
    if (addr == nullptr || !addr->is_string()) return common::invalid_argument("invalid_contact: email_channel needs email_address");
    auto canonical = identity::canonical_email(addr->get<std::string>());
    if (!canonical.ok()) return common::invalid_argument("invalid_contact: not an e-mail address");
    return OtpTarget{"email", *canonical};
  }
  if (const Json* sms = field(request, "sms_channel", "smsChannel")) {
    const Json* phone = field(*sms, "phone_number", "phoneNumber");
    if (phone == nullptr || !phone->is_string()) return common::invalid_argument("invalid_contact: sms_channel needs phone_number");
    auto canonical = canonical_phone(phone->get<std::string>());
    if (!canonical.ok()) return common::invalid_argument("invalid_contact: not an E.164 phone number");
    return OtpTarget{"sms", *canonical};
  }
  return common::invalid_argument("invalid_contact: expected email_channel or sms_channel");
}


std::string flow_of(const Bytes& caller) { return "tee:user otp|" + common::hex_encode(caller); }

// The e-mail the user has proven: a verified contact, or a session logged
// in by e-mail OTP.
// profile.verified_contacts.<kind>.value, if the profile has one.
std::optional<std::string> verified_contact(const std::optional<Json>& profile, const char* kind) {
  if (!profile || !profile->contains("verified_contacts")) return std::nullopt;
  const Json& vc = (*profile)["verified_contacts"];
  if (vc.is_object() && vc.contains(kind) && vc[kind].is_object() && vc[kind].contains("value") && vc[kind]["value"].is_string())
    return vc[kind]["value"].get<std::string>();
  return std::nullopt;
}

std::optional<std::string> verified_email(const std::optional<Json>& profile, const SystemCall& call) {
  if (auto e = verified_contact(profile, "email")) return e;
  if (call.caller_authenticator.rfind("email:", 0) == 0) return call.caller_authenticator.substr(6);
  return std::nullopt;
}

// An SMS code (only for a user with a verified e-mail): through the
// operator's SMS gateway via the outbox once this call commits, or into the
// dev SMS mailbox on a dev node without a gateway.
Result<Json> sms_request(const AccountServices& a, SystemCall& call, const OtpTarget& target) {
  if (a.sms_otp == nullptr || (!a.sms_provider && a.sms_dev_mailbox == nullptr))
    return Status(ErrorCode::kUnimplemented, "sms_unavailable: no SMS provider is configured on this node ([sms] url)");
  T3N_ASSIGN_OR_RETURN(auto profile, read_profile(call.tx, a, call.caller));
  if (!verified_email(profile, call))
    return common::permission_denied("email_not_verified: an SMS code needs a verified e-mail first (otp-request by e-mail)");
  const std::string flow = flow_of(call.caller);
  T3N_ASSIGN_OR_RETURN(std::string code, a.sms_otp->issue(flow, target.contact));
  const std::string text = "Your T3N verification code is " + code + ". It expires in 10 minutes.";
  Status queued;
  if (a.sms_provider) {
    host::OutboxRequest req;
    req.method = "POST";
    req.url = a.sms_provider->url;
    req.headers.emplace_back("content-type", "application/json");
    if (!a.sms_provider->authorization.empty()) req.headers.emplace_back("authorization", a.sms_provider->authorization);
    const std::string body = Json{{"to", target.contact}, {"from", a.sms_provider->from}, {"text", text}}.dump();
    req.body = common::to_bytes(body);
    // One idempotency key per code: the flow and the moment, hashed (no number in it).
    const auto id = crypto::sha256(common::as_bytes(flow + "|" + target.contact + "|" + std::to_string(call.now_ms) + "|" + code));
    queued = host::enqueue_system(call.tx, "tee-user-sms-" + common::hex_encode(ByteView(id.data(), 16)), req);
    if (queued.ok() && a.outbox_notify) call.after_commit.push_back(a.outbox_notify);
  } else {
    queued = a.sms_dev_mailbox->send(target.contact, "SMS", text);
  }
  if (!queued.ok()) {
    a.sms_otp->withdraw(flow);
    return Status(ErrorCode::kUnavailable, "sms_unavailable: the code could not be queued");
  }
  return Json{{"contact", target.contact},
              {"channel", "sms"},
              {"status", "otp_pending"},
              {"expires_at_sec", (call.now_ms + identity::OtpPolicy{}.code_ttl_ms) / 1000},
              {"is_new_profile", !profile.has_value()}};
}

Result<Json> otp_request(const SystemEnv& env, SystemCall& call) {
  T3N_RETURN_IF_ERROR(require_object(call.input));
  T3N_ASSIGN_OR_RETURN(const AccountServices* a, accounts_of(env));
  if (field(call.input, "otp_code", "otpCode") != nullptr)
    return common::invalid_argument("legacy_field: otp_code belongs to otp-verify");
  T3N_ASSIGN_OR_RETURN(OtpTarget target, otp_target(call.input));
  if (target.channel == "sms") return sms_request(*a, call, target);
  if (a->email_otp == nullptr) return Status(ErrorCode::kUnimplemented, "email_unavailable: this node has no mailer configured");
  T3N_ASSIGN_OR_RETURN(auto profile, read_profile(call.tx, *a, call.caller));
  T3N_RETURN_IF_ERROR(a->email_otp->send(flow_of(call.caller), target.contact));
  return Json{{"contact", target.contact},
              {"channel", target.channel},
              {"status", "otp_pending"},
              {"expires_at_sec", (call.now_ms + identity::OtpPolicy{}.code_ttl_ms) / 1000},
              {"is_new_profile", !profile.has_value()}};
}

Result<Json> otp_verify(const SystemEnv& env, SystemCall& call) {
  T3N_RETURN_IF_ERROR(require_object(call.input));
  T3N_ASSIGN_OR_RETURN(const AccountServices* a, accounts_of(env));
  const Json* code = field(call.input, "otp_code", "otpCode");
  const Json* request = field(call.input, "request", "request");
  if (code == nullptr || !code->is_string() || request == nullptr)
    return common::invalid_argument("invalid_request: otp-verify needs otp_code and request");
  T3N_ASSIGN_OR_RETURN(OtpTarget target, otp_target(*request));
  const std::string did = identity::t3n_did(call.caller);
  if (target.channel == "sms") {
    if (a->sms_otp == nullptr) return Status(ErrorCode::kUnimplemented, "sms_unavailable: no SMS provider is configured on this node");
    auto proven = a->sms_otp->verify(flow_of(call.caller), code->get<std::string>());
    if (!proven.ok() || *proven != target.contact) return Json{{"did", did}, {"channel", "sms"}, {"status", "otp_failed"}};
    T3N_ASSIGN_OR_RETURN(auto profile, read_profile(call.tx, *a, call.caller));
    Json p = profile.value_or(Json::object());
    p["verified_contacts"]["phone"] = {{"value", target.contact}, {"verified_at_ms", call.now_ms}};
    p["phone_number"] = target.contact;
    T3N_RETURN_IF_ERROR(write_profile(call.tx, *a, call.caller, p).status());
    return Json{{"did", did}, {"channel", "sms"}, {"phone", target.contact}, {"is_new_profile", !profile.has_value()}};
  }
  if (a->email_otp == nullptr) return Status(ErrorCode::kUnimplemented, "email_unavailable: this node has no mailer configured");
  auto proven = a->email_otp->verify(flow_of(call.caller), code->get<std::string>());
  if (!proven.ok() || *proven != target.contact) return Json{{"did", did}, {"channel", target.channel}, {"status", "otp_failed"}};
  T3N_ASSIGN_OR_RETURN(auto profile, read_profile(call.tx, *a, call.caller));
  const bool is_new = !profile.has_value();
  Json out = {{"did", did}, {"channel", "email"}, {"email", target.contact}, {"is_new_profile", is_new}};
  // The contact becomes an authenticator of this user — unless another user
  // owns it: then the caller must merge, and nothing is bound.
  const std::string authenticator = "email:" + target.contact;
  T3N_ASSIGN_OR_RETURN(auto owner, a->users.find(call.tx, authenticator));
  if (owner && *owner != call.caller) {
    out["merge_suggestion"] = {{"existing_did", identity::t3n_did(*owner)}, {"current_did", did}, {"email", target.contact}, {"channel", "email"}};
    // The caller proved the contact: recorded (not bound), so merge-profiles
    // can check both sides share it.
    Json p = profile.value_or(Json::object());
    p["verified_contacts"]["email"] = {{"value", target.contact}, {"verified_at_ms", call.now_ms}, {"bound", false}};
    T3N_RETURN_IF_ERROR(write_profile(call.tx, *a, call.caller, p).status());
    return out;
  }
  if (!owner) {
    if (Status s = a->users.link(call.tx, authenticator, call.caller); !s.ok() && s.code() != ErrorCode::kNotFound) return s;
  }
  Json p = profile.value_or(Json::object());
  p["verified_contacts"]["email"] = {{"value", target.contact}, {"verified_at_ms", call.now_ms}};
  p["email_address"] = target.contact;
  T3N_RETURN_IF_ERROR(write_profile(call.tx, *a, call.caller, p).status());
  return out;
}

Result<Json> user_upsert(const SystemEnv& env, SystemCall& call) {
  T3N_RETURN_IF_ERROR(require_object(call.input));
  T3N_ASSIGN_OR_RETURN(const AccountServices* a, accounts_of(env));
  const Json* incoming = field(call.input, "profile", "profile");
  if (incoming == nullptr || !incoming->is_object()) return common::invalid_argument("invalid_profile: 'profile' must be an object");
  if (incoming->contains("otp_code")) return common::invalid_argument("legacy_field: otp_code belongs to otp-verify");
  if (const Json* keys = field(call.input, "keys", "keys"); keys != nullptr && keys->is_object() && keys->contains("generic_api") &&
                                                             (*keys)["generic_api"].is_object() && (*keys)["generic_api"].contains("otp_channel"))
    return common::invalid_argument("legacy_field: keys.generic_api.otp_channel was removed; use otp-request");
  T3N_ASSIGN_OR_RETURN(auto profile, read_profile(call.tx, *a, call.caller));
  const bool require_existing = [&] {
    const Json* r = field(call.input, "require_existing_user", "requireExistingUser");
    return r != nullptr && r->is_boolean() && r->get<bool>();
  }();
  if (require_existing && !profile) return common::not_found("user_not_found: no profile exists for this DID");
  const auto email = verified_email(profile, call);
  const auto phone = verified_contact(profile, "phone");
  if (!email && !require_existing)
    return common::permission_denied("email_not_verified: verify an e-mail address first (otp-request, then otp-verify)");
  Json merged = profile.value_or(Json::object());
  std::vector<std::string> refused;
  for (const auto& [name, value] : incoming->items()) {
    const bool contact_mismatch =
        (name == "email_address" && (!value.is_string() || !email || value.get<std::string>() != *email)) ||
        (name == "phone_number" && (!value.is_string() || !phone || canonical_phone(value.get<std::string>()).value_or("") != *phone));
    if (name == "verified_contacts" || contact_mismatch || name.empty() || name.size() > 128) {
      refused.push_back(name.substr(0, 128));
      continue;
    }
    if (value.is_null()) merged.erase(name);
    else merged[name] = value;
  }
  T3N_RETURN_IF_ERROR(write_profile(call.tx, *a, call.caller, merged).status());
  Json out = {{"user_found", profile.has_value()}};
  if (!refused.empty()) out["refused_fields"] = refused;
  if (const Json* dev = field(call.input, "become_dev_tenant", "becomeDevTenant"); dev != nullptr && dev->is_boolean() && dev->get<bool>()) {
    if (!env.tenancy.self_admit) {
      out["tenant_admit"] = {{"status", "refused"}, {"reason", "self_admit_disabled"}, {"detail", "this node admits tenants only through its operator"}};
    } else {
      T3N_ASSIGN_OR_RETURN(SelfAdmission admission, admit_caller(env, call));
      const bool admitted = admission.status == AdmitStatus::kAdmitted;
      out["tenant_admit"] = {{"status", admitted ? "admitted" : "already-admitted"}};
      if (admitted && env.metering.enabled()) out["tenant_admit"]["granted_credits"] = std::to_string(admission.credits);
    }
  }
  return out;
}

Result<Json> profile_field_names(const SystemEnv& env, SystemCall& call) {
  T3N_RETURN_IF_ERROR(require_object(call.input));
  T3N_ASSIGN_OR_RETURN(const AccountServices* a, accounts_of(env));
  // With pii_did (a grant the dispatch checked): the names in that user's profile.
  T3N_ASSIGN_OR_RETURN(auto profile, read_profile(call.tx, *a, call.subject.value_or(call.caller)));
  Json names = Json::array();
  if (profile)
    for (const auto& [name, _] : profile->items()) names.push_back(name);
  return names;
}

std::string hex0x(ByteView b) { return "0x" + common::hex_encode(b); }

Result<Json> self_eth_address(const SystemEnv& env, SystemCall& call) {
  T3N_RETURN_IF_ERROR(require_object(call.input));
  T3N_ASSIGN_OR_RETURN(const AccountServices* a, accounts_of(env));
  T3N_ASSIGN_OR_RETURN(auto primary, a->wallets.primary(call.tx, call.caller, true, call.now_ms));
  return primary ? Json(hex0x(*primary)) : Json(nullptr);
}

Result<Json> user_wallets(const SystemEnv& env, SystemCall& call) {
  T3N_RETURN_IF_ERROR(require_object(call.input));
  T3N_ASSIGN_OR_RETURN(const AccountServices* a, accounts_of(env));
  T3N_ASSIGN_OR_RETURN(auto primary, a->wallets.primary(call.tx, call.caller, true, call.now_ms));
  T3N_ASSIGN_OR_RETURN(auto all, a->wallets.list(call.tx, call.caller));
  Json secondary = Json::array();
  for (const auto& w : all)
    if (!w.primary) secondary.push_back(hex0x(w.address));
  return Json{{"primary", primary ? Json(hex0x(*primary)) : Json(nullptr)}, {"secondary", secondary}};
}

Result<Json> wallet_history(const SystemEnv& env, SystemCall& call) {
  T3N_RETURN_IF_ERROR(require_object(call.input));
  T3N_ASSIGN_OR_RETURN(const AccountServices* a, accounts_of(env));
  const Json* addr = field(call.input, "wallet_address", "walletAddress");
  if (addr == nullptr || !addr->is_string()) return common::invalid_argument("invalid_address: 'wallet_address' is required");
  std::string text = addr->get<std::string>();
  if (text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0) text = text.substr(2);
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto address = common::hex_decode_canonical(text, 20);
  if (!address.ok()) return common::invalid_argument("invalid_address: expected 0x + 40 hex");
  T3N_ASSIGN_OR_RETURN(auto events, a->wallets.history(call.tx, call.caller, *address));
  if (!events) return common::not_found("wallet_not_found: not a wallet of this user");
  return *events;
}

Result<Json> remove_with_abandonment(const SystemEnv& env, SystemCall& call) {
  T3N_RETURN_IF_ERROR(require_object(call.input));
  T3N_ASSIGN_OR_RETURN(const AccountServices* a, accounts_of(env));
  T3N_ASSIGN_OR_RETURN(RemovalReport r, remove_user(call.tx, *a, call.caller, call.now_ms));
  return Json{{"removed", true},
              {"did", identity::t3n_did(call.caller)},
              {"wallets_abandoned", r.wallets},
              {"authenticators_removed", r.authenticators},
              {"data_key_destroyed", r.data_key}};
}

// merge-profiles {target_did}: the caller's account (the source) folds into
// the target when both proved the same e-mail: the target owns it as an
// authenticator or verified contact, and the caller verified it by OTP (or
// logged in with it). Authenticators and wallets move (keys re-sealed for
// the target), profile fields the target lacks are copied (the target wins
// conflicts), and the source is crypto-shredded.
Result<Json> merge_profiles(const SystemEnv& env, SystemCall& call) {
  T3N_RETURN_IF_ERROR(require_object(call.input));
  T3N_ASSIGN_OR_RETURN(const AccountServices* a, accounts_of(env));
  const Json* t = field(call.input, "target_did", "targetDid");
  if (t == nullptr || !t->is_string()) return common::invalid_argument("invalid_request: 'target_did' is required");
  auto target = identity::parse_t3n_did(t->get<std::string>());
  if (!target.ok()) return common::invalid_argument("invalid_did: target_did must be did:t3n:<40 hex>");
  if (*target == call.caller) return common::invalid_argument("merge_self: the target is the caller's own DID");
  T3N_ASSIGN_OR_RETURN(auto target_row, identity::kUsersTable.in(call.tx).get(*target));
  if (!target_row) return common::not_found("user_not_found: no user " + t->get<std::string>());
  T3N_ASSIGN_OR_RETURN(auto source_profile, read_profile(call.tx, *a, call.caller));
  T3N_ASSIGN_OR_RETURN(auto target_profile, read_profile(call.tx, *a, *target));
  const auto email = verified_email(source_profile, call);
  bool shared = false;
  if (email) {
    T3N_ASSIGN_OR_RETURN(auto owner, a->users.find(call.tx, "email:" + *email));
    shared = (owner && *owner == *target) || verified_contact(target_profile, "email") == email;
  }
  if (!shared)
    return common::permission_denied("no_shared_contact: the two accounts share no verified e-mail (verify it by OTP on both first)");
  // The profile: the target wins on conflicts; verified contacts join.
  Json merged = target_profile.value_or(Json::object());
  if (source_profile)
    for (const auto& [k, v] : source_profile->items()) {
      if (k == "verified_contacts") continue;
      if (!merged.contains(k)) merged[k] = v;
    }
  merged["verified_contacts"]["email"] = {{"value", *email}, {"verified_at_ms", call.now_ms}};
  T3N_RETURN_IF_ERROR(write_profile(call.tx, *a, *target, merged).status());
  T3N_ASSIGN_OR_RETURN(std::size_t wallets, a->wallets.absorb(call.tx, call.caller, *target, call.now_ms));
  T3N_ASSIGN_OR_RETURN(std::size_t authenticators, a->users.move_authenticators(call.tx, call.caller, *target));
  // What is left of the source (its data key, grants, trail) is shredded.
  T3N_RETURN_IF_ERROR(remove_user(call.tx, *a, call.caller, call.now_ms).status());
  return Json{{"merged", true},
              {"source_did", identity::t3n_did(call.caller)},
              {"target_did", identity::t3n_did(*target)},
              {"wallets_moved", wallets},
              {"authenticators_moved", authenticators},
              {"tx_hash", nullptr}};
}

Result<Json> kyc_status(const SystemEnv&, SystemCall& call) {
  T3N_RETURN_IF_ERROR(require_object(call.input));
  std::string provider = "veriff";
  if (const Json* p = field(call.input, "provider_id", "providerId"); p != nullptr) {
    if (!p->is_string() || p->get<std::string>().empty() || p->get<std::string>().size() > 64)
      return common::invalid_argument("invalid_provider: 'provider_id' is a short string");
    provider = p->get<std::string>();
  }
  // A configured provider's last signed decision; without one (or before
  // it decides) nothing has verified the user: the honest pending.
  return kyc_status_of(call.tx, call.caller, provider);
}

// The SDK's snake_case wire form → the agent-auth interface's camelCase.
Json camel_grants(const Json& in) {
  Json out = {{"agents", Json::array()}};
  if (!in.is_object() || !in.contains("agents") || !in["agents"].is_array()) return in;
  for (const auto& agent : in["agents"]) {
    if (!agent.is_object()) return in;
    Json a = Json::object();
    for (const auto& [k, v] : agent.items()) {
      if (k == "agent_did") a["agentDid"] = v;
      else if (k != "scripts") a[k] = v;
    }
    a["scripts"] = Json::array();
    if (agent.contains("scripts") && agent["scripts"].is_array())
      for (const auto& script : agent["scripts"]) {
        if (!script.is_object()) return in;
        Json s = Json::object();
        for (const auto& [k, v] : script.items()) {
          if (v.is_null()) continue;
          if (k == "script_name") s["scriptName"] = v;
          else if (k == "version_req") s["versionReq"] = v;
          else if (k == "allowed_hosts") s["allowedHosts"] = v;
          else s[k] = v;
        }
        a["scripts"].push_back(std::move(s));
      }
    out["agents"].push_back(std::move(a));
  }
  return out;
}

Result<Json> agent_auth_update(const SystemEnv&, SystemCall& call) {
  T3N_RETURN_IF_ERROR(require_object(call.input));
  const Json payload = camel_grants(call.input);
  T3N_ASSIGN_OR_RETURN(auto grants, identity::parse_delegations(payload));
  T3N_RETURN_IF_ERROR(identity::kDelegationsTable.in(call.tx).put(call.caller, identity::Delegations{payload, grants}));
  return Json{{"agents", grants.size()}};
}

}  // namespace

SystemContract user_contract() {
  SystemContract c{"tee:user/contracts", "1.0.0", {}};
  c.functions["otp-request"] = otp_request;
  c.functions["otp-verify"] = otp_verify;
  c.functions["user-upsert"] = user_upsert;
  c.functions["get-profile-fields-name-only"] = profile_field_names;
  c.functions["get-self-eth-address"] = self_eth_address;
  c.functions["list-user-wallets"] = user_wallets;
  c.functions["get-wallet-history"] = wallet_history;
  c.functions["remove-user-with-wallet-abandonment"] = remove_with_abandonment;
  c.functions["kyc-status"] = kyc_status;
  c.functions["merge-profiles"] = merge_profiles;
  c.delegable = {"get-profile-fields-name-only"};
  c.functions["agent-auth-update"] = agent_auth_update;
  return c;
}

}  // namespace t3n::system
