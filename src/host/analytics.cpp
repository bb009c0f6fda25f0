// host:interfaces/analytics@2.1.0 (system-only) — aggregates of the ledger:
// transactions, writes (puts, removes, bytes written) per map over a seqno
// range. `range` computes one for a request's range (≤ 10 000 entries);
// `refresh` computes the aggregate of the last 10 000 entries and keeps it;
// `snapshot` answers the kept one (computing it the first time). Counts
// and sizes only, never keys or values.
#include <mutex>

#include "host/host.h"
#include "host/ledger_scan.h"
#include "host/util.h"

namespace t3n::host {
namespace {

Result<common::Json> aggregate(const store::Store& ledger, const SeqnoRange& range) {
  std::uint64_t transactions = 0, puts = 0, removes = 0, bytes = 0;
  std::map<std::string, std::uint64_t> per_map;
  T3N_RETURN_IF_ERROR(for_each_transaction(ledger, range, [&](const store::LedgerEntry&, const store::TransactionBody& body) {
    ++transactions;
    for (const auto& w : body.writes) {
      (w.value ? puts : removes) += 1;
      bytes += w.key.size() + (w.value ? w.value->size() : 0);
      ++per_map[w.map];
    }
    return true;
  }));
  return common::Json{{"from_seqno", range.from}, {"to_seqno", range.to},   {"transactions", transactions},
                      {"puts", puts},             {"removes", removes},     {"bytes_written", bytes},
                      {"writes_per_map", per_map}};
}

// The kept aggregate of refresh/snapshot, shared by the interface's functions.
struct Kept {
  std::mutex mu;
  std::optional<common::Json> latest;
};

Status answer(ValArgs& r, const Result<common::Json>& j) {
  if (!j.ok()) return set_result(r, err_string(j.status().message()));
  return set_result(r, ok_val(runtime::bytes_to_val(common::to_bytes(j->dump()))));
}

Result<common::Json> refresh(const store::Store& ledger, Kept& kept) {
  const store::Seqno last = ledger.last_seqno();
  SeqnoRange range{last > kMaxLedgerScan ? last - kMaxLedgerScan + 1 : 1, last};
  T3N_ASSIGN_OR_RETURN(common::Json j, aggregate(ledger, range));
  std::lock_guard lock(kept.mu);
  kept.latest = j;
  return j;
}

}  // namespace

runtime::HostInterface analytics_interface(const store::Store* ledger) {
  runtime::HostInterface iface{"host:interfaces/analytics@2.1.0", "analytics", {}};
  auto kept = std::make_shared<Kept>();
  const char* no_ledger = "this node has no ledger to aggregate";
  iface.functions["snapshot"] = {"func() -> result<list<u8>, string>",
                                 [ledger, kept, no_ledger](runtime::CallContext&, const ValArgs& args, ValArgs& r) -> Status {
                                   T3N_RETURN_IF_ERROR(arity(args, 0));
                                   if (ledger == nullptr) return set_result(r, err_string(no_ledger));
                                   {
                                     std::lock_guard lock(kept->mu);
                                     if (kept->latest) return answer(r, *kept->latest);
                                   }
                                   return answer(r, refresh(*ledger, *kept));
                                 }};
  iface.functions["refresh"] = {"func() -> result<list<u8>, string>",
                                [ledger, kept, no_ledger](runtime::CallContext&, const ValArgs& args, ValArgs& r) -> Status {
                                  T3N_RETURN_IF_ERROR(arity(args, 0));
                                  if (ledger == nullptr) return set_result(r, err_string(no_ledger));
                                  return answer(r, refresh(*ledger, *kept));
                                }};
  iface.functions["range"] = {"func(request: list<u8>) -> result<list<u8>, string>",
                              [ledger, no_ledger](runtime::CallContext&, const ValArgs& args, ValArgs& r) -> Status {
                                T3N_RETURN_IF_ERROR(arity(args, 1));
                                T3N_ASSIGN_OR_RETURN(Bytes raw, arg_bytes(args, 0));
                                if (ledger == nullptr) return set_result(r, err_string(no_ledger));
                                auto request = request_object(raw);
                                if (!request.ok()) return answer(r, request.status());
                                auto range = seqno_range(*request, *ledger, true);
                                if (!range.ok()) return answer(r, range.status());
                                return answer(r, aggregate(*ledger, *range));
                              }};
  return iface;
}

}  // namespace t3n::host
