// Small helpers for reading host-call arguments and writing results.
#pragma once

#include <map>
#include <string>

#include "common/bytes.h"
#include "common/status.h"
#include "runtime/host_registry.h"
#include "runtime/values.h"

namespace t3n::host {

namespace wc = wasmtime::component;
using runtime::ValArgs;
using wc::Val;

inline Status arity(const ValArgs& args, std::size_t n) {
  if (args.size() != n) return common::invalid_argument("expected " + std::to_string(n) + " arguments");
  return {};
}
inline Result<std::string> arg_string(const ValArgs& args, std::size_t i) {
  if (i >= args.size() || !args[i].is_string()) return common::invalid_argument("argument " + std::to_string(i) + ": expected a string");
  return std::string(args[i].get_string());
}
inline Result<Bytes> arg_bytes(const ValArgs& args, std::size_t i) {
  if (i >= args.size()) return common::invalid_argument("missing argument " + std::to_string(i));
  return runtime::val_to_bytes(args[i], "argument " + std::to_string(i));
}
inline Result<std::uint32_t> arg_u32(const ValArgs& args, std::size_t i) {
  if (i >= args.size() || !args[i].is_u32()) return common::invalid_argument("argument " + std::to_string(i) + ": expected u32");
  return args[i].get_u32();
}

inline Val ok_unit() { return Val(wc::WitResult::ok(std::nullopt)); }
inline Val ok_val(Val v) { return Val(wc::WitResult::ok(std::move(v))); }
inline Val err_string(const std::string& message) { return Val(wc::WitResult::err(Val::string(message))); }
inline Val some(Val v) { return Val(wc::WitOption(std::move(v))); }
inline Val none() { return Val(wc::WitOption(std::nullopt)); }

// The typed error of every interface whose write the call's budget refuses.
inline std::string write_budget_error(const runtime::CallContext& ctx) {
  const auto& l = ctx.writes.limits();
  return "write budget for this call exhausted (" + std::to_string(l.max_bytes) + " bytes, " +
         std::to_string(l.max_entries) + " entries)";
}

// A record argument's fields by name (the WIT order is checked at deploy).
inline Result<std::map<std::string, const Val*, std::less<>>> record_fields(const Val& v, const std::string& what) {
  if (!v.is_record()) return common::invalid_argument(what + ": expected a record");
  std::map<std::string, const Val*, std::less<>> out;
  for (const auto& f : v.get_record()) out.emplace(std::string(f.name()), &f.value());
  return out;
}
inline Val variant_case(const char* name) { return Val(wc::Variant(name, std::nullopt)); }
inline Val variant_case(const char* name, const std::string& payload) { return Val(wc::Variant(name, Val::string(payload))); }
inline Val err_val(Val v) { return Val(wc::WitResult::err(std::move(v))); }

inline Status set_result(ValArgs& results, Val v) {
  if (results.size() != 1) return common::internal_error("host function result arity");
  results[0] = std::move(v);
  return {};
}

}  // namespace t3n::host
