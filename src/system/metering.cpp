#include "system/metering.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "common/binary.h"
#include "common/encoding.h"
#include "identity/did.h"

namespace t3n::system {

namespace {

constexpr std::uint8_t kBalanceFormat = 1;
constexpr std::uint64_t kMaxAmount = std::uint64_t{1} << 62;  // far above any supply; sums cannot overflow

Bytes ledger_key(const Bytes& account, std::uint64_t seq_no) {
  Bytes k = account;
  common::append_u64_be(k, std::numeric_limits<std::uint64_t>::max() - seq_no);
  return k;
}

// A token ledger row is either one entry as JSON (mints, transfers, and
// charges written before charge groups) or a charge group: format byte,
// u64 timestamp_ms, u64 first seq_no, u8 n, then n × (u64 amount,
// string reason JSON). A group's key carries its newest seq_no.
constexpr std::uint8_t kChargeGroupFormat = 2;
constexpr std::size_t kMaxChargesPerRow = 16;

// The row's entries, newest first.
Result<std::vector<LedgerRow>> decode_ledger_row(const std::string& text) {
  std::vector<LedgerRow> out;
  if (!text.empty() && text[0] == '{') {
    auto j = common::parse_json(text);
    if (!j.ok() || !j->is_object()) return common::data_loss("a token ledger row does not parse");
    LedgerRow e;
    e.seq_no = j->value("seq_no", std::uint64_t{0});
    e.kind = j->value("kind", "");
    e.amount = j->value("amount", std::uint64_t{0});
    e.timestamp_ms = j->value("timestamp_ms", std::uint64_t{0});
    e.direction = j->value("direction", "");
    if (auto c = j->find("counterparty"); c != j->end() && c->is_string()) e.counterparty = c->get<std::string>();
    e.reason = j->value("reason", common::Json(nullptr));
    if (auto n = j->find("note"); n != j->end() && n->is_string()) e.note = n->get<std::string>();
    out.push_back(std::move(e));
    return out;
  }
  common::BinaryReader r(common::as_bytes(text), "token ledger row");
  T3N_ASSIGN_OR_RETURN(std::uint8_t format, r.u8());
  if (format != kChargeGroupFormat) return common::data_loss("unknown token ledger row format");
  T3N_ASSIGN_OR_RETURN(std::uint64_t ts, r.u64());
  T3N_ASSIGN_OR_RETURN(std::uint64_t first, r.u64());
  T3N_ASSIGN_OR_RETURN(std::uint8_t n, r.u8());
  for (std::uint8_t i = 0; i < n; ++i) {
    LedgerRow e{first + i, "charge", 0, ts, "out", std::nullopt, nullptr, std::nullopt};
    T3N_ASSIGN_OR_RETURN(e.amount, r.u64());
    T3N_ASSIGN_OR_RETURN(std::string reason, r.string(64 * 1024));
    if (!reason.empty()) {
      auto j = common::parse_json(reason);
      if (!j.ok()) return common::data_loss("a token ledger charge reason does not parse");
      e.reason = std::move(*j);
    }
    out.push_back(std::move(e));
  }
  T3N_RETURN_IF_ERROR(r.finish());
  std::reverse(out.begin(), out.end());
  return out;
}

std::uint64_t kib_price(std::uint64_t bytes, std::uint64_t per_kib) { return (bytes + 1023) / 1024 * per_kib; }

}  // namespace

Status insufficient_credit(const Bytes& account, std::uint64_t required, std::uint64_t available) {
  return Status(ErrorCode::kFailedPrecondition, "InsufficientCredit (account=" + identity::t3n_did(account) +
                                                    ", required=" + std::to_string(required) +
                                                    ", available=" + std::to_string(available) + ")");
}

Bytes BalanceRowCodec::encode(const BalanceRow& r) {
  common::BinaryWriter w;
  w.u8(kBalanceFormat);
  w.u64(r.available);
  w.u64(r.last_settled_seq_no);
  w.u64(r.version);
  return w.take();
}

Result<BalanceRow> BalanceRowCodec::decode(ByteView b) {
  common::BinaryReader r(b, "balance row");
  T3N_ASSIGN_OR_RETURN(std::uint8_t format, r.u8());
  if (format != kBalanceFormat) return common::invalid_argument("unknown balance row format");
  BalanceRow out;
  T3N_ASSIGN_OR_RETURN(out.available, r.u64());
  T3N_ASSIGN_OR_RETURN(out.last_settled_seq_no, r.u64());
  T3N_ASSIGN_OR_RETURN(out.version, r.u64());
  T3N_RETURN_IF_ERROR(r.finish());
  return out;
}

common::Json LedgerRow::to_json() const {
  return {{"seq_no", seq_no},
          {"kind", kind},
          {"amount", amount},
          {"timestamp_ms", timestamp_ms},
          {"direction", direction},
          {"counterparty", counterparty ? common::Json(*counterparty) : common::Json(nullptr)},
          {"reason", reason},
          {"note", note ? common::Json(*note) : common::Json(nullptr)}};
}

Status ensure_metering_tables(store::Store& store) { return store::ensure_tables(store, kBalancesTable, kTokenLedgerTable); }

Reservation::Reservation(Reservation&& o) noexcept
    : metering_(std::exchange(o.metering_, nullptr)), account_(std::move(o.account_)), amount_(o.amount_) {}
Reservation& Reservation::operator=(Reservation&& o) noexcept {
  if (this != &o) {
    release();
    metering_ = std::exchange(o.metering_, nullptr);
    account_ = std::move(o.account_);
    amount_ = o.amount_;
  }
  return *this;
}
Reservation::~Reservation() { release(); }
void Reservation::release() {
  if (metering_ != nullptr) std::exchange(metering_, nullptr)->release(account_, amount_);
}

std::uint64_t Metering::reserve_for(std::uint64_t fuel_limit) const {
  const std::uint64_t per = std::max<std::uint64_t>(pricing_.fuel_per_unit, 1);
  return pricing_.invocation + (fuel_limit + per - 1) / per;
}

Result<Reservation> Metering::reserve(store::Store& store, const Bytes& account, std::uint64_t amount) {
  auto tx = store.begin(store::Principal::system());
  return reserve(tx, account, amount);
}

Result<Reservation> Metering::reserve(store::Transaction& tx, const Bytes& account, std::uint64_t amount) {
  T3N_ASSIGN_OR_RETURN(BalanceRow row, balance(tx, account));
  std::lock_guard lock(mu_);
  std::uint64_t& held = reserved_[account];
  const std::uint64_t free = row.available > held ? row.available - held : 0;
  if (free < amount) {
    if (held == 0) reserved_.erase(account);
    return insufficient_credit(account, amount, free);
  }
  held += amount;
  return Reservation(this, account, amount);
}

void Metering::release(const Bytes& account, std::uint64_t amount) {
  std::lock_guard lock(mu_);
  auto it = reserved_.find(account);
  if (it == reserved_.end()) return;
  it->second -= std::min(it->second, amount);
  if (it->second == 0) reserved_.erase(it);
}

std::uint64_t Metering::reserved(const Bytes& account) const {
  std::lock_guard lock(mu_);
  auto it = reserved_.find(account);
  return it == reserved_.end() ? 0 : it->second;
}

namespace {
// A JSON object's text from fields in order; strings escaped by the JSON library.
class ReasonText {
 public:
  explicit ReasonText(std::string_view kind) { str("kind", kind); }
  ReasonText& str(std::string_view key, std::string_view value) {
    field(key);
    text_ += common::Json(value).dump(-1, ' ', false, common::Json::error_handler_t::replace);
    return *this;
  }
  ReasonText& num(std::string_view key, std::uint64_t value) {
    field(key);
    text_ += std::to_string(value);
    return *this;
  }
  std::string take() { return std::move(text_) + "}"; }

 private:
  void field(std::string_view key) {
    text_ += text_.empty() ? "{\"" : ",\"";
    text_ += key;  // keys are fixed identifiers
    text_ += "\":";
  }
  std::string text_;
};
}  // namespace

common::Json Charge::reason_json() const {
  if (reason.empty()) return nullptr;
  auto j = common::parse_json(reason);
  return j.ok() ? std::move(*j) : common::Json(nullptr);
}

std::vector<Charge> Metering::price(const CallUsage& u) const {
  std::vector<Charge> out;
  const std::uint64_t per = std::max<std::uint64_t>(pricing_.fuel_per_unit, 1);
  const std::uint64_t fuel_tokens = (u.fuel + per - 1) / per;
  const std::uint64_t host_tokens = u.host_calls * pricing_.host_call;
  out.emplace_back(pricing_.invocation + fuel_tokens + host_tokens, ReasonText("invocation")
                                                                        .str("script_name", u.script_name)
                                                                        .str("function", u.function)
                                                                        .num("fuel_consumed", u.fuel)
                                                                        .num("fuel_tokens", fuel_tokens)
                                                                        .num("host_call_count", u.host_calls)
                                                                        .num("host_call_tokens", host_tokens)
                                                                        .take());
  for (const auto& [map, bytes] : u.kv_bytes)
    if (const auto amount = kib_price(bytes, pricing_.kv_kib); amount > 0)
      out.emplace_back(amount, ReasonText("kv_bytes").str("map", map).take());
  if (const auto amount = kib_price(u.cas_bytes, pricing_.cas_kib); amount > 0)
    out.emplace_back(amount, ReasonText("cas_bytes").str("backend", "cas").take());
  if (!u.outbox_upstreams.empty()) {
    const std::uint64_t amount =
        u.outbox_upstreams.size() * pricing_.outbox_request + kib_price(u.outbox_bytes, pricing_.outbox_kib);
    out.emplace_back(amount, ReasonText("outbox_egress").str("upstream", u.outbox_upstreams.front()).take());
  }
  return out;
}

Result<BalanceRow> Metering::balance(store::Transaction& tx, const Bytes& account) const {
  T3N_ASSIGN_OR_RETURN(auto row, kBalancesTable.in(tx).get(account));
  return row.value_or(BalanceRow{});
}

Result<std::optional<Metering::Spendable>> Metering::spendable(store::Transaction& tx, const Bytes& account) const {
  T3N_ASSIGN_OR_RETURN(auto row, kBalancesTable.in(tx).get(account));
  if (!row) return std::optional<Spendable>{};
  const std::uint64_t held = reserved(account);
  return std::optional<Spendable>(Spendable{*row, row->available > held ? row->available - held : 0, held});
}

Status Metering::append(store::Transaction& tx, const Bytes& account, BalanceRow& row, LedgerRow entry) const {
  entry.seq_no = ++row.last_settled_seq_no;
  return kTokenLedgerTable.in(tx).put(ledger_key(account, entry.seq_no), entry.to_json().dump());
}

Status Metering::settle(store::Transaction& tx, const Bytes& account, const std::vector<Charge>& charges,
                        std::uint64_t now_ms) const {
  std::uint64_t total = 0;
  for (const auto& c : charges) total += std::min(c.amount, kMaxAmount);
  if (total == 0) return {};
  T3N_ASSIGN_OR_RETURN(BalanceRow row, balance(tx, account));
  if (row.available < total) return insufficient_credit(account, total, row.available);
  row.available -= total;
  // A call's charges share one row (one key, one leaf) of up to
  // kMaxChargesPerRow entries, keyed by its newest seq_no.
  std::vector<const Charge*> group;
  auto flush = [&]() -> Status {
    if (group.empty()) return {};
    const std::uint64_t first = row.last_settled_seq_no + 1;
    row.last_settled_seq_no += group.size();
    common::BinaryWriter w;
    w.u8(kChargeGroupFormat);
    w.u64(now_ms);
    w.u64(first);
    w.u8(static_cast<std::uint8_t>(group.size()));
    for (const Charge* c : group) {
      w.u64(c->amount);
      w.string(c->reason);
    }
    group.clear();
    return kTokenLedgerTable.in(tx).put(ledger_key(account, row.last_settled_seq_no), common::to_string(w.take()));
  };
  for (const auto& c : charges) {
    if (c.amount == 0) continue;
    group.push_back(&c);
    if (group.size() == kMaxChargesPerRow) T3N_RETURN_IF_ERROR(flush());
  }
  T3N_RETURN_IF_ERROR(flush());
  ++row.version;
  return kBalancesTable.in(tx).put(account, row);
}

Status Metering::mint(store::Transaction& tx, const Bytes& account, std::uint64_t amount, const std::string& note,
                      std::uint64_t now_ms) const {
  if (amount == 0 || amount > kMaxAmount) return common::invalid_argument("mint amount out of range");
  T3N_ASSIGN_OR_RETURN(BalanceRow row, balance(tx, account));
  if (row.available > kMaxAmount - amount) return common::invalid_argument("balance would overflow");
  row.available += amount;
  T3N_RETURN_IF_ERROR(append(tx, account, row, {0, "mint", amount, now_ms, "in", std::nullopt, nullptr, note}));
  ++row.version;
  return kBalancesTable.in(tx).put(account, row);
}

Status Metering::transfer(store::Transaction& tx, const Bytes& from, const Bytes& to, std::uint64_t amount,
                          const std::string& note, std::uint64_t now_ms) const {
  if (amount == 0 || amount > kMaxAmount) return common::invalid_argument("transfer amount out of range");
  if (from == to) return common::invalid_argument("a transfer needs two different accounts");
  T3N_ASSIGN_OR_RETURN(BalanceRow src, balance(tx, from));
  if (src.available < amount) return insufficient_credit(from, amount, src.available);
  T3N_ASSIGN_OR_RETURN(BalanceRow dst, balance(tx, to));
  if (dst.available > kMaxAmount - amount) return common::invalid_argument("balance would overflow");
  src.available -= amount;
  dst.available += amount;
  T3N_RETURN_IF_ERROR(
      append(tx, from, src, {0, "transfer", amount, now_ms, "out", identity::t3n_did(to), nullptr, note}));
  T3N_RETURN_IF_ERROR(append(tx, to, dst, {0, "transfer", amount, now_ms, "in", identity::t3n_did(from), nullptr, note}));
  ++src.version;
  ++dst.version;
  T3N_RETURN_IF_ERROR(kBalancesTable.in(tx).put(from, src));
  return kBalancesTable.in(tx).put(to, dst);
}

Result<common::Json> Metering::usage_page(store::Transaction& tx, const Bytes& account, std::uint32_t limit,
                                          std::optional<std::uint64_t> after_seq,
                                          const std::vector<std::string>& kinds) const {
  limit = std::clamp<std::uint32_t>(limit, 1, 200);
  T3N_ASSIGN_OR_RETURN(auto funds, spendable(tx, account));
  const Spendable now = funds.value_or(Spendable{});
  common::Json entries = common::Json::array();
  constexpr std::uint64_t kTop = std::numeric_limits<std::uint64_t>::max();
  // A group holding the cursor's entry is keyed by a seq_no at most
  // kMaxChargesPerRow - 1 above it: start there and skip what is newer.
  const std::uint64_t upper = after_seq ? *after_seq : kTop;
  Bytes start = ledger_key(account, upper > kTop - kMaxChargesPerRow ? kTop : upper + kMaxChargesPerRow - 1);
  Bytes end = account;
  common::append_u64_be(end, kTop);
  end.push_back(0);  // past every key of the account
  std::optional<std::uint64_t> next_cursor;
  std::optional<std::uint64_t> oldest_seen;
  bool exhausted = false;
  // Filtering by kind may skip rows: scan in bounded chunks until the page fills.
  const std::size_t chunk_rows = limit + 1;
  for (int chunk = 0; chunk < 50 && !next_cursor && !exhausted; ++chunk) {
    T3N_ASSIGN_OR_RETURN(auto rows, kTokenLedgerTable.in(tx).scan(start, end, chunk_rows));
    exhausted = rows.size() < chunk_rows;
    for (const auto& [key, text] : rows) {
      T3N_ASSIGN_OR_RETURN(auto row_entries, decode_ledger_row(text));
      for (auto& e : row_entries) {
        if (e.seq_no > upper) continue;
        if (entries.size() == limit) {
          next_cursor = e.seq_no;
          break;
        }
        oldest_seen = e.seq_no;
        if (kinds.empty() || std::find(kinds.begin(), kinds.end(), e.kind) != kinds.end()) entries.push_back(e.to_json());
      }
      if (next_cursor) break;
    }
    if (!rows.empty()) {
      start = rows.back().first;
      start.push_back(0);  // strictly after the last row read
    }
  }
  // The chunk budget ran out before the page filled: resume below what was read.
  if (!next_cursor && !exhausted && oldest_seen && *oldest_seen > 1) next_cursor = *oldest_seen - 1;
  return common::Json{{"balance",
                       {{"available", now.available},
                        {"reserved", now.reserved},
                        {"last_settled_seq_no", now.row.last_settled_seq_no},
                        {"version", now.row.version},
                        {"credit_exhausted", now.available == 0}}},
                      {"entries", entries},
                      {"next_cursor", next_cursor ? common::Json(*next_cursor) : common::Json(nullptr)}};
}

}  // namespace t3n::system
