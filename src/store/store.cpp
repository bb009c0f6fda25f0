#include "store/store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <chrono>
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
constexpr std::string_view kFormatValue = "t3n-store-v1";

bool is_hex_lower(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_tail_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == ':';
}

Bytes encode_spec(const MapSpec& s) {
  common::BinaryWriter w;
  w.u8(1);
  w.string(s.name);
  w.u8(static_cast<std::uint8_t>(s.visibility));
  w.u32(static_cast<std::uint32_t>(s.writers.size()));
  for (auto id : s.writers) w.u32(id);
  w.u32(static_cast<std::uint32_t>(s.readers.size()));
  for (auto id : s.readers) w.u32(id);
  return w.take();
}

Result<MapSpec> decode_spec(ByteView data) {
  common::BinaryReader r(data, "map spec");
  T3N_ASSIGN_OR_RETURN(std::uint8_t version, r.u8());
  if (version != 1) return common::invalid_argument("map spec: unknown version");
  MapSpec s;
  T3N_ASSIGN_OR_RETURN(s.name, r.string(kMaxMapNameSize));
  T3N_ASSIGN_OR_RETURN(std::uint8_t vis, r.u8());
  if (vis > 1) return common::invalid_argument("map spec: unknown visibility");
  s.visibility = static_cast<Visibility>(vis);
  for (auto* list : {&s.writers, &s.readers}) {
    T3N_ASSIGN_OR_RETURN(std::uint32_t n, r.u32());
    if (n > r.remaining() / 4) return common::invalid_argument("map spec: truncated ACL");
    for (std::uint32_t i = 0; i < n; ++i) {
      T3N_ASSIGN_OR_RETURN(std::uint32_t id, r.u32());
      list->push_back(id);
    }
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

struct EpochKeys {
  SecretBytes entry_key;     // AES-256-GCM, ledger records at rest
  SecretBytes evidence_key;  // HMAC-SHA256, commit evidence
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
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::ColumnFamilyHandle* meta_cf = nullptr;    // owned by `handles`
  rocksdb::ColumnFamilyHandle* ledger_cf = nullptr;
  std::vector<std::unique_ptr<rocksdb::ColumnFamilyHandle>> handles;

  std::map<std::uint32_t, EpochKeys> keys;
  std::uint32_t epoch = 0;

  // Guards maps/specs/tree/history. Commits hold commit_mu and take state_mu
  // exclusively only to apply; transactions read under a shared lock.
  mutable std::shared_mutex state_mu;
  std::mutex commit_mu;
  std::map<std::string, MapData, std::less<>> maps;
  std::map<std::string, MapSpec, std::less<>> specs;
  StateTree tree;
  HistoryTree history;
  std::atomic<Seqno> last_seqno{0};
  std::uint64_t last_timestamp = 0;
  Seqno last_signature_seqno = 0;
  std::uint64_t last_signature_time = 0;

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

  ~Impl() {
    handles.clear();  // column families before the DB
    db.reset();
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
    T3N_ASSIGN_OR_RETURN(SecretBytes ek, crypto::derive_key(s.secret, "store/ledger-entry", {}, 32));
    T3N_ASSIGN_OR_RETURN(SecretBytes ck, crypto::derive_key(s.secret, "store/commit-evidence", {}, 32));
    keys.emplace(s.epoch, EpochKeys{std::move(ek), std::move(ck)});
    return {};
  }

  Result<const EpochKeys*> keys_for(std::uint32_t e) const {
    auto it = keys.find(e);
    if (it == keys.end()) return failed_epoch(e);
    return &it->second;
  }
  static Status failed_epoch(std::uint32_t e) {
    return common::failed_precondition("no ledger secret for epoch " + std::to_string(e));
  }

  Result<Digest32> commit_evidence(const LedgerEntry& e) const {
    T3N_ASSIGN_OR_RETURN(const EpochKeys* k, keys_for(e.key_epoch));
    Bytes msg = common::to_bytes("t3n/commit-evidence");
    common::append_u64_be(msg, e.seqno);
    return crypto::hmac_sha256(k->evidence_key, msg);
  }

  Result<Digest32> leaf_for(const LedgerEntry& e) const {
    T3N_ASSIGN_OR_RETURN(Digest32 ce, commit_evidence(e));
    Digest32 claims{};
    if (const auto* tx = std::get_if<TransactionBody>(&e.body)) claims = tx->claims_digest;
    return history_leaf(write_set_digest(e), ce, claims);
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

  // Newest version of a key (0 if never written, or pruned away).
  Seqno current_version(std::string_view map, ByteView key) const {
    auto m = maps.find(map);
    if (m == maps.end()) return 0;
    auto k = m->second.find(key);
    if (k == m->second.end() || k->second.versions.empty()) return 0;
    return k->second.versions.back().version;
  }

  // Drops versions no active snapshot can see. Caller holds state_mu exclusively.
  void prune(MapData& data, MapData::iterator it) {
    Seqno oldest;
    {
      std::lock_guard lock(snap_mu);
      oldest = active_snapshots.empty() ? last_seqno.load() : *active_snapshots.begin();
    }
    auto& v = it->second.versions;
    std::size_t keep_from = 0;
    for (std::size_t i = 0; i < v.size(); ++i)
      if (v[i].version <= oldest) keep_from = i;
    if (keep_from > 0) v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(keep_from));
    if (v.size() == 1 && !v[0].value && v[0].version <= oldest) data.erase(it);
  }

  // Applies a decoded entry to memory. Caller holds state_mu exclusively.
  Status apply_in_memory(const LedgerEntry& e) {
    T3N_ASSIGN_OR_RETURN(Digest32 leaf, leaf_for(e));
    if (const auto* tx = std::get_if<TransactionBody>(&e.body)) {
      for (const auto& w : tx->writes) {
        auto& data = maps[w.map];
        auto [it, inserted] = data.try_emplace(w.key);
        it->second.versions.push_back({e.seqno, w.value});
        const Digest32 kh = state_key_hash(w.map, w.key);
        if (w.value) tree.update(kh, state_value_hash(e.seqno, *w.value), e.seqno);
        else tree.update(kh, std::nullopt, e.seqno);
        if (w.map == kMapsRegistry) {
          if (w.value) {
            auto spec = decode_spec(*w.value);
            if (!spec.ok()) return spec.status();
            specs[spec->name] = std::move(*spec);
          } else {
            specs.erase(common::to_string(w.key));
          }
        }
        prune(data, it);
      }
    } else {
      last_signature_seqno = e.seqno;
      last_signature_time = e.timestamp_ms;
    }
    history.append(leaf);
    last_timestamp = std::max(last_timestamp, e.timestamp_ms);
    last_seqno.store(e.seqno);
    return {};
  }

  Status persist(const std::vector<LedgerEntry>& entries) {
    rocksdb::WriteBatch batch;
    for (const auto& e : entries) {
      T3N_ASSIGN_OR_RETURN(std::string record, seal_entry(e));
      batch.Put(ledger_cf, seqno_key(e.seqno), record);
    }
    rocksdb::WriteOptions wo;
    wo.sync = opts.sync_writes;
    auto s = db->Write(wo, &batch);
    if (!s.ok()) return rocks_error(s, "writing the ledger");
    return {};
  }

  // Builds, persists and applies a signature entry for everything so far.
  // Caller holds commit_mu.
  Result<Seqno> append_signature() {
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
      s.state_root = tree.root();
    }
    const Bytes payload = signature_payload(g, s.tree_size, s.history_root, s.state_root);
    const auto& k = *opts.signing_keys;
    T3N_ASSIGN_OR_RETURN(s.ed25519_signature, k.ed25519.sign(payload));
    T3N_ASSIGN_OR_RETURN(s.mldsa_signature, crypto::mldsa65_sign(k.mldsa.secret_key, payload));
    s.ed25519_public_key = k.ed25519.public_key();
    s.mldsa_public_key = k.mldsa.public_key;
    e.body = std::move(s);
    T3N_RETURN_IF_ERROR(persist({e}));
    std::unique_lock lock(state_mu);
    T3N_RETURN_IF_ERROR(apply_in_memory(e));
    return g;
  }

  // Checks a signature entry against the local state (replay and replication).
  Status check_signature_entry(const LedgerEntry& e) {
    const auto& s = std::get<SignatureBody>(e.body);
    if (s.tree_size + 1 != e.seqno) return common::data_loss("signature entry " + std::to_string(e.seqno) + " covers the wrong tree");
    if (s.history_root != history.root() || s.state_root != tree.root())
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

  Status replay() {
    rocksdb::ReadOptions ro;
    ro.verify_checksums = true;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, ledger_cf));
    Seqno expected = 1;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const Seqno seqno = seqno_from_key(it->key());
      if (it->key().size() != 8 || seqno != expected)
        return common::data_loss("ledger is missing entry " + std::to_string(expected));
      T3N_ASSIGN_OR_RETURN(LedgerEntry e, open_record(seqno, it->value()));
      if (e.is_signature()) T3N_RETURN_IF_ERROR(check_signature_entry(e));
      T3N_RETURN_IF_ERROR(apply_in_memory(e));
      ++expected;
    }
    if (!it->status().ok()) return rocks_error(it->status(), "reading the ledger");
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

  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  db_opts.paranoid_checks = true;
  db_opts.max_open_files = 256;
  db_opts.keep_log_file_num = 3;
  rocksdb::ColumnFamilyOptions cf_opts;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs{{rocksdb::kDefaultColumnFamilyName, cf_opts},
                                                   {"ledger", cf_opts}};
  std::vector<rocksdb::ColumnFamilyHandle*> raw_handles;
  rocksdb::DB* raw_db = nullptr;
  auto s = rocksdb::DB::Open(db_opts, impl->opts.path.string(), cfs, &raw_handles, &raw_db);
  if (!s.ok()) return rocks_error(s, "opening the store at " + impl->opts.path.string());
  impl->db.reset(raw_db);
  for (auto* h : raw_handles) impl->handles.emplace_back(h);
  impl->meta_cf = raw_handles[0];
  impl->ledger_cf = raw_handles[1];

  std::string format;
  s = impl->db->Get(rocksdb::ReadOptions(), impl->meta_cf, std::string(kFormatKey), &format);
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

std::vector<Result<CommitInfo>> Store::commit_batch(std::vector<Transaction>& txs) {
  std::vector<Result<CommitInfo>> results;
  results.reserve(txs.size());
  std::lock_guard commit_lock(impl_->commit_mu);
  const std::uint64_t now = std::max(impl_->now_ms(), impl_->last_timestamp);
  Seqno next = impl_->last_seqno.load() + 1;
  std::vector<LedgerEntry> entries;
  std::vector<std::size_t> entry_tx;  // index into txs for each entry
  // Versions written by earlier transactions of this batch.
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
      batch_versions[k] = e.seqno;
      body.writes.push_back(Write{k.first, k.second, v});
    }
    for (const auto& [name, spec] : tx.new_maps_) batch_maps.insert(name);
    e.body = std::move(body);
    entries.push_back(std::move(e));
    entry_tx.push_back(i);
    results.emplace_back(CommitInfo{entries.back().seqno, true});
  }

  if (!entries.empty()) {
    Status persisted = impl_->persist(entries);
    if (persisted.ok()) {
      std::unique_lock lock(impl_->state_mu);
      for (const auto& e : entries) {
        Status applied = impl_->apply_in_memory(e);
        if (!applied.ok()) {
          persisted = applied;
          break;
        }
      }
    }
    if (!persisted.ok()) {
      for (std::size_t idx : entry_tx) results[idx] = persisted;
    }
  }
  for (auto& tx : txs) tx.release();
  if (impl_->signature_due(now)) (void)impl_->append_signature();
  return results;
}

Status Store::apply(const LedgerEntry& entry) {
  std::lock_guard commit_lock(impl_->commit_mu);
  if (entry.seqno != impl_->last_seqno.load() + 1)
    return common::failed_precondition("apply: expected seqno " + std::to_string(impl_->last_seqno.load() + 1) +
                                       ", got " + std::to_string(entry.seqno));
  if (!impl_->keys_for(entry.key_epoch).ok()) return Impl::failed_epoch(entry.key_epoch);
  if (entry.is_signature()) {
    std::shared_lock lock(impl_->state_mu);
    T3N_RETURN_IF_ERROR(impl_->check_signature_entry(entry));
  } else {
    for (const auto& w : std::get<TransactionBody>(entry.body).writes) T3N_RETURN_IF_ERROR(validate_map_name(w.map));
  }
  T3N_RETURN_IF_ERROR(impl_->persist({entry}));
  std::unique_lock lock(impl_->state_mu);
  return impl_->apply_in_memory(entry);
}

Result<LedgerEntry> Store::entry(Seqno seqno) const {
  std::string record;
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  auto s = impl_->db->Get(ro, impl_->ledger_cf, seqno_key(seqno), &record);
  if (s.IsNotFound()) return common::not_found("no ledger entry " + std::to_string(seqno));
  if (!s.ok()) return rocks_error(s, "reading ledger entry " + std::to_string(seqno));
  return impl_->open_record(seqno, record);
}

Result<Seqno> Store::sign_now() {
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
  r.write_set_digest = write_set_digest(e);
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
  // Exclusive: proving recomputes changed tree hashes.
  std::unique_lock lock(impl_->state_mu);
  StateProofResult out;
  out.proof = impl_->tree.prove(state_key_hash(map, key));
  out.state_root = impl_->tree.root();
  out.seqno = impl_->last_seqno.load();
  if (out.proof.proves_inclusion()) {
    const auto& data = impl_->maps.at(std::string(map));
    const auto& latest = data.find(key)->second.versions.back();
    out.value = latest.value;
    out.version = latest.version;
  }
  return out;
}

Status Store::flush() {
  rocksdb::FlushOptions fo;
  fo.wait = true;
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
  std::unique_lock lock(impl_->state_mu);
  return impl_->tree.root();
}

Digest32 Store::history_root() const {
  std::shared_lock lock(impl_->state_mu);
  return impl_->history.root();
}

std::uint32_t Store::current_epoch() const { return impl_->epoch; }

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
      new_maps_(std::move(o.new_maps_)) {
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
  auto& specs = store_->impl_->specs;  // caller holds state_mu (shared)
  auto it = specs.find(map);
  if (it == specs.end()) return common::not_found("map '" + std::string(map) + "' does not exist");
  return &it->second;
}

Status Transaction::check_access(std::string_view map, bool write) {
  T3N_RETURN_IF_ERROR(check_open());
  T3N_RETURN_IF_ERROR(validate_map_name(map));
  if (!principal_.is_system()) {
    if (!is_tenant_map(map))
      return common::permission_denied("system map '" + std::string(map) + "' is reachable only through its host interface");
    if (map.substr(2, 40) != principal_.tenant_tid())
      return common::permission_denied("tenant contracts only reach z:<own tid>:* maps");
  } else if (map == kMapsRegistry) {
    return common::permission_denied("the map registry changes only through create_map");
  }
  std::shared_lock lock(store_->impl_->state_mu);
  T3N_ASSIGN_OR_RETURN(const MapSpec* spec, spec_for(map));
  if (principal_.is_system()) return {};
  const auto id = principal_.contract_id();
  const auto& writers = spec->writers;
  const auto& readers = spec->readers.empty() ? spec->writers : spec->readers;
  const auto& acl = write ? writers : readers;
  if (std::find(acl.begin(), acl.end(), id) == acl.end())
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
      if (const VersionedValue* vv = it->second.at(snapshot_)) {
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

Status Transaction::create_map(MapSpec spec) {
  T3N_RETURN_IF_ERROR(check_open());
  if (!principal_.is_system()) return common::permission_denied("only the node creates maps");
  T3N_RETURN_IF_ERROR(validate_map_name(spec.name));
  if (spec.name == kMapsRegistry) return common::invalid_argument("'t3n:maps' is reserved");
  if (is_tenant_map(spec.name)) {
    const bool public_name = is_public_tenant_name(spec.name);
    if (public_name != (spec.visibility == Visibility::kPublic))
      return common::invalid_argument("tenant map '" + spec.name +
                                      "': public maps, and only they, are named z:<tid>:public:<name>");
  }
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
