#include "consensus/ledger_fsm.h"

#include <cstring>

#include "common/binary.h"
#include "crypto/hash.h"

namespace t3n::consensus {
namespace {

constexpr std::uint32_t kSnapshotMagic = 0x54334e53;  // "T3NS"
constexpr std::uint8_t kSnapshotVersion = 1;

Bytes entry_digest(const store::LedgerEntry& e) {
  const auto d = crypto::sha256(store::encode_entry(e));
  return Bytes(d.begin(), d.end());
}

}  // namespace

Bytes encode_snapshot_descriptor(const SnapshotDescriptor& d) {
  common::BinaryWriter w;
  w.u32(kSnapshotMagic);
  w.u8(kSnapshotVersion);
  w.u64(d.seqno);
  w.bytes(d.entry_digest);
  return w.take();
}

Result<SnapshotDescriptor> decode_snapshot_descriptor(ByteView data) {
  common::BinaryReader r(data);
  T3N_ASSIGN_OR_RETURN(std::uint32_t magic, r.u32());
  T3N_ASSIGN_OR_RETURN(std::uint8_t version, r.u8());
  if (magic != kSnapshotMagic || version != kSnapshotVersion)
    return common::invalid_argument("snapshot: not a version-1 ledger snapshot descriptor");
  SnapshotDescriptor d;
  T3N_ASSIGN_OR_RETURN(d.seqno, r.u64());
  T3N_ASSIGN_OR_RETURN(ByteView digest, r.bytes(32));
  d.entry_digest.assign(digest.begin(), digest.end());
  T3N_RETURN_IF_ERROR(r.finish());
  if ((d.seqno == 0) != d.entry_digest.empty() || (d.seqno != 0 && d.entry_digest.size() != 32))
    return common::invalid_argument("snapshot: a descriptor names an entry digest exactly when its seqno is not 0");
  return d;
}

ErrorCode apply_outcome(void* result) { return static_cast<ErrorCode>(reinterpret_cast<std::uintptr_t>(result)); }

LedgerFsm::LedgerFsm(store::Store& store) : store_(store) {
  fsm_.version = 1;
  fsm_.data = this;
  fsm_.apply = &LedgerFsm::apply_cb;
  fsm_.snapshot = &LedgerFsm::snapshot_cb;
  fsm_.restore = &LedgerFsm::restore_cb;
}

void LedgerFsm::set_entry_source(EntrySource source) {
  std::lock_guard lock(source_mu_);
  source_ = std::move(source);
}

int LedgerFsm::apply_cb(raft_fsm* fsm, const raft_buffer* buf, void** result) {
  auto* self = static_cast<LedgerFsm*>(fsm->data);
  const ErrorCode code = self->apply(*buf);
  *result = reinterpret_cast<void*>(static_cast<std::uintptr_t>(code));
  return 0;  // the log moves on either way: an outcome is not a Raft error
}

ErrorCode LedgerFsm::apply(const raft_buffer& buf) {
  if (failed_.load()) return ErrorCode::kDataLoss;
  auto entries = store_.open_batch(ByteView(static_cast<const std::uint8_t*>(buf.base), buf.len));
  Status st = entries.ok() ? store_.apply_batch(*entries) : entries.status();
  if (st.ok()) {
    ++applied_;
    return ErrorCode::kOk;
  }
  if (st.code() == ErrorCode::kConflict) {  // a deposed leader's batch: every replica skips it
    ++superseded_;
    return ErrorCode::kConflict;
  }
  failure_ = st;
  failed_ = true;
  return st.code();
}

Result<SnapshotDescriptor> LedgerFsm::describe() const {
  SnapshotDescriptor d;
  d.seqno = store_.last_seqno();
  if (d.seqno == 0) return d;
  T3N_ASSIGN_OR_RETURN(store::LedgerEntry last, store_.entry(d.seqno));
  d.entry_digest = entry_digest(last);
  return d;
}

int LedgerFsm::snapshot_cb(raft_fsm* fsm, raft_buffer* bufs[], unsigned* n_bufs) {
  auto* self = static_cast<LedgerFsm*>(fsm->data);
  if (self->failed_.load()) return RAFT_IOERR;
  // Applies run on this (the loop) thread, so the store holds exactly what
  // the log has applied; the flush makes it durable before the log behind
  // it is dropped (the store itself may write without syncing).
  if (!self->store_.flush().ok()) return RAFT_BUSY;  // retried at the next threshold
  auto d = self->describe();
  if (!d.ok()) return RAFT_BUSY;
  const Bytes data = encode_snapshot_descriptor(*d);
  auto* out = static_cast<raft_buffer*>(raft_malloc(sizeof(raft_buffer)));
  if (out == nullptr) return RAFT_NOMEM;
  out->base = raft_malloc(data.size());
  if (out->base == nullptr) {
    raft_free(out);
    return RAFT_NOMEM;
  }
  std::memcpy(out->base, data.data(), data.size());
  out->len = data.size();
  *bufs = out;
  *n_bufs = 1;
  ++self->snapshots_taken_;
  return 0;
}

Status LedgerFsm::restore_to(const SnapshotDescriptor& d) {
  EntrySource source;
  {
    std::lock_guard lock(source_mu_);
    source = source_;
  }
  while (store_.last_seqno() < d.seqno) {
    if (!source) return Status(ErrorCode::kUnavailable, "snapshot: this replica is behind it and has no entry source");
    const store::Seqno from = store_.last_seqno() + 1;
    T3N_ASSIGN_OR_RETURN(std::vector<store::LedgerEntry> got, source(from, d.seqno));
    if (got.empty()) return Status(ErrorCode::kUnavailable, "snapshot: the entry source returned nothing");
    // A signature entry is applied alone (apply_batch checks it against
    // the roots of what precedes it); runs of other entries go together.
    std::vector<store::LedgerEntry> run;
    auto flush_run = [&]() -> Status {
      if (run.empty()) return {};
      Status st = store_.apply_batch(run);
      run.clear();
      return st;
    };
    for (auto& e : got) {
      if (e.seqno > d.seqno) break;
      if (e.is_signature()) {
        T3N_RETURN_IF_ERROR(flush_run());
        run.push_back(std::move(e));
        T3N_RETURN_IF_ERROR(flush_run());
      } else {
        run.push_back(std::move(e));
      }
    }
    T3N_RETURN_IF_ERROR(flush_run());
    entries_fetched_ += got.size();
    if (store_.last_seqno() < from) return common::data_loss("snapshot: fetched entries did not advance the ledger");
  }
  if (d.seqno == 0) return {};
  T3N_ASSIGN_OR_RETURN(store::LedgerEntry at, store_.entry(d.seqno));
  if (entry_digest(at) != d.entry_digest)
    return common::data_loss("snapshot: this replica's entry " + std::to_string(d.seqno) +
                             " differs from the snapshot's (another ledger)");
  return {};
}

int LedgerFsm::restore_cb(raft_fsm* fsm, raft_buffer* buf) {
  auto* self = static_cast<LedgerFsm*>(fsm->data);
  auto d = decode_snapshot_descriptor(ByteView(static_cast<const std::uint8_t*>(buf->base), buf->len));
  if (!d.ok()) return RAFT_CORRUPT;
  Status st = self->restore_to(*d);
  if (!st.ok()) {
    if (st.code() == ErrorCode::kDataLoss) {
      self->failure_ = st;
      self->failed_ = true;
      return RAFT_CORRUPT;
    }
    return RAFT_IOERR;  // the buffer stays libraft's; the install is retried
  }
  raft_free(buf->base);  // on success the FSM owns the buffer
  ++self->snapshots_restored_;
  return 0;
}

}  // namespace t3n::consensus
