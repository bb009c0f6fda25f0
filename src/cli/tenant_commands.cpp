#include "cli/tenant_commands.h"

#include "cli/admin_client.h"

#include <cstdio>

#include "common/encoding.h"
#include "common/files.h"
#include "crypto/secp256k1.h"

namespace t3n::cli {

namespace {

using common::Json;

constexpr const char* kTenantContract = "tee:tenant/contracts";

int fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.message().c_str());
  return 1;
}

// "all" | "none" | "1,2,3" → the wire's WriterSet / ReaderSet.
Result<Json> parse_set(const std::string& text, const char* flag) {
  if (text == "all") return Json("all");
  Json ids = Json::array();
  if (text != "none" && !text.empty()) {
    std::size_t pos = 0;
    while (pos <= text.size()) {
      const auto comma = text.find(',', pos);
      const std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      char* end = nullptr;
      const unsigned long long id = std::strtoull(item.c_str(), &end, 10);
      if (item.empty() || end == nullptr || *end != '\0' || id == 0 || id > 0xFFFFFFFFull)
        return common::invalid_argument(std::string(flag) + ": expected all, none or contract ids like 3,4");
      ids.push_back(id);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  return Json{{"only", ids}};
}

Result<Json> key_validator(const std::string& prefix, std::uint32_t max_len, const std::string& charset) {
  if (prefix.empty() && max_len == 0 && charset.empty()) return Json(nullptr);
  Json v = Json::object();
  if (!prefix.empty()) v["prefix"] = prefix;
  if (max_len != 0) v["max_len"] = max_len;
  if (!charset.empty()) v["charset"] = charset;
  return v;
}

}  // namespace

void TenantCommands::add(CLI::App& app, const std::function<void(CLI::App*)>& with_trust) {
  tenant_ = app.add_subcommand("tenant", "Your tenant (tee:tenant): claim it, show it");
  tenant_->require_subcommand(1);
  tenant_claim_ = tenant_->add_subcommand("claim", "Admit yourself as a tenant (dev and test networks) and get welcome credits");
  tenant_me_ = tenant_->add_subcommand("me", "Show your tenant: status, quotas, balance");
  for (auto* c : {tenant_claim_, tenant_me_}) with_trust(c);

  map_ = app.add_subcommand("map", "Your tenant's maps z:<tid>:<tail>");
  map_->require_subcommand(1);
  map_create_ = map_->add_subcommand("create", "Create a map");
  map_update_ = map_->add_subcommand("update", "Change a map's ACLs, key validator or admin_readable");
  for (auto* c : {map_create_, map_update_}) {
    c->add_option("tail", tail_, "The map's tail (or its canonical z:<tid>:<tail>)")->required();
    c->add_option("--writers", writers_, "all, none, or contract ids 3,4");
    c->add_option("--readers", readers_, "all, none (deny all), or contract ids 3,4");
    c->add_option("--key-prefix", key_prefix_, "Keys contracts write must start with this");
    c->add_option("--key-max-len", key_max_len_, "Longest key contracts may write (bytes)");
    c->add_option("--key-charset", key_charset_, "any, alnum, hex or printable")
        ->check(CLI::IsMember({"any", "alnum", "hex", "printable"}));
    with_trust(c);
  }
  map_create_->add_option("--visibility", visibility_, "private or public")->capture_default_str()->check(CLI::IsMember({"private", "public"}));
  map_update_->add_option("--admin-readable", admin_readable_, "true: you may read its values with `t3n map get`")
      ->check(CLI::IsMember({"true", "false"}));
  map_delete_ = map_->add_subcommand("delete", "Delete a map and its contents");
  map_delete_->add_option("tail", tail_)->required();
  map_put_ = map_->add_subcommand("put", "Write a value into one of your maps (e.g. an API key into secrets)");
  map_put_->add_option("tail", tail_)->required();
  map_put_->add_option("key", key_)->required();
  map_put_->add_option("value", value_, "The value (or --file)");
  map_put_->add_option("--file", value_file_, "Read the value from a file (sent base64)")->check(CLI::ExistingFile);
  map_get_ = map_->add_subcommand("get", "Read a value of a public or admin_readable map");
  map_get_->add_option("tail", tail_)->required();
  map_get_->add_option("key", key_)->required();
  map_list_ = map_->add_subcommand("list", "List your maps (their settings, never their values)");
  for (auto* c : {map_delete_, map_put_, map_get_, map_list_}) with_trust(c);

  contract_ = app.add_subcommand("contract", "Your tenant's contracts: upload, enable, disable, unregister, logs");
  contract_->require_subcommand(1);
  upload_ = contract_->add_subcommand("upload", "Upload a component as z:<tid>:<tail> (tee:tenant contract-register)");
  upload_->add_option("file", file_)->required()->check(CLI::ExistingFile);
  upload_->add_option("--name", tail_, "The contract's tail")->required();
  upload_->add_option("--version", version_, "x.y.z")->required();
  upload_->add_option("--manifest", manifest_file_, "Manifest JSON (grants); default: kv-store, logging and the other local interfaces")
      ->check(CLI::ExistingFile);
  upload_->add_option("--source-hash", source_hash_, "Hex SHA-256 of the source bundle (stored verbatim)");
  enable_ = contract_->add_subcommand("enable", "Enable a contract");
  disable_ = contract_->add_subcommand("disable", "Disable a contract (calls are refused)");
  unregister_ = contract_->add_subcommand("unregister", "Unregister a contract (its name and id stay yours)");
  logs_ = contract_->add_subcommand("logs", "Read a contract's log ring");
  for (auto* c : {enable_, disable_, unregister_, logs_}) c->add_option("name", tail_)->required();
  since_opt_ = logs_->add_option("--since", since_, "From this sequence number (next_seq of a previous page)");
  logs_->add_option("--limit", limit_, "At most this many entries (1..500)")->capture_default_str();
  logs_->add_option("--min-level", min_level_, "debug, info or error")->capture_default_str()->check(CLI::IsMember({"debug", "info", "error"}));
  for (auto* c : {upload_, enable_, disable_, unregister_, logs_}) with_trust(c);

  usage_ = app.add_subcommand("usage", "Your token balance and usage ledger (token.usage)");
  usage_->add_option("--limit", limit_, "Entries per page (1..200)")->capture_default_str();
  after_opt_ = usage_->add_option("--after", after_, "Continue from a previous page's next_cursor");
  usage_->add_option("--kind", kinds_, "Only these kinds: mint, charge, transfer, burn (repeatable)");
  with_trust(usage_);

  admin_ = app.add_subcommand("admin", "Operator API (POST /api/admin, signed with an operator key)");
  admin_->require_subcommand(1);
  admin_->add_option("--admin-key", admin_key_, "Operator key file (t3n keygen --type eth --key FILE)")
      ->envname("T3N_ADMIN_KEY")
      ->capture_default_str();
  admin_address_ = admin_->add_subcommand("address", "Print the operator key's address (for admin.operator_addresses)");
  admin_admit_ = admin_->add_subcommand("tenant-admit", "Admit a user (did:t3n) as a tenant");
  admin_admit_->add_option("did", did_)->required();
  admin_admit_->add_option("--label", label_, "A label kept with the tenant");
  credits_opt_ = admin_admit_->add_option("--credits", credits_, "Base units to mint for it (10^6 per token)");
  log_entries_opt_ = admin_admit_->add_option("--log-entries", log_entries_, "Its contracts' log ring (0 = off)");
  admin_transfer_ = admin_->add_subcommand("transfer", "Grant credits to an account, or move them (--from)");
  admin_transfer_->add_option("--to", to_, "did:t3n of the receiver")->required();
  admin_transfer_->add_option("--amount", amount_, "Base units (10^6 per token)")->required();
  admin_transfer_->add_option("--from", from_, "did:t3n to move the credits from (default: a new grant)");
  admin_transfer_->add_option("--note", note_, "A note kept in the ledger");
  admin_send_ = admin_->add_subcommand("send", "Send any action: t3n admin send tenant.admit-for-org --params '{…}'");
  admin_send_->add_option("action", action_)->required();
  admin_send_->add_option("--params", params_, "The action's fields (JSON object)")->capture_default_str();
}

bool TenantCommands::parsed_signed() const {
  return tenant_->parsed() || map_->parsed() || contract_->parsed() || usage_->parsed();
}
bool TenantCommands::parsed_admin() const { return admin_->parsed(); }

int TenantCommands::run_signed(api::NodeClient& client, const api::RequestSigner& signer, bool json, const PrintFn& print) {
  auto call = [&](const std::string& function, Json input, const std::string* blob = nullptr) -> Result<Json> {
    Json params = {{"script_name", kTenantContract}, {"function_name", function}, {"input", std::move(input)}};
    if (blob != nullptr) params["blob_base64"] = common::base64_encode(common::as_bytes(*blob));
    T3N_ASSIGN_OR_RETURN(Json r, client.rpc("action.execute", params, &signer));
    return r["response"];
  };
  auto done = [&](const Result<Json>& r, const std::function<std::string(const Json&)>& human) {
    if (!r.ok()) return fail(r.status());
    print(*r, human(*r));
    return 0;
  };
  if (tenant_claim_->parsed())
    return done(call("tenant-claim", Json::object()), [](const Json& r) {
      return r.value("status", std::string()) + ": " + r.value("tenant", std::string()) +
             (r["granted_credits"].is_number() ? " (+" + r["granted_credits"].dump() + " base units)" : "");
    });
  if (tenant_me_->parsed())
    return done(call("tenant-me", Json::object()), [](const Json& r) { return r.dump(2); });
  if (map_create_->parsed() || map_update_->parsed()) {
    Json in = {{"map_name", tail_}};
    if (map_create_->parsed()) in["visibility"] = visibility_;
    if (!writers_.empty()) {
      auto w = parse_set(writers_, "--writers");
      if (!w.ok()) return fail(w.status());
      in["writers"] = *w;
    } else if (map_create_->parsed()) {
      return fail(common::invalid_argument("--writers is required: all, or the contract ids that may write"));
    }
    if (!readers_.empty()) {
      auto r = parse_set(readers_, "--readers");
      if (!r.ok()) return fail(r.status());
      in["readers"] = *r;
    } else if (map_create_->parsed()) {
      std::fprintf(stderr, "note: no --readers: nobody may read the map (deny all)\n");
    }
    auto kv = key_validator(key_prefix_, key_max_len_, key_charset_);
    if (!kv->is_null() || map_create_->parsed()) in["key_validator"] = *kv;
    if (!admin_readable_.empty()) in["admin_readable"] = admin_readable_ == "true";
    return done(call(map_create_->parsed() ? "map-create" : "map-update", in),
                [](const Json& r) { return r.value("name", std::string()) + " " + r.dump(); });
  }
  if (map_delete_->parsed())
    return done(call("map-delete", {{"map_name", tail_}}),
                [](const Json& r) { return "deleted " + r.value("name", std::string()) + " (" + r["deleted_keys"].dump() + " keys)"; });
  if (map_put_->parsed()) {
    Json in = {{"map_name", tail_}, {"key", key_}};
    if (!value_file_.empty()) {
      auto f = common::read_file(value_file_);
      if (!f.ok()) return fail(f.status());
      in["value"] = common::base64_encode(common::as_bytes(*f));
      in["encoding"] = "base64";
    } else {
      in["value"] = value_;
    }
    return done(call("map-put", in), [](const Json& r) { return "stored " + r["size"].dump() + " bytes in " + r.value("map_name", std::string()); });
  }
  if (map_get_->parsed())
    return done(call("map-get", {{"map_name", tail_}, {"key", key_}}),
                [](const Json& r) { return r["value"].is_string() ? r["value"].get<std::string>() : std::string("(absent)"); });
  if (map_list_->parsed()) return done(call("map-list", Json::object()), [](const Json& r) { return r["maps"].dump(2); });
  if (upload_->parsed()) {
    auto wasm = common::read_file(file_);
    if (!wasm.ok()) return fail(wasm.status());
    Json in = {{"name", tail_}, {"version", version_}};
    if (!source_hash_.empty()) in["source_hash"] = source_hash_;
    if (!manifest_file_.empty()) {
      auto m = common::read_file(manifest_file_);
      if (!m.ok()) return fail(m.status());
      auto j = common::parse_json(*m);
      if (!j.ok()) return fail(j.status().with_context(manifest_file_));
      in["manifest"] = *j;
    }
    if (!json) std::fprintf(stderr, "uploading %s (%zu KiB, encrypted with OHTTP) as %s %s…\n", file_.c_str(), wasm->size() / 1024,
                            tail_.c_str(), version_.c_str());
    return done(call("contract-register", in, &*wasm), [](const Json& r) {
      return "registered " + r.value("name", std::string()) + " " + r.value("version", std::string()) + " (contract id " +
             r["contract_id"].dump() + ")";
    });
  }
  for (auto [cmd, fn] : {std::pair{enable_, "contract-enable"}, std::pair{disable_, "contract-disable"},
                         std::pair{unregister_, "contract-unregister"}})
    if (cmd->parsed())
      return done(call(fn, {{"name", tail_}}),
                  [](const Json& r) { return r.value("name", std::string()) + ": " + r.value("status", std::string()); });
  if (logs_->parsed()) {
    Json in = {{"contract_name", tail_}, {"limit", limit_}, {"min_level", min_level_}};
    if (since_opt_->count() > 0) in["since_seq"] = since_;
    return done(call("contract-logs", in), [](const Json& r) {
      std::string out;
      for (const auto& e : r["entries"])
        out += std::to_string(e.value("ts_ms", std::uint64_t{0})) + " " + e.value("level", std::string()) + " " +
               e.value("message", std::string()) + "\n";
      if (!r.value("enabled", true)) out += "(logging is off for this tenant: log_max_entries = 0)\n";
      if (r["next_seq"].is_number()) out += "(more: --since " + r["next_seq"].dump() + ")\n";
      return out.empty() ? std::string("(no log lines)") : out.substr(0, out.size() - 1);
    });
  }
  if (usage_->parsed()) {
    Json params = {{"limit", limit_}};
    if (after_opt_->count() > 0) params["after_seq"] = after_;
    if (!kinds_.empty()) params["kinds"] = kinds_;
    auto reply = client.rpc("token.usage", params, &signer);
    return done(reply, [](const Json& r) {
      const Json& b = r["balance"];
      std::string out = "balance: " + b["available"].dump() + " base units available, " + b["reserved"].dump() +
                        " reserved (metering " + r.value("metering", std::string("?")) + ")";
      for (const auto& e : r["entries"]) {
        out += "\n  #" + e["seq_no"].dump() + " " + e.value("kind", std::string()) + " " + e["amount"].dump();
        if (e["reason"].is_object()) out += " " + e["reason"].value("kind", std::string());
      }
      if (r["next_cursor"].is_number()) out += "\n(more: --after " + r["next_cursor"].dump() + ")";
      return out;
    });
  }
  return 0;
}

int TenantCommands::run_admin(api::NodeClient& client, bool json, const PrintFn& print) {
  (void)json;
  auto key = load_admin_key(admin_key_);
  if (!key.ok()) return fail(key.status());
  if (admin_address_->parsed()) {
    const std::string address = "0x" + common::hex_encode(key->address);
    print({{"address", address}}, address);
    return 0;
  }
  Result<Json> r = common::invalid_argument("no admin command");
  if (admin_admit_->parsed()) {
    Json body = {{"tenant", did_}};
    if (!label_.empty()) body["label"] = label_;
    if (credits_opt_->count() > 0) body["credits"] = credits_;
    if (log_entries_opt_->count() > 0) body["quotas"] = {{"log_max_entries", log_entries_}};
    r = send_admin(client, *key, "tenant.admit", body);
  } else if (admin_transfer_->parsed()) {
    Json body = {{"to", to_}, {"amount", amount_}};
    if (!from_.empty()) body["from"] = from_;
    if (!note_.empty()) body["note"] = note_;
    r = send_admin(client, *key, "token.transfer", body);
  } else if (admin_send_->parsed()) {
    auto p = common::parse_json(params_);
    if (!p.ok() || !p->is_object()) return fail(common::invalid_argument("--params: expected a JSON object"));
    r = send_admin(client, *key, action_, *p);
  }
  if (!r.ok()) return fail(r.status());
  print(*r, (*r)["result"].dump(2));
  return 0;
}

}  // namespace t3n::cli
