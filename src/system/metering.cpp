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

std::vector<Charge> Metering::price(const CallUsage& u) const {
  std::vector<Charge> out;
  const std::uint64_t per = std::max<std::uint64_t>(pricing_.fuel_per_unit, 1);
  const std::uint64_t fuel_tokens = (u.fuel + per - 1) / per;
  const std::uint64_t host_tokens = u.host_calls * pricing_.host_call;
  out.push_back({pricing_.invocation + fuel_tokens + host_tokens,
                 {{"kind", "invocation"},
                  {"script_name", u.script_name},
                  {"function", u.function},
                  {"fuel_consumed", u.fuel},
                  {"fuel_tokens", fuel_tokens},
                  {"host_call_count", u.host_calls},
                  {"host_call_tokens", host_tokens}}});
  for (const auto& [map, bytes] : u.kv_bytes)
    if (const auto amount = kib_price(bytes, pricing_.kv_kib); amount > 0)
      out.push_back({amount, {{"kind", "kv_bytes"}, {"map", map}}});
  if (const auto amount = kib_price(u.cas_bytes, pricing_.cas_kib); amount > 0)
    out.push_back({amount, {{"kind", "cas_bytes"}, {"backend", "cas"}}});
  if (!u.outbox_upstreams.empty()) {
    const std::uint64_t amount =
        u.outbox_upstreams.size() * pricing_.outbox_request + kib_price(u.outbox_bytes, pricing_.outbox_kib);
    out.push_back({amount, {{"kind", "outbox_egress"}, {"upstream", u.outbox_upstreams.front()}}});
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
  for (const auto& c : charges) {
    if (c.amount == 0) continue;
    T3N_RETURN_IF_ERROR(append(tx, account, row, {0, "charge", c.amount, now_ms, "out", std::nullopt, c.reason, std::nullopt}));
  }
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
  Bytes start = ledger_key(account, after_seq ? *after_seq : std::numeric_limits<std::uint64_t>::max());
  Bytes end = account;
  common::append_u64_be(end, std::numeric_limits<std::uint64_t>::max());
  end.push_back(0);  // past every key of the account
  std::uint64_t next_cursor = 0;
  bool has_next = false;
  // Filtering by kind may skip rows: scan in bounded chunks until the page fills.
  for (int chunk = 0; chunk < 50 && entries.size() < limit; ++chunk) {
    T3N_ASSIGN_OR_RETURN(auto rows, kTokenLedgerTable.in(tx).scan(start, end, limit + 1));
    if (rows.empty()) break;
    bool more = rows.size() > limit;
    std::size_t used = 0;
    for (const auto& [key, text] : rows) {
      if (entries.size() == limit) break;
      ++used;
      auto j = common::parse_json(text);
      if (!j.ok()) return common::data_loss("a token ledger row does not parse");
      const std::string kind = j->value("kind", "");
      if (kinds.empty() || std::find(kinds.begin(), kinds.end(), kind) != kinds.end()) entries.push_back(*j);
    }
    // The next row after what was used is where the next scan (or page) starts.
    if (used < rows.size()) {
      const Bytes& k = rows[used].first;
      std::uint64_t inv = 0;
      for (std::size_t i = k.size() - 8; i < k.size(); ++i) inv = (inv << 8) | k[i];
      next_cursor = std::numeric_limits<std::uint64_t>::max() - inv;
      has_next = true;
      start = k;
    } else {
      has_next = false;
      if (!more) break;
    }
  }
  return common::Json{{"balance",
                       {{"available", now.available},
                        {"reserved", now.reserved},
                        {"last_settled_seq_no", now.row.last_settled_seq_no},
                        {"version", now.row.version},
                        {"credit_exhausted", now.available == 0}}},
                      {"entries", entries},
                      {"next_cursor", has_next ? common::Json(next_cursor) : common::Json(nullptr)}};
}

}  // namespace t3n::system
