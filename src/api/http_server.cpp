#include "api/http_server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <exception>
#include <iterator>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

namespace t3n::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using common::failed_precondition;
using common::invalid_argument;

// After an error response (or Connection: close) the server half-closes and
// discards what the client still sends for a moment, so the response is not
// lost to a TCP reset; bounded in time and bytes so it cannot be used to make
// the server read a large body after all.
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr std::size_t kLingerMaxBytes = 1024 * 1024;
constexpr std::size_t kDrainChunk = 16 * 1024;
// A short error response fits in the socket buffer; this only bounds a client
// that keeps its receive window shut.
constexpr std::chrono::milliseconds kErrorWriteTime{2000};
// Accept failures (EMFILE, ENFILE, …) retry after a pause instead of spinning.
constexpr std::chrono::milliseconds kAcceptRetry{50};
// Beast reads at most this much per read (its read_size); the read buffer
// holds the header section or one partial chunk header plus one read.
constexpr std::size_t kReadChunk = 64 * 1024;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 percent-decoding: "%" must be followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    const int hi = hex_value(in[i + 1]);
    const int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>((hi << 4) | lo));
    i += 2;
  }
  return out;
}

// RFC 9110 token (header field name).
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// Field value: no control characters but HTAB (so no CR/LF injection).
bool is_field_value(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

std::string to_std(beast::string_view s) { return std::string(s.data(), s.size()); }

struct Counters {
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> refused_body_too_large{0};
  std::atomic<std::uint64_t> refused_header_timeout{0};
  std::atomic<std::uint64_t> refused_body_timeout{0};
  std::atomic<std::uint64_t> refused_too_many_connections{0};
  std::atomic<std::uint64_t> bad_requests{0};
};

void bump(std::atomic<std::uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

using BeastResponse = http::response<http::string_body>;

// Builds the wire response from a handler's answer; false if the answer is
// unusable (bad status, a header that would inject CR/LF).
bool build_response(HttpResponse& r, bool head, bool& keep_alive, BeastResponse& out) {
  if (r.status < 200 || r.status > 599) return false;
  out = BeastResponse{};
  out.version(11);
  out.result(static_cast<unsigned>(r.status));
  if (!r.content_type.empty()) {
    if (!is_field_value(r.content_type)) return false;
    out.set(http::field::content_type, r.content_type);
  }
  for (const auto& [name, value] : r.headers) {
    if (!is_token(name) || !is_field_value(value)) return false;
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;  // framing is ours
    if (iequals(name, "connection")) {
      if (iequals(value, "close")) keep_alive = false;
      continue;
    }
    out.insert(beast::string_view(name.data(), name.size()), beast::string_view(value.data(), value.size()));
  }
  out.keep_alive(keep_alive);
  if (r.status == 204 || r.status == 304) r.body.clear();
  out.body() = std::move(r.body);
  out.prepare_payload();
  if (head) out.body().clear();  // Content-Length stays that of the GET answer
  return true;
}

void plain_response(BeastResponse& out, int status, std::string_view text) {
  out = BeastResponse{};
  out.version(11);
  out.result(static_cast<unsigned>(status));
  out.set(http::field::content_type, "text/plain");
  out.keep_alive(false);
  out.body() = std::string(text);
  out.prepare_payload();
}

HttpResponse internal_error_response() {
  HttpResponse r;
  r.status = 500;
  r.content_type = "text/plain";
  r.body = "internal server error\n";
  return r;
}

}  // namespace

// ---------------------------------------------------------------- HttpRequest

std::string HttpRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return {};
}

Result<std::optional<std::string>> HttpRequest::query(std::string_view name) const {
  const auto q = target.find('?');
  if (q == std::string::npos) return std::optional<std::string>{};
  std::string_view rest = std::string_view(target).substr(q + 1);
  std::optional<std::string> found;
  while (true) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      auto key = percent_decode(pair.substr(0, eq));
      auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
      if (!key || !value) return invalid_argument("malformed percent-escape in the query string");
      if (!found && *key == name) found = std::move(*value);
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return found;
}

// ----------------------------------------------------------------- the server

struct HttpServer::Impl {
  Impl(HttpServerOptions o, HttpHandler h)
      : options(std::move(o)),
        handler(std::move(h)),
        io_threads(options.io_threads > 0 ? options.io_threads : 2),
        worker_threads(options.worker_threads > 0
                           ? options.worker_threads
                           : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))),
        ioc(io_threads) {}

  Result<int> bind(const std::string& host, int port);
  Status run();
  Status serve();
  void stop();
  void accept();
  void on_accept(const error_code& ec, tcp::socket socket);
  void run_io();

  HttpResponse call_handler(const HttpRequest& req) const {
    try {
      return handler(req);
    } catch (...) {  // never echo the exception text, never let it reach the I/O threads
      return internal_error_response();
    }
  }

  // Declaration order matters: sessions (owned by handlers queued in `ioc`
  // and `workers`) use the members above `ioc`, so those are destroyed last.
  const HttpServerOptions options;
  const HttpHandler handler;
  const int io_threads;
  const int worker_threads;
  Counters counters;
  std::mutex mu;
  std::condition_variable cv;
  bool ran = false;
  bool running = false;
  std::atomic<bool> stopping{false};
  asio::io_context ioc;
  tcp::acceptor acceptor{asio::make_strand(ioc)};
  asio::steady_timer accept_retry{acceptor.get_executor()};
  std::optional<asio::thread_pool> workers;
};

namespace {

// One connection. All its handlers run on its strand (the socket's executor);
// only the request handler runs elsewhere, on the worker pool, and hands its
// answer back through the strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(HttpServer::Impl& srv, tcp::socket socket)
      : srv_(srv),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        buffer_(srv.options.max_header_bytes + kReadChunk) {
    bump(srv_.counters.connections_open);
    bump(srv_.counters.connections_total);
  }
  ~Session() { srv_.counters.connections_open.fetch_sub(1, std::memory_order_relaxed); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      error_code ignored;
      self->socket_.set_option(tcp::no_delay(true), ignored);
      self->arm(self->srv_.options.header_deadline);
      self->read_header();
    });
  }

 private:
  // One deadline at a time. On expiry the pending operation is cancelled and
  // its handler sees timed_out_ (the socket stays open so a 408 can be sent).
  void arm(std::chrono::milliseconds d) {
    timed_out_ = false;
    const std::uint64_t gen = ++timer_gen_;
    timer_.expires_after(d);
    timer_.async_wait([self = shared_from_this(), gen](const error_code& ec) {
      if (ec || gen != self->timer_gen_) return;
      self->timed_out_ = true;
      error_code ignored;
      self->socket_.cancel(ignored);
    });
  }
  void disarm() {
    ++timer_gen_;
    timer_.cancel();
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(srv_.options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(static_cast<std::uint64_t>(srv_.options.max_body_bytes));
    http::async_read_header(socket_, buffer_, *parser_,
                            [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(const error_code& ec) {
    if (timed_out_) {
      bump(srv_.counters.refused_header_timeout);
      return fail(408, "request header timeout\n");
    }
    // A declared Content-Length above the limit fails here, before any body byte is read.
    if (ec) return on_read_error(ec, false);
    disarm();
    const auto& msg = parser_->get();
    keep_alive_ = msg.version() == 11 && msg.keep_alive();  // HTTP/1.0 always closes
    if (parser_->is_done()) return dispatch();
    arm(srv_.options.body_deadline);
    if (msg.version() == 11 && iequals(to_std(msg[http::field::expect]), "100-continue")) {
      asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this()](const error_code& wec, std::size_t) {
                          if (self->timed_out_) {
                            bump(self->srv_.counters.refused_body_timeout);
                            return self->fail(408, "request body timeout\n");
                          }
                          if (wec) return self->close_now();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_body(ec); });
  }

  void on_body(const error_code& ec) {
    if (timed_out_) {
      bump(srv_.counters.refused_body_timeout);
      return fail(408, "request body timeout\n");
    }
    if (ec) return on_read_error(ec, true);
    disarm();
    dispatch();
  }

  void on_read_error(const error_code& ec, bool in_body) {
    if (ec == http::error::body_limit) {
      // Content-Length too large, or the chunk sizes so far pass the limit.
      bump(srv_.counters.refused_body_too_large);
      return fail(413, "payload too large\n");
    }
    if (ec == http::error::header_limit || (!in_body && ec == http::error::buffer_overflow)) {
      bump(srv_.counters.bad_requests);
      return fail(431, "request header fields too large\n");
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) return close_now();  // client left
    if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
      bump(srv_.counters.bad_requests);
      return fail(400, "bad request\n");  // never echo what was sent
    }
    close_now();  // network error: nobody to answer
  }

  void dispatch() {
    auto msg = parser_->release();
    parser_.reset();
    HttpRequest req;
    req.method = to_std(msg.method_string());
    req.target = to_std(msg.target());
    req.path = req.target.substr(0, req.target.find('?'));
    req.headers.reserve(static_cast<std::size_t>(std::distance(msg.begin(), msg.end())));
    for (const auto& f : msg) {
      std::string name = to_std(f.name_string());
      std::transform(name.begin(), name.end(), name.begin(), ascii_lower);
      req.headers.emplace_back(std::move(name), to_std(f.value()));
    }
    req.body = std::move(msg.body());
    const bool head = msg.method() == http::verb::head;
    bump(srv_.counters.requests);
    asio::post(*srv_.workers, [self = shared_from_this(), req = std::move(req), head]() mutable {
      HttpResponse res = self->srv_.call_handler(req);
      asio::post(self->socket_.get_executor(), [self, res = std::move(res), head]() mutable {
        self->write_response(std::move(res), head);
      });
    });
  }

  void write_response(HttpResponse res, bool head) {
    bool ok = false;
    try {
      ok = build_response(res, head, keep_alive_, res_);
    } catch (const std::exception&) {
      ok = false;
    }
    if (!ok) {
      HttpResponse err = internal_error_response();
      bool keep = keep_alive_;
      build_response(err, head, keep, res_);
    }
    arm(srv_.options.idle_timeout);
    http::async_write(socket_, res_, [self = shared_from_this()](const error_code& ec, std::size_t) {
      if (ec || self->timed_out_) return self->close_now();
      self->disarm();
      self->res_ = BeastResponse{};
      if (!self->keep_alive_) return self->graceful_close();
      self->next_request();
    });
  }

  void next_request() {
    if (buffer_.size() > 0) {  // the client already sent (part of) the next request
      arm(srv_.options.header_deadline);
      return read_header();
    }
    // Idle keep-alive: wait for a byte without a header deadline; the header
    // deadline starts with the next request.
    arm(srv_.options.idle_timeout);
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const error_code& ec) {
      if (ec || self->timed_out_) return self->close_now();
      self->arm(self->srv_.options.header_deadline);
      self->read_header();
    });
  }

  // Short plain-text error, then close.
  void fail(int status, std::string_view text) {
    keep_alive_ = false;
    plain_response(res_, status, text);
    arm(kErrorWriteTime);
    http::async_write(socket_, res_, [self = shared_from_this()](const error_code& ec, std::size_t) {
      if (ec || self->timed_out_) return self->close_now();
      self->graceful_close();
    });
  }

  void graceful_close() {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close_now();
    buffer_.consume(buffer_.size());
    drained_ = 0;
    arm(kLingerTime);
    drain();
  }

  void drain() {
    socket_.async_read_some(buffer_.prepare(kDrainChunk),
                            [self = shared_from_this()](const error_code& ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->timed_out_ || self->drained_ > kLingerMaxBytes) return self->close_now();
                              self->drain();
                            });
  }

  void close_now() {
    disarm();
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  HttpServer::Impl& srv_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::uint64_t timer_gen_ = 0;
  bool timed_out_ = false;
  bool keep_alive_ = false;
  beast::flat_buffer buffer_;  // max size bounds the header section and a partial chunk header
  std::optional<http::request_parser<http::string_body>> parser_;
  BeastResponse res_;  // alive while being written
  std::size_t drained_ = 0;
};

}  // namespace

Result<int> HttpServer::Impl::bind(const std::string& host, int port) {
  if (port < 0 || port > 65535) return invalid_argument("listen port out of range");
  std::lock_guard lock(mu);
  if (acceptor.is_open()) return failed_precondition("HttpServer::bind called twice");
  error_code ec;
  tcp::resolver resolver(ioc);
  auto results =
      resolver.resolve(host, std::to_string(port), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) return invalid_argument("cannot resolve listen host '" + host + "'");
  const tcp::endpoint ep = results.begin()->endpoint();
  const std::string where = host + ":" + std::to_string(port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    acceptor.close(ignored);
    return Status(ErrorCode::kUnavailable, "cannot listen on " + where + ": " + ec.message());
  }
  const auto local = acceptor.local_endpoint(ec);
  if (ec) return Status(ErrorCode::kUnavailable, "cannot listen on " + where + ": " + ec.message());
  return static_cast<int>(local.port());
}

void HttpServer::Impl::accept() {
  acceptor.async_accept(asio::make_strand(ioc),
                        [this](const error_code& ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void HttpServer::Impl::on_accept(const error_code& ec, tcp::socket socket) {
  if (ec) {
    if (ec == asio::error::operation_aborted || stopping.load() || !acceptor.is_open()) return;
    accept_retry.expires_after(kAcceptRetry);
    accept_retry.async_wait([this](const error_code& wec) {
      if (!wec) accept();
    });
    return;
  }
  if (counters.connections_open.load(std::memory_order_relaxed) >= options.max_connections) {
    bump(counters.refused_too_many_connections);
    error_code ignored;
    socket.close(ignored);
  } else {
    std::make_shared<Session>(*this, std::move(socket))->start();
  }
  accept();
}

void HttpServer::Impl::run_io() {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception&) {
      // A handler threw (e.g. bad_alloc): that connection is lost, the server is not.
    }
  }
}

Status HttpServer::Impl::run() {
  {
    std::lock_guard lock(mu);
    if (ran) return failed_precondition("HttpServer::run called twice");
    if (!acceptor.is_open()) return failed_precondition("HttpServer::run before bind");
    ran = true;
    running = true;
  }
  Status status = serve();
  // Last touch of *this: the destructor may free it as soon as the lock is released.
  std::lock_guard lock(mu);
  running = false;
  cv.notify_all();
  return status;
}

Status HttpServer::Impl::serve() {
  workers.emplace(static_cast<std::size_t>(worker_threads));
  asio::post(acceptor.get_executor(), [this] { accept(); });
  auto guard = asio::make_work_guard(ioc);
  std::vector<std::thread> threads;
  Status status;
  try {
    for (int i = 1; i < io_threads; ++i) threads.emplace_back([this] { run_io(); });
  } catch (const std::system_error&) {
    status = Status(ErrorCode::kResourceExhausted, "cannot start HTTP I/O threads");
    stop();
  }
  run_io();
  for (auto& t : threads) t.join();
  // Queued requests are dropped; a handler still running finishes, and its
  // answer goes to the stopped io_context (discarded with it).
  workers->stop();
  workers->join();
  error_code ignored;
  acceptor.close(ignored);
  return status;
}

void HttpServer::Impl::stop() {
  stopping.store(true);
  ioc.stop();
}

// ----------------------------------------------------------------- HttpServer

HttpServer::HttpServer(Key /*unused*/, std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  impl_->stop();
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait(lock, [this] { return !impl_->running; });
}

Result<std::unique_ptr<HttpServer>> HttpServer::create(HttpServerOptions options, HttpHandler handler) {
  if (!handler) return invalid_argument("HttpServer needs a handler");
  if (options.max_body_bytes == 0) return invalid_argument("max_body_bytes must be positive");
  if (options.max_header_bytes < 1024 || options.max_header_bytes > (std::size_t{1} << 30)) {
    return invalid_argument("max_header_bytes must be between 1 KiB and 1 GiB");
  }
  using ms = std::chrono::milliseconds;
  if (options.header_deadline <= ms::zero() || options.body_deadline <= ms::zero() ||
      options.idle_timeout <= ms::zero()) {
    return invalid_argument("HTTP deadlines must be positive");
  }
  if (options.max_connections == 0) return invalid_argument("max_connections must be positive");
  if (options.io_threads < 0 || options.worker_threads < 0) {
    return invalid_argument("thread counts must not be negative");
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler));
  return std::make_unique<HttpServer>(Key{}, std::move(impl));
}

Result<int> HttpServer::bind(const std::string& host, int port) { return impl_->bind(host, port); }
Status HttpServer::run() { return impl_->run(); }
void HttpServer::stop() { impl_->stop(); }

HttpServerStats HttpServer::stats() const {
  const auto& c = impl_->counters;
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  HttpServerStats s;
  s.connections_open = get(c.connections_open);
  s.connections_total = get(c.connections_total);
  s.requests = get(c.requests);
  s.refused_body_too_large = get(c.refused_body_too_large);
  s.refused_header_timeout = get(c.refused_header_timeout);
  s.refused_body_timeout = get(c.refused_body_timeout);
  s.refused_too_many_connections = get(c.refused_too_many_connections);
  s.bad_requests = get(c.bad_requests);
  return s;
}

}  // namespace t3n::api
