// host:interfaces/logging@2.1.0 — contract log lines, tagged with tenant,
// contract and request id, size-limited per line and per call.
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

}  // namespace

runtime::HostInterface logging_interface() {
  runtime::HostInterface iface{"host:interfaces/logging@2.1.0", "logging", {}};
  iface.functions["info"] = level("info");
  iface.functions["debug"] = level("debug");
  iface.functions["error"] = level("error");
  return iface;
}

}  // namespace t3n::host
