#include "consensus/raft_node.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <climits>
#include <cstring>

#include "common/binary.h"
#include "consensus/raft_codec.h"
#include "crypto/random.h"

namespace t3n::consensus {
namespace {

// RocksDB keys of the Raft log: term, vote, and one entry per index.
const std::string kTermKey = "t";
const std::string kVoteKey = "v";
// The last snapshot: its metadata, configuration and (small) data.
const std::string kSnapshotKey = "s";

std::string entry_key(raft_index index) {
  std::string k = "e";
  for (int shift = 56; shift >= 0; shift -= 8) k.push_back(static_cast<char>((index >> shift) & 0xff));
  return k;
}

raft_index index_of(const rocksdb::Slice& key) {
  raft_index v = 0;
  for (std::size_t i = 1; i < 9 && i < key.size(); ++i) v = (v << 8) | static_cast<std::uint8_t>(key[i]);
  return v;
}

std::string u64_value(std::uint64_t v) {
  common::BinaryWriter w;
  w.u64(v);
  return common::to_string(w.take());
}

std::uint64_t u64_of(const std::string& s) {
  std::uint64_t v = 0;
  for (char c : s) v = (v << 8) | static_cast<std::uint8_t>(c);
  return v;
}

std::string entry_value(const raft_entry& e) {
  common::BinaryWriter w;
  w.u64(e.term);
  w.u16(e.type);
  w.raw(ByteView(static_cast<const std::uint8_t*>(e.buf.base), e.buf.len));
  return common::to_string(w.take());
}

std::string snapshot_value(const raft_snapshot& s) {
  common::BinaryWriter w;
  w.u64(s.index);
  w.u64(s.term);
  w.u64(s.configuration_index);
  encode_configuration(w, s.configuration);
  std::size_t size = 0;
  for (unsigned i = 0; i < s.n_bufs; ++i) size += s.bufs[i].len;
  w.u32(static_cast<std::uint32_t>(size));
  for (unsigned i = 0; i < s.n_bufs; ++i) w.raw(ByteView(static_cast<const std::uint8_t*>(s.bufs[i].base), s.bufs[i].len));
  return common::to_string(w.take());
}

// A raft_snapshot allocated as libraft frees it (snapshotClose + raft_free).
Result<raft_snapshot*> snapshot_of(const std::string& value) {
  common::BinaryReader r(common::as_bytes(value));
  auto* s = static_cast<raft_snapshot*>(raft_calloc(1, sizeof(raft_snapshot)));
  if (s == nullptr) return Status(ErrorCode::kResourceExhausted, "out of memory");
  auto fail = [&](Status st) -> Result<raft_snapshot*> {
    raft_free(s);
    return st;
  };
  auto index = r.u64(), term = r.u64(), conf_index = r.u64();
  if (!index.ok() || !term.ok() || !conf_index.ok()) return fail(common::data_loss("raft snapshot record is truncated"));
  s->index = *index;
  s->term = *term;
  s->configuration_index = *conf_index;
  if (Status st = decode_configuration(r, s->configuration); !st.ok()) return fail(common::data_loss(st.message()));
  auto data = r.bytes();
  if (!data.ok() || !r.finish().ok()) {
    raft_configuration_close(&s->configuration);
    return fail(common::data_loss("raft snapshot record is malformed"));
  }
  s->bufs = static_cast<raft_buffer*>(raft_malloc(sizeof(raft_buffer)));
  void* base = raft_malloc(data->size() > 0 ? data->size() : 1);
  if (s->bufs == nullptr || base == nullptr) {
    raft_free(s->bufs);
    raft_free(base);
    raft_configuration_close(&s->configuration);
    return fail(Status(ErrorCode::kResourceExhausted, "out of memory"));
  }
  std::memcpy(base, data->data(), data->size());
  s->bufs[0].base = base;
  s->bufs[0].len = data->size();
  s->n_bufs = 1;
  return s;
}

void free_snapshot(raft_snapshot* s) {
  if (s == nullptr) return;
  raft_configuration_close(&s->configuration);
  for (unsigned i = 0; i < s->n_bufs; ++i) raft_free(s->bufs[i].base);
  raft_free(s->bufs);
  raft_free(s);
}

void set_error(raft_io* io, const std::string& what) {
  std::snprintf(io->errmsg, RAFT_ERRMSG_BUF_SIZE, "%s", what.c_str());
}

}  // namespace

// libraft's raft_io methods, each forwarding to the node in io->impl. All
// run on the loop thread (libraft calls them from its callbacks there).
struct RaftNode::Io {
  static RaftNode& node(raft_io* io) { return *static_cast<RaftNode*>(io->impl); }

  static int write(raft_io* io, rocksdb::WriteBatch& batch) {
    RaftNode& n = node(io);
    rocksdb::WriteOptions wo;
    wo.sync = n.opts_.sync_writes;
    auto s = n.db_->Write(wo, &batch);
    if (!s.ok()) {
      set_error(io, "raft log write: " + s.ToString());
      return RAFT_IOERR;
    }
    return 0;
  }

  static int init(raft_io*, raft_id, const char*) { return 0; }

  static void close(raft_io* io, raft_io_close_cb cb) {
    RaftNode& n = node(io);
    // What libraft still waits for is answered first, as cancelled.
    std::deque<std::pair<std::function<void(int)>, int>> pending;
    {
      std::lock_guard lock(n.mu_);
      pending.swap(n.completions_);
    }
    for (auto& [fn, status] : pending) fn(RAFT_CANCELED);
    if (cb != nullptr) cb(io);
  }

  static int load(raft_io* io, raft_term* term, raft_id* voted_for, raft_snapshot** snapshot, raft_index* start_index,
                  raft_entry* entries[], size_t* n_entries) {
    RaftNode& n = node(io);
    std::string v;
    n.term_ = n.db_->Get(rocksdb::ReadOptions(), kTermKey, &v).ok() ? u64_of(v) : 0;
    n.vote_ = n.db_->Get(rocksdb::ReadOptions(), kVoteKey, &v).ok() ? u64_of(v) : 0;
    *term = n.term_;
    *voted_for = n.vote_;
    *snapshot = nullptr;
    *entries = nullptr;
    *n_entries = 0;
    raft_index snapshot_index = 0;
    if (n.db_->Get(rocksdb::ReadOptions(), kSnapshotKey, &v).ok()) {
      auto snap = snapshot_of(v);
      if (!snap.ok()) {
        set_error(io, "raft snapshot: " + snap.status().message());
        return RAFT_CORRUPT;
      }
      snapshot_index = (*snap)->index;
      *snapshot = *snap;
    }
    auto fail = [&](int rv, const std::string& what) {
      set_error(io, what);
      free_snapshot(*snapshot);
      *snapshot = nullptr;
      return rv;
    };
    // The log starts where compaction left it: at most one past the
    // snapshot, or at 1 without one.
    std::vector<std::string> values;
    std::unique_ptr<rocksdb::Iterator> it(n.db_->NewIterator(rocksdb::ReadOptions()));
    it->Seek("e");
    const raft_index first = it->Valid() && it->key().starts_with("e") ? index_of(it->key()) : snapshot_index + 1;
    if (first == 0 || first > snapshot_index + 1)
      return fail(RAFT_CORRUPT, "raft log: entries start at " + std::to_string(first) + ", after the snapshot at " +
                                    std::to_string(snapshot_index));
    raft_index expected = first;
    std::size_t total = 0;
    for (; it->Valid() && it->key().starts_with("e"); it->Next()) {
      if (it->key().size() != 9 || index_of(it->key()) != expected || it->value().size() < 10)
        return fail(RAFT_CORRUPT, "raft log: entry " + std::to_string(expected) + " is missing or malformed");
      values.push_back(it->value().ToString());
      total += values.back().size() - 10;
      ++expected;
    }
    if (!it->status().ok()) return fail(RAFT_IOERR, "raft log: " + it->status().ToString());
    *start_index = first;
    n.first_index_ = first;
    n.snapshot_index_ = snapshot_index;
    n.last_index_ = first + values.size() - 1;
    if (values.empty()) return 0;
    auto* out = static_cast<raft_entry*>(raft_calloc(values.size(), sizeof(raft_entry)));
    auto* batch = static_cast<std::uint8_t*>(raft_malloc(total > 0 ? total : 1));
    if (out == nullptr || batch == nullptr) {
      raft_free(out);
      raft_free(batch);
      return fail(RAFT_NOMEM, "out of memory loading the raft log");
    }
    std::uint8_t* at = batch;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto* p = reinterpret_cast<const std::uint8_t*>(values[i].data());
      std::uint64_t t = 0;
      for (int b = 0; b < 8; ++b) t = (t << 8) | p[b];
      out[i].term = t;
      out[i].type = static_cast<unsigned short>((p[8] << 8) | p[9]);
      out[i].batch = batch;
      out[i].buf.base = at;
      out[i].buf.len = values[i].size() - 10;
      std::memcpy(at, p + 10, out[i].buf.len);
      at += out[i].buf.len;
    }
    *entries = out;
    *n_entries = values.size();
    return 0;
  }

  static int start(raft_io* io, unsigned msecs, raft_io_tick_cb tick, raft_io_recv_cb recv) {
    RaftNode& n = node(io);
    n.opts_.tick_ms = msecs > 0 ? msecs : n.opts_.tick_ms;
    n.tick_cb_ = tick;
    n.recv_cb_ = recv;
    return 0;
  }

  static int bootstrap(raft_io* io, const raft_configuration* conf) {
    RaftNode& n = node(io);
    std::string v;
    // A fresh log has no term and no entry (one seek, not a scan: load()
    // reads the log once, at start).
    std::unique_ptr<rocksdb::Iterator> it(n.db_->NewIterator(rocksdb::ReadOptions()));
    it->Seek("e");
    const bool has_entries = it->Valid() && it->key().starts_with("e");
    if (n.db_->Get(rocksdb::ReadOptions(), kTermKey, &v).ok() || has_entries) return RAFT_CANTBOOTSTRAP;
    raft_buffer buf{};
    if (int rv = raft_configuration_encode(conf, &buf); rv != 0) return rv;
    raft_entry e{};
    e.term = 1;
    e.type = RAFT_CHANGE;
    e.buf = buf;
    rocksdb::WriteBatch batch;
    batch.Put(entry_key(1), entry_value(e));
    batch.Put(kTermKey, u64_value(1));
    batch.Put(kVoteKey, u64_value(0));
    raft_free(buf.base);
    if (int rv = write(io, batch); rv != 0) return rv;
    n.last_index_ = 1;
    n.term_ = 1;
    return 0;
  }

  static int recover(raft_io* io, const raft_configuration*) {
    set_error(io, "forced configuration recovery is not supported");
    return RAFT_IOERR;
  }

  static int set_term(raft_io* io, raft_term term) {
    rocksdb::WriteBatch batch;
    batch.Put(kTermKey, u64_value(term));
    batch.Put(kVoteKey, u64_value(0));
    if (int rv = write(io, batch); rv != 0) return rv;
    node(io).term_ = term;
    node(io).vote_ = 0;
    return 0;
  }

  static int set_vote(raft_io* io, raft_id id) {
    rocksdb::WriteBatch batch;
    batch.Put(kVoteKey, u64_value(id));
    if (int rv = write(io, batch); rv != 0) return rv;
    node(io).vote_ = id;
    return 0;
  }

  static int send(raft_io* io, raft_io_send* req, const raft_message* message, raft_io_send_cb cb) {
    RaftNode& n = node(io);
    raft_message from_me = *message;  // the receiver sees who sent it
    from_me.server_id = n.opts_.id;
    from_me.server_address = n.opts_.address.c_str();
    Status sent = n.transport_.send(message->server_id, message->server_address != nullptr ? message->server_address : "",
                                    encode_raft_message(from_me));
    req->cb = cb;
    std::lock_guard lock(n.mu_);
    n.completions_.emplace_back(
        [req](int status) {
          if (req->cb != nullptr) req->cb(req, status);
        },
        sent.ok() ? 0 : RAFT_NOCONNECTION);
    return 0;
  }

  static int append(raft_io* io, raft_io_append* req, const raft_entry entries[], unsigned count, raft_io_append_cb cb) {
    RaftNode& n = node(io);
    rocksdb::WriteBatch batch;
    for (unsigned i = 0; i < count; ++i) batch.Put(entry_key(n.last_index_ + 1 + i), entry_value(entries[i]));
    if (int rv = write(io, batch); rv != 0) return rv;
    n.last_index_ += count;
    req->cb = cb;
    std::lock_guard lock(n.mu_);
    n.completions_.emplace_back(
        [req](int status) {
          if (req->cb != nullptr) req->cb(req, status);
        },
        0);
    return 0;
  }

  static int truncate(raft_io* io, raft_index index) {
    RaftNode& n = node(io);
    if (index == 0) return RAFT_INVALID;
    rocksdb::WriteBatch batch;
    for (raft_index i = index; i <= n.last_index_; ++i) batch.Delete(entry_key(i));
    if (int rv = write(io, batch); rv != 0) return rv;
    if (index <= n.last_index_) n.last_index_ = index - 1;
    return 0;
  }

  // trailing > 0: a snapshot this server took; the log keeps the last
  // `trailing` entries before it. trailing == 0: a snapshot installed from
  // the leader; it replaces the whole log.
  static int snapshot_put(raft_io* io, unsigned trailing, raft_io_snapshot_put* req, const raft_snapshot* snapshot,
                          raft_io_snapshot_put_cb cb) {
    RaftNode& n = node(io);
    rocksdb::WriteBatch batch;
    batch.Put(kSnapshotKey, snapshot_value(*snapshot));
    raft_index drop_to = 0;  // entries [first, drop_to] go
    if (trailing == 0) drop_to = std::max(n.last_index_, snapshot->index);
    else if (snapshot->index > trailing) drop_to = snapshot->index - trailing;
    if (drop_to >= n.first_index_) batch.DeleteRange(entry_key(n.first_index_), entry_key(drop_to + 1));
    if (int rv = write(io, batch); rv != 0) return rv;
    if (trailing == 0) {
      n.first_index_ = snapshot->index + 1;
      n.last_index_ = snapshot->index;
    } else if (drop_to >= n.first_index_) {
      n.first_index_ = drop_to + 1;
    }
    n.snapshot_index_ = snapshot->index;
    req->cb = cb;
    std::lock_guard lock(n.mu_);
    n.completions_.emplace_back(
        [req](int status) {
          if (req->cb != nullptr) req->cb(req, status);
        },
        0);
    return 0;
  }

  static int snapshot_get(raft_io* io, raft_io_snapshot_get* req, raft_io_snapshot_get_cb cb) {
    RaftNode& n = node(io);
    std::string v;
    if (!n.db_->Get(rocksdb::ReadOptions(), kSnapshotKey, &v).ok()) {
      set_error(io, "no snapshot is stored");
      return RAFT_NOTFOUND;
    }
    auto snap = snapshot_of(v);
    if (!snap.ok()) {
      set_error(io, "raft snapshot: " + snap.status().message());
      return RAFT_CORRUPT;
    }
    req->cb = cb;
    raft_snapshot* s = *snap;
    std::lock_guard lock(n.mu_);
    n.completions_.emplace_back(
        [req, s](int status) {
          if (status != 0) {
            free_snapshot(s);
            if (req->cb != nullptr) req->cb(req, nullptr, status);
            return;
          }
          if (req->cb != nullptr) req->cb(req, s, 0);
        },
        0);
    return 0;
  }

  static raft_time time(raft_io* io) { return node(io).now(); }

  static int random(raft_io* io, int min, int max) {
    std::uniform_int_distribution<int> d(min, max);
    return d(node(io).rng_);
  }
};

unsigned biased_election_timeout(unsigned base_ms, bool attested) {
  if (attested) return base_ms;
  return static_cast<unsigned>((static_cast<std::uint64_t>(base_ms) * 1131 + 999) / 1000);
}

void RaftNode::set_election_timeout(unsigned ms) {
  post([this, ms] { raft_set_election_timeout(&raft_, ms); });
}

RaftNode::RaftNode(RaftNodeOptions options, LedgerFsm& fsm, Proposals& proposals, PeerTransport& transport)
    : opts_(std::move(options)), fsm_(fsm), proposals_(proposals), transport_(transport) {
  std::uint64_t seed = 0;
  (void)crypto::random_bytes(MutableByteView(reinterpret_cast<std::uint8_t*>(&seed), sizeof seed));
  rng_.seed(seed);
}

Result<std::unique_ptr<RaftNode>> RaftNode::open(RaftNodeOptions options, LedgerFsm& fsm, Proposals& proposals,
                                                 PeerTransport& transport) {
  if (options.id == 0) return common::invalid_argument("a Raft server id is not 0");
  auto n = std::make_unique<RaftNode>(std::move(options), fsm, proposals, transport);
  std::error_code ec;
  std::filesystem::create_directories(n->opts_.log_dir, ec);
  if (ec) return common::failed_precondition("cannot create " + n->opts_.log_dir.string() + ": " + ec.message());
  rocksdb::Options o;
  o.create_if_missing = true;
  o.max_open_files = 64;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(o, n->opts_.log_dir.string(), &raw);
  if (!s.ok()) return Status(ErrorCode::kUnavailable, "opening the raft log: " + s.ToString());
  n->db_.reset(raw);
  auto& io = n->io_;
  io.version = 1;
  io.impl = n.get();
  io.init = &Io::init;
  io.close = &Io::close;
  io.load = &Io::load;
  io.start = &Io::start;
  io.bootstrap = &Io::bootstrap;
  io.recover = &Io::recover;
  io.set_term = &Io::set_term;
  io.set_vote = &Io::set_vote;
  io.send = &Io::send;
  io.append = &Io::append;
  io.truncate = &Io::truncate;
  io.snapshot_put = &Io::snapshot_put;
  io.snapshot_get = &Io::snapshot_get;
  io.time = &Io::time;
  io.random = &Io::random;
  if (int rv = raft_init(&n->raft_, &io, fsm.fsm(), n->opts_.id, n->opts_.address.c_str()); rv != 0)
    return common::internal_error(std::string("raft_init: ") + raft_strerror(rv));
  raft_set_heartbeat_timeout(&n->raft_, n->opts_.heartbeat_ms);
  raft_set_election_timeout(&n->raft_, n->opts_.election_timeout_ms);
  raft_set_snapshot_threshold(&n->raft_, n->opts_.snapshot_threshold);
  raft_set_snapshot_trailing(&n->raft_, n->opts_.snapshot_trailing);
  // A server cut off and back does not depose a healthy leader with its
  // inflated term: it must win a pre-vote first.
  raft_set_pre_vote(&n->raft_, true);
  RaftNode* self = n.get();
  proposals.set_on_queued([self] {
    std::lock_guard lock(self->mu_);
    self->work_ = true;
    self->cv_.notify_all();
  });
  return n;
}

RaftNode::~RaftNode() {
  stop();
  proposals_.set_on_queued(nullptr);
  if (!started_) {
    // raft_init allocated; a never-started server is closed here.
    bool done = false;
    raft_.data = &done;
    raft_close(&raft_, [](raft* r) { *static_cast<bool*>(r->data) = true; });
  }
}

std::uint64_t RaftNode::now() const {
  if (opts_.clock_ms) return opts_.clock_ms();
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

Status RaftNode::bootstrap(const std::vector<std::pair<raft_id, std::string>>& voters) {
  if (started_) return common::failed_precondition("bootstrap comes before start");
  raft_configuration conf;
  raft_configuration_init(&conf);
  for (const auto& [id, address] : voters) {
    if (raft_configuration_add(&conf, id, address.c_str(), RAFT_VOTER) != 0) {
      raft_configuration_close(&conf);
      return common::invalid_argument("bad or duplicate server " + std::to_string(id));
    }
  }
  const int rv = raft_bootstrap(&raft_, &conf);
  raft_configuration_close(&conf);
  if (rv == RAFT_CANTBOOTSTRAP) return Status(ErrorCode::kAlreadyExists, "this Raft log is already bootstrapped");
  if (rv != 0) return common::internal_error(std::string("raft_bootstrap: ") + raft_strerror(rv));
  return {};
}

Status RaftNode::start() {
  if (started_) return common::failed_precondition("already started");
  thread_ = std::thread([this] { loop(); });
  std::unique_lock lock(mu_);
  info_cv_.wait(lock, [&] { return started_ || closed_; });
  return start_status_;
}

void RaftNode::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void RaftNode::deliver(Bytes frame) {
  std::lock_guard lock(mu_);
  if (stopping_) return;
  inbox_.push_back(std::move(frame));
  work_ = true;
  cv_.notify_all();
}

void RaftNode::post(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  posted_.push_back(std::move(fn));
  work_ = true;
  cv_.notify_all();
}

namespace {

// A membership request handed to the loop thread and waited for: libraft
// answers every one (also when it closes, as cancelled or leadership lost).
struct PendingChange {
  raft_change change{}, assign{};
  struct raft_transfer transfer {};
  std::mutex mu;
  std::condition_variable cv;
  std::optional<int> outcome;
  raft_id id = 0;
  raft* r = nullptr;

  void finish(int rv) {
    std::lock_guard lock(mu);
    outcome = rv;
    cv.notify_all();
  }
  int wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return outcome.has_value(); });
    return *outcome;
  }
  static void done(raft_change* req, int status) { static_cast<PendingChange*>(req->data)->finish(status); }
};

Status change_status(int rv, const std::string& what) {
  if (rv == 0) return {};
  const ErrorCode code = rv == RAFT_NOTLEADER || rv == RAFT_LEADERSHIPLOST || rv == RAFT_CANCELED ? ErrorCode::kUnavailable
                         : rv == RAFT_NOTFOUND || rv == RAFT_BADID                               ? ErrorCode::kNotFound
                         : rv == RAFT_DUPLICATEID || rv == RAFT_DUPLICATEADDRESS                  ? ErrorCode::kAlreadyExists
                                                                                                  : ErrorCode::kFailedPrecondition;
  return Status(code, what + ": " + raft_strerror(rv));
}

}  // namespace

Status RaftNode::add_voter(raft_id id, const std::string& address) {
  auto c = std::make_shared<PendingChange>();
  c->id = id;
  c->r = &raft_;
  c->change.data = c.get();
  c->assign.data = c.get();
  post([c, address] {
    const int rv = raft_add(c->r, &c->change, c->id, address.c_str(), [](raft_change* req, int status) {
      auto& ch = *static_cast<PendingChange*>(req->data);
      if (status != 0) return ch.finish(status);
      // As a spare it catches up; then it votes.
      const int rv2 = raft_assign(ch.r, &ch.assign, ch.id, RAFT_VOTER, &PendingChange::done);
      if (rv2 != 0) ch.finish(rv2);
    });
    if (rv != 0) c->finish(rv);
  });
  return change_status(c->wait(), "adding server " + std::to_string(id));
}

Status RaftNode::assign(raft_id id, int role) {
  auto c = std::make_shared<PendingChange>();
  c->id = id;
  c->r = &raft_;
  c->change.data = c.get();
  post([c, role] {
    if (const int rv = raft_assign(c->r, &c->change, c->id, role, &PendingChange::done); rv != 0) c->finish(rv);
  });
  return change_status(c->wait(), "assigning server " + std::to_string(id) + " a role");
}

Status RaftNode::remove(raft_id id) {
  auto c = std::make_shared<PendingChange>();
  c->id = id;
  c->r = &raft_;
  c->change.data = c.get();
  post([c] {
    if (const int rv = raft_remove(c->r, &c->change, c->id, &PendingChange::done); rv != 0) c->finish(rv);
  });
  return change_status(c->wait(), "removing server " + std::to_string(id));
}

Result<raft_id> RaftNode::transfer(raft_id id) {
  auto c = std::make_shared<PendingChange>();
  c->id = id;
  c->r = &raft_;
  c->transfer.data = c.get();
  post([c] {
    const int rv = raft_transfer(c->r, &c->transfer, c->id,
                                 [](struct raft_transfer* req) { static_cast<PendingChange*>(req->data)->finish(0); });
    if (rv != 0) c->finish(rv);
  });
  T3N_RETURN_IF_ERROR(change_status(c->wait(), "transferring leadership"));
  // Answered when the target leads or an election timeout passed.
  const raft_id target = c->transfer.id;
  wait_until([&](const RaftInfo& i) { return i.leader != 0 && i.leader != opts_.id; }, std::chrono::milliseconds(2 * opts_.election_timeout_ms));
  const RaftInfo now = info();
  if (now.leader == opts_.id || now.leader == 0)
    return Status(ErrorCode::kUnavailable, "leadership transfer to " + std::to_string(target) + " did not complete in time");
  return now.leader;
}

RaftMember RaftNode::last_sender() const {
  std::lock_guard lock(mu_);
  return last_sender_;
}

RaftInfo RaftNode::info() const {
  std::lock_guard lock(mu_);
  return info_;
}

bool RaftNode::wait_until(const std::function<bool(const RaftInfo&)>& pred, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return info_cv_.wait_for(lock, timeout, [&] { return pred(info_); });
}

void RaftNode::loop() {
  const int rv = raft_start(&raft_);
  {
    std::lock_guard lock(mu_);
    if (rv != 0) {
      start_status_ = Status(ErrorCode::kUnavailable, std::string("raft_start: ") + raft_strerror(rv) + ": " + raft_errmsg(&raft_));
      closed_ = true;
    } else {
      started_ = true;
    }
    info_cv_.notify_all();
  }
  if (rv != 0) return;
  using SteadyClock = std::chrono::steady_clock;
  auto next_tick = SteadyClock::now() + std::chrono::milliseconds(opts_.tick_ms);
  for (;;) {
    std::deque<Bytes> frames;
    std::deque<std::function<void()>> posted;
    std::deque<std::pair<std::function<void(int)>, int>> completions;
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, next_tick, [&] { return stopping_ || work_ || !completions_.empty(); });
      work_ = false;
      frames.swap(inbox_);
      posted.swap(posted_);
      completions.swap(completions_);
      stopping = stopping_;
    }
    if (stopping) break;
    for (auto& [fn, status] : completions) fn(status);
    for (auto& frame : frames) {
      auto decoded = decode_raft_message(frame);
      if (!decoded.ok()) continue;  // malformed: dropped (the transport authenticates peers)
      {
        const raft_message& m = (*decoded)->message();
        std::lock_guard lock(mu_);
        last_sender_ = RaftMember{m.server_id, m.server_address != nullptr ? m.server_address : "", RAFT_VOTER};
      }
      recv_cb_(&io_, (*decoded)->release());
    }
    for (auto& fn : posted) fn();
    if (SteadyClock::now() >= next_tick) {
      tick_cb_(&io_);
      next_tick = SteadyClock::now() + std::chrono::milliseconds(opts_.tick_ms);
    }
    proposals_.submit(&raft_);
    raft_id leader = 0;
    const char* leader_address = nullptr;
    raft_leader(&raft_, &leader, &leader_address);
    std::lock_guard lock(mu_);
    info_.state = raft_state(&raft_);
    info_.term = raft_.current_term;
    info_.leader = leader;
    info_.commit_index = raft_.commit_index;
    info_.last_applied = raft_last_applied(&raft_);
    info_.snapshot_index = snapshot_index_;
    info_.first_log_index = first_index_;
    info_.last_log_index = last_index_;
    if (const std::pair<raft_index, raft_index> at{raft_.configuration_index, raft_.configuration_uncommitted_index};
        at != members_at_) {
      members_at_ = at;
      info_.members.clear();
      for (unsigned i = 0; i < raft_.configuration.n; ++i) {
        const raft_server& srv = raft_.configuration.servers[i];
        info_.members.push_back({srv.id, srv.address, srv.role});
      }
    }
    info_cv_.notify_all();
  }
  // Close on the loop thread; what is in flight is answered (cancelled).
  bool closed = false;
  raft_.data = &closed;
  raft_close(&raft_, [](raft* r) { *static_cast<bool*>(r->data) = true; });
  proposals_.refuse_queued(Status(ErrorCode::kUnavailable, "the node is closing"));
  std::lock_guard lock(mu_);
  closed_ = true;
  info_ = RaftInfo{};
  info_cv_.notify_all();
}

}  // namespace t3n::consensus
