// Reading the ledger for the system-only audit and analytics interfaces:
// bounded walks over committed entries that yield metadata (seqno, time,
// map names, operations, sizes) and never keys or values.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "common/json.h"
#include "common/status.h"
#include "store/store.h"

namespace t3n::host {

inline constexpr std::uint64_t kMaxLedgerScan = 10'000;  // entries per host call

struct SeqnoRange {
  store::Seqno from = 1;
  store::Seqno to = 0;  // inclusive
};

// {"from_seqno", "to_seqno"} of a request, clamped to the ledger; kInvalidArgument
// for a range wider than kMaxLedgerScan entries (when `strict`) or inverted.
Result<SeqnoRange> seqno_range(const common::Json& request, const store::Store& ledger, bool strict);

// Calls `visit` with each transaction entry of the range (signature
// entries skipped); stops early when it returns false.
Status for_each_transaction(const store::Store& ledger, const SeqnoRange& range,
                            const std::function<bool(const store::LedgerEntry&, const store::TransactionBody&)>& visit);

// The request bytes of audit.query / analytics.range as a JSON object (empty: {}).
Result<common::Json> request_object(ByteView bytes);

}  // namespace t3n::host
