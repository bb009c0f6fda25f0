#include "cli/account_commands.h"

#include <cstdio>

namespace t3n::cli {
namespace {

using common::Json;

int fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.message().c_str());
  return 1;
}

}  // namespace

void AccountCommands::add(CLI::App& app, const std::function<void(CLI::App*)>& with_trust) {
  profile_ = app.add_subcommand("profile", "Your profile (tee:user): sealed with your data key");
  profile_->require_subcommand(1);
  profile_fields_ = profile_->add_subcommand("fields", "The names of your profile's fields (never their values)");
  profile_set_ = profile_->add_subcommand("set", "Set fields: t3n profile set first_name=Ada last_name=Lovelace (needs a verified e-mail)");
  profile_set_->add_option("fields", fields_, "NAME=VALUE pairs")->required();
  profile_remove_ = profile_->add_subcommand("remove-me", "Delete everything of yours and destroy your data key (crypto-shredding)");
  profile_remove_->add_flag("--yes", yes_, "Confirm: this cannot be undone");
  otp_ = app.add_subcommand("otp", "Verify an e-mail address with a one-time code (tee:user)");
  otp_->require_subcommand(1);
  otp_request_ = otp_->add_subcommand("request", "Send a code to the address");
  otp_request_->add_option("email", email_)->required();
  otp_verify_ = otp_->add_subcommand("verify", "Verify the code you received");
  otp_verify_->add_option("email", email_)->required();
  otp_verify_->add_option("code", code_)->required();
  wallet_ = app.add_subcommand("wallet", "Your custodial wallets (kept sealed inside the node)");
  wallet_->require_subcommand(1);
  wallet_address_ = wallet_->add_subcommand("address", "Your primary wallet's address (created at first need)");
  wallet_list_ = wallet_->add_subcommand("list", "Primary and secondary wallets");
  wallet_history_ = wallet_->add_subcommand("history", "A wallet's history");
  wallet_history_->add_option("address", address_)->required();
  agent_ = app.add_subcommand("agent", "The agent registry (tee:agent-registry)");
  agent_->require_subcommand(1);
  agent_register_ = agent_->add_subcommand("register", "Register your agent's URI (shown in your DID document)");
  agent_register_->add_option("uri", uri_)->required();
  agent_get_ = agent_->add_subcommand("get", "A DID's registered agent");
  agent_get_->add_option("did", did_)->required();
  org_ = app.add_subcommand("org", "Organisations and their data (tee:organisation, tee:org-data)");
  org_->require_subcommand(1);
  org_create_ = org_->add_subcommand("create", "Create an organisation; you become its sole admin");
  org_create_->add_option("name", org_name_)->required();
  org_list_ = org_->add_subcommand("list", "The organisations you administer");
  org_show_ = org_->add_subcommand("show", "An organisation's policy (admins only) and its effective credential cap");
  org_show_->add_option("org", org_did_, "did:t3n:… of the organisation")->required();
  org_call_ = org_->add_subcommand("call", "Any tee:org-data function: t3n org call <org> org-data-list --input '{\"scope\":\"payroll\"}'");
  org_call_->add_option("org", org_did_, "did:t3n:… of the organisation")->required();
  org_call_->add_option("function", org_function_, "org-policy-update-meta, org-policy-set-writers, org-data-write, …")->required();
  org_call_->add_option("--input", org_input_, "The function's input (JSON object; org_did is added)")->capture_default_str();
  audit_ = app.add_subcommand("audit", "Your audit trail: one host-stamped batch per dispatch, newest first");
  audit_->add_option("--limit", audit_limit_, "Batches per page (1..200)")->check(CLI::Range(1, 200))->capture_default_str();
  audit_->add_option("--cursor", audit_cursor_, "A previous page's next_cursor");
  audit_->add_option("--pii-did", audit_pii_did_, "Another user's trail, as far as you acted under their live grant");
  for (auto* c : {profile_fields_, profile_set_, profile_remove_, otp_request_, otp_verify_, wallet_address_, wallet_list_,
                  wallet_history_, agent_register_, agent_get_, org_create_, org_list_, org_show_, org_call_, audit_})
    with_trust(c);
}

bool AccountCommands::parsed() const {
  return profile_->parsed() || otp_->parsed() || wallet_->parsed() || agent_->parsed() || org_->parsed() || audit_->parsed();
}

int AccountCommands::run(api::NodeClient& client, const api::RequestSigner& signer, const PrintFn& print) {
  auto call = [&](const char* contract, const std::string& function, Json input) -> Result<Json> {
    T3N_ASSIGN_OR_RETURN(Json r, client.rpc("action.execute",
                                            {{"script_name", contract}, {"function_name", function}, {"input", std::move(input)}}, &signer));
    return r["response"];
  };
  auto user = [&](const std::string& fn, Json in) { return call("tee:user/contracts", fn, std::move(in)); };
  auto done = [&](const Result<Json>& r, const std::function<std::string(const Json&)>& human) {
    if (!r.ok()) return fail(r.status());
    print(*r, human(*r));
    return 0;
  };
  const Json email_channel = {{"email_channel", {{"email_address", email_}}}};
  if (profile_fields_->parsed())
    return done(user("get-profile-fields-name-only", Json::object()), [](const Json& r) { return r.empty() ? std::string("(no profile)") : r.dump(); });
  if (profile_set_->parsed()) {
    Json profile = Json::object();
    for (const auto& f : fields_) {
      const auto eq = f.find('=');
      if (eq == std::string::npos || eq == 0) return fail(common::invalid_argument("expected NAME=VALUE, got '" + f + "'"));
      profile[f.substr(0, eq)] = f.substr(eq + 1);
    }
    return done(user("user-upsert", {{"profile", profile}}), [](const Json& r) {
      std::string out = "stored";
      if (r.contains("refused_fields")) out += " (refused: " + r["refused_fields"].dump() + ")";
      return out;
    });
  }
  if (profile_remove_->parsed()) {
    if (!yes_) return fail(common::failed_precondition("removal destroys your data key and cannot be undone: add --yes"));
    return done(user("remove-user-with-wallet-abandonment", Json::object()), [](const Json& r) {
      return "removed " + r.value("did", std::string()) + ": " + r["authenticators_removed"].dump() + " authenticators, " +
             r["wallets_abandoned"].dump() + " wallets abandoned, data key destroyed";
    });
  }
  if (otp_request_->parsed())
    return done(user("otp-request", email_channel), [](const Json& r) {
      return "code sent to " + r.value("contact", std::string()) + " (t3n otp verify <email> <code>)";
    });
  if (otp_verify_->parsed())
    return done(user("otp-verify", {{"otp_code", code_}, {"request", email_channel}}), [](const Json& r) {
      if (r.contains("status")) return "not verified: " + r["status"].get<std::string>();
      if (r.contains("merge_suggestion")) return "the address belongs to " + r["merge_suggestion"].value("existing_did", std::string());
      return "verified " + r.value("email", std::string()) + " for " + r.value("did", std::string());
    });
  if (wallet_address_->parsed())
    return done(user("get-self-eth-address", Json::object()), [](const Json& r) { return r.is_string() ? r.get<std::string>() : std::string("(none)"); });
  if (wallet_list_->parsed())
    return done(user("list-user-wallets", Json::object()), [](const Json& r) {
      return "primary " + (r["primary"].is_string() ? r["primary"].get<std::string>() : std::string("(none)")) + ", secondary " +
             r["secondary"].dump();
    });
  if (wallet_history_->parsed())
    return done(user("get-wallet-history", {{"wallet_address", address_}}), [](const Json& r) { return r.dump(2); });
  if (agent_register_->parsed())
    return done(call("tee:agent-registry/contracts", "agent-registry-register", {{"agentURI", uri_}}),
                [](const Json& r) { return "registered " + r.value("agent_uri", std::string()) + " for " + r.value("did", std::string()); });
  if (agent_get_->parsed())
    return done(call("tee:agent-registry/contracts", "agent-registry-get", {{"did", did_}}),
                [](const Json& r) { return r.value("agent_uri", std::string()) + " (owner " + r.value("owner_eth_address", std::string()) + ")"; });
  auto org_data = [&](const std::string& fn, Json in) {
    in["org_did"] = org_did_;
    return call("tee:org-data/contracts", fn, std::move(in));
  };
  if (org_create_->parsed())
    return done(call("tee:organisation/contracts", "organisation-create-self", {{"name", org_name_}}),
                [](const Json& r) { return "created " + r.value("org_did", std::string()) + " (you are its sole admin)"; });
  if (org_list_->parsed())
    return done(call("tee:organisation/contracts", "organisation-list-mine", Json::object()), [](const Json& r) {
      std::string out;
      for (const auto& o : r["organisations"]) out += o.value("org_did", std::string()) + "  " + (o["name"].is_string() ? o["name"].get<std::string>() : "") + "\n";
      return out.empty() ? std::string("(none)") : out.substr(0, out.size() - 1);
    });
  if (org_show_->parsed()) {
    auto policy = org_data("org-policy-get", Json::object());
    if (!policy.ok()) return fail(policy.status());
    auto view = org_data("org-policy-view", Json::object());
    if (!view.ok()) return fail(view.status());
    Json both = *policy;
    both["effective_validity_secs"] = (*view)["effective_validity_secs"];
    print(both, "admins " + both["admins"].dump() + " (max " + both["max_admins"].dump() + "), credentials up to " +
                    both["effective_validity_secs"].dump() + " s");
    return 0;
  }
  if (org_call_->parsed()) {
    auto in = common::parse_json(org_input_, 16);
    if (!in.ok() || !in->is_object()) return fail(common::invalid_argument("--input must be a JSON object"));
    return done(org_data(org_function_, std::move(*in)), [](const Json& r) { return r.dump(2); });
  }
  if (audit_->parsed()) {
    Json params = {{"limit", audit_limit_}};
    if (!audit_cursor_.empty()) params["cursor"] = audit_cursor_;
    if (!audit_pii_did_.empty()) params["pii_did"] = audit_pii_did_;
    auto r = client.rpc("audit.list", params, &signer);
    return done(r, [](const Json& page) {
      std::string out;
      for (const auto& b : page["batches"])
        for (const auto& e : b["events"])
          out += std::to_string(e.value("ts_ms", std::uint64_t{0})) + "  " + e.value("action", std::string()) + " " +
                 e.value("target", std::string()) + " → " + e.value("outcome", std::string()) + " (actor " + e.value("actor", std::string()) +
                 (e["vc_id"].is_string() ? ", vc " + e["vc_id"].get<std::string>() : std::string()) + (b.value("committed", false) ? "" : ", not committed") + ")\n";
      if (page["next_cursor"].is_string()) out += "more: --cursor " + page["next_cursor"].get<std::string>() + "\n";
      return out.empty() ? std::string("(no events)") : out.substr(0, out.size() - 1);
    });
  }
  return fail(common::invalid_argument("no account command given"));
}

}  // namespace t3n::cli
