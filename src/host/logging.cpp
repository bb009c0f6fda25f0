// host:interfaces/logging@2.1.0 — contract log lines, tagged with tenant,
// contract and request id, size-limited per line and per call; and audit,
// the contract's events in the dispatch's host-stamped audit batch.
#include "host/host.h"
#include "host/util.h"

namespace t3n::host {
namespace {

runtime::HostFunction level(const char* name) {
  return {"func(message: string) -> result<_, string>",
          [name](runtime::CallContext& ctx, const ValArgs& args, ValArgs& results) -> Status {
            T3N_RETURN_IF_ERROR(arity(args, 1));
            T3N_ASSIGN_OR_RETURN(std::string message, arg_string(args, 0));
            if (ctx.contract_log_bytes >= runtime::kMaxLogBytesPerCall)
              return set_result(results, err_string("log limit for this call reached"));
            if (message.size() > runtime::kMaxLogLineBytes) message.resize(runtime::kMaxLogLineBytes);
            std::string line = std::string(name) + ": " + message;
            ctx.contract_log_bytes += line.size();
            ctx.contract_log.push_back(std::move(line));
            return set_result(results, ok_unit());
          }};
}

// audit(action, target, outcome, details?): one contract-supplied event of
// the dispatch's audit batch; subject, actor, vc_id and time are the host's.
constexpr std::size_t kMaxContractAuditEvents = 15;  // the batch holds 16 with the host's own
constexpr std::size_t kMaxAuditField = 128;
constexpr std::size_t kMaxAuditDetails = 1024;

runtime::HostFunction audit() {
  return {"func(action: string, target: string, outcome: string, details: option<string>) -> result<_, string>",
          [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& results) -> Status {
            T3N_RETURN_IF_ERROR(arity(args, 4));
            runtime::CallContext::AuditEvent e;
            T3N_ASSIGN_OR_RETURN(e.action, arg_string(args, 0));
            T3N_ASSIGN_OR_RETURN(e.target, arg_string(args, 1));
            T3N_ASSIGN_OR_RETURN(e.outcome, arg_string(args, 2));
            if (!args[3].is_option()) return common::invalid_argument("audit: details must be option<string>");
            if (const Val* d = args[3].get_option().value(); d != nullptr) {
              if (!d->is_string()) return common::invalid_argument("audit: details must be option<string>");
              e.details = std::string(d->get_string());
            }
            for (const std::string* f : {&e.action, &e.target, &e.outcome})
              if (f->empty() || f->size() > kMaxAuditField)
                return set_result(results, err_string("action, target and outcome are 1..128 bytes"));
            if (e.details && e.details->size() > kMaxAuditDetails) return set_result(results, err_string("details are at most 1024 bytes"));
            if (ctx.audit_events.size() >= kMaxContractAuditEvents)
              return set_result(results, err_string("at most 15 audit events per call"));
            ctx.audit_events.push_back(std::move(e));
            return set_result(results, ok_unit());
          }};
}

}  // namespace

runtime::HostInterface logging_interface() {
  runtime::HostInterface iface{"host:interfaces/logging@2.1.0", "logging", {}};
  iface.functions["info"] = level("info");
  iface.functions["debug"] = level("debug");
  iface.functions["error"] = level("error");
  iface.functions["audit"] = audit();
  return iface;
}

}  // namespace t3n::host
