// host:interfaces/consensus-trigger@2.1.0 (system-only). Linked so that a
// system contract importing it instantiates; each function answers an
// error that says why it cannot act on this node: there are no secondary
// indexes to backfill or activate, and distributed key generation belongs
// to the Raft cluster (issue 16) — a one-node cluster holds its keys alone.
// Nothing is pretended: no function reports success.
#include "host/host.h"
#include "host/util.h"

namespace t3n::host {

runtime::HostInterface consensus_trigger_interface() {
  runtime::HostInterface iface{"host:interfaces/consensus-trigger@2.1.0", "consensus_trigger", {}};
  auto refuse = [](const char* why) {
    return [why](runtime::CallContext&, const ValArgs& args, ValArgs& r) -> Status {
      T3N_RETURN_IF_ERROR(arity(args, 1));
      return set_result(r, err_string(why));
    };
  };
  const char* sig = "func(request: list<u8>) -> result<list<u8>, string>";
  iface.functions["indexing-backfill"] = {sig, refuse("indexing-backfill: this node keeps no secondary indexes to backfill")};
  iface.functions["indexing-activate"] = {sig, refuse("indexing-activate: this node keeps no secondary indexes to activate")};
  iface.functions["dkg-trigger"] = {sig, refuse("dkg-trigger: no distributed key generation on this node (its keys are derived from its own sealing root)")};
  return iface;
}

}  // namespace t3n::host
