// Interim: cpp-httplib behind the HttpServer API (replaced by the Beast server).
#include "api/http_server.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>

namespace t3n::api {

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
Result<std::string> percent_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%') {
      if (i + 2 >= in.size()) return common::invalid_argument("bad percent escape");
      int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
      if (hi < 0 || lo < 0) return common::invalid_argument("bad percent escape");
      out += static_cast<char>((hi << 4) | lo);
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}
}  // namespace

std::string HttpRequest::header(std::string_view name) const {
  const std::string n = lower(std::string(name));
  for (const auto& [k, v] : headers)
    if (k == n) return v;
  return {};
}

Result<std::optional<std::string>> HttpRequest::query(std::string_view name) const {
  const auto q = target.find('?');
  if (q == std::string::npos) return std::optional<std::string>{};
  std::string_view rest = std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    T3N_ASSIGN_OR_RETURN(std::string key, percent_decode(pair.substr(0, eq)));
    if (key != name) continue;
    T3N_ASSIGN_OR_RETURN(std::string value, percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1)));
    return std::optional<std::string>(std::move(value));
  }
  return std::optional<std::string>{};
}

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  httplib::Server server;
  std::atomic<std::uint64_t> requests{0};
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::create(HttpServerOptions options, HttpHandler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  auto& s = impl->server;
  s.set_payload_max_length(options.max_body_bytes);
  s.set_read_timeout(10, 0);
  s.set_write_timeout(10, 0);
  s.set_keep_alive_max_count(1000);
  s.set_tcp_nodelay(true);
  const int threads = options.worker_threads > 0 ? options.worker_threads : 64;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };  // NOLINT
  Impl* p = impl.get();
  auto serve = [p](const httplib::Request& req, httplib::Response& res) {
    ++p->requests;
    HttpRequest r;
    r.method = req.method;
    r.target = req.target;
    r.path = req.target.substr(0, req.target.find('?'));
    for (const auto& [k, v] : req.headers) r.headers.emplace_back(lower(k), v);
    r.body = req.body;
    HttpResponse out;
    try {
      out = p->handler(r);
    } catch (...) {
      out = {500, "text/plain", "internal error", {}};
    }
    res.status = out.status;
    for (const auto& [k, v] : out.headers) res.set_header(k, v);
    res.set_content(out.body, out.content_type);
  };
  s.Get(".*", serve);
  s.Post(".*", serve);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

Result<int> HttpServer::bind(const std::string& host, int port) {
  int bound = port;
  if (port == 0) bound = impl_->server.bind_to_any_port(host);
  else if (!impl_->server.bind_to_port(host, port)) bound = -1;
  if (bound < 0) return Status(ErrorCode::kUnavailable, "cannot listen on " + host + ":" + std::to_string(port));
  return bound;
}

Status HttpServer::run() {
  if (!impl_->server.listen_after_bind()) return Status(ErrorCode::kUnavailable, "the HTTP server stopped");
  return {};
}

void HttpServer::stop() {
  if (impl_) impl_->server.stop();
}

HttpServerStats HttpServer::stats() const {
  HttpServerStats s;
  s.requests = impl_->requests;
  return s;
}

}  // namespace t3n::api
