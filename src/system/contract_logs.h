// The per-contract log ring behind tee:tenant `contract-logs`: the lines a
// contract wrote through `logging` (and stdout/stderr), kept in a private
// system table — encrypted like all private state, readable only through
// its tenant — and bounded by the tenant's `log_max_entries` quota (0 =
// logging off, the production default).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "store/store.h"
#include "store/table.h"

namespace t3n::system {

inline constexpr store::TableDef<store::BytesCodec, store::StringCodec> kContractLogsTable{"contract_logs"};
inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kContractLogHeads{"contract_log_heads"};

Status ensure_contract_log_tables(store::Store& store);

// Appends the call's lines ("info: …", "stdout: …"), dropping the oldest
// entries beyond `max_entries`.
Status append_contract_logs(store::Transaction& tx, std::uint32_t contract_id, const std::vector<std::string>& lines,
                            std::uint64_t now_ms, std::uint64_t max_entries);

// {entries:[{ts_ms, level, message, span_id}], next_seq, truncated}: from
// `since_seq` (inclusive; default the oldest kept), at most `limit` (1..500),
// levels at or above `min_level` (debug < info < error).
Result<common::Json> read_contract_logs(store::Transaction& tx, std::uint32_t contract_id,
                                        std::optional<std::uint64_t> since_seq, std::uint32_t limit,
                                        const std::string& min_level);

}  // namespace t3n::system
