#include "host/ledger_scan.h"

namespace t3n::host {

Result<common::Json> request_object(ByteView bytes) {
  if (bytes.empty()) return common::Json::object();
  auto j = common::parse_json(common::to_string(bytes), 8);
  if (!j.ok() || !j->is_object()) return common::invalid_argument("the request is not a JSON object");
  return std::move(*j);
}

Result<SeqnoRange> seqno_range(const common::Json& request, const store::Store& ledger, bool strict) {
  auto u64 = [&](const char* name, store::Seqno fallback) -> Result<store::Seqno> {
    if (!request.contains(name) || request[name].is_null()) return fallback;
    const auto& v = request[name];
    if (v.is_number_unsigned()) return v.get<store::Seqno>();
    if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return static_cast<store::Seqno>(v.get<std::int64_t>());
    return common::invalid_argument(std::string("'") + name + "': expected a non-negative integer");
  };
  const store::Seqno last = ledger.last_seqno();
  SeqnoRange r;
  T3N_ASSIGN_OR_RETURN(r.from, u64("from_seqno", 1));
  T3N_ASSIGN_OR_RETURN(r.to, u64("to_seqno", last));
  if (r.from == 0) r.from = 1;
  if (r.to > last) r.to = last;
  if (r.from > r.to + 1) return common::invalid_argument("from_seqno is after to_seqno");
  if (strict && r.to >= r.from && r.to - r.from + 1 > kMaxLedgerScan)
    return common::invalid_argument("a range of at most " + std::to_string(kMaxLedgerScan) + " entries per call");
  return r;
}

Status for_each_transaction(const store::Store& ledger, const SeqnoRange& range,
                            const std::function<bool(const store::LedgerEntry&, const store::TransactionBody&)>& visit) {
  for (store::Seqno s = range.from; s <= range.to && s != 0; ++s) {
    auto entry = ledger.entry(s);
    if (!entry.ok()) return entry.status();
    const auto* tx = std::get_if<store::TransactionBody>(&entry->body);
    if (tx == nullptr) continue;
    if (!visit(*entry, *tx)) break;
  }
  return {};
}

}  // namespace t3n::host
