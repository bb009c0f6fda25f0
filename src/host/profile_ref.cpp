// host:interfaces/profile-ref@2.1.0 — opaque handles to the calling user's
// profile items. A contract learns which items exist under a scope (their
// paths and JSON types) and gets a random handle per item, valid only in
// this execution; the values stay in the host. A handle is used as
// `{{ref.<handle>}}` in http-with-placeholders, which fills in the value.
// The scope is a profile path and obeys the manifest's
// placeholder_allowlist, like the placeholders themselves.
#include "common/encoding.h"
#include "crypto/random.h"
#include "host/host.h"
#include "host/placeholders.h"
#include "host/util.h"

namespace t3n::host {
namespace {

using common::Json;

constexpr const char* kRefError =
    "variant { unknown-scope(string), scope-denied(string), unknown-handle(string), profile-unavailable }";
// Bounds on what one execution may ask for.
constexpr std::size_t kMaxHandlesPerCall = 4096;
constexpr std::size_t kMaxVcIdBytes = 256;

Val ref_err(const char* which) { return err_val(variant_case(which)); }
Val ref_err(const char* which, const std::string& detail) { return err_val(variant_case(which, detail)); }

const char* json_type(const Json& v) {
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "boolean";
  if (v.is_number()) return "number";
  if (v.is_array()) return "array";
  return "object";
}

// Every item under `v` (scalars and arrays are items; objects are walked),
// in key order, with its full path.
void collect(const Json& v, const std::string& path, std::vector<std::pair<std::string, const Json*>>& out, std::size_t cap) {
  if (out.size() >= cap || v.is_null()) return;
  if (!v.is_object()) {
    out.emplace_back(path, &v);
    return;
  }
  for (const auto& [k, child] : v.items()) {
    if (!is_profile_path(k) || k.find('.') != std::string::npos) continue;  // not addressable by a placeholder
    collect(child, path + "." + k, out, cap);
  }
}

}  // namespace

runtime::HostInterface profile_ref_interface() {
  runtime::HostInterface iface{"host:interfaces/profile-ref@2.1.0", "profile_ref", {}};
  iface.functions["list-handles"] = {
      std::string("func(scope: string, vc-id: string) -> result<list<record { handle: string, metadata: list<u8> }>, ") +
          kRefError + ">",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 2));
        T3N_ASSIGN_OR_RETURN(std::string scope, arg_string(args, 0));
        T3N_ASSIGN_OR_RETURN(std::string vc_id, arg_string(args, 1));
        if (scope.rfind("profile.", 0) == 0) scope = scope.substr(8);
        if (!is_profile_path(scope)) return set_result(r, ref_err("unknown-scope", "a scope is a profile path of snake_case segments"));
        if (vc_id.size() > kMaxVcIdBytes) return set_result(r, ref_err("unknown-scope", "vc-id is longer than 256 bytes"));
        static const std::vector<std::string> kNone;
        const auto& allow = ctx.manifest != nullptr ? ctx.manifest->placeholder_allowlist : kNone;
        if (!profile_path_allowed(scope, allow))
          return set_result(r, ref_err("scope-denied", "profile." + scope + " is not on the placeholder_allowlist"));
        if (!ctx.calling_user_did || !ctx.user_profile) return set_result(r, ref_err("profile-unavailable"));
        auto profile = common::parse_json(common::to_string(*ctx.user_profile), 32);
        if (!profile.ok() || !profile->is_object()) return set_result(r, ref_err("profile-unavailable"));
        const Json* v = profile_value(*profile, scope);
        if (v == nullptr) return set_result(r, ref_err("unknown-scope", "profile." + scope + " is not in the profile"));
        if (ctx.profile_handles.size() >= kMaxHandlesPerCall)
          return set_result(r, ref_err("unknown-scope", "this execution holds the most handles it may (4096)"));
        std::vector<std::pair<std::string, const Json*>> items;
        collect(*v, scope, items, kMaxHandlesPerCall - ctx.profile_handles.size());
        std::vector<Val> out;
        for (const auto& [path, value] : items) {
          auto random = crypto::random_vector(16);
          if (!random.ok()) return random.status();
          const std::string handle = common::hex_encode(*random);
          ctx.profile_handles[handle] = path;
          // Metadata names the item and its type, never its value or length.
          Json meta{{"path", "profile." + path}, {"type", json_type(*value)}, {"placeholder", "{{ref." + handle + "}}"}};
          if (!vc_id.empty()) meta["vc_id"] = vc_id;
          std::vector<std::pair<std::string_view, Val>> fields;
          fields.emplace_back("handle", Val::string(handle));
          fields.emplace_back("metadata", runtime::bytes_to_val(common::to_bytes(meta.dump())));
          out.emplace_back(wc::Record(std::move(fields)));
        }
        return set_result(r, ok_val(Val(wc::List(std::move(out)))));
      }};
  return iface;
}

}  // namespace t3n::host
