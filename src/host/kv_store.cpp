// host:interfaces/kv-store@2.1.0 — the contract's maps. Every read and write
// joins the call's optimistic transaction; ACLs and `z:<tid>:` scoping are
// the store's (the transaction runs as the contract's principal). Writes
// count against the call's write budget; scans are bounded in rows and bytes.
#include "host/host.h"
#include "host/util.h"

namespace t3n::host {
namespace {

// A scan returns at most this many rows and this many key+value bytes. The
// WIT result cannot say "truncated", so a scan that would exceed either is
// the typed error (never a silently short list a paginating contract would
// take for the end); the contract asks again with a smaller `limit`.
constexpr std::size_t kMaxScanRows = 10'000;
constexpr std::size_t kMaxScanBytes = 4 * 1024 * 1024;
// Rows fetched from the store per step, so a scan holds at most a few rows
// beyond the byte bound in host memory while it checks (values ≤ 16 MiB).
constexpr std::uint32_t kScanStepRows = 4;

// Budget entries: one space per map, as the contract named it.
std::string write_space(std::string_view map) { return "kv/" + std::string(map); }

// Store errors become the interface's err(string); they name maps, never keys or values.
Val store_error(const Status& s) { return err_string(std::string(common::error_code_name(s.code())) + ": " + s.message()); }

// A bare map name ("orders") is the contract's own tenant map
// (z:<tid>:orders), as older T3N contracts write it; "z:…" names pass as given.
std::string own_map(const runtime::CallContext& ctx, std::string map) {
  if (map.rfind("z:", 0) == 0 || ctx.tenant_tid.empty() || map.empty()) return map;
  return "z:" + ctx.tenant_tid + ":" + map;
}

Status no_tx(ValArgs& results) { return set_result(results, err_string("no transaction for this call")); }

}  // namespace

runtime::HostInterface kv_store_interface() {
  runtime::HostInterface iface{"host:interfaces/kv-store@2.1.0", "kv_store", {}};
  iface.functions["get"] = {
      "func(map-name: string, key: list<u8>) -> result<option<list<u8>>, string>",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& results) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 2));
        T3N_ASSIGN_OR_RETURN(std::string map, arg_string(args, 0));
        map = own_map(ctx, std::move(map));
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
        map = own_map(ctx, std::move(map));
        T3N_ASSIGN_OR_RETURN(Bytes key, arg_bytes(args, 1));
        T3N_ASSIGN_OR_RETURN(Bytes value, arg_bytes(args, 2));
        if (ctx.tx == nullptr) return no_tx(results);
        const std::string space = write_space(map);
        const std::size_t size = map.size() + key.size() + value.size();
        if (!ctx.writes.fits(space, key, size)) return set_result(results, err_string(write_budget_error(ctx)));
        Status s = ctx.tx->put(map, key, value);
        if (s.ok()) ctx.writes.record(space, key, size);
        return set_result(results, s.ok() ? ok_unit() : store_error(s));
      }};
  iface.functions["delete"] = {
      "func(map-name: string, key: list<u8>) -> result<bool, string>",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& results) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 2));
        T3N_ASSIGN_OR_RETURN(std::string map, arg_string(args, 0));
        map = own_map(ctx, std::move(map));
        T3N_ASSIGN_OR_RETURN(Bytes key, arg_bytes(args, 1));
        if (ctx.tx == nullptr) return no_tx(results);
        // A delete is a write-set entry too (a tombstone).
        const std::string space = write_space(map);
        const std::size_t size = map.size() + key.size();
        if (!ctx.writes.fits(space, key, size)) return set_result(results, err_string(write_budget_error(ctx)));
        auto existed = ctx.tx->remove(map, key);
        if (!existed.ok()) return set_result(results, store_error(existed.status()));
        ctx.writes.record(space, key, size);
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
        map = own_map(ctx, std::move(map));
        T3N_ASSIGN_OR_RETURN(Bytes start, arg_bytes(args, 1));
        T3N_ASSIGN_OR_RETURN(Bytes end, arg_bytes(args, 2));
        T3N_ASSIGN_OR_RETURN(std::uint32_t limit, arg_u32(args, 3));
        if (ctx.tx == nullptr) return no_tx(results);
        if (limit == 0) return set_result(results, err_string("invalid_argument: scan limit must be greater than 0"));
        // [start, end) with an empty end meaning "to the end", fetched in
        // small steps; one row beyond kMaxScanRows tells "more" from "exactly".
        const std::size_t want = std::min<std::size_t>(limit, kMaxScanRows + 1);
        std::vector<Val> items;
        std::size_t bytes = 0;
        Bytes cursor = start;
        while (items.size() < want) {
          const auto step = static_cast<std::uint32_t>(std::min<std::size_t>(kScanStepRows, want - items.size()));
          auto rows = ctx.tx->scan(map, cursor, end, step);
          if (!rows.ok()) return set_result(results, store_error(rows.status()));
          for (auto& [k, v] : *rows) {
            bytes += k.size() + v.size();
            if (bytes > kMaxScanBytes)
              return set_result(results, err_string("scan result larger than " + std::to_string(kMaxScanBytes) +
                                                    " bytes: ask for fewer rows"));
            items.emplace_back(wc::Tuple(std::vector<Val>{runtime::bytes_to_val(k), runtime::bytes_to_val(v)}));
          }
          if (rows->size() < step) break;
          cursor = rows->back().first;
          cursor.push_back(0);  // the next key after the last one returned
        }
        if (items.size() > kMaxScanRows)
          return set_result(results, err_string("scan of more than " + std::to_string(kMaxScanRows) +
                                                " rows: ask for at most that many"));
        return set_result(results, ok_val(Val(wc::List(std::move(items)))));
      }};
  return iface;
}

}  // namespace t3n::host
