#include "consensus/tcp_transport.h"

#include "consensus/raft_codec.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <deque>
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

}  // namespace

struct TcpPeerTransport::Impl {
  TcpTransportOptions opts;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::mutex mu;  // receiver_ and stats
  std::function<void(Bytes)> receiver;
  TcpTransportStats stats;

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
    template <typename F>
    void read(F on_message) {
      auto self = shared_from_this();
      asio::async_read(socket, asio::buffer(header), [self, on_message](const error_code& ec, std::size_t) {
        if (ec) return self->fail();
        const std::size_t n = (std::size_t{self->header[0]} << 24) | (std::size_t{self->header[1]} << 16) |
                              (std::size_t{self->header[2]} << 8) | self->header[3];
        if (n == 0 || n > kMaxMessage) return self->fail();
        self->body.assign(n, 0);
        asio::async_read(self->socket, asio::buffer(self->body), [self, on_message](const error_code& ec2, std::size_t) {
          if (ec2) return self->fail();
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
      if (raft_frame_sender(*frame) != c->session->peer().id) {
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
    Peer& p = peers[to];
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
      c->read([this, c, to](Bytes reply) {
        Bytes finish;
        auto s = c->handshake->complete(reply, finish);
        c->handshake.reset();
        if (!s.ok()) {
          count(&TcpTransportStats::handshakes_refused);
          return dial_failed(to);
        }
        c->session.emplace(std::move(*s));
        c->write(std::move(finish));
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
      });
    });
  }

  void watch_close(const std::shared_ptr<Conn>& c, raft_id to) {
    c->read([this, c, to](Bytes) { c->fail(); peers[to].conn.reset(); });
  }
};

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

TcpTransportStats TcpPeerTransport::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

}  // namespace t3n::consensus
