// The state store: named byte→byte maps with ACLs, optimistic transactions
// over MVCC snapshots, an encrypted ledger in RocksDB, a history tree with
// signed receipts and a state tree with proofs.
//
// Model (CCF-like): the current state lives in memory; the ledger of
// committed write-sets is the durable, encrypted source of truth, written
// atomically per batch; opening a store replays and authenticates it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ed25519.h"
#include "crypto/mldsa.h"
#include "store/ledger_entry.h"
#include "store/receipt.h"
#include "store/state_tree.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace t3n::store {

enum class Visibility : std::uint8_t { kPrivate = 0, kPublic = 1 };

// What keys a contract may write into a map (tenants' key validators):
// checked on every contract write, linear in the key (no regular
// expressions, so no pathological keys).
struct KeyRule {
  enum class Charset : std::uint8_t { kAny = 0, kAlnum = 1, kHex = 2, kPrintable = 3 };
  std::string prefix;
  std::uint32_t max_len = 0;  // 0 = the store's own key limit
  Charset charset = Charset::kAny;
  bool operator==(const KeyRule&) const = default;
  bool empty() const { return prefix.empty() && max_len == 0 && charset == Charset::kAny; }
  Status check(ByteView key) const;
};

struct MapSpec {
  MapSpec() = default;
  MapSpec(std::string n, Visibility v, std::vector<std::uint32_t> w, std::vector<std::uint32_t> r)
      : name(std::move(n)), visibility(v), writers(std::move(w)), readers(std::move(r)) {}
  std::string name;
  Visibility visibility = Visibility::kPrivate;
  std::vector<std::uint32_t> writers;  // contract ids
  std::vector<std::uint32_t> readers;  // empty = same as writers (unless readers_listed)
  // Tenant maps (tee:tenant): "all" = every contract of the map's tenant;
  // readers_listed = `readers` is the list even when empty (deny all).
  bool any_writer = false;
  bool any_reader = false;
  bool readers_listed = false;
  // Contracts of other tenants granted access (map-update's extra grants).
  std::vector<std::uint32_t> extra_readers;
  std::vector<std::uint32_t> extra_writers;
  KeyRule key_rule;
  bool operator==(const MapSpec&) const = default;
};

// Who runs a transaction: the node itself (system maps, map creation,
// bypasses ACLs) or a contract of a tenant (ACLs and `z:<tid>:` scoping).
class Principal {
 public:
  static Principal system() { return Principal(); }
  static Principal contract(std::uint32_t contract_id, std::string tenant_tid) {
    Principal p;
    p.system_ = false;
    p.contract_id_ = contract_id;
    p.tenant_tid_ = std::move(tenant_tid);
    return p;
  }
  bool is_system() const { return system_; }
  std::uint32_t contract_id() const { return contract_id_; }
  const std::string& tenant_tid() const { return tenant_tid_; }

 private:
  Principal() = default;
  bool system_ = true;
  std::uint32_t contract_id_ = 0;
  std::string tenant_tid_;
};

// Validates a map name: tenant maps `z:<40 lowercase hex>:<tail>` (public
// when the tail starts with `public:`), or system maps `[a-z0-9_.:-]+`.
Status validate_map_name(std::string_view name);
bool is_tenant_map(std::string_view name);

struct LedgerSecret {
  std::uint32_t epoch = 0;
  SecretBytes secret;  // ≥ 32 bytes of key material
};

struct NodeSigningKeys {
  crypto::Ed25519PrivateKey ed25519;
  crypto::MlDsa65KeyPair mldsa;
};

struct CommitInfo {
  Seqno seqno = 0;  // for a read-only transaction: its snapshot
  bool wrote = false;
};

struct StoreOptions {
  std::filesystem::path path;
  // The highest epoch encrypts new entries; older epochs stay readable.
  std::vector<LedgerSecret> ledger_secrets;
  // Without keys the store writes no signature entries (and gives no receipts).
  std::shared_ptr<const NodeSigningKeys> signing_keys;
  std::uint64_t signature_interval_entries = 100;
  std::uint64_t signature_interval_ms = 1000;
  bool sync_writes = true;                // fsync every commit batch
  std::function<std::uint64_t()> clock_ms;  // default: system clock
  // Errors the store handles itself and cannot return to a caller (a
  // signature entry that could not be written: retried at the next commit).
  // Also counted in StoreStats.
  std::function<void(const Status&)> on_background_error;
  // Replication (src/consensus). When set, commits write nothing here
  // themselves: each batch's entries, and each signature entry, go to
  // `replicate`, which returns once the cluster committed them and they came
  // back through apply_batch on this store too, or with what stopped them
  // (kUnavailable: not the leader or leadership lost; kConflict: superseded).
  // Called without store locks held, one batch at a time.
  std::function<Status(const std::vector<LedgerEntry>&)> replicate;
  // With `replicate`: called before a batch is validated, it waits until
  // this replica may build on its state (it leads, and has applied
  // everything its log held when its term began), or says why not. A batch
  // built earlier could only be superseded.
  std::function<Status()> replication_ready;
  // With `replicate`: on a replica that does not lead (replication_ready
  // said kUnavailable), a batch's transactions (encode_transaction) go to
  // `forward`, which commits them at the leader (commit_forwarded there)
  // and returns once this replica applied what they wrote, one result per
  // transaction. Unset: such commits fail with replication_ready's status.
  std::function<std::vector<Result<CommitInfo>>(const std::vector<Bytes>& encoded_txs)> forward;
  // Linearizable reads (confirm_reads): on the leader, waits until a Raft
  // barrier issued after the call was applied; on a follower
  // `forward_reads` hands the encoded read-only transaction to the leader
  // (confirm_forwarded_reads there). Unset: reads are not confirmed.
  std::function<Status()> read_barrier;
  std::function<Status(Bytes encoded_tx)> forward_reads;
  // For tests. The RocksDB environment (e.g. one injecting I/O faults);
  // default rocksdb::Env::Default().
  std::shared_ptr<rocksdb::Env> env;
  // For tests: runs inside prove() once its snapshot is taken, before the walk.
  std::function<void()> prove_hook;
};

// Memory held by the store, for tests and metrics.
struct StoreStats {
  std::uint64_t keys = 0;            // keys with at least one version held
  std::uint64_t live_keys = 0;       // keys whose newest version is a value
  std::uint64_t versions = 0;        // versions held (current, older, removals)
  std::uint64_t pending_prunes = 0;  // keys waiting for old snapshots to close
  std::uint64_t open_snapshots = 0;
  std::uint64_t public_leaves = 0;   // state tree leaves
  std::uint64_t private_leaves = 0;
  std::uint64_t signature_failures = 0;  // signature entries that failed (and were retried)
  std::uint64_t write_failures = 0;      // durable writes that failed
};

class Store;

// One optimistic transaction. Reads see the snapshot taken at begin() plus
// the transaction's own writes; point reads enter the read-set, scans do not.
// Must not outlive its Store. Not thread-safe (one thread per transaction).
class Transaction {
 public:
  Transaction(Transaction&&) noexcept;
  Transaction& operator=(Transaction&&) noexcept;
  ~Transaction();

  Result<std::optional<Bytes>> get(std::string_view map, ByteView key);
  Status put(std::string_view map, ByteView key, ByteView value);
  // True if a value existed (a read: enters the read-set).
  Result<bool> remove(std::string_view map, ByteView key);
  // Half-open [start, end) in lexicographic order; empty `end` = to the end
  // of the map; `limit` > 0.
  Result<std::vector<std::pair<Bytes, Bytes>>> scan(std::string_view map, ByteView start, ByteView end,
                                                   std::uint32_t limit);
  Status set_claims_digest(ByteView digest);
  Status create_map(MapSpec spec);
  // Replaces the ACL, grants and key rule of an existing map (system only;
  // the visibility of a map never changes). Two concurrent changes of one
  // map conflict.
  Status update_map(MapSpec spec);

  // The node's own rows (the caller's replay entry, a new user) join a
  // contract's transaction after the contract has run, so they commit with
  // its writes or not at all. Later operations are checked as the system's.
  void continue_as_system() { principal_ = Principal::system(); }
  // Host code keeping the node's own rows inside a contract's call (the
  // outbox): `fn` runs with the system's access, then the contract's
  // principal is back. Never reachable from a contract.
  template <class F>
  auto as_system(F&& fn) {
    struct Restore {
      Transaction& tx;
      Principal saved;
      ~Restore() { tx.principal_ = std::move(saved); }
    } restore{*this, principal_};
    principal_ = Principal::system();
    return fn();
  }

  // A nested call (contracts-call) runs as its own contract inside the
  // caller's transaction; the caller's principal is back afterwards.
  template <class F>
  auto as_contract(Principal inner, F&& fn) {
    struct Restore {
      Transaction& tx;
      Principal saved;
      ~Restore() { tx.principal_ = std::move(saved); }
    } restore{*this, principal_};
    principal_ = std::move(inner);
    return fn();
  }

  // Savepoints nest: `rollback_to` undoes every write, claims digest and map
  // change made after `savepoint()` (a nested call that trapped), keeping
  // what came before. Reads stay in the read-set: what the undone part read
  // still decides whether the transaction commits (never less safe).
  struct Savepoint {
    std::map<std::pair<std::string, Bytes>, std::optional<Bytes>> writes;
    std::optional<Digest32> claims;
    std::map<std::string, MapSpec, std::less<>> new_maps;
    std::map<std::string, MapSpec, std::less<>> changed_maps;
  };
  Savepoint savepoint() const { return Savepoint{writes_, claims_, new_maps_, changed_maps_}; }
  void rollback_to(Savepoint sp) {
    writes_ = std::move(sp.writes);
    claims_ = sp.claims;
    new_maps_ = std::move(sp.new_maps);
    changed_maps_ = std::move(sp.changed_maps);
  }

  Seqno snapshot() const { return snapshot_; }
  bool has_writes() const { return !writes_.empty(); }
  // Bytes (key + value) this transaction writes into tenant maps, per map
  // (metering's kv_bytes).
  std::map<std::string, std::uint64_t> tenant_write_bytes() const;
  const Principal& principal() const { return principal_; }

 private:
  friend class Store;
  Transaction(Store* store, Principal principal, Seqno snapshot);
  Result<const MapSpec*> spec_for(std::string_view map);
  Status check_access(std::string_view map, bool write);
  Status key_rule_check(std::string_view map, ByteView key);
  Status check_open() const;
  void release();

  Store* store_ = nullptr;
  Principal principal_;
  Seqno snapshot_ = 0;
  bool finished_ = false;
  std::map<std::pair<std::string, Bytes>, Seqno> reads_;
  std::map<std::pair<std::string, Bytes>, std::optional<Bytes>> writes_;
  std::optional<Digest32> claims_;
  std::map<std::string, MapSpec, std::less<>> new_maps_;
  std::map<std::string, MapSpec, std::less<>> changed_maps_;
};

struct StateProofResult {
  StateProof proof;
  Digest32 state_root{};
  Seqno seqno = 0;                 // the proof is against the state after this entry
  std::optional<Bytes> value;      // present for an inclusion proof
  Seqno version = 0;               // seqno that wrote the value
};

class Store {
 public:
  // Opens (or creates) the store at options.path, replaying and
  // authenticating the whole ledger. kDataLoss if any record fails.
  // A commit whose durable write fails returns kUnavailable and changes
  // nothing in memory; the next commit first undoes what reached the disk.
  static Result<std::unique_ptr<Store>> open(StoreOptions options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Transaction begin(Principal principal);
  Result<CommitInfo> commit(Transaction& tx);
  // Group commit: validates in order (later transactions see earlier ones),
  // writes every non-conflicting one in one durable batch.
  std::vector<Result<CommitInfo>> commit_batch(std::vector<Transaction>& txs);

  // Replication: applies an entry produced by another store (seqno must be
  // the next one). Signature entries are checked against the local roots.
  Status apply(const LedgerEntry& entry);
  // Replication: applies a batch the cluster committed, in one durable
  // write, all or nothing. Entries already applied (the log replayed after a
  // restart) are recognised and skipped. A batch built on a state that
  // other entries replaced (a deposed leader's) is kConflict on every
  // replica alike; a gap is kDataLoss. A signature entry comes alone.
  Status apply_batch(const std::vector<LedgerEntry>& entries);
  // A batch as the replicated log carries it: u32 epoch ‖ AES-256-GCM under
  // the epoch's ledger-entry key (AAD "t3n/replicated-batch/v1") of the
  // entries, so no log or message holds them in plaintext. Any replica
  // holding the ledger secret opens it; anything altered is kDataLoss.
  Result<Bytes> seal_batch(const std::vector<LedgerEntry>& entries) const;
  // Forwarding (a follower's commit, see StoreOptions::forward): what the
  // commit of `tx` needs at the leader, as bytes: its read-set (versions
  // are seqnos, the same on every replica), write-set, claims digest and
  // the names of the maps it creates. Holds plaintext values: it travels
  // only inside the attested peer links.
  static Bytes encode_transaction(const Transaction& tx);
  // The leader: validates and commits forwarded transactions (OCC against
  // this replica's state, as if they had run here), one result each; one
  // that does not decode is kInvalidArgument and stops nothing else.
  std::vector<Result<CommitInfo>> commit_forwarded(const std::vector<Bytes>& encoded_txs);
  // A read-only transaction's point reads, confirmed against the cluster:
  // with StoreOptions::read_barrier, the versions it read must still be
  // current on the leader after a barrier (so what it returns was the state
  // at a moment inside the call: linearizable), else kConflict (re-run
  // it). Without the hook (one node): ok. Scans are not confirmed.
  Status confirm_reads(const Transaction& tx);
  // The leader, for a follower's forward_reads.
  Status confirm_forwarded_reads(ByteView encoded_tx);
  Result<std::vector<LedgerEntry>> open_batch(ByteView sealed) const;
  Result<LedgerEntry> entry(Seqno seqno) const;

  // Appends a signature entry now (if anything is unsigned).
  Result<Seqno> sign_now();
  Result<Receipt> receipt(Seqno seqno) const;
  // Proof of a key of a public map against the last committed state (read
  // from a frozen snapshot: commits are not held up). kNotFound for an
  // unknown map, kPermissionDenied for a private one.
  Result<StateProofResult> prove(std::string_view map, ByteView key);

  // Flushes memory tables to sorted files (what a checkpoint or shutdown does).
  Status flush();

  // Adds a new ledger-secret epoch; new entries use it.
  Status rotate_ledger_secret(LedgerSecret secret);

  // Reads a public map outside any transaction (for /api/public-kv).
  Result<std::optional<Bytes>> public_get(std::string_view map, ByteView key) const;
  std::optional<MapSpec> map_spec(std::string_view name) const;

  Seqno last_seqno() const;
  Digest32 state_root();
  Digest32 history_root() const;
  std::uint32_t current_epoch() const;
  StoreStats stats() const;

 private:
  friend class Transaction;
  std::vector<Result<CommitInfo>> commit_batch_impl(std::vector<Transaction>& txs, bool may_forward);
  std::vector<Result<CommitInfo>> forward_batch(std::vector<Transaction>& txs);
  Status confirm_reads_impl(const Transaction& tx, bool may_forward);
  Result<Transaction> decode_transaction(ByteView encoded, bool read_only_allowed);
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace t3n::store
