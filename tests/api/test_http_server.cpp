// HttpServer over real sockets on 127.0.0.1. The client is a small raw POSIX
// socket helper, so what is tested is the server's behaviour on the wire, not
// a client library's. Time bounds (client read timeouts) are failure bounds
// only; nothing waits by sleeping.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api/http_server.h"

namespace t3n::api {
namespace {

using namespace std::chrono_literals;

constexpr auto kClientTimeout = 5000ms;  // failure bound for any single read

struct RawResponse {
  int status = 0;  // 0: no complete response (timeout or connection closed)
  bool timed_out = false;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return {};
  }
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A blocking TCP client with a receive timeout.
class RawClient {
 public:
  explicit RawClient(int port, int sndbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    if (sndbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(kClientTimeout).count());
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  bool send_all(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads one response (skipping 1xx ones unless keep_informational).
  // `head`: the response has no body whatever its Content-Length says.
  RawResponse read_response(bool head = false, bool keep_informational = false) {
    RawResponse r;
    for (;;) {
      std::size_t end;
      while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
        if (!fill(r)) return r;
      }
      const std::string head_text = pending_.substr(0, end);
      pending_.erase(0, end + 4);
      r.headers.clear();
      std::size_t pos = head_text.find("\r\n");
      const std::string status_line = head_text.substr(0, pos);
      if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) return r;
      const int status = std::stoi(status_line.substr(9, 3));
      while (pos != std::string::npos) {
        const std::size_t next = head_text.find("\r\n", pos + 2);
        const std::size_t len = next == std::string::npos ? std::string::npos : next - pos - 2;
        const std::string line = head_text.substr(pos + 2, len);
        const std::size_t colon = line.find(':');
        if (colon != std::string::npos) {
          std::string value = line.substr(colon + 1);
          while (!value.empty() && value.front() == ' ') value.erase(0, 1);
          r.headers.emplace_back(lower(line.substr(0, colon)), value);
        }
        pos = next;
      }
      if (status >= 100 && status < 200 && !keep_informational) continue;
      std::size_t length = 0;
      if (!head && !r.header("content-length").empty()) length = std::stoul(r.header("content-length"));
      while (pending_.size() < length) {
        if (!fill(r)) return r;
      }
      r.body = pending_.substr(0, length);
      pending_.erase(0, length);
      r.status = status;
      return r;
    }
  }

  struct CloseResult {
    bool closed = false;  // EOF or reset seen within the timeout
    std::string extra;    // bytes received before that
  };
  CloseResult wait_closed() {
    CloseResult c;
    c.extra = std::move(pending_);
    pending_.clear();
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        c.extra.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      c.closed = n == 0 || errno == ECONNRESET || errno == EPIPE;
      return c;
    }
  }

 private:
  bool fill(RawResponse& r) {
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      pending_.append(buf, static_cast<std::size_t>(n));
      return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) r.timed_out = true;
    return false;
  }

  int fd_ = -1;
  std::string pending_;
};

std::string get_request(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

std::string post_request(const std::string& target, const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// The server under test, running on its own thread; stop() and join on destruction.
class TestServer {
 public:
  explicit TestServer(HttpServerOptions options = {}) {
    options.worker_threads = options.worker_threads ? options.worker_threads : 2;
    auto s = HttpServer::create(options, [this](const HttpRequest& req) { return handle(req); });
    EXPECT_TRUE(s.ok()) << s.status().to_string();
    if (!s.ok()) return;
    server_ = std::move(*s);
    auto p = server_->bind("127.0.0.1", 0);
    EXPECT_TRUE(p.ok()) << p.status().to_string();
    port_ = p.value_or(0);
    thread_ = std::thread([this] { run_status_ = server_->run(); });
  }
  ~TestServer() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const { return port_; }
  int calls() const { return calls_.load(); }
  HttpServer& server() { return *server_; }

 private:
  HttpResponse handle(const HttpRequest& req) {
    calls_++;
    HttpResponse res;
    res.content_type = "text/plain";
    if (req.path == "/throw") throw std::runtime_error("secret-detail-42");
    if (req.path == "/throw-int") throw 42;
    if (req.path == "/inject") {
      res.headers.emplace_back("x-bad", "a\r\nset-cookie: evil=1");
      return res;
    }
    if (req.path == "/q") {
      auto a = req.query("a");
      if (!a.ok()) {
        res.status = 400;
        res.body = std::string(common::error_code_name(a.status().code()));
        return res;
      }
      res.body = a->value_or("<absent>");
      return res;
    }
    // Large bodies are summarised so a failing assertion does not print megabytes.
    const std::string body = req.body.size() > 64 ? "<" + std::to_string(req.body.size()) + " bytes>" : req.body;
    res.body = req.method + " " + req.target + " " + body;
    res.headers.emplace_back("x-seen", req.header("X-Test"));
    return res;
  }

  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  std::thread thread_;
  Status run_status_;
  std::atomic<int> calls_{0};
};

// ------------------------------------------------------------------ (1) basics

TEST(HttpRequestQuery, DecodesStrictly) {
  HttpRequest r;
  r.target = "/p?a=hello%20w%C3%B6rld&b=x+y&c&d=&a=second&e=%FF%00";
  EXPECT_EQ(r.query("a").value(), std::optional<std::string>("hello w\xc3\xb6rld"));  // first wins
  EXPECT_EQ(r.query("b").value(), std::optional<std::string>("x+y"));                // '+' is literal
  EXPECT_EQ(r.query("c").value(), std::optional<std::string>(""));
  EXPECT_EQ(r.query("d").value(), std::optional<std::string>(""));
  EXPECT_EQ(r.query("e").value(), std::optional<std::string>(std::string("\xff\0", 2)));  // not UTF-8: as is
  EXPECT_EQ(r.query("zz").value(), std::nullopt);
  for (const char* bad : {"/p?a=%zz", "/p?a=%4", "/p?a=1%", "/p?a=1&b=%g1", "/p?%zz=1&a=1"}) {
    r.target = bad;
    auto v = r.query("a");
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), ErrorCode::kInvalidArgument) << bad;
  }
  r.target = "/no-query";
  EXPECT_EQ(r.query("a").value(), std::nullopt);
}

TEST(HttpServer, GetPostKeepAliveAndQuery) {
  TestServer ts;
  RawClient c(ts.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_all(get_request("/hello?x=1", "X-Test: seen-it\r\n")));
  auto r1 = c.read_response();
  ASSERT_EQ(r1.status, 200);
  EXPECT_EQ(r1.body, "GET /hello?x=1 ");
  EXPECT_EQ(r1.header("x-seen"), "seen-it");  // request header looked up case-insensitively
  EXPECT_EQ(r1.header("content-type"), "text/plain");
  EXPECT_NE(lower(r1.header("connection")), "close");

  // Second request on the same connection (keep-alive).
  ASSERT_TRUE(c.send_all(post_request("/echo", "the body")));
  auto r2 = c.read_response();
  ASSERT_EQ(r2.status, 200);
  EXPECT_EQ(r2.body, "POST /echo the body");

  ASSERT_TRUE(c.send_all(get_request("/q?a=caf%C3%A9%2Fx")));
  auto r3 = c.read_response();
  ASSERT_EQ(r3.status, 200);
  EXPECT_EQ(r3.body, "caf\xc3\xa9/x");
  ASSERT_TRUE(c.send_all(get_request("/q?a=%zz")));
  auto r4 = c.read_response();
  EXPECT_EQ(r4.status, 400);
  EXPECT_EQ(r4.body, "invalid_argument");

  const auto st = ts.server().stats();
  EXPECT_EQ(st.connections_total, 1u);
  EXPECT_EQ(st.requests, 4u);
}

TEST(HttpServer, Http10ClosesAfterResponse) {
  TestServer ts;
  RawClient c(ts.port());
  ASSERT_TRUE(c.send_all("GET /old HTTP/1.0\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(lower(r.header("connection")), "close");
  auto closed = c.wait_closed();
  EXPECT_TRUE(closed.closed);
  EXPECT_EQ(closed.extra, "");
}

TEST(HttpServer, ExpectContinueAndHead) {
  TestServer ts;
  RawClient c(ts.port());
  ASSERT_TRUE(c.send_all("POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
  auto cont = c.read_response(false, true);
  ASSERT_EQ(cont.status, 100);
  ASSERT_TRUE(c.send_all("abc"));
  auto r = c.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST /e abc");

  ASSERT_TRUE(c.send_all("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto h = c.read_response(/*head=*/true);
  ASSERT_EQ(h.status, 200);
  EXPECT_EQ(h.header("content-length"), std::to_string(std::string("HEAD /h ").size()));
  // No body bytes followed: the next response parses cleanly.
  ASSERT_TRUE(c.send_all(get_request("/after")));
  auto a = c.read_response();
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "GET /after ");
}

TEST(HttpServer, ChunkedBodyWithinLimitIsServed) {
  TestServer ts;
  RawClient c(ts.port());
  ASSERT_TRUE(c.send_all("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST /c abcde");
}

// ------------------------------------------------- (2) chunked body over limit

TEST(HttpServer, ChunkedBombRefusedEarly) {
  TestServer ts;  // default limit: 16 MiB
  constexpr std::size_t kTotal = 64u << 20;
  constexpr std::size_t kChunk = 64u << 10;
  RawClient c(ts.port(), /*sndbuf=*/64 * 1024);  // small client buffer: "sent" ≈ what the server took in
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_all("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"));
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", kChunk);
  const std::string chunk = std::string(size_line) + std::string(kChunk, 'a') + "\r\n";

  std::size_t body_sent = 0;  // body bytes (chunk data) the kernel accepted
  std::size_t off = 0;        // offset inside the current chunk frame
  bool answered = false;
  while (body_sent < kTotal) {
    pollfd p{c.fd(), POLLIN | POLLOUT, 0};
    const int pr = ::poll(&p, 1, static_cast<int>(kClientTimeout.count()));
    ASSERT_GT(pr, 0) << "server neither read nor answered for " << kClientTimeout.count() << " ms";
    if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
      answered = true;
      break;
    }
    const ssize_t n = ::send(c.fd(), chunk.data() + off, chunk.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) continue;
      answered = true;  // reset or pipe closed: the server gave up on us
      break;
    }
    const std::size_t before = off;
    off += static_cast<std::size_t>(n);
    const std::size_t data_lo = std::max<std::size_t>(before, std::strlen(size_line));
    const std::size_t data_hi = std::min<std::size_t>(off, std::strlen(size_line) + kChunk);
    if (data_hi > data_lo) body_sent += data_hi - data_lo;
    if (off == chunk.size()) off = 0;
  }
  if (!answered) c.send_all("0\r\n\r\n");  // a broken server gets a complete request

  auto r = c.read_response();
  EXPECT_TRUE(answered) << "the whole 64 MiB body was accepted";
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(lower(r.header("connection")), "close");
  EXPECT_EQ(r.body, "payload too large\n");
  RecordProperty("body_bytes_sent_before_413", std::to_string(body_sent));
  EXPECT_LT(body_sent, kTotal / 2) << "most of the body must still be unsent when the 413 arrives";
  EXPECT_EQ(ts.calls(), 0) << "the handler must never see the request";
  EXPECT_EQ(ts.server().stats().refused_body_too_large, 1u);
}

// ------------------------------------------------- (3) Content-Length over limit

TEST(HttpServer, DeclaredLengthOverLimitRefusedBeforeBody) {
  HttpServerOptions o;
  o.max_body_bytes = 1024;
  TestServer ts(o);
  for (const std::string expect : {"", "Expect: 100-continue\r\n"}) {
    SCOPED_TRACE(expect);
    RawClient c(ts.port());
    // Only the header is sent: the 413 must come without any body byte.
    ASSERT_TRUE(c.send_all("POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 1025\r\n" + expect + "\r\n"));
    auto r = c.read_response(false, /*keep_informational=*/true);
    EXPECT_EQ(r.status, 413);  // not 100 Continue
    EXPECT_EQ(lower(r.header("connection")), "close");
    EXPECT_TRUE(c.wait_closed().closed);
  }
  // At the limit is fine.
  RawClient ok(ts.port());
  ASSERT_TRUE(ok.send_all(post_request("/fits", std::string(1024, 'x'))));
  EXPECT_EQ(ok.read_response().status, 200);
  EXPECT_EQ(ts.calls(), 1);
  EXPECT_EQ(ts.server().stats().refused_body_too_large, 2u);
}

// ------------------------------------------------------------- (4) deadlines

TEST(HttpServer, HeaderDeadlineGives408AndCloses) {
  HttpServerOptions o;
  o.header_deadline = 200ms;
  TestServer ts(o);
  RawClient c(ts.port());
  ASSERT_TRUE(c.send_all("GET /slow HTTP/1.1\r\nHost: t\r\nX-Partial: "));
  auto r = c.read_response();
  ASSERT_FALSE(r.timed_out) << "no 408 within the client's bound";
  EXPECT_EQ(r.status, 408);
  EXPECT_EQ(lower(r.header("connection")), "close");
  EXPECT_TRUE(c.wait_closed().closed);
  EXPECT_EQ(ts.calls(), 0);
  EXPECT_EQ(ts.server().stats().refused_header_timeout, 1u);

  // On a kept-alive connection the deadline applies to the next request's
  // header as well (the idle wait before its first byte is idle_timeout's).
  RawClient k(ts.port());
  ASSERT_TRUE(k.send_all(get_request("/first")));
  ASSERT_EQ(k.read_response().status, 200);
  ASSERT_TRUE(k.send_all("GET /second HTTP/1.1\r\nHost"));
  auto r2 = k.read_response();
  ASSERT_FALSE(r2.timed_out);
  EXPECT_EQ(r2.status, 408);
  EXPECT_TRUE(k.wait_closed().closed);
  EXPECT_EQ(ts.server().stats().refused_header_timeout, 2u);
}

TEST(HttpServer, BodyDeadlineGives408AndCloses) {
  HttpServerOptions o;
  o.body_deadline = 200ms;
  TestServer ts(o);
  RawClient c(ts.port());
  ASSERT_TRUE(c.send_all("POST /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  auto r = c.read_response();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.status, 408);
  EXPECT_EQ(lower(r.header("connection")), "close");
  EXPECT_TRUE(c.wait_closed().closed);
  EXPECT_EQ(ts.calls(), 0);
  EXPECT_EQ(ts.server().stats().refused_body_timeout, 1u);
}

TEST(HttpServer, IdleKeepAliveClosesSilently) {
  HttpServerOptions o;
  o.idle_timeout = 200ms;
  TestServer ts(o);
  RawClient c(ts.port());
  ASSERT_TRUE(c.send_all(get_request("/once")));
  ASSERT_EQ(c.read_response().status, 200);
  auto closed = c.wait_closed();
  EXPECT_TRUE(closed.closed);
  EXPECT_EQ(closed.extra, "") << "idle close sends nothing";
  EXPECT_EQ(ts.server().stats().refused_header_timeout, 0u);
}

// --------------------------------------------------------------- (5) slowloris

TEST(HttpServer, TricklingConnectionsDoNotStallOthers) {
  HttpServerOptions o;  // default 10 s header deadline: the tricklers stay open throughout
  o.io_threads = 2;
  o.worker_threads = 2;
  TestServer ts(o);
  constexpr int kSlow = 100;
  const std::string req = get_request("/slow");
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < kSlow; ++i) {
    slow.push_back(std::make_unique<RawClient>(ts.port()));
    ASSERT_TRUE(slow.back()->connected());
  }
  // Trickle the first bytes of a header, one byte per connection per round.
  constexpr std::size_t kPartial = 12;
  for (std::size_t b = 0; b < kPartial; ++b) {
    for (auto& s : slow) ASSERT_TRUE(s->send_all(req.substr(b, 1)));
  }
  // A fresh connection is answered while all of them hold partial headers.
  RawClient fresh(ts.port());
  ASSERT_TRUE(fresh.send_all(get_request("/status")));
  auto r = fresh.read_response();
  ASSERT_FALSE(r.timed_out) << "a normal GET stalled behind trickling connections";
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /status ");
  EXPECT_EQ(ts.server().stats().connections_open, static_cast<std::uint64_t>(kSlow + 1));
  // The tricklers were alive all along: they finish and are served.
  for (auto& s : slow) ASSERT_TRUE(s->send_all(req.substr(kPartial)));
  for (auto& s : slow) EXPECT_EQ(s->read_response().status, 200);
}

// --------------------------------------------------------- (6) max_connections

TEST(HttpServer, ConnectionsBeyondMaxAreClosedAtOnce) {
  HttpServerOptions o;
  o.max_connections = 3;
  TestServer ts(o);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<RawClient>(ts.port()));
  // Connections are accepted in order, so this one is the fourth.
  RawClient extra(ts.port());
  ASSERT_TRUE(extra.connected());  // the kernel completed the handshake
  auto closed = extra.wait_closed();
  EXPECT_TRUE(closed.closed) << "the connection beyond max_connections stayed open";
  EXPECT_EQ(closed.extra, "");
  for (auto& h : held) {
    ASSERT_TRUE(h->send_all(get_request("/held")));
    EXPECT_EQ(h->read_response().status, 200);
  }
  const auto st = ts.server().stats();
  EXPECT_EQ(st.refused_too_many_connections, 1u);
  EXPECT_EQ(st.connections_open, 3u);
}

// --------------------------------------------------------- (7) handler errors

TEST(HttpServer, ThrowingHandlerGives500AndServerGoesOn) {
  TestServer ts;
  RawClient c(ts.port());
  for (const char* path : {"/throw", "/throw-int"}) {
    ASSERT_TRUE(c.send_all(get_request(path)));
    auto r = c.read_response();
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body, "internal server error\n");
    EXPECT_EQ(r.body.find("secret"), std::string::npos);
  }
  ASSERT_TRUE(c.send_all(get_request("/fine")));  // same connection still usable
  EXPECT_EQ(c.read_response().status, 200);
  RawClient other(ts.port());
  ASSERT_TRUE(other.send_all(get_request("/fine")));
  EXPECT_EQ(other.read_response().status, 200);
}

TEST(HttpServer, HandlerHeaderInjectionGives500) {
  TestServer ts;
  RawClient c(ts.port());
  ASSERT_TRUE(c.send_all(get_request("/inject")));
  auto r = c.read_response();
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.header("set-cookie"), "");
}

// ------------------------------------------------------------ malformed input

TEST(HttpServer, MalformedRequestsGive400WithoutEcho) {
  TestServer ts;
  const std::vector<std::string> bad = {
      "GET /secret-path\x01 HTTP/1.1\r\nHost: t\r\n\r\n",                            // control byte in target
      "GET / HTTP/9.9secret\r\nHost: t\r\n\r\n",                                     // version
      "GET / HTTP/1.1\r\nBad Header-secret: v\r\n\r\n",                              // space in a name
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 12x\r\n\r\n",                  // length
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",  // two lengths
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz-secret\r\n",  // chunk size
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(b);
    RawClient c(ts.port());
    ASSERT_TRUE(c.send_all(b));
    auto r = c.read_response();
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body, "bad request\n");
    EXPECT_EQ(lower(r.header("connection")), "close");
    EXPECT_TRUE(c.wait_closed().closed);
  }
  EXPECT_EQ(ts.calls(), 0);
  EXPECT_EQ(ts.server().stats().bad_requests, bad.size());
}

TEST(HttpServer, OversizedHeaderGives431) {
  HttpServerOptions o;
  o.max_header_bytes = 4096;
  TestServer ts(o);
  RawClient c(ts.port());
  ASSERT_TRUE(c.send_all(get_request("/h", "X-Big: " + std::string(8192, 'a') + "\r\n")));
  auto r = c.read_response();
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(lower(r.header("connection")), "close");
  EXPECT_EQ(ts.calls(), 0);
  // A header just under the limit is served.
  RawClient ok(ts.port());
  ASSERT_TRUE(ok.send_all(get_request("/h", "X-Big: " + std::string(3000, 'a') + "\r\n")));
  EXPECT_EQ(ok.read_response().status, 200);
}

// ------------------------------------------------------------------- (8) stop

TEST(HttpServer, StopFromAnotherThreadReturnsRun) {
  auto s = HttpServer::create({}, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_TRUE(s.ok());
  auto server = std::move(*s);
  auto port = server->bind("127.0.0.1", 0);
  ASSERT_TRUE(port.ok());
  EXPECT_FALSE(server->bind("127.0.0.1", 0).ok()) << "second bind";
  std::promise<Status> ran;
  auto done = ran.get_future();
  std::thread runner([&] { ran.set_value(server->run()); });
  {
    RawClient c(*port);  // serving, and an open connection does not block stop()
    ASSERT_TRUE(c.send_all(get_request("/")));
    ASSERT_EQ(c.read_response().status, 200);
    std::thread stopper([&] {
      server->stop();
      server->stop();  // idempotent
    });
    stopper.join();
    ASSERT_EQ(done.wait_for(10s), std::future_status::ready) << "run() did not return after stop()";
    EXPECT_TRUE(done.get().ok());
  }
  runner.join();
  EXPECT_FALSE(server->run().ok()) << "run() is once per server";
}

TEST(HttpServer, StopBeforeRunAndDestructorWithoutStop) {
  auto s = HttpServer::create({}, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->bind("127.0.0.1", 0).ok());
  (*s)->stop();
  EXPECT_TRUE((*s)->run().ok());  // returns at once

  auto s2 = HttpServer::create({}, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_TRUE(s2.ok());
  auto server = std::move(*s2);
  auto port = server->bind("127.0.0.1", 0);
  ASSERT_TRUE(port.ok());
  HttpServer* raw = server.get();
  std::thread runner([raw] { (void)raw->run(); });
  RawClient c(*port);  // once a request is answered, run() is certainly running
  ASSERT_TRUE(c.send_all(get_request("/")));
  ASSERT_EQ(c.read_response().status, 200);
  server.reset();  // the destructor stops the server and waits for run()
  runner.join();
}

TEST(HttpServer, CreateRejectsBadOptions) {
  auto h = [](const HttpRequest&) { return HttpResponse{}; };
  EXPECT_FALSE(HttpServer::create({}, nullptr).ok());
  HttpServerOptions o;
  o.max_body_bytes = 0;
  EXPECT_FALSE(HttpServer::create(o, h).ok());
  o = {};
  o.header_deadline = 0ms;
  EXPECT_FALSE(HttpServer::create(o, h).ok());
  o = {};
  o.max_connections = 0;
  EXPECT_FALSE(HttpServer::create(o, h).ok());
  o = {};
  o.io_threads = -1;
  EXPECT_FALSE(HttpServer::create(o, h).ok());
}

}  // namespace
}  // namespace t3n::api
