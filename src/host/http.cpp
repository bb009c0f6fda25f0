// host:interfaces/http@2.1.0 — outbound HTTP(S) through the egress module
// (egress.h: allow list, SSRF checks, pinned address, redirects re-checked,
// timeouts, size cap). Failures are the interface's err(string): refusals
// start "egress-denied: ", upstream failures "upstream-error: ".
// A call inside a transaction is a side effect: when an OCC conflict makes
// the node re-run the contract, the request is sent again (the rerun starts
// from scratch). Exactly-once delivery is the outbox's job.
#include "host/host.h"
#include "host/http_values.h"

namespace t3n::host {

runtime::HostInterface http_interface(const Egress* egress) {
  runtime::HostInterface iface{"host:interfaces/http@2.1.0", "http", {}};
  iface.functions["call"] = {
      std::string("func(request: ") + kHttpRequestType + ") -> result<" + kHttpResponseType + ", string>",
      [egress](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 1));
        auto req = http_request_of(args[0]);
        if (!req.ok()) return set_result(r, err_string("egress-denied: " + req.status().message()));
        if (egress == nullptr) return set_result(r, err_string("egress-denied: this node has no egress configured"));
        static const std::vector<std::string> kNone;
        const auto& allow = ctx.manifest != nullptr ? ctx.manifest->http_allow_list : kNone;
        auto out = egress->send(*req, allow);
        ctx.egress_bytes += req->body.size() + (out.ok ? out.response.body.size() : 0);
        if (!out.ok)
          return set_result(r, err_string((out.error.kind == EgressError::Kind::kDenied ? "egress-denied: " : "upstream-error: ") +
                                          out.error.message));
        return set_result(r, ok_val(http_response_val(out.response)));
      }};
  return iface;
}

}  // namespace t3n::host
