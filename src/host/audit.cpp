// host:interfaces/audit@2.1.0 (system-only) — transaction history from the
// ledger by seqno range, map and DID: each matching transaction's seqno,
// cluster time and the maps it wrote with the operation, never a key or a
// value. A DID matches writes to rows keyed by that user's id (the
// identity tables: users' data, wallets, delegations, keys).
#include "common/encoding.h"
#include "host/host.h"
#include "host/ledger_scan.h"
#include "host/util.h"

namespace t3n::host {
namespace {

constexpr std::uint64_t kMaxResults = 500;

Result<std::optional<Bytes>> did_filter(const common::Json& request) {
  if (!request.contains("did") || request["did"].is_null()) return std::optional<Bytes>();
  if (!request["did"].is_string()) return common::invalid_argument("'did': expected a string");
  std::string text = request["did"].get<std::string>();
  if (text.rfind("did:t3n:", 0) == 0) text = text.substr(8);
  auto id = common::hex_decode_canonical(text, 20);
  if (!id.ok()) return common::invalid_argument("'did': expected did:t3n:<40 hex>");
  return std::optional<Bytes>(std::move(*id));
}

}  // namespace

runtime::HostInterface audit_interface(const store::Store* ledger) {
  runtime::HostInterface iface{"host:interfaces/audit@2.1.0", "audit", {}};
  iface.functions["query"] = {
      "func(request: list<u8>) -> result<list<u8>, string>",
      [ledger](runtime::CallContext&, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 1));
        T3N_ASSIGN_OR_RETURN(Bytes raw, arg_bytes(args, 0));
        auto fail = [&](const Status& s) { return set_result(r, err_string(s.message())); };
        if (ledger == nullptr) return set_result(r, err_string("this node has no ledger to query"));
        auto request = request_object(raw);
        if (!request.ok()) return fail(request.status());
        auto range = seqno_range(*request, *ledger, false);
        if (!range.ok()) return fail(range.status());
        auto did = did_filter(*request);
        if (!did.ok()) return fail(did.status());
        std::optional<std::string> map;
        if (request->contains("map") && !(*request)["map"].is_null()) {
          if (!(*request)["map"].is_string()) return set_result(r, err_string("'map': expected a string"));
          map = (*request)["map"].get<std::string>();
        }
        std::uint64_t limit = 100;
        if (request->contains("limit")) {
          const auto& l = (*request)["limit"];
          if (!l.is_number_unsigned() || l.get<std::uint64_t>() == 0 || l.get<std::uint64_t>() > kMaxResults)
            return set_result(r, err_string("'limit': 1..500"));
          limit = l.get<std::uint64_t>();
        }
        common::Json entries = common::Json::array();
        std::uint64_t scanned = 0;
        std::optional<store::Seqno> next;
        Status walked = for_each_transaction(*ledger, *range, [&](const store::LedgerEntry& e, const store::TransactionBody& body) {
          if (scanned == kMaxLedgerScan || entries.size() == limit) {
            next = e.seqno;  // where the next page starts
            return false;
          }
          ++scanned;
          common::Json writes = common::Json::array();
          for (const auto& w : body.writes) {
            if (map && w.map != *map) continue;
            if (*did && (w.key.size() < 20 || !std::equal((*did)->begin(), (*did)->end(), w.key.begin()))) continue;
            writes.push_back({{"map", w.map}, {"op", w.value ? "put" : "remove"}});
          }
          if (!writes.empty() || (!map && !*did && body.writes.empty()))
            entries.push_back({{"seqno", e.seqno}, {"timestamp_ms", e.timestamp_ms}, {"writes", std::move(writes)}});
          return true;
        });
        if (!walked.ok()) return set_result(r, err_string("the ledger could not be read"));
        const common::Json out = {{"entries", std::move(entries)},
                                  {"next_seqno", next ? common::Json(*next) : common::Json(nullptr)},
                                  {"scanned", scanned}};
        return set_result(r, ok_val(runtime::bytes_to_val(common::to_bytes(out.dump()))));
      }};
  return iface;
}

}  // namespace t3n::host
