// host:interfaces/contracts-call@2.1.0 — a synchronous call of another
// contract's export inside the caller's transaction. The host checks the
// manifest's row for (caller, target), the depth and reentrancy here; the
// node (CallContext::services) resolves and runs the target under a store
// savepoint, so an inner failure or trap discards only the inner writes.
#include "host/host.h"
#include "host/util.h"

namespace t3n::host {
namespace {

constexpr const char* kInvokeError =
    "variant { not-allowlisted(string), no-execution-context, target-unknown(string), depth-exceeded, "
    "reentrant(string), inner-failed(string), inner-trapped(string), encoding-failed(string) }";

const char* case_of(runtime::InvokeOutcome::Kind k) {
  using K = runtime::InvokeOutcome::Kind;
  switch (k) {
    case K::kNotAllowlisted: return "not-allowlisted";
    case K::kTargetUnknown: return "target-unknown";
    case K::kDepthExceeded: return "depth-exceeded";
    case K::kReentrant: return "reentrant";
    case K::kInnerFailed: return "inner-failed";
    case K::kInnerTrapped: return "inner-trapped";
    case K::kEncodingFailed: return "encoding-failed";
    case K::kOk: break;
  }
  return "inner-trapped";
}

}  // namespace

runtime::HostInterface contracts_call_interface() {
  runtime::HostInterface iface{"host:interfaces/contracts-call@2.1.0", "contracts_call", {}};
  iface.functions["invoke"] = {
      std::string("func(req: record { target-contract: string, function-name: string, input: list<u8> }) -> "
                  "result<list<u8>, ") +
          kInvokeError + ">",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 1));
        T3N_ASSIGN_OR_RETURN(auto f, record_fields(args[0], "req"));
        const Val* target_v = f["target-contract"];
        const Val* fn_v = f["function-name"];
        const Val* input_v = f["input"];
        if (target_v == nullptr || !target_v->is_string() || fn_v == nullptr || !fn_v->is_string() || input_v == nullptr)
          return common::invalid_argument("req: not an invoke-request");
        T3N_ASSIGN_OR_RETURN(Bytes input, runtime::val_to_bytes(*input_v, "req.input"));
        const std::string target(target_v->get_string());
        const std::string function(fn_v->get_string());
        auto fail = [&](const char* which, std::optional<std::string> detail) {
          return set_result(r, err_val(detail ? variant_case(which, *detail) : variant_case(which)));
        };
        if (ctx.services == nullptr || ctx.tx == nullptr || ctx.manifest == nullptr)
          return fail("no-execution-context", std::nullopt);
        const runtime::ContractCallGrant* grant = nullptr;
        for (const auto& g : ctx.manifest->contracts_call)
          if (g.target == target) grant = &g;
        if (grant == nullptr) return fail("not-allowlisted", target.substr(0, 256));
        bool allowed = false;
        for (const auto& name : grant->allowed_functions) allowed = allowed || name == function || name == "*";
        if (!allowed) return fail("not-allowlisted", target.substr(0, 256) + "#" + function.substr(0, 128));
        // Depth counts nested calls below the outermost contract.
        if (ctx.call_stack.size() > grant->max_depth) return fail("depth-exceeded", std::nullopt);
        runtime::InvokeOutcome out = ctx.services->invoke(ctx, target, function, input);
        if (out.kind == runtime::InvokeOutcome::Kind::kOk) return set_result(r, ok_val(runtime::bytes_to_val(out.output)));
        if (out.kind == runtime::InvokeOutcome::Kind::kDepthExceeded) return fail("depth-exceeded", std::nullopt);
        return fail(case_of(out.kind), out.detail);
      }};
  return iface;
}

}  // namespace t3n::host
