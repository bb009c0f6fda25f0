// The peer transport over TCP: every link is a PeerHandshake (mutual
// attestation, X25519 + ML-KEM-768, signatures by both node keys) and
// carries only sealed frames. A link is one-way for Raft frames: a server
// sends over the link it dialled and receives over the links it accepted.
// A frame whose Raft sender is not the link's attested peer is dropped, as
// is anything from a peer that failed the policy (it never gets a frame).
// One I/O thread (Boost.Asio); dialling backs off after failures.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "consensus/peer_channel.h"
#include "consensus/raft_node.h"

namespace t3n::consensus {

struct TcpTransportOptions {
  LocalPeer self;
  PeerPolicy policy;
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 0;  // 0: any free port (see port())
  std::size_t max_queued_frames = 4096;  // per peer while a link is being set up
  unsigned call_workers = 2;             // threads running peer-call handlers
  unsigned min_backoff_ms = 50, max_backoff_ms = 2000;
  unsigned handshake_timeout_ms = 5000;  // a dialled link not attested by then is dropped and re-dialled
};

struct TcpTransportStats {
  std::uint64_t links_up = 0, handshakes_refused = 0, frames_dropped = 0, frames_delivered = 0;
  std::uint64_t calls_answered = 0, calls_refused = 0;  // peer calls served here
};

// A peer whose handshake passed the policy on some link, and when.
struct VerifiedPeer {
  PeerIdentity identity;
  std::uint64_t verified_at_ms = 0;  // system clock
};

// A call that failed before its request left this server (no link could be
// set up): it did not run, so it may be retried, e.g. at a new leader.
inline constexpr std::string_view kCallNotSent = "not sent: ";
bool call_not_sent(const Status& st);

// A peer call's handler: runs on the transport's worker threads (it may
// block); `answer` may be called from any thread, once.
using PeerCallHandler =
    std::function<void(const PeerIdentity& from, Bytes request, std::function<void(Result<Bytes>)> answer)>;

class TcpPeerTransport : public PeerTransport {
 public:
  static Result<std::unique_ptr<TcpPeerTransport>> start(TcpTransportOptions options);
  ~TcpPeerTransport() override;
  TcpPeerTransport(const TcpPeerTransport&) = delete;
  TcpPeerTransport& operator=(const TcpPeerTransport&) = delete;

  std::uint16_t port() const;
  // Where authenticated frames go (RaftNode::deliver).
  void set_receiver(std::function<void(Bytes)> receiver);
  // From the Raft loop: queues the frame for `to` at "host:port"; never blocks.
  Status send(raft_id to, const std::string& address, Bytes frame) override;
  TcpTransportStats stats() const;
  // Every peer attested on a link so far (latest handshake each).
  std::vector<VerifiedPeer> verified_peers() const;

  // Peer calls: request and answer between attested members (forwarded
  // commits, CAS blobs). The request goes on the link this server dialled,
  // the answer comes back on the same link. A request for a service with no
  // handler is answered kUnimplemented.
  void set_call_handler(const std::string& service, PeerCallHandler handler);
  // Removes every handler and waits until the running ones returned: after
  // it no handler touches what it referenced (a store about to close).
  void stop_calls();
  // Any thread; blocks for the answer. kUnavailable if the link fails first
  // (the request may or may not have run), kDeadlineExceeded after `timeout`.
  Result<Bytes> call(raft_id to, const std::string& address, const std::string& service, Bytes request,
                     std::chrono::milliseconds timeout);

  struct Impl;
  explicit TcpPeerTransport(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace t3n::consensus
