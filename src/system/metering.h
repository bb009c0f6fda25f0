// Metering (SYSTEM-CONTRACTS.md "Metering"): balances per account in base
// units (10^6 per token), a token ledger of mints, charges and transfers,
// and the prices an operator sets. Balances change only inside
// transactions, so receipts prove them.
//
// A call's reserve is held in memory on the node that runs it (not in the
// store: a reserve that never commits must not cost a ledger entry); the
// settlement writes the balance and the ledger rows into the call's own
// transaction. Two calls paid by one account therefore meet on its balance
// row: the second one's commit conflicts and reruns (OCC), like two spends
// of one account anywhere.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"
#include "store/store.h"
#include "store/table.h"

namespace t3n::system {

inline constexpr std::uint64_t kBaseUnitsPerToken = 1'000'000;

// Operator prices, in base units ([metering] in node.toml).
struct Pricing {
  bool enabled = false;
  std::uint64_t contract_register = 1'000'000;  // per registered version
  std::uint64_t invocation = 100;               // per call
  std::uint64_t fuel_per_unit = 100'000;        // fuel bought by one base unit
  std::uint64_t host_call = 1;                  // per host call
  std::uint64_t kv_kib = 10;                    // per KiB written into tenant maps (key + value)
  std::uint64_t cas_kib = 5;                    // per KiB put into the CAS
  std::uint64_t outbox_request = 100;           // per outbox entry
  std::uint64_t outbox_kib = 1;                 // per KiB of outbox request body
  std::uint64_t welcome_credits = 100 * kBaseUnitsPerToken;  // dev self-admission
};

struct BalanceRow {
  std::uint64_t available = 0;
  std::uint64_t last_settled_seq_no = 0;  // the account's newest ledger entry (its seq_no)
  std::uint64_t version = 0;              // changes of this row
};
struct BalanceRowCodec {
  using Value = BalanceRow;
  static Bytes encode(const BalanceRow& r);
  static Result<BalanceRow> decode(ByteView b);
};

// One ledger entry as the account sees it (token.get-usage's UsageEntry).
struct LedgerRow {
  std::uint64_t seq_no = 0;
  std::string kind;  // mint | burn | charge | transfer
  std::uint64_t amount = 0;
  std::uint64_t timestamp_ms = 0;
  std::string direction;  // in | out
  std::optional<std::string> counterparty;
  common::Json reason;  // ChargeReason or null
  std::optional<std::string> note;
  common::Json to_json() const;
};

// Accounts are 20-byte DIDs (did:t3n:<40 hex>); ledger rows are keyed by
// account ‖ (2^64-1 - seq_no), so one forward scan pages newest first. A
// settled call's charges share one row (keyed by their newest seq_no), so a
// call adds one key to the ledger, not one per charge; reads expand it.
inline constexpr store::TableDef<store::BytesCodec, BalanceRowCodec> kBalancesTable{"token_balances"};
inline constexpr store::TableDef<store::BytesCodec, store::StringCodec> kTokenLedgerTable{"token_ledger"};

Status ensure_metering_tables(store::Store& store);

// One charge of a call or a registration.
// The reason is kept as its JSON text ({"kind": "invocation", …}): a call's
// charges are priced and stored on every metered call, and building JSON
// values for them cost more than the rest of settling.
struct Charge {
  std::uint64_t amount = 0;
  std::string reason;  // JSON object text, or empty for none
  Charge() = default;
  Charge(std::uint64_t a, std::string reason_text) : amount(a), reason(std::move(reason_text)) {}
  Charge(std::uint64_t a, const common::Json& reason_json)
      : amount(a), reason(reason_json.is_null() ? std::string() : reason_json.dump()) {}
  common::Json reason_json() const;
};

// What a finished call used, turned into charges by the price list.
struct CallUsage {
  std::string script_name;
  std::string function;
  std::uint64_t fuel = 0;
  std::uint64_t host_calls = 0;
  std::map<std::string, std::uint64_t> kv_bytes;  // per map
  std::uint64_t cas_bytes = 0;
  std::vector<std::string> outbox_upstreams;
  std::uint64_t outbox_bytes = 0;
};

class Metering;

// A call's reserve: held from before the call runs until it settles or
// fails; released when destroyed.
class Reservation {
 public:
  Reservation() = default;
  Reservation(Reservation&& o) noexcept;
  Reservation& operator=(Reservation&& o) noexcept;
  ~Reservation();
  std::uint64_t amount() const { return amount_; }
  bool active() const { return metering_ != nullptr; }

 private:
  friend class Metering;
  Reservation(Metering* m, Bytes account, std::uint64_t amount)
      : metering_(m), account_(std::move(account)), amount_(amount) {}
  void release();
  Metering* metering_ = nullptr;
  Bytes account_;
  std::uint64_t amount_ = 0;
};

class Metering {
 public:
  explicit Metering(Pricing pricing) : pricing_(pricing) {}
  const Pricing& pricing() const { return pricing_; }
  bool enabled() const { return pricing_.enabled; }

  // The most one call of `fuel_limit` can cost before its writes are known.
  std::uint64_t reserve_for(std::uint64_t fuel_limit) const;
  // Holds `amount` of `account`'s balance (read from a fresh snapshot) for a
  // call; InsufficientCredit when the balance less what other calls hold
  // cannot cover it.
  Result<Reservation> reserve(store::Store& store, const Bytes& account, std::uint64_t amount);
  // The same, reading the balance in `tx` (a snapshot the caller already holds).
  Result<Reservation> reserve(store::Transaction& tx, const Bytes& account, std::uint64_t amount);

  std::vector<Charge> price(const CallUsage& usage) const;

  // In `tx` (system access): takes every charge from `account`, one ledger
  // entry each (stored together in one row). InsufficientCredit (nothing written) if the balance cannot
  // cover them all.
  Status settle(store::Transaction& tx, const Bytes& account, const std::vector<Charge>& charges,
                std::uint64_t now_ms) const;
  // Adds `amount` to `account` (a mint: welcome credits, operator grants).
  Status mint(store::Transaction& tx, const Bytes& account, std::uint64_t amount, const std::string& note,
              std::uint64_t now_ms) const;
  // Moves `amount` between two accounts (an operator's token.transfer).
  Status transfer(store::Transaction& tx, const Bytes& from, const Bytes& to, std::uint64_t amount,
                  const std::string& note, std::uint64_t now_ms) const;

  // token.get-usage: the balance and a page of the account's ledger, newest
  // first. `after_seq`: the previous page's next_cursor (inclusive upper bound).
  Result<common::Json> usage_page(store::Transaction& tx, const Bytes& account, std::uint32_t limit,
                                  std::optional<std::uint64_t> after_seq, const std::vector<std::string>& kinds) const;
  Result<BalanceRow> balance(store::Transaction& tx, const Bytes& account) const;
  std::uint64_t reserved(const Bytes& account) const;
  // What `account` can spend now: its balance less what running calls hold.
  struct Spendable {
    BalanceRow row;
    std::uint64_t available = 0;
    std::uint64_t reserved = 0;
  };
  // nullopt: the account has never held a balance.
  Result<std::optional<Spendable>> spendable(store::Transaction& tx, const Bytes& account) const;

 private:
  friend class Reservation;
  void release(const Bytes& account, std::uint64_t amount);
  Status append(store::Transaction& tx, const Bytes& account, BalanceRow& row, LedgerRow entry) const;

  Pricing pricing_;
  mutable std::mutex mu_;
  std::map<Bytes, std::uint64_t> reserved_;
};

// "InsufficientCredit (account=did:t3n:…, required=…, available=…)".
Status insufficient_credit(const Bytes& account, std::uint64_t required, std::uint64_t available);

}  // namespace t3n::system
