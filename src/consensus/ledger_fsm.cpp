#include "consensus/ledger_fsm.h"

namespace t3n::consensus {

ErrorCode apply_outcome(void* result) { return static_cast<ErrorCode>(reinterpret_cast<std::uintptr_t>(result)); }

LedgerFsm::LedgerFsm(store::Store& store) : store_(store) {
  fsm_.version = 1;
  fsm_.data = this;
  fsm_.apply = &LedgerFsm::apply_cb;
  // Snapshots are not taken yet: nodes set a snapshot threshold the log
  // never reaches (see README), so libraft never calls these.
  fsm_.snapshot = nullptr;
  fsm_.restore = nullptr;
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

}  // namespace t3n::consensus
