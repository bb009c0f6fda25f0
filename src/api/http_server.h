// The node's HTTP/1.1 server. (Interim implementation over cpp-httplib; the
// hardened Boost.Beast server replaces http_server.cpp with the same API.)
#pragma once

#include <atomic>
#include <chrono>
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
  std::string method;
  std::string target;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string header(std::string_view name) const;
  Result<std::optional<std::string>> query(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  std::size_t max_header_bytes = 64 * 1024;
  std::chrono::milliseconds header_deadline{10'000};
  std::chrono::milliseconds body_deadline{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::size_t max_connections = 4096;
  int io_threads = 0;
  int worker_threads = 0;
};

struct HttpServerStats {
  std::uint64_t connections_open = 0, connections_total = 0, requests = 0, refused_body_too_large = 0,
                refused_header_timeout = 0, refused_body_timeout = 0, refused_too_many_connections = 0, bad_requests = 0;
};

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> create(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();
  Result<int> bind(const std::string& host, int port);
  Status run();
  void stop();
  HttpServerStats stats() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace t3n::api
