// host:outbox@1.0.0 — side effects delivered after commit, at most once.
// `enqueue` writes the request into the call's own transaction (system
// tables `outbox` and `outbox_queue`, reached through Transaction::as_system),
// so a call that rolls back leaves nothing to send. After commit the
// OutboxWorker (the node; the leader once replication lands) delivers each
// queued request through the egress module with an `Idempotency-Key`
// header: it first commits a `sending` marker, then sends, then commits the
// ack — `committed` with the SHA-256 of the response body (also the ack
// transaction's claims digest, so it sits in that entry's Merkle leaf) or
// `failed`. A marker found at start-up (the node died between send and
// ack) becomes `failed(interrupted)` and is never sent again: at most once.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "host/egress.h"
#include "runtime/host_registry.h"
#include "store/store.h"
#include "store/table.h"

namespace t3n::host {

inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kOutboxTable{"outbox"};
inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kOutboxQueueTable{"outbox_queue"};
inline constexpr std::uint32_t kOutboxMaxPerCall = 64;

Status ensure_outbox_tables(store::Store& store);

runtime::HostInterface outbox_interface();

// A node-initiated side effect (contract id 0: system), written into `tx` in
// the row format enqueue uses, so the worker delivers it once after commit.
// The same idk twice with another request is kAlreadyExists.
struct OutboxRequest {
  std::string method;  // "POST", …
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  Bytes body;
};
Status enqueue_system(store::Transaction& tx, const std::string& idk, const OutboxRequest& req);

struct OutboxStats {
  std::uint64_t sent = 0;
  std::uint64_t failed = 0;
  std::uint64_t interrupted = 0;
};

class OutboxWorker {
 public:
  OutboxWorker(store::Store& store, const Egress& egress, common::Logger log);
  ~OutboxWorker();

  // Marks what a previous run left in `sending` as failed(interrupted).
  Status recover();
  // Delivers every queued request once (the test and the thread both use it).
  Result<std::size_t> drain_once();
  // A background thread draining on notify() (and every `interval_ms`).
  void start(std::uint64_t interval_ms = 1000);
  void notify();
  void stop();
  OutboxStats stats() const;

 private:
  Status deliver(const Bytes& key);

  store::Store& store_;
  const Egress& egress_;
  common::Logger log_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool poked_ = false;
  OutboxStats stats_;
  std::mutex drain_mu_;  // one drain at a time
  std::thread thread_;
};

}  // namespace t3n::host
