#include "store/store.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <chrono>
#include <deque>
#include <mutex>
#include <set>
#include <shared_mutex>

#include "common/binary.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/kdf.h"
#include "store/history_tree.h"

namespace t3n::store {
namespace {

// The map registry: itself a (system) map, so map creation is replicated,
// ordered and proven like any other write.
constexpr std::string_view kMapsRegistry = "t3n:maps";
constexpr std::string_view kLedgerAad = "t3n/ledger/v1";
constexpr std::string_view kFormatKey = "format";
// v2: keyed write-set digests and the public/private state trees (v1
// ledgers' signature entries sign other roots, so they are refused clearly).
constexpr std::string_view kFormatValue = "t3n-store-v2";
// Domain tags of the private tree's keyed hashes.
constexpr std::uint8_t kPrivateKeyTag = 0x01;
constexpr std::uint8_t kPrivateValueTag = 0x02;

bool is_hex_lower(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_tail_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == ':';
}

bool has_extensions(const MapSpec& s) {
  return s.any_writer || s.any_reader || s.readers_listed || !s.extra_readers.empty() || !s.extra_writers.empty() ||
         !s.key_rule.empty();
}

// Version 1: name, visibility, writers, readers. Version 2 adds the tenant
// map fields (flags, extra grants, key rule); v1 specs stay as they were.
Bytes encode_spec(const MapSpec& s) {
  common::BinaryWriter w;
  const bool v2 = has_extensions(s);
  w.u8(v2 ? 2 : 1);
  w.string(s.name);
  w.u8(static_cast<std::uint8_t>(s.visibility));
  auto list = [&](const std::vector<std::uint32_t>& ids) {
    w.u32(static_cast<std::uint32_t>(ids.size()));
    for (auto id : ids) w.u32(id);
  };
  list(s.writers);
  list(s.readers);
  if (v2) {
    w.u8(static_cast<std::uint8_t>((s.any_writer ? 1 : 0) | (s.any_reader ? 2 : 0) | (s.readers_listed ? 4 : 0)));
    list(s.extra_readers);
    list(s.extra_writers);
    w.string(s.key_rule.prefix);
    w.u32(s.key_rule.max_len);
    w.u8(static_cast<std::uint8_t>(s.key_rule.charset));
  }
  return w.take();
}

Result<MapSpec> decode_spec(ByteView data) {
  common::BinaryReader r(data, "map spec");
  T3N_ASSIGN_OR_RETURN(std::uint8_t version, r.u8());
  if (version != 1 && version != 2) return common::invalid_argument("map spec: unknown version");
  MapSpec s;
  T3N_ASSIGN_OR_RETURN(s.name, r.string(kMaxMapNameSize));
  T3N_ASSIGN_OR_RETURN(std::uint8_t vis, r.u8());
  if (vis > 1) return common::invalid_argument("map spec: unknown visibility");
  s.visibility = static_cast<Visibility>(vis);
  auto list = [&](std::vector<std::uint32_t>& out) -> Status {
    T3N_ASSIGN_OR_RETURN(std::uint32_t n, r.u32());
    if (n > r.remaining() / 4) return common::invalid_argument("map spec: truncated ACL");
    for (std::uint32_t i = 0; i < n; ++i) {
      T3N_ASSIGN_OR_RETURN(std::uint32_t id, r.u32());
      out.push_back(id);
    }
    return {};
  };
  T3N_RETURN_IF_ERROR(list(s.writers));
  T3N_RETURN_IF_ERROR(list(s.readers));
  if (version == 2) {
    T3N_ASSIGN_OR_RETURN(std::uint8_t flags, r.u8());
    if (flags > 7) return common::invalid_argument("map spec: unknown flags");
    s.any_writer = (flags & 1) != 0;
    s.any_reader = (flags & 2) != 0;
    s.readers_listed = (flags & 4) != 0;
    T3N_RETURN_IF_ERROR(list(s.extra_readers));
    T3N_RETURN_IF_ERROR(list(s.extra_writers));
    T3N_ASSIGN_OR_RETURN(s.key_rule.prefix, r.string(kMaxKeySize));
    T3N_ASSIGN_OR_RETURN(s.key_rule.max_len, r.u32());
    T3N_ASSIGN_OR_RETURN(std::uint8_t charset, r.u8());
    if (charset > 3) return common::invalid_argument("map spec: unknown key charset");
    s.key_rule.charset = static_cast<KeyRule::Charset>(charset);
  }
  T3N_RETURN_IF_ERROR(r.finish());
  return s;
}

std::string seqno_key(Seqno s) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i) {
    k[static_cast<std::size_t>(i)] = static_cast<char>(s & 0xFF);
    s >>= 8;
  }
  return k;
}

Seqno seqno_from_key(const rocksdb::Slice& k) {
  Seqno s = 0;
  for (std::size_t i = 0; i < k.size(); ++i) s = (s << 8) | static_cast<std::uint8_t>(k[i]);
  return s;
}

Bytes ledger_aad(Seqno seqno) {
  Bytes aad = common::to_bytes(kLedgerAad);
  common::append_u64_be(aad, seqno);
  return aad;
}

Status rocks_error(const rocksdb::Status& s, std::string_view what) {
  const ErrorCode code = (s.IsCorruption() || s.IsIOError()) ? ErrorCode::kDataLoss : ErrorCode::kUnavailable;
  return {code, std::string(what) + ": " + s.ToString()};
}

// A durable write that failed: the caller may retry; nothing was applied.
Status write_failed(const rocksdb::Status& s) {
  return {ErrorCode::kUnavailable, "writing the ledger failed, nothing was committed: " + s.ToString()};
}

struct VersionedValue {
  Seqno version;
  std::optional<Bytes> value;  // nullopt = removed at `version`
};

struct KeyHistory {
  std::vector<VersionedValue> versions;  // ascending by version
  const VersionedValue* at(Seqno snapshot) const {
    for (auto it = versions.rbegin(); it != versions.rend(); ++it)
      if (it->version <= snapshot) return &*it;
    return nullptr;
  }
};

// Orders keys as bytes and lets lookups use a ByteView without a copy.
struct BytesLess {
  using is_transparent = void;
  bool operator()(ByteView a, ByteView b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  }
};

using MapData = std::map<Bytes, KeyHistory, BytesLess>;

// The HMAC keys are kept keyed (crypto::HmacSha256): three MACs per private
// write made the one-shot HMAC's per-call setup a visible share of a commit.
struct EpochKeys {
  SecretBytes entry_key;                // AES-256-GCM, ledger records at rest
  crypto::HmacSha256 evidence_mac;      // commit evidence
  crypto::HmacSha256 write_set_mac;     // write-set digests (published in receipts)
  crypto::HmacSha256 private_tree_mac;  // key and value hashes of the private state tree
};

Digest32 tagged_hmac(const crypto::HmacSha256& mac, std::uint8_t tag, const Digest32& plain) {
  std::uint8_t buf[33];
  buf[0] = tag;
  std::copy(plain.begin(), plain.end(), buf + 1);
  return mac.mac(buf);
}

// A key whose older versions (or whose removal) may be dropped once no
// snapshot older than `version` remains.
struct PruneItem {
  Seqno version;
  std::string map;
  Bytes key;
};

}  // namespace

Status validate_map_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxMapNameSize)
    return common::invalid_argument("map name must be 1.." + std::to_string(kMaxMapNameSize) + " characters");
  if (name.rfind("z:", 0) == 0) {
    // z:<40 hex tid>:<tail>
    if (name.size() < 2 + 40 + 2 || name[42] != ':' || !is_hex_lower(name.substr(2, 40)))
      return common::invalid_argument("tenant map name must be 'z:<40 lowercase hex tid>:<name>'");
    std::string_view tail = name.substr(43);
    if (tail.empty() || !std::all_of(tail.begin(), tail.end(), is_tail_char))
      return common::invalid_argument("tenant map name tail must be [A-Za-z0-9_.:-]+");
    if (tail == "public:") return common::invalid_argument("public tenant map needs a name after 'public:'");
    return {};
  }
  if (!std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == ':';
      }))
    return common::invalid_argument("system map name must be [a-z0-9_.:-]+");
  return {};
}

bool is_tenant_map(std::string_view name) { return name.rfind("z:", 0) == 0; }

namespace {
bool is_public_tenant_name(std::string_view name) {
  return is_tenant_map(name) && name.size() > 43 && name.substr(43).rfind("public:", 0) == 0;
}
}  // namespace

// ---------------------------------------------------------------------------

struct Store::Impl {
  StoreOptions opts;
  // db_mu guards the handle itself: reads take it shared; reopening the
  // database after a failed write takes it exclusively.
  mutable std::shared_mutex db_mu;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::ColumnFamilyHandle* meta_cf = nullptr;    // owned by `handles`
  rocksdb::ColumnFamilyHandle* ledger_cf = nullptr;
  std::vector<std::unique_ptr<rocksdb::ColumnFamilyHandle>> handles;

  std::map<std::uint32_t, EpochKeys> keys;
  std::uint32_t epoch = 0;

  // Guards maps/specs/trees/history/published. Commits hold commit_mu and
  // take state_mu exclusively only to apply; readers take it shared.
  mutable std::shared_mutex state_mu;
  std::mutex commit_mu;
  // Replicated stores: one batch in flight at a time, from validation until
  // it came back through apply_batch (commit_mu is not held meanwhile, so
  // the batch can be applied).
  std::mutex replication_mu;
  std::map<std::string, MapData, std::less<>> maps;
  std::map<std::string, MapSpec, std::less<>> specs;
  StateTree public_tree;   // plain hashes
  StateTree private_tree;  // keyed hashes, under private_tree_epoch's key
  std::optional<std::uint32_t> private_tree_epoch;
  HistoryTree history;
  std::atomic<Seqno> last_seqno{0};
  std::uint64_t last_timestamp = 0;
  Seqno last_signature_seqno = 0;
  std::uint64_t last_signature_time = 0;

  // The state as of the last applied batch, frozen: proofs walk it without
  // holding state_mu while commits go on.
  struct Published {
    Seqno seqno = 0;
    StateTree::Snapshot public_tree;
    Digest32 private_root{};
    Digest32 state_root{};
  };
  Published published;
  bool trees_changed = true;

  // Memory accounting (StoreStats) and garbage collection of old versions.
  std::deque<PruneItem> prune_queue;
  std::uint64_t key_count = 0, live_key_count = 0, version_count = 0;
  std::atomic<std::uint64_t> signature_failures{0};
  std::atomic<std::uint64_t> write_failures{0};

  // After a failed durable write: records of seqnos up to `stale_high` may be
  // on disk although nothing was applied; they are deleted (and the database
  // reopened if RocksDB stopped accepting writes) before the next write.
  bool needs_recovery = false;
  Seqno stale_high = 0;

  std::mutex snap_mu;
  std::multiset<Seqno> active_snapshots;

  // Group commit: concurrent commit() calls queue up; one of them (the
  // leader) writes the whole queue as one batch with one fsync.
  struct PendingCommit {
    Transaction tx;
    std::optional<Result<CommitInfo>> result;
  };
  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::vector<std::shared_ptr<PendingCommit>> queue;
  bool leader_active = false;

  // What apply_in_memory needs, computed (and checked) before the durable
  // write so that applying cannot fail after it.
  struct Prepared {
    const LedgerEntry* entry = nullptr;
    Digest32 leaf{};
    std::vector<bool> is_public;  // per write
    std::vector<MapSpec> specs;   // registry puts of this entry, decoded
  };

  ~Impl() { close_db(); }

  void close_db() {
    handles.clear();  // column families before the DB
    db.reset();
    meta_cf = ledger_cf = nullptr;
  }

  Status open_db() {
    rocksdb::DBOptions db_opts;
    db_opts.create_if_missing = true;
    db_opts.create_missing_column_families = true;
    db_opts.paranoid_checks = true;
    db_opts.max_open_files = 256;
    db_opts.keep_log_file_num = 3;
    if (opts.env) db_opts.env = opts.env.get();
    rocksdb::ColumnFamilyOptions cf_opts;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs{{rocksdb::kDefaultColumnFamilyName, cf_opts},
                                                     {"ledger", cf_opts}};
    std::vector<rocksdb::ColumnFamilyHandle*> raw_handles;
    rocksdb::DB* raw_db = nullptr;
    auto s = rocksdb::DB::Open(db_opts, opts.path.string(), cfs, &raw_handles, &raw_db);
    if (!s.ok()) return rocks_error(s, "opening the store at " + opts.path.string());
    db.reset(raw_db);
    for (auto* h : raw_handles) handles.emplace_back(h);
    meta_cf = raw_handles[0];
    ledger_cf = raw_handles[1];
    return {};
  }

  std::uint64_t now_ms() const {
    if (opts.clock_ms) return opts.clock_ms();
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  }

  Status add_epoch(const LedgerSecret& s) {
    if (s.secret.size() < 32) return common::invalid_argument("ledger secret must be at least 32 bytes");
    if (keys.count(s.epoch) != 0) return common::invalid_argument("ledger secret epoch " + std::to_string(s.epoch) + " given twice");
    T3N_ASSIGN_OR_RETURN(SecretBytes entry_key, crypto::derive_key(s.secret, "store/ledger-entry", {}, 32));
    T3N_ASSIGN_OR_RETURN(SecretBytes evidence_key, crypto::derive_key(s.secret, "store/commit-evidence", {}, 32));
    T3N_ASSIGN_OR_RETURN(SecretBytes write_set_key, crypto::derive_key(s.secret, "store/write-set-digest", {}, 32));
    T3N_ASSIGN_OR_RETURN(SecretBytes private_tree_key, crypto::derive_key(s.secret, "store/private-state-tree", {}, 32));
    keys.emplace(s.epoch, EpochKeys{std::move(entry_key), crypto::HmacSha256(evidence_key),
                                    crypto::HmacSha256(write_set_key), crypto::HmacSha256(private_tree_key)});
    return {};
  }

  Result<const EpochKeys*> keys_for(std::uint32_t e) const {
    auto it = keys.find(e);
    if (it == keys.end()) return failed_epoch(e);
    return &it->second;
  }
  static Status db_closed() {
    return {ErrorCode::kUnavailable, "the ledger database is closed after a failed write; the next commit reopens it"};
  }
  static Status failed_epoch(std::uint32_t e) {
    return common::failed_precondition("no ledger secret for epoch " + std::to_string(e));
  }

  Result<Digest32> commit_evidence(const LedgerEntry& e) const {
    T3N_ASSIGN_OR_RETURN(const EpochKeys* k, keys_for(e.key_epoch));
    Bytes msg = common::to_bytes("t3n/commit-evidence");
    common::append_u64_be(msg, e.seqno);
    return k->evidence_mac.mac(msg);
  }

  Result<Digest32> entry_write_set_digest(const LedgerEntry& e) const {
    T3N_ASSIGN_OR_RETURN(const EpochKeys* k, keys_for(e.key_epoch));
    return write_set_digest(k->write_set_mac, e);
  }

  Result<Digest32> leaf_for(const LedgerEntry& e) const {
    T3N_ASSIGN_OR_RETURN(Digest32 ce, commit_evidence(e));
    T3N_ASSIGN_OR_RETURN(Digest32 wsd, entry_write_set_digest(e));
    Digest32 claims{};
    if (const auto* tx = std::get_if<TransactionBody>(&e.body)) claims = tx->claims_digest;
    return history_leaf(wsd, ce, claims);
  }

  Result<std::string> seal_entry(const LedgerEntry& e) const {
    T3N_ASSIGN_OR_RETURN(const EpochKeys* k, keys_for(e.key_epoch));
    Bytes plain = encode_entry(e);
    T3N_ASSIGN_OR_RETURN(Bytes box, crypto::seal_box(crypto::AeadAlg::kAes256Gcm, k->entry_key, ledger_aad(e.seqno), plain));
    common::secure_zero(plain);
    std::string record(4, '\0');
    for (int i = 0; i < 4; ++i) record[static_cast<std::size_t>(i)] = static_cast<char>(e.key_epoch >> (24 - 8 * i));
    record.append(reinterpret_cast<const char*>(box.data()), box.size());
    return record;
  }

  Result<LedgerEntry> open_record(Seqno seqno, const rocksdb::Slice& record) const {
    auto loss = [&](const std::string& why) {
      return common::data_loss("ledger record " + std::to_string(seqno) + ": " + why);
    };
    if (record.size() < 4) return loss("truncated");
    const auto* p = reinterpret_cast<const std::uint8_t*>(record.data());
    const std::uint32_t e = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
    auto k = keys_for(e);
    if (!k.ok()) return loss(k.status().message());
    auto plain = crypto::open_box(crypto::AeadAlg::kAes256Gcm, (*k)->entry_key, ledger_aad(seqno),
                                  ByteView(p + 4, record.size() - 4));
    if (!plain.ok()) return loss("failed authentication");
    auto entry = decode_entry(*plain);
    common::secure_zero(*plain);
    if (!entry.ok()) return loss(entry.status().message());
    if (entry->seqno != seqno || entry->key_epoch != e) return loss("bound to another position");
    return entry;
  }

  // Version a read of the key sees now, 0 if absent (never written, removed
  // or pruned away: all read alike, so pruning cannot cause conflicts).
  Seqno current_version(std::string_view map, ByteView key) const {
    auto m = maps.find(map);
    if (m == maps.end()) return 0;
    auto k = m->second.find(key);
    if (k == m->second.end() || k->second.versions.empty() || !k->second.versions.back().value) return 0;
    return k->second.versions.back().version;
  }

  const MapSpec* find_spec(std::string_view map, const std::map<std::string, MapSpec, std::less<>>& pending) const {
    if (auto it = pending.find(map); it != pending.end()) return &it->second;
    if (auto it = specs.find(map); it != specs.end()) return &it->second;
    return nullptr;
  }

  // Checks an entry against the state (plus `pending`: specs created by
  // earlier entries of the same batch) and computes what applying it needs.
  // Caller holds commit_mu, so the state does not change meanwhile.
  Result<Prepared> prepare(const LedgerEntry& e, std::map<std::string, MapSpec, std::less<>>& pending) const {
    Prepared p;
    p.entry = &e;
    T3N_ASSIGN_OR_RETURN(p.leaf, leaf_for(e));
    const auto* tx = std::get_if<TransactionBody>(&e.body);
    if (tx == nullptr) return p;
    for (const auto& w : tx->writes) {
      if (w.map != kMapsRegistry) continue;
      if (!w.value) return common::invalid_argument("entry " + std::to_string(e.seqno) + " removes a map");
      T3N_ASSIGN_OR_RETURN(MapSpec spec, decode_spec(*w.value));
      if (common::to_bytes(spec.name) != w.key || !validate_map_name(spec.name).ok())
        return common::invalid_argument("entry " + std::to_string(e.seqno) + " has a malformed map spec");
      // A map's data lives in one state tree for good.
      if (const MapSpec* old = find_spec(spec.name, pending); old != nullptr && old->visibility != spec.visibility)
        return common::invalid_argument("entry " + std::to_string(e.seqno) + " changes the visibility of map '" +
                                        spec.name + "'");
      pending[spec.name] = spec;
      p.specs.push_back(std::move(spec));
    }
    p.is_public.reserve(tx->writes.size());
    for (const auto& w : tx->writes) {
      if (w.map == kMapsRegistry) {
        p.is_public.push_back(false);
        continue;
      }
      T3N_RETURN_IF_ERROR(validate_map_name(w.map));
      const MapSpec* spec = find_spec(w.map, pending);
      if (spec == nullptr)
        return common::failed_precondition("entry " + std::to_string(e.seqno) + " writes map '" + w.map +
                                           "', which does not exist");
      p.is_public.push_back(spec->visibility == Visibility::kPublic);
    }
    return p;
  }

  Digest32 private_key_hash(const EpochKeys& k, std::string_view map, ByteView key) const {
    return tagged_hmac(k.private_tree_mac, kPrivateKeyTag, state_key_hash(map, key));
  }
  Digest32 private_value_hash(const EpochKeys& k, Seqno version, ByteView value) const {
    return tagged_hmac(k.private_tree_mac, kPrivateValueTag, state_value_hash(version, value));
  }

  bool is_public_map(std::string_view map) const {
    auto it = specs.find(map);
    return it != specs.end() && it->second.visibility == Visibility::kPublic;
  }

  // The private tree is keyed with the key of the epoch of the last applied
  // entry; the first entry of a new epoch rebuilds it under the new key
  // (deterministic: every replica does it at the same entry).
  void rekey_private_tree(std::uint32_t new_epoch) {
    const EpochKeys& k = keys.at(new_epoch);  // prepare() checked it
    private_tree.clear();
    for (const auto& [name, data] : maps) {
      if (is_public_map(name)) continue;
      for (const auto& [key, kv] : data) {
        if (kv.versions.empty() || !kv.versions.back().value) continue;
        const auto& latest = kv.versions.back();
        private_tree.update(private_key_hash(k, name, key), private_value_hash(k, latest.version, *latest.value));
      }
    }
    private_tree_epoch = new_epoch;
    trees_changed = true;
  }

  // Applies a prepared entry to memory; cannot fail. Caller holds state_mu
  // exclusively and calls finish_batch() after the last entry of a batch.
  void apply_in_memory(const Prepared& p) {
    const LedgerEntry& e = *p.entry;
    if (private_tree_epoch != e.key_epoch) rekey_private_tree(e.key_epoch);
    if (const auto* tx = std::get_if<TransactionBody>(&e.body)) {
      const EpochKeys& k = keys.at(e.key_epoch);
      for (auto& spec : p.specs) specs[spec.name] = spec;
      for (std::size_t i = 0; i < tx->writes.size(); ++i) {
        const Write& w = tx->writes[i];
        auto& data = maps[w.map];
        auto [it, inserted] = data.try_emplace(w.key);
        auto& versions = it->second.versions;
        const bool was_live = !versions.empty() && versions.back().value.has_value();
        if (versions.empty()) ++key_count;
        versions.push_back({e.seqno, w.value});
        ++version_count;
        if (was_live && !w.value) --live_key_count;
        if (!was_live && w.value) ++live_key_count;
        if (versions.size() > 1 || !w.value) prune_queue.push_back({e.seqno, w.map, w.key});
        if (p.is_public[i]) {
          const Digest32 kh = state_key_hash(w.map, w.key);
          if (w.value) public_tree.update(kh, state_value_hash(e.seqno, *w.value));
          else public_tree.update(kh, std::nullopt);
        } else {
          const Digest32 kh = private_key_hash(k, w.map, w.key);
          if (w.value) private_tree.update(kh, private_value_hash(k, e.seqno, *w.value));
          else private_tree.update(kh, std::nullopt);
        }
        trees_changed = true;
      }
    } else {
      last_signature_seqno = e.seqno;
      last_signature_time = e.timestamp_ms;
    }
    history.append(p.leaf);
    last_timestamp = std::max(last_timestamp, e.timestamp_ms);
    last_seqno.store(e.seqno);
  }

  // Freezes the trees for proofs (hashing what changed). Caller holds
  // state_mu exclusively.
  void publish() {
    if (trees_changed) {
      published.public_tree = public_tree.snapshot();
      published.private_root = private_tree.root();
      published.state_root = combined_state_root(published.public_tree.root(), published.private_root);
      trees_changed = false;
    }
    published.seqno = last_seqno.load();
  }

  // Drops versions no snapshot can see any more: all but the newest at or
  // below the oldest open snapshot, and removals themselves.
  void prune_key(std::string_view map, ByteView key, Seqno oldest) {
    auto m = maps.find(map);
    if (m == maps.end()) return;
    auto it = m->second.find(key);
    if (it == m->second.end()) return;
    auto& v = it->second.versions;
    std::size_t keep_from = 0;
    for (std::size_t i = 0; i < v.size(); ++i)
      if (v[i].version <= oldest) keep_from = i;
    // Reads treat "removed" and "no version" alike, so a visible removal goes too.
    if (!v.empty() && v[keep_from].version <= oldest && !v[keep_from].value) ++keep_from;
    if (keep_from > 0) {
      v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(keep_from));
      version_count -= keep_from;
    }
    if (v.empty()) {
      m->second.erase(it);
      --key_count;
    }
  }

  void collect_garbage() {
    Seqno oldest = last_seqno.load();
    {
      std::lock_guard lock(snap_mu);
      if (!active_snapshots.empty()) oldest = std::min(oldest, *active_snapshots.begin());
    }
    while (!prune_queue.empty() && prune_queue.front().version <= oldest) {
      const PruneItem& item = prune_queue.front();
      prune_key(item.map, item.key, oldest);
      prune_queue.pop_front();
    }
  }

  void finish_batch() {
    publish();
    collect_garbage();
  }

  // Makes disk agree with memory again after a failed write. Caller holds
  // commit_mu.
  Status recover_from_failed_write() {
    std::unique_lock lock(db_mu);
    // Reopen rather than DB::Resume: recovery cuts a torn log tail and starts
    // a new log, so later records never sit behind a half-written one.
    close_db();
    if (Status st = open_db(); !st.ok()) return Status(ErrorCode::kUnavailable, st.message());
    // The reopened database holds whatever of the failed batch reached the log.
    rocksdb::WriteBatch batch;
    for (Seqno q = last_seqno.load() + 1; q <= stale_high; ++q) batch.Delete(ledger_cf, seqno_key(q));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto s = db->Write(wo, &batch);
    if (!s.ok()) return write_failed(s);
    needs_recovery = false;
    stale_high = 0;
    return {};
  }

  // The durable write of a batch. On failure nothing in memory has changed;
  // the next write first undoes whatever of this one reached the disk.
  Status persist(const std::vector<LedgerEntry>& entries) {
    if (needs_recovery) {
      Status r = recover_from_failed_write();
      if (!r.ok()) {
        ++write_failures;
        return r;
      }
    }
    rocksdb::WriteBatch batch;
    for (const auto& e : entries) {
      T3N_ASSIGN_OR_RETURN(std::string record, seal_entry(e));
      batch.Put(ledger_cf, seqno_key(e.seqno), record);
    }
    rocksdb::WriteOptions wo;
    wo.sync = opts.sync_writes;
    rocksdb::Status s;
    {
      std::shared_lock lock(db_mu);
      s = db->Write(wo, &batch);
    }
    if (!s.ok()) {
      ++write_failures;
      needs_recovery = true;
      stale_high = std::max(stale_high, entries.back().seqno);
      return write_failed(s);
    }
    return {};
  }

  void report_background_error(const Status& s) {
    if (opts.on_background_error) opts.on_background_error(s);
  }

  // Builds, persists and applies a signature entry for everything so far.
  // Caller holds commit_mu.
  Result<Seqno> append_signature() {
    T3N_ASSIGN_OR_RETURN(LedgerEntry e, build_signature_entry());
    std::map<std::string, MapSpec, std::less<>> none;
    T3N_ASSIGN_OR_RETURN(Prepared p, prepare(e, none));
    T3N_RETURN_IF_ERROR(persist({e}));
    std::unique_lock lock(state_mu);
    apply_in_memory(p);
    finish_batch();
    return e.seqno;
  }

  // A signature entry over everything so far, signed with the node keys.
  // Caller holds commit_mu.
  Result<LedgerEntry> build_signature_entry() {
    if (!opts.signing_keys) return common::failed_precondition("the store has no signing keys");
    const Seqno g = last_seqno.load() + 1;
    LedgerEntry e;
    e.seqno = g;
    e.timestamp_ms = std::max(now_ms(), last_timestamp);
    e.key_epoch = epoch;
    SignatureBody s;
    {
      std::shared_lock lock(state_mu);
      s.tree_size = g - 1;
      s.history_root = history.root();
      s.state_root = published.state_root;
    }
    const Bytes payload = signature_payload(g, s.tree_size, s.history_root, s.state_root);
    const auto& k = *opts.signing_keys;
    T3N_ASSIGN_OR_RETURN(s.ed25519_signature, k.ed25519.sign(payload));
    T3N_ASSIGN_OR_RETURN(s.mldsa_signature, crypto::mldsa65_sign(k.mldsa.secret_key, payload));
    s.ed25519_public_key = k.ed25519.public_key();
    s.mldsa_public_key = k.mldsa.public_key;
    e.body = std::move(s);
    return e;
  }

  // Checks a signature entry against the local state (replay and
  // replication). The trees must be published.
  Status check_signature_entry(const LedgerEntry& e) const {
    const auto& s = std::get<SignatureBody>(e.body);
    if (s.tree_size + 1 != e.seqno) return common::data_loss("signature entry " + std::to_string(e.seqno) + " covers the wrong tree");
    if (s.history_root != history.root() || s.state_root != published.state_root)
      return common::data_loss("signature entry " + std::to_string(e.seqno) + " disagrees with the local roots");
    const Bytes payload = signature_payload(e.seqno, s.tree_size, s.history_root, s.state_root);
    if (!crypto::ed25519_verify(s.ed25519_public_key, payload, s.ed25519_signature).ok() ||
        !crypto::mldsa65_verify(s.mldsa_public_key, payload, s.mldsa_signature).ok())
      return common::data_loss("signature entry " + std::to_string(e.seqno) + " has an invalid signature");
    return {};
  }

  bool signature_due(std::uint64_t now) const {
    if (!opts.signing_keys) return false;
    const Seqno unsigned_entries = last_seqno.load() - last_signature_seqno;
    if (unsigned_entries == 0) return false;
    return unsigned_entries >= opts.signature_interval_entries ||
           now >= last_signature_time + opts.signature_interval_ms;
  }

  // Single-threaded (open), so no locks.
  Status replay() {
    rocksdb::ReadOptions ro;
    ro.verify_checksums = true;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, ledger_cf));
    Seqno expected = 1;
    std::map<std::string, MapSpec, std::less<>> none;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const Seqno seqno = seqno_from_key(it->key());
      if (it->key().size() != 8 || seqno != expected)
        return common::data_loss("ledger is missing entry " + std::to_string(expected));
      T3N_ASSIGN_OR_RETURN(LedgerEntry e, open_record(seqno, it->value()));
      if (e.is_signature()) {
        publish();
        T3N_RETURN_IF_ERROR(check_signature_entry(e));
      }
      auto p = prepare(e, none);
      if (!p.ok()) return common::data_loss("ledger record " + std::to_string(seqno) + ": " + p.status().message());
      apply_in_memory(*p);
      collect_garbage();
      ++expected;
    }
    if (!it->status().ok()) return rocks_error(it->status(), "reading the ledger");
    publish();
    return {};
  }
};

// ---------------------------------------------------------------------------

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(StoreOptions options) {
  if (options.ledger_secrets.empty()) return common::invalid_argument("the store needs at least one ledger secret");
  if (options.signature_interval_entries == 0) options.signature_interval_entries = 1;
  auto impl = std::make_unique<Impl>();
  for (const auto& s : options.ledger_secrets) {
    T3N_RETURN_IF_ERROR(impl->add_epoch(s));
    impl->epoch = std::max(impl->epoch, s.epoch);
  }
  impl->opts = std::move(options);
  impl->opts.ledger_secrets.clear();  // derived keys are kept; the raw secrets are not

  std::error_code ec;
  std::filesystem::create_directories(impl->opts.path, ec);
  if (ec) return common::failed_precondition("cannot create " + impl->opts.path.string() + ": " + ec.message());
  T3N_RETURN_IF_ERROR(impl->open_db());

  std::string format;
  auto s = impl->db->Get(rocksdb::ReadOptions(), impl->meta_cf, std::string(kFormatKey), &format);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = impl->db->Put(wo, impl->meta_cf, std::string(kFormatKey), std::string(kFormatValue));
    if (!s.ok()) return rocks_error(s, "initialising the store");
  } else if (!s.ok()) {
    return rocks_error(s, "reading the store format");
  } else if (format != kFormatValue) {
    return common::failed_precondition("unknown store format '" + format + "' at " + impl->opts.path.string());
  }
  T3N_RETURN_IF_ERROR(impl->replay());
  // The signature timer runs from the last signature, or from now.
  if (impl->last_signature_seqno == 0) impl->last_signature_time = impl->now_ms();
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Transaction Store::begin(Principal principal) {
  std::shared_lock state_lock(impl_->state_mu);
  std::lock_guard lock(impl_->snap_mu);
  const Seqno snapshot = impl_->last_seqno.load();
  impl_->active_snapshots.insert(snapshot);
  return Transaction(this, std::move(principal), snapshot);
}

Result<CommitInfo> Store::commit(Transaction& tx) {
  auto mine = std::make_shared<Impl::PendingCommit>(Impl::PendingCommit{std::move(tx), std::nullopt});
  std::unique_lock lock(impl_->queue_mu);
  impl_->queue.push_back(mine);
  while (!mine->result) {
    if (impl_->leader_active) {
      impl_->queue_cv.wait(lock);
      continue;
    }
    // Lead: take everything queued so far and commit it as one batch.
    impl_->leader_active = true;
    auto batch = std::move(impl_->queue);
    impl_->queue.clear();
    lock.unlock();
    std::vector<Transaction> txs;
    txs.reserve(batch.size());
    for (auto& p : batch) txs.push_back(std::move(p->tx));
    auto results = commit_batch(txs);
    lock.lock();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i]->tx = std::move(txs[i]);
      batch[i]->result = std::move(results[i]);
    }
    impl_->leader_active = false;
    impl_->queue_cv.notify_all();
  }
  tx = std::move(mine->tx);
  return std::move(*mine->result);
}

std::vector<Result<CommitInfo>> Store::commit_batch(std::vector<Transaction>& txs) { return commit_batch_impl(txs, true); }

std::vector<Result<CommitInfo>> Store::commit_batch_impl(std::vector<Transaction>& txs, bool may_forward) {
  std::vector<Result<CommitInfo>> results;
  results.reserve(txs.size());
  const bool replicated = static_cast<bool>(impl_->opts.replicate);
  std::unique_lock<std::mutex> replication_lock;
  if (replicated) {
    replication_lock = std::unique_lock(impl_->replication_mu);
    if (impl_->opts.replication_ready) {
      if (Status ready = impl_->opts.replication_ready(); !ready.ok()) {
        if (ready.code() == ErrorCode::kUnavailable && impl_->opts.forward && may_forward) {
          replication_lock.unlock();
          return forward_batch(txs);
        }
        for (auto& tx : txs) {
          results.emplace_back(ready);
          tx.release();
        }
        return results;
      }
    }
  }
  std::unique_lock commit_lock(impl_->commit_mu);
  const std::uint64_t now = std::max(impl_->now_ms(), impl_->last_timestamp);
  Seqno next = impl_->last_seqno.load() + 1;
  std::vector<LedgerEntry> entries;
  std::vector<std::size_t> entry_tx;  // index into txs for each entry
  // Versions written by earlier transactions of this batch (0 = removed).
  std::map<std::pair<std::string, Bytes>, Seqno> batch_versions;
  std::set<std::string, std::less<>> batch_maps;

  for (std::size_t i = 0; i < txs.size(); ++i) {
    Transaction& tx = txs[i];
    if (Status open = tx.check_open(); !open.ok()) {
      results.emplace_back(open);
      continue;
    }
    if (tx.writes_.empty()) {
      results.emplace_back(CommitInfo{tx.snapshot_, false});
      tx.release();
      continue;
    }
    Status conflict;
    for (const auto& [k, read_version] : tx.reads_) {
      auto bv = batch_versions.find(k);
      const Seqno current = bv != batch_versions.end() ? bv->second : impl_->current_version(k.first, k.second);
      if (current != read_version) {
        conflict = Status(ErrorCode::kConflict, "conflict on map '" + k.first + "': a key read was changed by seqno " +
                                                    std::to_string(current));
        break;
      }
    }
    for (const auto& [name, spec] : tx.new_maps_) {
      if (!conflict.ok()) break;
      if (batch_maps.count(name) != 0 || impl_->specs.count(name) != 0)
        conflict = Status(ErrorCode::kAlreadyExists, "map '" + name + "' already exists");
    }
    if (!conflict.ok()) {
      results.emplace_back(conflict);
      tx.release();
      continue;
    }
    LedgerEntry e;
    e.seqno = next++;
    e.timestamp_ms = now;
    e.key_epoch = impl_->epoch;
    TransactionBody body;
    if (tx.claims_) body.claims_digest = *tx.claims_;
    body.writes.reserve(tx.writes_.size());
    for (auto& [k, v] : tx.writes_) {
      batch_versions[k] = v ? e.seqno : 0;
      body.writes.push_back(Write{k.first, k.second, v});
    }
    for (const auto& [name, spec] : tx.new_maps_) batch_maps.insert(name);
    e.body = std::move(body);
    entries.push_back(std::move(e));
    entry_tx.push_back(i);
    results.emplace_back(CommitInfo{entries.back().seqno, true});
  }

  // Validation is done: the snapshots are no longer needed, and releasing
  // them now lets this batch's own garbage go at once.
  for (auto& tx : txs) tx.release();
  if (!entries.empty()) {
    // Everything that can fail happens before the durable write; after it,
    // applying to memory cannot fail, so memory and disk never disagree.
    std::vector<Impl::Prepared> prepared;
    prepared.reserve(entries.size());
    std::map<std::string, MapSpec, std::less<>> pending;
    Status st;
    for (const auto& e : entries) {
      auto p = impl_->prepare(e, pending);
      if (!p.ok()) {
        st = p.status();
        break;
      }
      prepared.push_back(std::move(*p));
    }
    if (st.ok() && replicated) {
      // The cluster commits the entries and every replica (this one
      // included) applies them through apply_batch; that needs commit_mu.
      prepared.clear();
      commit_lock.unlock();
      st = impl_->opts.replicate(entries);
      commit_lock.lock();
    } else if (st.ok()) {
      st = impl_->persist(entries);
      if (st.ok()) {
        std::unique_lock lock(impl_->state_mu);
        for (const auto& p : prepared) impl_->apply_in_memory(p);
        impl_->finish_batch();
      }
    }
    if (!st.ok())
      for (std::size_t idx : entry_tx) results[idx] = st;
  }
  if (impl_->signature_due(now)) {
    // The transactions are committed whatever happens here; a failed
    // signature is reported and retried at the next commit (still due).
    Status sig;
    if (replicated) {
      auto e = impl_->build_signature_entry();
      if (e.ok()) {
        commit_lock.unlock();
        sig = impl_->opts.replicate({*e});
      } else {
        sig = e.status();
      }
    } else {
      sig = impl_->append_signature().status();
    }
    if (!sig.ok()) {
      ++impl_->signature_failures;
      impl_->report_background_error(sig.with_context("appending a signature entry"));
    }
  }
  return results;
}

namespace {
constexpr std::uint8_t kForwardedTxFormat = 1;
}  // namespace

Bytes Store::encode_transaction(const Transaction& tx) {
  common::BinaryWriter w;
  w.u8(kForwardedTxFormat);
  w.u64(tx.snapshot_);
  w.u32(static_cast<std::uint32_t>(tx.reads_.size()));
  for (const auto& [k, version] : tx.reads_) {
    w.string(k.first);
    w.bytes(k.second);
    w.u64(version);
  }
  w.u32(static_cast<std::uint32_t>(tx.writes_.size()));
  for (const auto& [k, value] : tx.writes_) {
    w.string(k.first);
    w.bytes(k.second);
    w.u8(value ? 1 : 0);
    if (value) w.bytes(*value);
  }
  w.u8(tx.claims_ ? 1 : 0);
  if (tx.claims_) w.raw(*tx.claims_);
  w.u32(static_cast<std::uint32_t>(tx.new_maps_.size()));
  for (const auto& [name, spec] : tx.new_maps_) w.string(name);
  return w.take();
}

std::vector<Result<CommitInfo>> Store::forward_batch(std::vector<Transaction>& txs) {
  std::vector<Result<CommitInfo>> results(txs.size(), Result<CommitInfo>(CommitInfo{}));
  std::vector<Bytes> encoded;
  std::vector<std::size_t> sent;  // index into txs per encoded transaction
  for (std::size_t i = 0; i < txs.size(); ++i) {
    Transaction& tx = txs[i];
    if (Status open = tx.check_open(); !open.ok()) {
      results[i] = open;
      continue;
    }
    if (tx.writes_.empty()) {
      results[i] = CommitInfo{tx.snapshot_, false};
    } else {
      encoded.push_back(encode_transaction(tx));
      sent.push_back(i);
    }
    tx.release();
  }
  if (encoded.empty()) return results;
  auto remote = impl_->opts.forward(encoded);
  for (auto& b : encoded) common::secure_zero(b);
  for (std::size_t j = 0; j < sent.size(); ++j)
    results[sent[j]] = j < remote.size() ? std::move(remote[j])
                                         : Result<CommitInfo>(Status(ErrorCode::kUnavailable, "outcome unknown: the leader's answer was short"));
  return results;
}

Result<Transaction> Store::decode_transaction(ByteView encoded, bool read_only_allowed) {
  Transaction tx = begin(Principal::system());
  common::BinaryReader r(encoded, "forwarded transaction");
  T3N_ASSIGN_OR_RETURN(std::uint8_t format, r.u8());
  if (format != kForwardedTxFormat) return common::invalid_argument("forwarded transaction: unknown format");
  T3N_ASSIGN_OR_RETURN(std::uint64_t snapshot, r.u64());
  (void)snapshot;  // validation is by the read-set's versions
  T3N_ASSIGN_OR_RETURN(std::uint32_t n_reads, r.u32());
  for (std::uint32_t j = 0; j < n_reads; ++j) {
    T3N_ASSIGN_OR_RETURN(std::string map, r.string(kMaxMapNameSize));
    T3N_ASSIGN_OR_RETURN(ByteView key, r.bytes());
    T3N_ASSIGN_OR_RETURN(std::uint64_t version, r.u64());
    tx.reads_[{std::move(map), Bytes(key.begin(), key.end())}] = version;
  }
  T3N_ASSIGN_OR_RETURN(std::uint32_t n_writes, r.u32());
  if (n_writes == 0 && !read_only_allowed) return common::invalid_argument("forwarded transaction: writes nothing");
  for (std::uint32_t j = 0; j < n_writes; ++j) {
    T3N_ASSIGN_OR_RETURN(std::string map, r.string(kMaxMapNameSize));
    T3N_ASSIGN_OR_RETURN(ByteView key, r.bytes());
    T3N_ASSIGN_OR_RETURN(std::uint8_t has, r.u8());
    std::optional<Bytes> value;
    if (has > 1) return common::invalid_argument("forwarded transaction: bad value flag");
    if (has == 1) {
      T3N_ASSIGN_OR_RETURN(ByteView v, r.bytes());
      value = Bytes(v.begin(), v.end());
    }
    tx.writes_[{std::move(map), Bytes(key.begin(), key.end())}] = std::move(value);
  }
  T3N_ASSIGN_OR_RETURN(std::uint8_t has_claims, r.u8());
  if (has_claims > 1) return common::invalid_argument("forwarded transaction: bad claims flag");
  if (has_claims == 1) {
    T3N_ASSIGN_OR_RETURN(ByteView c, r.raw(32));
    Digest32 d{};
    std::copy(c.begin(), c.end(), d.begin());
    tx.claims_ = d;
  }
  T3N_ASSIGN_OR_RETURN(std::uint32_t n_maps, r.u32());
  for (std::uint32_t j = 0; j < n_maps; ++j) {
    T3N_ASSIGN_OR_RETURN(std::string name, r.string(kMaxMapNameSize));
    MapSpec spec;
    spec.name = name;
    tx.new_maps_[std::move(name)] = std::move(spec);
  }
  T3N_RETURN_IF_ERROR(r.finish());
  return tx;
}

std::vector<Result<CommitInfo>> Store::commit_forwarded(const std::vector<Bytes>& encoded_txs) {
  std::vector<Transaction> txs;
  std::vector<Result<CommitInfo>> results(encoded_txs.size(), Result<CommitInfo>(CommitInfo{}));
  std::vector<std::size_t> decoded;
  for (std::size_t i = 0; i < encoded_txs.size(); ++i) {
    auto tx = decode_transaction(encoded_txs[i], false);
    if (!tx.ok()) {
      results[i] = tx.status();
      continue;
    }
    txs.push_back(std::move(*tx));
    decoded.push_back(i);
  }
  if (txs.empty()) return results;
  auto committed = commit_batch_impl(txs, false);  // never forwarded on: no loops between deposed leaders
  for (std::size_t j = 0; j < decoded.size(); ++j) results[decoded[j]] = std::move(committed[j]);
  return results;
}

Status Store::confirm_reads(const Transaction& tx) { return confirm_reads_impl(tx, true); }

Status Store::confirm_forwarded_reads(ByteView encoded) {
  T3N_ASSIGN_OR_RETURN(Transaction tx, decode_transaction(encoded, true));
  Status st = confirm_reads_impl(tx, false);
  tx.release();
  return st;
}

Status Store::confirm_reads_impl(const Transaction& tx, bool may_forward) {
  if (!impl_->opts.read_barrier || tx.reads_.empty()) return {};
  if (impl_->opts.replication_ready) {
    Status ready = impl_->opts.replication_ready();
    if (!ready.ok()) {
      if (ready.code() == ErrorCode::kUnavailable && may_forward && impl_->opts.forward_reads)
        return impl_->opts.forward_reads(encode_transaction(tx));
      return ready;
    }
  }
  T3N_RETURN_IF_ERROR(impl_->opts.read_barrier());
  std::lock_guard commit_lock(impl_->commit_mu);
  for (const auto& [k, read_version] : tx.reads_) {
    const Seqno current = impl_->current_version(k.first, k.second);
    if (current != read_version)
      return Status(ErrorCode::kConflict, "a read of map '" + k.first + "' is no longer current (changed by seqno " +
                                              std::to_string(current) + "); re-run the read");
  }
  return {};
}

Status Store::apply_batch(const std::vector<LedgerEntry>& entries) {
  if (entries.empty()) return {};
  std::lock_guard commit_lock(impl_->commit_mu);
  const Seqno last = impl_->last_seqno.load();
  const Seqno first = entries.front().seqno;
  for (std::size_t i = 1; i < entries.size(); ++i)
    if (entries[i].seqno != first + i) return common::invalid_argument("apply_batch: the entries' seqnos are not contiguous");
  if (first <= last) {
    // Seen before (a replay of the replicated log after a restart) if the
    // same entries hold these seqnos; otherwise built on a state other
    // entries replaced, and skipped by every replica alike.
    for (const auto& e : entries) {
      if (e.seqno > last) return Status(ErrorCode::kConflict, "superseded: a batch overlapping the ledger's end holds another leader's entries");
      auto have = entry(e.seqno);
      if (!have.ok()) return have.status();
      if (encode_entry(*have) != encode_entry(e))
        return Status(ErrorCode::kConflict, "superseded: seqno " + std::to_string(e.seqno) + " holds another leader's entry");
    }
    return {};
  }
  if (first != last + 1)
    return common::data_loss("apply_batch: expected seqno " + std::to_string(last + 1) + ", got " + std::to_string(first));
  std::vector<Impl::Prepared> prepared;
  prepared.reserve(entries.size());
  std::map<std::string, MapSpec, std::less<>> pending;
  for (const auto& e : entries) {
    if (!impl_->keys_for(e.key_epoch).ok()) return Impl::failed_epoch(e.key_epoch);
    if (e.is_signature()) {
      // Checked against the roots as of the entries before it: alone in its
      // batch (as commit_batch replicates them), so memory never runs
      // ahead of the disk.
      if (entries.size() != 1) return common::invalid_argument("apply_batch: a signature entry comes alone");
      T3N_RETURN_IF_ERROR(impl_->check_signature_entry(e));
    }
    T3N_ASSIGN_OR_RETURN(Impl::Prepared p, impl_->prepare(e, pending));
    prepared.push_back(std::move(p));
  }
  T3N_RETURN_IF_ERROR(impl_->persist(entries));
  std::unique_lock lock(impl_->state_mu);
  for (const auto& p : prepared) impl_->apply_in_memory(p);
  impl_->finish_batch();
  return {};
}

Status Store::apply(const LedgerEntry& entry) {
  std::lock_guard commit_lock(impl_->commit_mu);
  if (entry.seqno != impl_->last_seqno.load() + 1)
    return common::failed_precondition("apply: expected seqno " + std::to_string(impl_->last_seqno.load() + 1) +
                                       ", got " + std::to_string(entry.seqno));
  if (!impl_->keys_for(entry.key_epoch).ok()) return Impl::failed_epoch(entry.key_epoch);
  // commit_mu keeps the state still: reading it needs no state_mu here.
  if (entry.is_signature()) T3N_RETURN_IF_ERROR(impl_->check_signature_entry(entry));
  std::map<std::string, MapSpec, std::less<>> none;
  T3N_ASSIGN_OR_RETURN(Impl::Prepared p, impl_->prepare(entry, none));
  T3N_RETURN_IF_ERROR(impl_->persist({entry}));
  std::unique_lock lock(impl_->state_mu);
  impl_->apply_in_memory(p);
  impl_->finish_batch();
  return {};
}

namespace {
constexpr std::string_view kReplicatedBatchAad = "t3n/replicated-batch/v1";
constexpr std::size_t kMaxBatchEntries = 1u << 16;
}  // namespace

Result<Bytes> Store::seal_batch(const std::vector<LedgerEntry>& entries) const {
  if (entries.empty() || entries.size() > kMaxBatchEntries) return common::invalid_argument("a replicated batch holds 1 to 65536 entries");
  const std::uint32_t epoch = entries.front().key_epoch;
  std::lock_guard commit_lock(impl_->commit_mu);  // keys change only under it
  T3N_ASSIGN_OR_RETURN(const EpochKeys* k, impl_->keys_for(epoch));
  common::BinaryWriter w;
  w.u32(static_cast<std::uint32_t>(entries.size()));
  for (const auto& e : entries) {
    if (e.key_epoch != epoch) return common::invalid_argument("a replicated batch spans key epochs");
    w.bytes(encode_entry(e));
  }
  Bytes plain = w.take();
  auto box = crypto::seal_box(crypto::AeadAlg::kAes256Gcm, k->entry_key, common::as_bytes(kReplicatedBatchAad), plain);
  common::secure_zero(plain);
  if (!box.ok()) return box.status();
  Bytes out;
  common::append_u32_be(out, epoch);
  common::append(out, *box);
  return out;
}

Result<std::vector<LedgerEntry>> Store::open_batch(ByteView sealed) const {
  if (sealed.size() < 4) return common::data_loss("replicated batch: truncated");
  const std::uint32_t epoch = (std::uint32_t{sealed[0]} << 24) | (std::uint32_t{sealed[1]} << 16) |
                              (std::uint32_t{sealed[2]} << 8) | sealed[3];
  std::lock_guard commit_lock(impl_->commit_mu);  // keys change only under it
  auto k = impl_->keys_for(epoch);
  if (!k.ok()) return common::data_loss("replicated batch: " + k.status().message());
  auto plain = crypto::open_box(crypto::AeadAlg::kAes256Gcm, (*k)->entry_key, common::as_bytes(kReplicatedBatchAad),
                                sealed.subspan(4));
  if (!plain.ok()) return common::data_loss("replicated batch: failed authentication");
  std::vector<LedgerEntry> entries;
  Status st = [&]() -> Status {
    common::BinaryReader r(*plain, "replicated batch");
    T3N_ASSIGN_OR_RETURN(std::uint32_t n, r.u32());
    if (n == 0 || n > kMaxBatchEntries) return common::data_loss("replicated batch: bad entry count");
    entries.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      T3N_ASSIGN_OR_RETURN(ByteView one, r.bytes());
      T3N_ASSIGN_OR_RETURN(LedgerEntry e, decode_entry(one));
      if (e.key_epoch != epoch) return common::data_loss("replicated batch: an entry of another epoch");
      entries.push_back(std::move(e));
    }
    return r.finish();
  }();
  common::secure_zero(*plain);
  if (!st.ok()) return common::data_loss(st.message());
  return entries;
}

Result<LedgerEntry> Store::entry(Seqno seqno) const {
  std::string record;
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  std::shared_lock lock(impl_->db_mu);
  if (!impl_->db) return Impl::db_closed();
  auto s = impl_->db->Get(ro, impl_->ledger_cf, seqno_key(seqno), &record);
  if (s.IsNotFound()) return common::not_found("no ledger entry " + std::to_string(seqno));
  if (!s.ok()) return rocks_error(s, "reading ledger entry " + std::to_string(seqno));
  return impl_->open_record(seqno, record);
}

Result<Seqno> Store::sign_now() {
  if (impl_->opts.replicate) {
    std::lock_guard replication_lock(impl_->replication_mu);
    std::unique_lock commit_lock(impl_->commit_mu);
    if (impl_->last_seqno.load() == impl_->last_signature_seqno) return impl_->last_signature_seqno;
    T3N_ASSIGN_OR_RETURN(LedgerEntry e, impl_->build_signature_entry());
    commit_lock.unlock();
    T3N_RETURN_IF_ERROR(impl_->opts.replicate({e}));
    return e.seqno;
  }
  std::lock_guard commit_lock(impl_->commit_mu);
  if (impl_->last_seqno.load() == impl_->last_signature_seqno) return impl_->last_signature_seqno;
  return impl_->append_signature();
}

Result<Receipt> Store::receipt(Seqno seqno) const {
  if (seqno == 0 || seqno > impl_->last_seqno.load())
    return common::not_found("no committed entry " + std::to_string(seqno));
  // The first signature entry after seqno signs a tree that contains it.
  Seqno sig_seqno = 0;
  for (Seqno s = seqno + 1; s <= impl_->last_seqno.load(); ++s) {
    T3N_ASSIGN_OR_RETURN(LedgerEntry candidate, entry(s));
    if (candidate.is_signature()) {
      sig_seqno = s;
      break;
    }
  }
  if (sig_seqno == 0) return Status(ErrorCode::kUnavailable, "entry " + std::to_string(seqno) + " is not signed yet");
  T3N_ASSIGN_OR_RETURN(LedgerEntry e, entry(seqno));
  T3N_ASSIGN_OR_RETURN(LedgerEntry sig_entry, entry(sig_seqno));
  const auto& sig = std::get<SignatureBody>(sig_entry.body);
  Receipt r;
  r.seqno = seqno;
  T3N_ASSIGN_OR_RETURN(r.write_set_digest, impl_->entry_write_set_digest(e));
  T3N_ASSIGN_OR_RETURN(r.commit_evidence, impl_->commit_evidence(e));
  if (const auto* tx = std::get_if<TransactionBody>(&e.body)) r.claims_digest = tx->claims_digest;
  r.tree_size = sig.tree_size;
  {
    std::shared_lock lock(impl_->state_mu);
    T3N_ASSIGN_OR_RETURN(r.path, impl_->history.inclusion_proof(seqno - 1, sig.tree_size));
  }
  r.signature_seqno = sig_seqno;
  r.history_root = sig.history_root;
  r.state_root = sig.state_root;
  r.ed25519_public_key = sig.ed25519_public_key;
  r.ed25519_signature = sig.ed25519_signature;
  r.mldsa_public_key = sig.mldsa_public_key;
  r.mldsa_signature = sig.mldsa_signature;
  return r;
}

Result<StateProofResult> Store::prove(std::string_view map, ByteView key) {
  T3N_RETURN_IF_ERROR(validate_map_name(map));
  Impl::Published snapshot;
  std::optional<VersionedValue> latest;
  {
    // Shared and short: copy the frozen trees and the key's value, then walk
    // without the lock, so commits go on while the proof is built.
    std::shared_lock lock(impl_->state_mu);
    auto spec = impl_->specs.find(map);
    if (spec == impl_->specs.end()) return common::not_found("map '" + std::string(map) + "' does not exist");
    // Private keys live in the keyed tree: a proof would say nothing to a
    // client and could only leak, so they are not proven.
    if (spec->second.visibility != Visibility::kPublic)
      return common::permission_denied("map '" + std::string(map) + "' is not public: no proofs of private maps");
    snapshot = impl_->published;
    if (auto m = impl_->maps.find(map); m != impl_->maps.end())
      if (auto k = m->second.find(key); k != m->second.end() && !k->second.versions.empty())
        latest = k->second.versions.back();
  }
  if (impl_->opts.prove_hook) impl_->opts.prove_hook();
  StateProofResult out;
  out.proof = snapshot.public_tree.prove(state_key_hash(map, key));
  out.proof.private_root = snapshot.private_root;
  out.state_root = snapshot.state_root;
  out.seqno = snapshot.seqno;
  if (out.proof.proves_inclusion()) {
    if (!latest || !latest->value) return common::internal_error("state tree and maps disagree");
    out.value = std::move(latest->value);
    out.version = latest->version;
  }
  return out;
}

Status Store::flush() {
  rocksdb::FlushOptions fo;
  fo.wait = true;
  std::shared_lock lock(impl_->db_mu);
  if (!impl_->db) return Impl::db_closed();
  auto s = impl_->db->Flush(fo, {impl_->meta_cf, impl_->ledger_cf});
  if (!s.ok()) return rocks_error(s, "flushing the store");
  return {};
}

Status Store::rotate_ledger_secret(LedgerSecret secret) {
  std::lock_guard commit_lock(impl_->commit_mu);
  if (secret.epoch <= impl_->epoch)
    return common::invalid_argument("a new ledger secret needs an epoch above " + std::to_string(impl_->epoch));
  T3N_RETURN_IF_ERROR(impl_->add_epoch(secret));
  impl_->epoch = secret.epoch;
  return {};
}

Result<std::optional<Bytes>> Store::public_get(std::string_view map, ByteView key) const {
  std::shared_lock lock(impl_->state_mu);
  auto spec = impl_->specs.find(map);
  if (spec == impl_->specs.end()) return common::not_found("map '" + std::string(map) + "' does not exist");
  if (spec->second.visibility != Visibility::kPublic)
    return common::permission_denied("map '" + std::string(map) + "' is not public");
  auto m = impl_->maps.find(map);
  if (m == impl_->maps.end()) return std::optional<Bytes>{};
  auto k = m->second.find(key);
  if (k == m->second.end() || k->second.versions.empty()) return std::optional<Bytes>{};
  return k->second.versions.back().value;
}

std::optional<MapSpec> Store::map_spec(std::string_view name) const {
  std::shared_lock lock(impl_->state_mu);
  auto it = impl_->specs.find(name);
  if (it == impl_->specs.end()) return std::nullopt;
  return it->second;
}

Seqno Store::last_seqno() const { return impl_->last_seqno.load(); }

Digest32 Store::state_root() {
  std::shared_lock lock(impl_->state_mu);
  return impl_->published.state_root;
}

Digest32 Store::history_root() const {
  std::shared_lock lock(impl_->state_mu);
  return impl_->history.root();
}

std::uint32_t Store::current_epoch() const { return impl_->epoch; }

StoreStats Store::stats() const {
  StoreStats st;
  {
    std::shared_lock lock(impl_->state_mu);
    st.keys = impl_->key_count;
    st.live_keys = impl_->live_key_count;
    st.versions = impl_->version_count;
    st.pending_prunes = impl_->prune_queue.size();
    st.public_leaves = impl_->public_tree.leaf_count();
    st.private_leaves = impl_->private_tree.leaf_count();
  }
  {
    std::lock_guard lock(impl_->snap_mu);
    st.open_snapshots = impl_->active_snapshots.size();
  }
  st.signature_failures = impl_->signature_failures.load();
  st.write_failures = impl_->write_failures.load();
  return st;
}

// ---------------------------------------------------------------------------

Transaction::Transaction(Store* store, Principal principal, Seqno snapshot)
    : store_(store), principal_(std::move(principal)), snapshot_(snapshot) {}

Transaction::Transaction(Transaction&& o) noexcept
    : store_(o.store_),
      principal_(std::move(o.principal_)),
      snapshot_(o.snapshot_),
      finished_(o.finished_),
      reads_(std::move(o.reads_)),
      writes_(std::move(o.writes_)),
      claims_(o.claims_),
      new_maps_(std::move(o.new_maps_)),
      changed_maps_(std::move(o.changed_maps_)) {
  o.store_ = nullptr;
  o.finished_ = true;
}

Transaction& Transaction::operator=(Transaction&& o) noexcept {
  if (this != &o) {
    release();
    store_ = o.store_;
    principal_ = std::move(o.principal_);
    snapshot_ = o.snapshot_;
    finished_ = o.finished_;
    reads_ = std::move(o.reads_);
    writes_ = std::move(o.writes_);
    claims_ = o.claims_;
    new_maps_ = std::move(o.new_maps_);
    changed_maps_ = std::move(o.changed_maps_);
    o.store_ = nullptr;
    o.finished_ = true;
  }
  return *this;
}

Transaction::~Transaction() { release(); }

void Transaction::release() {
  if (store_ != nullptr && !finished_) {
    std::lock_guard lock(store_->impl_->snap_mu);
    auto& active = store_->impl_->active_snapshots;
    auto it = active.find(snapshot_);
    if (it != active.end()) active.erase(it);
  }
  finished_ = true;
}

Status Transaction::check_open() const {
  if (store_ == nullptr || finished_) return common::failed_precondition("transaction already committed or abandoned");
  return {};
}

Result<const MapSpec*> Transaction::spec_for(std::string_view map) {
  if (auto it = new_maps_.find(map); it != new_maps_.end()) return &it->second;
  if (auto it = changed_maps_.find(map); it != changed_maps_.end()) return &it->second;
  auto& specs = store_->impl_->specs;  // caller holds state_mu (shared)
  auto it = specs.find(map);
  if (it == specs.end()) return common::not_found("map '" + std::string(map) + "' does not exist");
  return &it->second;
}

Status Transaction::check_access(std::string_view map, bool write) {
  T3N_RETURN_IF_ERROR(check_open());
  T3N_RETURN_IF_ERROR(validate_map_name(map));
  bool own_tenant = true;
  if (!principal_.is_system()) {
    if (!is_tenant_map(map))
      return common::permission_denied("system map '" + std::string(map) + "' is reachable only through its host interface");
    own_tenant = map.substr(2, 40) == principal_.tenant_tid();
  } else if (map == kMapsRegistry) {
    return common::permission_denied("the map registry changes only through create_map");
  }
  std::shared_lock lock(store_->impl_->state_mu);
  auto found = spec_for(map);
  if (!found.ok()) {
    if (!own_tenant) return common::permission_denied("tenant contracts only reach z:<own tid>:* maps");
    return found.status();
  }
  const MapSpec* spec = *found;
  if (principal_.is_system()) return {};
  const auto id = principal_.contract_id();
  auto listed = [id](const std::vector<std::uint32_t>& ids) { return std::find(ids.begin(), ids.end(), id) != ids.end(); };
  bool allowed = false;
  if (!own_tenant) {
    allowed = listed(write ? spec->extra_writers : spec->extra_readers);
    if (!allowed) return common::permission_denied("tenant contracts only reach z:<own tid>:* maps");
  } else if (write) {
    allowed = spec->any_writer || listed(spec->writers) || listed(spec->extra_writers);
  } else {
    const bool readers_given = spec->readers_listed || !spec->readers.empty();
    allowed = spec->any_reader || listed(readers_given ? spec->readers : spec->writers) || listed(spec->extra_readers);
  }
  if (!allowed)
    return common::permission_denied("contract " + std::to_string(id) + " may not " + (write ? "write" : "read") +
                                     " map '" + std::string(map) + "'");
  return {};
}

Result<std::optional<Bytes>> Transaction::get(std::string_view map, ByteView key) {
  T3N_RETURN_IF_ERROR(check_access(map, false));
  auto k = std::make_pair(std::string(map), common::to_bytes(key));
  if (auto w = writes_.find(k); w != writes_.end()) return w->second;
  std::shared_lock lock(store_->impl_->state_mu);
  Seqno version = 0;
  std::optional<Bytes> value;
  auto m = store_->impl_->maps.find(map);
  if (m != store_->impl_->maps.end()) {
    if (auto it = m->second.find(key); it != m->second.end()) {
      // A removal reads as absent (version 0), like a key never written.
      if (const VersionedValue* vv = it->second.at(snapshot_); vv != nullptr && vv->value) {
        version = vv->version;
        value = vv->value;
      }
    }
  }
  reads_.emplace(std::move(k), version);  // first read wins: it is what the transaction saw
  return value;
}

Status Transaction::put(std::string_view map, ByteView key, ByteView value) {
  if (key.size() > kMaxKeySize) return common::invalid_argument("key larger than " + std::to_string(kMaxKeySize) + " bytes");
  if (value.size() > kMaxValueSize)
    return Status(ErrorCode::kResourceExhausted, "value larger than " + std::to_string(kMaxValueSize) + " bytes");
  T3N_RETURN_IF_ERROR(check_access(map, true));
  if (!principal_.is_system()) T3N_RETURN_IF_ERROR(key_rule_check(map, key));
  writes_[{std::string(map), common::to_bytes(key)}] = common::to_bytes(value);
  return {};
}

Result<bool> Transaction::remove(std::string_view map, ByteView key) {
  T3N_RETURN_IF_ERROR(check_access(map, true));
  T3N_ASSIGN_OR_RETURN(std::optional<Bytes> existing, get(map, key));
  writes_[{std::string(map), common::to_bytes(key)}] = std::nullopt;
  return existing.has_value();
}

Result<std::vector<std::pair<Bytes, Bytes>>> Transaction::scan(std::string_view map, ByteView start, ByteView end,
                                                              std::uint32_t limit) {
  if (limit == 0) return common::invalid_argument("scan limit must be greater than 0");
  T3N_RETURN_IF_ERROR(check_access(map, false));
  const Bytes lo = common::to_bytes(start);
  const Bytes hi = common::to_bytes(end);
  const bool bounded = !end.empty();
  // Snapshot rows, then this transaction's own writes over them.
  std::map<Bytes, std::optional<Bytes>> rows;
  {
    std::shared_lock lock(store_->impl_->state_mu);
    auto m = store_->impl_->maps.find(map);
    if (m != store_->impl_->maps.end()) {
      for (auto it = m->second.lower_bound(lo); it != m->second.end(); ++it) {
        if (bounded && it->first >= hi) break;
        const VersionedValue* vv = it->second.at(snapshot_);
        if (vv != nullptr && vv->value) rows.emplace(it->first, vv->value);
        // Enough rows even if every own write below were a delete.
        if (rows.size() >= static_cast<std::size_t>(limit) + writes_.size()) break;
      }
    }
  }
  const std::string map_name(map);
  for (auto it = writes_.lower_bound({map_name, lo}); it != writes_.end() && it->first.first == map_name; ++it) {
    if (bounded && it->first.second >= hi) break;
    rows[it->first.second] = it->second;
  }
  std::vector<std::pair<Bytes, Bytes>> out;
  for (auto& [k, v] : rows) {
    if (!v) continue;
    out.emplace_back(k, std::move(*v));
    if (out.size() == limit) break;
  }
  return out;
}

Status Transaction::set_claims_digest(ByteView digest) {
  T3N_RETURN_IF_ERROR(check_open());
  if (digest.size() != 32) return common::invalid_argument("claims digest must be exactly 32 bytes");
  Digest32 d{};
  std::copy(digest.begin(), digest.end(), d.begin());
  claims_ = d;
  return {};
}

std::map<std::string, std::uint64_t> Transaction::tenant_write_bytes() const {
  std::map<std::string, std::uint64_t> out;
  for (const auto& [k, v] : writes_)
    if (is_tenant_map(k.first)) out[k.first] += k.second.size() + (v ? v->size() : 0);
  return out;
}

Status KeyRule::check(ByteView key) const {
  if (max_len != 0 && key.size() > max_len)
    return common::invalid_argument("key longer than the map's limit of " + std::to_string(max_len) + " bytes");
  if (key.size() < prefix.size() || !std::equal(prefix.begin(), prefix.end(), key.begin(),
                                                [](char a, std::uint8_t b) { return static_cast<std::uint8_t>(a) == b; }))
    return common::invalid_argument("key does not start with the map's key prefix");
  for (std::uint8_t c : key) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool ok = charset == Charset::kAny         ? true
                    : charset == Charset::kAlnum     ? alnum || c == '_' || c == '-'
                    : charset == Charset::kHex       ? (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
                                                     : c >= 0x20 && c < 0x7f;
    if (!ok) return common::invalid_argument("key has a character the map's key validator refuses");
  }
  return {};
}

Status Transaction::key_rule_check(std::string_view map, ByteView key) {
  std::shared_lock lock(store_->impl_->state_mu);
  T3N_ASSIGN_OR_RETURN(const MapSpec* spec, spec_for(map));
  return spec->key_rule.check(key);
}

Status Transaction::update_map(MapSpec spec) {
  T3N_RETURN_IF_ERROR(check_open());
  if (!principal_.is_system()) return common::permission_denied("only the node changes maps");
  T3N_RETURN_IF_ERROR(validate_map_name(spec.name));
  if (spec.name == kMapsRegistry) return common::invalid_argument("'t3n:maps' is reserved");
  Seqno version = 0;
  {
    std::shared_lock lock(store_->impl_->state_mu);
    T3N_ASSIGN_OR_RETURN(const MapSpec* old, spec_for(spec.name));
    if (old->visibility != spec.visibility)
      return common::invalid_argument("map '" + spec.name + "': the visibility of a map never changes");
    auto m = store_->impl_->maps.find(kMapsRegistry);
    if (m != store_->impl_->maps.end())
      if (auto it = m->second.find(common::to_bytes(spec.name)); it != m->second.end())
        if (const VersionedValue* vv = it->second.at(snapshot_); vv != nullptr && vv->value) version = vv->version;
  }
  const std::string name = spec.name;
  writes_[{std::string(kMapsRegistry), common::to_bytes(name)}] = encode_spec(spec);
  reads_.emplace(std::make_pair(std::string(kMapsRegistry), common::to_bytes(name)), version);
  if (auto it = new_maps_.find(name); it != new_maps_.end()) {
    it->second = std::move(spec);
  } else {
    changed_maps_[name] = std::move(spec);
  }
  return {};
}

Status Transaction::create_map(MapSpec spec) {
  T3N_RETURN_IF_ERROR(check_open());
  if (!principal_.is_system()) return common::permission_denied("only the node creates maps");
  T3N_RETURN_IF_ERROR(validate_map_name(spec.name));
  if (spec.name == kMapsRegistry) return common::invalid_argument("'t3n:maps' is reserved");
  // A name that promises public data keeps its promise; other tenant maps
  // take the visibility they are created with (tee:tenant map-create).
  if (is_public_tenant_name(spec.name) && spec.visibility != Visibility::kPublic)
    return common::invalid_argument("tenant map '" + spec.name + "': maps named z:<tid>:public:<name> are public");
  if (new_maps_.count(spec.name) != 0 || store_->map_spec(spec.name))
    return Status(ErrorCode::kAlreadyExists, "map '" + spec.name + "' already exists");
  writes_[{std::string(kMapsRegistry), common::to_bytes(spec.name)}] = encode_spec(spec);
  // The registry key is read as absent: two concurrent creations conflict.
  reads_.emplace(std::make_pair(std::string(kMapsRegistry), common::to_bytes(spec.name)), 0);
  std::string name = spec.name;
  new_maps_.emplace(std::move(name), std::move(spec));
  return {};
}

}  // namespace t3n::store
