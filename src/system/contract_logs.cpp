#include "system/contract_logs.h"

#include <algorithm>

#include "common/bytes.h"

namespace t3n::system {

namespace {

Bytes head_key(std::uint32_t contract_id) {
  Bytes k;
  common::append_u32_be(k, contract_id);
  return k;
}

Bytes entry_key(std::uint32_t contract_id, std::uint64_t seq) {
  Bytes k = head_key(contract_id);
  common::append_u64_be(k, seq);
  return k;
}

std::uint64_t read_u64(ByteView b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = at; i < at + 8; ++i) v = (v << 8) | b[i];
  return v;
}

struct Head {
  std::uint64_t first = 0;  // oldest kept
  std::uint64_t next = 0;   // the next line's seq
};

Result<Head> read_head(store::Transaction& tx, std::uint32_t contract_id) {
  T3N_ASSIGN_OR_RETURN(auto raw, kContractLogHeads.in(tx).get(head_key(contract_id)));
  if (!raw) return Head{};
  if (raw->size() != 16) return common::data_loss("contract log head is malformed");
  return Head{read_u64(*raw, 0), read_u64(*raw, 8)};
}

int level_rank(std::string_view level) {
  if (level == "debug") return 0;
  if (level == "info") return 1;
  return 2;
}

// "info: text" → (info, text); stdout counts as info, stderr as error.
std::pair<std::string, std::string> split_line(const std::string& line) {
  const auto colon = line.find(": ");
  std::string stream = colon == std::string::npos ? "info" : line.substr(0, colon);
  std::string text = colon == std::string::npos ? line : line.substr(colon + 2);
  if (stream == "stdout") stream = "info";
  if (stream == "stderr") stream = "error";
  if (stream != "debug" && stream != "info" && stream != "error") return {"info", line};
  return {stream, text};
}

}  // namespace

Status ensure_contract_log_tables(store::Store& store) {
  return store::ensure_tables(store, kContractLogsTable, kContractLogHeads);
}

Status append_contract_logs(store::Transaction& tx, std::uint32_t contract_id, const std::vector<std::string>& lines,
                            std::uint64_t now_ms, std::uint64_t max_entries) {
  if (lines.empty() || max_entries == 0) return {};
  T3N_ASSIGN_OR_RETURN(Head head, read_head(tx, contract_id));
  auto logs = kContractLogsTable.in(tx);
  for (const auto& line : lines) {
    auto [level, text] = split_line(line);
    common::Json entry = {{"ts_ms", now_ms}, {"level", level}, {"message", text}, {"span_id", nullptr}};
    T3N_RETURN_IF_ERROR(logs.put(entry_key(contract_id, head.next), entry.dump(-1, ' ', false, common::Json::error_handler_t::replace)));
    ++head.next;
  }
  while (head.next - head.first > max_entries) {
    T3N_RETURN_IF_ERROR(logs.remove(entry_key(contract_id, head.first)).status());
    ++head.first;
  }
  Bytes raw;
  common::append_u64_be(raw, head.first);
  common::append_u64_be(raw, head.next);
  return kContractLogHeads.in(tx).put(head_key(contract_id), raw);
}

Result<common::Json> read_contract_logs(store::Transaction& tx, std::uint32_t contract_id,
                                        std::optional<std::uint64_t> since_seq, std::uint32_t limit,
                                        const std::string& min_level) {
  limit = std::clamp<std::uint32_t>(limit, 1, 500);
  const int min_rank = level_rank(min_level);
  T3N_ASSIGN_OR_RETURN(Head head, read_head(tx, contract_id));
  const std::uint64_t from = std::max(since_seq.value_or(head.first), head.first);
  // `truncated`: lines the caller asked for were already dropped from the ring.
  const bool truncated = since_seq && *since_seq < head.first;
  common::Json entries = common::Json::array();
  std::uint64_t seq = from;
  while (seq < head.next && entries.size() < limit) {
    const std::uint64_t batch = std::min<std::uint64_t>(head.next - seq, 256);
    T3N_ASSIGN_OR_RETURN(auto rows, kContractLogsTable.in(tx).scan(entry_key(contract_id, seq), entry_key(contract_id, head.next),
                                                                  static_cast<std::uint32_t>(batch)));
    if (rows.empty()) break;
    for (const auto& [key, text] : rows) {
      seq = read_u64(key, 4) + 1;
      auto j = common::parse_json(text);
      if (!j.ok()) return common::data_loss("a contract log entry does not parse");
      if (level_rank(j->value("level", "info")) >= min_rank) entries.push_back(*j);
      if (entries.size() == limit) break;
    }
  }
  return common::Json{{"entries", entries},
                      {"next_seq", seq < head.next ? common::Json(seq) : common::Json(nullptr)},
                      {"truncated", truncated}};
}

}  // namespace t3n::system
