// The node's HTTP/1.1 server (Boost.Beast over Boost.Asio).
//
// Reading is asynchronous on a few I/O threads, so a slow or idle client holds
// no thread; only a complete request is handed to the worker pool, where the
// (blocking, CPU-bound) handler runs. Every phase has a limit: header bytes and
// time, body bytes (Content-Length and chunked alike) and time, keep-alive
// idle time, open connections. See src/api/README.md, "HTTP server".
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace t3n::api {

struct HttpRequest {
  std::string method;  // "GET", "POST", …
  std::string target;  // raw request target, e.g. "/api/receipt?seqno=3"
  std::string path;    // target up to '?', not decoded
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in arrival order
  std::string body;

  // First header of that name (case-insensitive); "" if absent.
  std::string header(std::string_view name) const;
  // First query parameter of that name, percent-decoded (RFC 3986: '+' stays
  // '+'). kInvalidArgument if any escape in the query is malformed (strict: a
  // query that does not parse answers no lookup); std::nullopt if absent.
  // Bytes that are not UTF-8 are returned as is.
  Result<std::optional<std::string>> query(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;  // 200..599; anything else is answered as 500
  std::string content_type = "application/json";
  std::string body;
  // Extra headers. Content-Length and Transfer-Encoding are the server's and
  // are ignored here; "connection: close" closes after this response. A name
  // that is not a token or a value with CR, LF or NUL turns the response
  // into a 500 (no header injection through handler output).
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::size_t max_body_bytes = 16 * 1024 * 1024;  // Content-Length and chunked → 413
  std::size_t max_header_bytes = 64 * 1024;       // request line + fields → 431
  // Whole header section, from accept (or, on a kept-alive connection, from
  // the first byte of the next request) → 408, close.
  std::chrono::milliseconds header_deadline{10'000};
  std::chrono::milliseconds body_deadline{30'000};  // whole body, from end of header → 408, close
  // Keep-alive silence before the next request → close silently. Also bounds
  // writing one response (a client that does not read).
  std::chrono::milliseconds idle_timeout{60'000};
  std::size_t max_connections = 4096;  // beyond: accept and close at once
  int io_threads = 0;      // 0 = 2
  int worker_threads = 0;  // 0 = one per core; handlers (CPU-bound, blocking) run here
};

struct HttpServerStats {
  std::uint64_t connections_open = 0;
  std::uint64_t connections_total = 0;  // accepted and served (refused ones not counted)
  std::uint64_t requests = 0;           // complete requests handed to the handler
  std::uint64_t refused_body_too_large = 0;
  std::uint64_t refused_header_timeout = 0;
  std::uint64_t refused_body_timeout = 0;
  std::uint64_t refused_too_many_connections = 0;
  std::uint64_t bad_requests = 0;  // malformed (400) and oversized header (431)
};

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> create(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();  // stops and waits for run() to return
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Listens (connections queue from here on, before run()). Port 0 = any
  // free port; returns the bound port. Once per server.
  Result<int> bind(const std::string& host, int port);
  // Serves until stop(); returns after all I/O and worker threads joined.
  // Once per server.
  Status run();
  // Thread-safe, idempotent, callable from any thread (not from a signal
  // handler itself). Connections still open are dropped.
  void stop();

  HttpServerStats stats() const;

  struct Impl;

 private:
  struct Key {
    explicit Key() = default;
  };

 public:
  HttpServer(Key, std::unique_ptr<Impl> impl);  // via create()

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace t3n::api
