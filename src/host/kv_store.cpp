// host:interfaces/kv-store@2.1.0 — the contract's maps. Every read and write
// joins the call's optimistic transaction; ACLs and `z:<tid>:` scoping are
// the store's (the transaction runs as the contract's principal).
#include "host/host.h"
#include "host/util.h"

namespace t3n::host {
namespace {

// Store errors become the interface's err(string); they name maps, never keys or values.
Val store_error(const Status& s) { return err_string(std::string(common::error_code_name(s.code())) + ": " + s.message()); }

Status no_tx(ValArgs& results) { return set_result(results, err_string("no transaction for this call")); }

}  // namespace

runtime::HostInterface kv_store_interface() {
  runtime::HostInterface iface{"host:interfaces/kv-store@2.1.0", "kv_store", {}};
  iface.functions["get"] = {
      "func(map-name: string, key: list<u8>) -> result<option<list<u8>>, string>",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& results) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 2));
        T3N_ASSIGN_OR_RETURN(std::string map, arg_string(args, 0));
        T3N_ASSIGN_OR_RETURN(Bytes key, arg_bytes(args, 1));
        if (ctx.tx == nullptr) return no_tx(results);
        auto v = ctx.tx->get(map, key);
        if (!v.ok()) return set_result(results, store_error(v.status()));
        return set_result(results, ok_val(*v ? some(runtime::bytes_to_val(**v)) : none()));
      }};
  iface.functions["put"] = {
      "func(map-name: string, key: list<u8>, value: list<u8>) -> result<_, string>",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& results) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 3));
        T3N_ASSIGN_OR_RETURN(std::string map, arg_string(args, 0));
        T3N_ASSIGN_OR_RETURN(Bytes key, arg_bytes(args, 1));
        T3N_ASSIGN_OR_RETURN(Bytes value, arg_bytes(args, 2));
        if (ctx.tx == nullptr) return no_tx(results);
        Status s = ctx.tx->put(map, key, value);
        return set_result(results, s.ok() ? ok_unit() : store_error(s));
      }};
  iface.functions["delete"] = {
      "func(map-name: string, key: list<u8>) -> result<bool, string>",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& results) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 2));
        T3N_ASSIGN_OR_RETURN(std::string map, arg_string(args, 0));
        T3N_ASSIGN_OR_RETURN(Bytes key, arg_bytes(args, 1));
        if (ctx.tx == nullptr) return no_tx(results);
        auto existed = ctx.tx->remove(map, key);
        if (!existed.ok()) return set_result(results, store_error(existed.status()));
        return set_result(results, ok_val(Val(*existed)));
      }};
  iface.functions["set-claims-digest"] = {
      "func(digest: list<u8>) -> result<_, string>",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& results) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 1));
        T3N_ASSIGN_OR_RETURN(Bytes digest, arg_bytes(args, 0));
        if (ctx.tx == nullptr) return no_tx(results);
        Status s = ctx.tx->set_claims_digest(digest);
        return set_result(results, s.ok() ? ok_unit() : store_error(s));
      }};
  iface.functions["scan"] = {
      "func(map-name: string, start: list<u8>, end: list<u8>, limit: u32) -> result<list<tuple<list<u8>, list<u8>>>, "
      "string>",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& results) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 4));
        T3N_ASSIGN_OR_RETURN(std::string map, arg_string(args, 0));
        T3N_ASSIGN_OR_RETURN(Bytes start, arg_bytes(args, 1));
        T3N_ASSIGN_OR_RETURN(Bytes end, arg_bytes(args, 2));
        T3N_ASSIGN_OR_RETURN(std::uint32_t limit, arg_u32(args, 3));
        if (ctx.tx == nullptr) return no_tx(results);
        // A scan of the whole map is [start, end) with an empty end meaning "to the end".
        auto rows = ctx.tx->scan(map, start, end, std::min<std::uint32_t>(limit, 10'000));
        if (!rows.ok()) return set_result(results, store_error(rows.status()));
        std::vector<Val> items;
        items.reserve(rows->size());
        for (auto& [k, v] : *rows)
          items.emplace_back(wc::Tuple(std::vector<Val>{runtime::bytes_to_val(k), runtime::bytes_to_val(v)}));
        return set_result(results, ok_val(Val(wc::List(std::move(items)))));
      }};
  return iface;
}

}  // namespace t3n::host
