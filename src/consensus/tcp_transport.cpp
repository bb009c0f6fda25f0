#include "consensus/tcp_transport.h"

#include "consensus/raft_codec.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>

namespace t3n::consensus {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

namespace {
constexpr std::size_t kMaxMessage = 64u << 20;  // a handshake message or a sealed frame
// Peer-call frames start with these; Raft frames with their wire version (1).
constexpr std::uint8_t kCallRequest = 0xF1;
constexpr std::uint8_t kCallAnswer = 0xF2;
constexpr std::size_t kMaxServiceName = 64;

}  // namespace

struct TcpPeerTransport::Impl {
  TcpTransportOptions opts;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::mutex mu;  // receiver_ and stats
  std::function<void(Bytes)> receiver;
  TcpTransportStats stats;
  std::map<std::string, PeerCallHandler> call_handlers;  // guarded by mu
  std::map<raft_id, VerifiedPeer> verified;              // guarded by mu
  std::size_t handlers_running = 0;                      // guarded by mu
  std::condition_variable handlers_cv;
  void attested(const PeerIdentity& p) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
    std::lock_guard lock(mu);
    verified[p.id] = VerifiedPeer{p, static_cast<std::uint64_t>(now.count())};
  }
  // Calls waiting for their answer, by call id (guarded by mu).
  struct Waiting {
    raft_id to = 0;
    std::promise<Result<Bytes>> answer;
  };
  std::map<std::uint64_t, std::shared_ptr<Waiting>> waiting;
  std::uint64_t next_call_id = 1;
  std::unique_ptr<asio::thread_pool> workers;

  void settle(std::uint64_t id, Result<Bytes> r) {
    std::shared_ptr<Waiting> w;
    {
      std::lock_guard lock(mu);
      auto it = waiting.find(id);
      if (it == waiting.end()) return;  // timed out already
      w = std::move(it->second);
      waiting.erase(it);
    }
    w->answer.set_value(std::move(r));
  }
  // The link to `to` failed: its calls cannot be answered any more.
  void fail_calls(raft_id to, bool sent) {
    std::vector<std::shared_ptr<Waiting>> failed;
    {
      std::lock_guard lock(mu);
      for (auto it = waiting.begin(); it != waiting.end();) {
        if (it->second->to == to) {
          failed.push_back(std::move(it->second));
          it = waiting.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& w : failed)
      w->answer.set_value(sent ? Status(ErrorCode::kUnavailable, "peer link to server " + std::to_string(to) + " failed; the call's outcome is unknown")
                               : Status(ErrorCode::kUnavailable, std::string(kCallNotSent) + "no link to server " + std::to_string(to)));
  }

  // A length-prefixed message stream over one socket.
  struct Conn : std::enable_shared_from_this<Conn> {
    Impl& t;
    tcp::socket socket;
    std::uint8_t header[4]{};
    Bytes body;
    std::deque<Bytes> outq;
    bool writing = false, dead = false;
    std::optional<PeerHandshake> handshake;
    std::optional<PeerSession> session;
    Conn(Impl& owner, tcp::socket s) : t(owner), socket(std::move(s)) {}

    void fail() {
      if (dead) return;
      dead = true;
      error_code ignored;
      socket.close(ignored);
    }
    void write(Bytes msg) {
      Bytes framed;
      common::append_u32_be(framed, static_cast<std::uint32_t>(msg.size()));
      common::append(framed, msg);
      outq.push_back(std::move(framed));
      if (!writing) pump();
    }
    void pump() {
      if (dead || outq.empty()) {
        writing = false;
        return;
      }
      writing = true;
      auto self = shared_from_this();
      asio::async_write(socket, asio::buffer(outq.front()), [self](const error_code& ec, std::size_t) {
        if (ec) return self->fail();
        self->outq.pop_front();
        self->pump();
      });
    }
    // `on_end` runs once if the connection ends (or sends garbage) before
    // a message arrives.
    template <typename F>
    void read(F on_message, std::function<void()> on_end = nullptr) {
      auto self = shared_from_this();
      auto ended = [self, on_end] {
        self->fail();
        if (on_end) on_end();
      };
      asio::async_read(socket, asio::buffer(header), [self, on_message, ended](const error_code& ec, std::size_t) {
        if (ec) return ended();
        const std::size_t n = (std::size_t{self->header[0]} << 24) | (std::size_t{self->header[1]} << 16) |
                              (std::size_t{self->header[2]} << 8) | self->header[3];
        if (n == 0 || n > kMaxMessage) return ended();
        self->body.assign(n, 0);
        asio::async_read(self->socket, asio::buffer(self->body), [self, on_message, ended](const error_code& ec2, std::size_t) {
          if (ec2) return ended();
          on_message(std::move(self->body));
        });
      });
    }
  };

  // What this server keeps per peer it sends to.
  struct Peer {
    std::shared_ptr<Conn> conn;  // ready once conn->session is set
    std::deque<Bytes> pending;   // raft frames waiting for the link
    bool dialling = false;
    unsigned backoff_ms = 0;
    SteadyClock::time_point retry_at{};
  };
  std::map<raft_id, Peer> peers;  // io thread only

  void count(std::uint64_t TcpTransportStats::*field) {
    std::lock_guard lock(mu);
    ++(stats.*field);
  }

  // Inbound: hello → reply → finish, then sealed frames until the link ends.
  void accept_next() {
    acceptor.async_accept([this](const error_code& ec, tcp::socket sock) {
      if (ec) return;  // closing
      error_code ignored;
      sock.set_option(tcp::no_delay(true), ignored);  // Raft frames are small: no Nagle / delayed-ACK stalls
      auto c = std::make_shared<Conn>(*this, std::move(sock));
      c->read([this, c](Bytes hello) {
        Bytes reply;
        auto h = PeerHandshake::respond(opts.self, opts.policy, hello, reply);
        if (!h.ok()) {
          count(&TcpTransportStats::handshakes_refused);
          return c->fail();
        }
        c->handshake.emplace(std::move(*h));
        c->write(std::move(reply));
        c->read([this, c](Bytes finish) {
          auto s = c->handshake->accept(finish);
          c->handshake.reset();
          if (!s.ok()) {
            count(&TcpTransportStats::handshakes_refused);
            return c->fail();
          }
          c->session.emplace(std::move(*s));
          attested(c->session->peer());
          count(&TcpTransportStats::links_up);
          read_frames(c);
        });
      });
      accept_next();
    });
  }

  void read_frames(const std::shared_ptr<Conn>& c) {
    c->read([this, c](Bytes sealed) {
      auto frame = c->session->open(sealed);
      if (!frame.ok()) return c->fail();  // out of sequence or forged: the link is done
      if (!frame->empty() && (*frame)[0] == kCallRequest) {
        serve_call(c, std::move(*frame));
      } else if (raft_frame_sender(*frame) != c->session->peer().id) {
        count(&TcpTransportStats::frames_dropped);  // names a sender other than the attested peer
      } else {
        std::function<void(Bytes)> to;
        {
          std::lock_guard lock(mu);
          to = receiver;
          ++stats.frames_delivered;
        }
        if (to) to(std::move(*frame));
      }
      read_frames(c);
    });
  }

  // A peer call arrived on an accepted link: run its handler on a worker,
  // answer on the same link.
  void serve_call(const std::shared_ptr<Conn>& c, Bytes frame) {
    common::BinaryReader r(frame, "peer call");
    std::uint64_t id = 0;
    std::string service;
    Bytes request;
    auto parsed = [&]() -> Status {
      T3N_RETURN_IF_ERROR(r.u8().status());
      T3N_ASSIGN_OR_RETURN(id, r.u64());
      T3N_ASSIGN_OR_RETURN(service, r.string(kMaxServiceName));
      T3N_ASSIGN_OR_RETURN(ByteView body, r.bytes(kMaxMessage));
      request.assign(body.begin(), body.end());
      return r.finish();
    }();
    if (!parsed.ok()) return c->fail();  // an attested peer sending garbage: drop the link
    PeerCallHandler handler;
    {
      std::lock_guard lock(mu);
      if (auto it = call_handlers.find(service); it != call_handlers.end()) handler = it->second;
      if (handler) ++handlers_running;  // counted before the post: stop_calls() waits for it
    }
    auto answer = [this, c, id](Result<Bytes> result) {
      asio::post(io, [this, c, id, result = std::move(result)]() mutable {
        if (c->dead) return;
        common::BinaryWriter w;
        w.u8(kCallAnswer);
        w.u64(id);
        w.u8(static_cast<std::uint8_t>(result.ok() ? ErrorCode::kOk : result.status().code()));
        w.string(result.ok() ? std::string() : result.status().message());
        w.bytes(result.ok() ? ByteView(*result) : ByteView());
        auto sealed = c->session->seal(w.buffer());
        if (sealed.ok()) c->write(std::move(*sealed));
      });
    };
    if (!handler) {
      count(&TcpTransportStats::calls_refused);
      return answer(Status(ErrorCode::kUnimplemented, "peer call: no service '" + service + "' here"));
    }
    count(&TcpTransportStats::calls_answered);
    asio::post(*workers, [this, handler = std::move(handler), peer = c->session->peer(), request = std::move(request),
                          answer = std::move(answer)]() mutable {
      handler(peer, std::move(request), std::move(answer));
      {
        std::lock_guard lock(mu);
        --handlers_running;
      }
      handlers_cv.notify_all();
    });
  }

  // An answer on a dialled link.
  void take_answer(Bytes frame) {
    common::BinaryReader r(frame, "peer call answer");
    auto parsed = [&]() -> Status {
      T3N_RETURN_IF_ERROR(r.u8().status());
      T3N_ASSIGN_OR_RETURN(std::uint64_t id, r.u64());
      T3N_ASSIGN_OR_RETURN(std::uint8_t code, r.u8());
      T3N_ASSIGN_OR_RETURN(std::string message, r.string(64 * 1024));
      T3N_ASSIGN_OR_RETURN(ByteView body, r.bytes(kMaxMessage));
      T3N_RETURN_IF_ERROR(r.finish());
      if (code == 0) {
        settle(id, Bytes(body.begin(), body.end()));
      } else {
        const auto ec = code <= static_cast<std::uint8_t>(ErrorCode::kInternal) ? static_cast<ErrorCode>(code) : ErrorCode::kInternal;
        settle(id, Status(ec, std::move(message)));
      }
      return {};
    }();
    (void)parsed;  // a malformed answer leaves its call to time out
  }

  // Outbound, on the io thread.
  void send_now(raft_id to, const std::string& address, Bytes frame) {
    Peer& p = peers[to];
    if (p.conn && p.conn->dead) p.conn.reset();
    if (p.conn && p.conn->session) {
      auto sealed = p.conn->session->seal(frame);
      if (sealed.ok()) p.conn->write(std::move(*sealed));
      return;
    }
    if (p.pending.size() >= opts.max_queued_frames) {
      p.pending.pop_front();  // Raft resends what matters
      count(&TcpTransportStats::frames_dropped);
    }
    p.pending.push_back(std::move(frame));
    if (!p.dialling && SteadyClock::now() >= p.retry_at) dial(to, address);
  }

  void dial_failed(raft_id to) {
    fail_calls(to, false);  // still queued for a link that never came up
    Peer& p = peers[to];
    // Calls just failed must not run later, when the link comes up.
    std::erase_if(p.pending, [](const Bytes& f) { return !f.empty() && f[0] == kCallRequest; });
    p.dialling = false;
    if (p.conn) p.conn->fail();
    p.conn.reset();
    p.backoff_ms = p.backoff_ms == 0 ? opts.min_backoff_ms : std::min(p.backoff_ms * 2, opts.max_backoff_ms);
    p.retry_at = SteadyClock::now() + std::chrono::milliseconds(p.backoff_ms);
  }

  void dial(raft_id to, const std::string& address) {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos) return;
    Peer& p = peers[to];
    p.dialling = true;
    error_code ec;
    const auto ip = asio::ip::make_address(address.substr(0, colon), ec);
    unsigned long port = 0;
    try {
      port = std::stoul(address.substr(colon + 1));
    } catch (const std::exception&) {
      ec = asio::error::invalid_argument;
    }
    if (ec || port == 0 || port > 65535) return dial_failed(to);
    auto c = std::make_shared<Conn>(*this, tcp::socket(io));
    p.conn = c;
    c->socket.async_connect(tcp::endpoint(ip, static_cast<std::uint16_t>(port)), [this, c, to](const error_code& e) {
      if (e) return dial_failed(to);
      error_code ignored;
      c->socket.set_option(tcp::no_delay(true), ignored);
      Bytes hello;
      auto h = PeerHandshake::initiate(opts.self, opts.policy, to, hello);
      if (!h.ok()) return dial_failed(to);
      c->handshake.emplace(std::move(*h));
      c->write(std::move(hello));
      // A peer (or something in between) that accepts and then closes, or
      // never answers, fails this dial like a refused connection: the
      // next frame dials again after the backoff.
      auto handshake_timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(opts.handshake_timeout_ms));
      handshake_timer->async_wait([this, c, to](const error_code& e2) {
        if (e2 || c->session || c->dead) return;
        if (peers[to].conn == c) dial_failed(to);
      });
      c->read([this, c, to, handshake_timer](Bytes reply) {
        handshake_timer->cancel();
        Bytes finish;
        auto s = c->handshake->complete(reply, finish);
        c->handshake.reset();
        if (!s.ok()) {
          count(&TcpTransportStats::handshakes_refused);
          return dial_failed(to);
        }
        c->session.emplace(std::move(*s));
        c->write(std::move(finish));
        attested(c->session->peer());
        count(&TcpTransportStats::links_up);
        Peer& peer = peers[to];
        peer.dialling = false;
        peer.backoff_ms = 0;
        for (auto& f : peer.pending) {
          auto sealed = c->session->seal(f);
          if (sealed.ok()) c->write(std::move(*sealed));
        }
        peer.pending.clear();
        // Nothing comes back on a dialled link but its end.
        watch_close(c, to);
      }, [this, c, to, handshake_timer] {
        handshake_timer->cancel();
        if (peers[to].conn == c && !c->session) dial_failed(to);
      });
    });
  }

  // Only peer-call answers come back on a dialled link; anything else, or
  // its end, closes it.
  void watch_close(const std::shared_ptr<Conn>& c, raft_id to) {
    c->read([this, c, to](Bytes sealed) {
      auto frame = c->session->open(sealed);
      if (frame.ok() && !frame->empty() && (*frame)[0] == kCallAnswer) {
        take_answer(std::move(*frame));
        return watch_close(c, to);
      }
      c->fail();
      if (peers[to].conn == c) peers[to].conn.reset();
      fail_calls(to, true);
    }, [this, c, to] {
      // The link ended: calls waiting for answers on it fail now (unless
      // a newer link to the peer carries them).
      if (peers[to].conn != c) return;
      peers[to].conn.reset();
      fail_calls(to, true);
    });
  }
};

bool call_not_sent(const Status& st) {
  return st.code() == ErrorCode::kUnavailable && st.message().rfind(kCallNotSent, 0) == 0;
}

TcpPeerTransport::TcpPeerTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<TcpPeerTransport>> TcpPeerTransport::start(TcpTransportOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->opts = std::move(options);
  error_code ec;
  const auto ip = asio::ip::make_address(impl->opts.listen_host, ec);
  if (ec) return common::invalid_argument("peer transport: bad listen address " + impl->opts.listen_host);
  tcp::endpoint ep(ip, impl->opts.listen_port);
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status(ErrorCode::kUnavailable, "peer transport: cannot listen on " + impl->opts.listen_host + ":" +
                                                     std::to_string(impl->opts.listen_port) + ": " + ec.message());
  impl->workers = std::make_unique<asio::thread_pool>(std::max(1u, impl->opts.call_workers));
  impl->accept_next();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::make_unique<TcpPeerTransport>(std::move(impl));
}

TcpPeerTransport::~TcpPeerTransport() {
  asio::post(impl_->io, [this] {
    error_code ignored;
    impl_->acceptor.close(ignored);
    for (auto& [id, p] : impl_->peers)
      if (p.conn) p.conn->fail();
  });
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->workers->join();  // handlers finish; their answers go nowhere
  std::vector<std::shared_ptr<Impl::Waiting>> left;
  {
    std::lock_guard lock(impl_->mu);
    for (auto& [id, w] : impl_->waiting) left.push_back(w);
    impl_->waiting.clear();
  }
  for (auto& w : left) w->answer.set_value(Status(ErrorCode::kUnavailable, "peer transport closed"));
}

std::uint16_t TcpPeerTransport::port() const { return impl_->acceptor.local_endpoint().port(); }

void TcpPeerTransport::set_receiver(std::function<void(Bytes)> receiver) {
  std::lock_guard lock(impl_->mu);
  impl_->receiver = std::move(receiver);
}

Status TcpPeerTransport::send(raft_id to, const std::string& address, Bytes frame) {
  asio::post(impl_->io, [this, to, address, f = std::move(frame)]() mutable { impl_->send_now(to, address, std::move(f)); });
  return {};
}

std::vector<VerifiedPeer> TcpPeerTransport::verified_peers() const {
  std::lock_guard lock(impl_->mu);
  std::vector<VerifiedPeer> out;
  for (const auto& [id, p] : impl_->verified) out.push_back(p);
  return out;
}

void TcpPeerTransport::stop_calls() {
  std::unique_lock lock(impl_->mu);
  impl_->call_handlers.clear();  // later requests are answered kUnimplemented
  impl_->handlers_cv.wait(lock, [&] { return impl_->handlers_running == 0; });
}

void TcpPeerTransport::set_call_handler(const std::string& service, PeerCallHandler handler) {
  std::lock_guard lock(impl_->mu);
  if (handler) impl_->call_handlers[service] = std::move(handler);
  else impl_->call_handlers.erase(service);
}

Result<Bytes> TcpPeerTransport::call(raft_id to, const std::string& address, const std::string& service, Bytes request,
                                     std::chrono::milliseconds timeout) {
  if (service.empty() || service.size() > kMaxServiceName) return common::invalid_argument("peer call: bad service name");
  auto w = std::make_shared<Impl::Waiting>();
  w->to = to;
  auto answer = w->answer.get_future();
  std::uint64_t id = 0;
  {
    std::lock_guard lock(impl_->mu);
    id = impl_->next_call_id++;
    impl_->waiting[id] = w;
  }
  common::BinaryWriter frame;
  frame.u8(kCallRequest);
  frame.u64(id);
  frame.string(service);
  frame.bytes(request);
  common::secure_zero(request);
  asio::post(impl_->io, [this, to, address, f = frame.take()]() mutable { impl_->send_now(to, address, std::move(f)); });
  if (answer.wait_for(timeout) != std::future_status::ready) {
    bool removed = false;
    {
      std::lock_guard lock(impl_->mu);
      removed = impl_->waiting.erase(id) > 0;
    }
    if (removed)
      return Status(ErrorCode::kDeadlineExceeded, "peer call '" + service + "' to server " + std::to_string(to) + " timed out");
  }
  return answer.get();
}

TcpTransportStats TcpPeerTransport::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

}  // namespace t3n::consensus
