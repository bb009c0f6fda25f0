#include "host/egress.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>

namespace t3n::host {

namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct CurlFree {
  void operator()(char* p) const { curl_free(p); }
};
using CurlString = std::unique_ptr<char, CurlFree>;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::string> url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* p = nullptr;
  if (curl_url_get(u, part, &p, flags) != CURLUE_OK || p == nullptr) return std::nullopt;
  CurlString owned(p);
  return std::string(owned.get());
}

bool in_v4(std::uint32_t a, std::uint32_t net, int bits) {
  const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  return (a & mask) == (net & mask);
}

bool forbidden_v4(std::uint32_t a) {
  struct Net {
    std::uint32_t net;
    int bits;
  };
  static constexpr Net kNets[] = {
      {0x00000000, 8},   // "this network"
      {0x0A000000, 8},   // private
      {0x64400000, 10},  // CGNAT (also Alibaba's 100.100.100.200 metadata)
      {0x7F000000, 8},   // loopback
      {0xA9FE0000, 16},  // link-local (cloud metadata 169.254.169.254)
      {0xAC100000, 12},  // private
      {0xC0000000, 24},  // IETF protocol assignments
      {0xC0000200, 24},  // documentation
      {0xC0586300, 24},  // 6to4 relay anycast
      {0xC0A80000, 16},  // private
      {0xC6120000, 15},  // benchmarking
      {0xC6336400, 24},  // documentation
      {0xCB007100, 24},  // documentation
      {0xE0000000, 4},   // multicast
      {0xF0000000, 4},   // reserved, broadcast
  };
  return std::any_of(std::begin(kNets), std::end(kNets), [&](const Net& n) { return in_v4(a, n.net, n.bits); });
}

bool forbidden_v6(const std::uint8_t b[16]) {
  // Only global unicast (2000::/3) may be reached, minus the ranges in it
  // that are not ordinary hosts: Teredo and ORCHID (2001::/23 as a whole),
  // documentation (2001:db8::/32) and 6to4 (2002::/16, which embeds an IPv4
  // address). IPv4-mapped, NAT64, ULA (fd00:ec2::254 metadata), link-local,
  // multicast and the rest fall outside 2000::/3.
  if ((b[0] & 0xE0) != 0x20) return true;
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02) return true;
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return true;
  if (b[0] == 0x20 && b[1] == 0x02) return true;
  return false;
}

bool is_ip_literal(std::string_view host) {
  std::string h(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') return true;
  in_addr a4{};
  in6_addr a6{};
  // inet_aton also takes the legacy forms resolvers accept (0x7f.1, 2130706433, 0177.0.0.1).
  if (inet_aton(h.c_str(), &a4) != 0 || inet_pton(AF_INET6, h.c_str(), &a6) == 1) return true;
  // A name whose last label is all digits is an IPv4 form to URL parsers (WHATWG).
  const auto dot = h.rfind('.');
  const std::string last = dot == std::string::npos ? h : h.substr(dot + 1);
  return !last.empty() && last.find_first_not_of("0123456789") == std::string::npos;
}

const char* const kForbiddenRequestHeaders[] = {"host",    "content-length", "transfer-encoding", "connection", "keep-alive",
                                                "upgrade", "te",             "trailer",           "expect",     "proxy-authorization",
                                                "proxy-connection"};

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

Status check_headers(const std::vector<std::pair<std::string, std::string>>& headers) {
  if (headers.size() > 64) return common::invalid_argument("more than 64 request headers");
  for (const auto& [name, value] : headers) {
    if (name.empty() || name.size() > 256 || !std::all_of(name.begin(), name.end(), token_char))
      return common::invalid_argument("a request header name is not an HTTP token");
    const std::string n = lower(name);
    if (std::find(std::begin(kForbiddenRequestHeaders), std::end(kForbiddenRequestHeaders), n) !=
            std::end(kForbiddenRequestHeaders) ||
        n.rfind("proxy-", 0) == 0)
      return common::invalid_argument("request header '" + n + "' is set by the host, not the contract");
    if (value.size() > 8192 || value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      return common::invalid_argument("request header '" + n + "' has a line break, NUL or is too long");
  }
  return {};
}

struct Transfer {
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::size_t cap = 0;
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t k = size * n;
  if (t->body.size() + k > t->cap) {
    t->too_large = true;
    return 0;
  }
  t->body.append(data, k);
  return k;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t k = size * n;
  std::string_view line(data, k);
  // A new status line (after a redirect or 100) starts a fresh header set.
  if (line.rfind("HTTP/", 0) == 0) t->headers.clear();
  const auto colon = line.find(':');
  if (colon != std::string_view::npos && t->headers.size() < 200) {
    std::string_view v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
    t->headers.emplace_back(lower(line.substr(0, colon)), std::string(v));
  }
  return k;
}

}  // namespace

bool host_allowed(std::string_view host, const std::vector<std::string>& allow_list) {
  for (const auto& raw : allow_list) {
    const std::string entry = lower(raw);
    if (entry.rfind("*.", 0) == 0) {
      const std::string_view suffix = std::string_view(entry).substr(1);  // ".example.com"
      if (host.size() > suffix.size() && host.substr(host.size() - suffix.size()) == suffix) return true;
    } else if (host == entry) {
      return true;
    }
  }
  return false;
}

std::optional<std::string> url_host(const std::string& url) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return std::nullopt;
  auto host = url_part(u.get(), CURLUPART_HOST);
  if (!host) return std::nullopt;
  std::string h = lower(*host);
  if (!h.empty() && h.back() == '.') h.pop_back();
  return h;
}

bool is_forbidden_address(std::string_view address) {
  std::string a(address);
  if (a.size() > 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
  in_addr a4{};
  if (inet_pton(AF_INET, a.c_str(), &a4) == 1) return forbidden_v4(ntohl(a4.s_addr));
  in6_addr a6{};
  if (inet_pton(AF_INET6, a.c_str(), &a6) == 1) return forbidden_v6(a6.s6_addr);
  return true;  // not an address at all
}

Egress::Egress(EgressPolicy policy) : policy_(std::move(policy)) {}

Result<Egress::Target> Egress::check(const std::string& url, const std::vector<std::string>& allow_list,
                                     EgressError& why) const {
  auto deny = [&](std::string msg) {
    why = {EgressError::Kind::kDenied, std::move(msg)};
    return Status(ErrorCode::kPermissionDenied, why.message);
  };
  if (url.size() > 8192) return deny("the URL is longer than 8 KiB");
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u) return common::internal_error("libcurl URL init failed");
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return deny("the URL does not parse");
  const std::string scheme = lower(url_part(u.get(), CURLUPART_SCHEME).value_or(""));
  if (scheme != "https" && !(scheme == "http" && policy_.allow_plain_http))
    return deny(scheme == "http" ? "only https:// URLs are allowed" : "only http(s) URLs are allowed");
  if (url_part(u.get(), CURLUPART_USER) || url_part(u.get(), CURLUPART_PASSWORD) || url_part(u.get(), CURLUPART_OPTIONS))
    return deny("URLs with user information are refused");
  std::string host = lower(url_part(u.get(), CURLUPART_HOST).value_or(""));
  if (!host.empty() && host.back() == '.') host.pop_back();
  if (host.empty()) return deny("the URL has no host");
  const bool literal = is_ip_literal(host);
  if (literal && !policy_.allow_ip_literals) return deny("IP address literals are refused; name an allowed host");
  if (!literal && !host_allowed(host, allow_list)) return deny("host '" + host + "' is not on the contract's http_allow_list");
  const long port = std::stol(url_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT).value_or("443"));

  // Resolve once; every address must be reachable; pin the first.
  std::vector<std::string> addresses;
  if (literal) {
    addresses.push_back(host.front() == '[' ? host.substr(1, host.size() - 2) : host);
  } else if (auto o = policy_.resolve_overrides.find(host); o != policy_.resolve_overrides.end()) {
    addresses.push_back(o->second);
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
      why = {EgressError::Kind::kUpstream, "cannot resolve '" + host + "'"};
      return Status(ErrorCode::kUnavailable, why.message);
    }
    for (addrinfo* p = res; p != nullptr && addresses.size() < 16; p = p->ai_next) {
      char text[INET6_ADDRSTRLEN] = {0};
      const void* src = p->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr)
                                                : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr);
      if (inet_ntop(p->ai_family, src, text, sizeof text) != nullptr) addresses.emplace_back(text);
    }
    freeaddrinfo(res);
  }
  if (addresses.empty()) return deny("'" + host + "' has no address");
  if (!policy_.allow_private_targets)
    for (const auto& a : addresses)
      if (is_forbidden_address(a)) return deny("'" + host + "' resolves to a non-public address");
  std::string normalised = url_part(u.get(), CURLUPART_URL).value_or(url);
  return Target{normalised, host, port, addresses.front()};
}

Egress::Outcome Egress::send(const EgressRequest& req, const std::vector<std::string>& allow_list) const {
  Outcome out;
  auto fail = [&](EgressError::Kind k, std::string msg) {
    out.ok = false;
    out.error = {k, std::move(msg)};
    return out;
  };
  static const std::vector<std::string> kVerbs = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  if (std::find(kVerbs.begin(), kVerbs.end(), req.method) == kVerbs.end())
    return fail(EgressError::Kind::kDenied, "method must be GET, POST, PUT, PATCH or DELETE");
  if (req.body.size() > policy_.max_request_bytes) return fail(EgressError::Kind::kDenied, "the request body is too large");
  if (Status h = check_headers(req.headers); !h.ok()) return fail(EgressError::Kind::kDenied, h.message());

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(policy_.total_timeout_ms);
  std::string method = req.method;
  std::string url = req.url;
  Bytes body = req.body;
  auto headers = req.headers;
  std::string previous_host;
  for (int hop = 0;; ++hop) {
    EgressError why;
    auto target = check(url, allow_list, why);
    if (!target.ok()) return fail(why.kind, hop == 0 ? why.message : "redirect refused: " + why.message);
    if (!previous_host.empty() && previous_host != target->host) {
      // Credentials meant for one host do not follow a redirect to another.
      std::erase_if(headers, [](const auto& h) {
        const std::string n = lower(h.first);
        return n == "authorization" || n == "cookie";
      });
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return fail(EgressError::Kind::kUpstream, "timed out");

    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return fail(EgressError::Kind::kUpstream, "libcurl init failed");
    CURL* h = curl.get();
    const std::string pin = target->host + ":" + std::to_string(target->port) + ":" +
                            (target->address.find(':') != std::string::npos ? "[" + target->address + "]" : target->address);
    std::unique_ptr<curl_slist, SlistDeleter> resolve(curl_slist_append(nullptr, pin.c_str()));
    std::unique_ptr<curl_slist, SlistDeleter> header_list(curl_slist_append(nullptr, "Expect:"));
    for (const auto& [n, v] : headers) {
      curl_slist* next = curl_slist_append(header_list.get(), (n + ": " + v).c_str());
      if (next == nullptr) return fail(EgressError::Kind::kUpstream, "out of memory");
    }
    Transfer t;
    t.cap = policy_.max_response_bytes;
    curl_easy_setopt(h, CURLOPT_URL, target->url.c_str());
    curl_easy_setopt(h, CURLOPT_RESOLVE, resolve.get());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, policy_.allow_plain_http ? "http,https" : "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min<long>(policy_.connect_timeout_ms, static_cast<long>(left)));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(left));
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(policy_.max_response_bytes));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list.get());
    if (!policy_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, policy_.ca_file.c_str());
    if (method == "GET" && body.empty()) {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
      if (!body.empty() || method != "DELETE") {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, reinterpret_cast<const char*>(body.data()));
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      }
    }
    const CURLcode rc = curl_easy_perform(h);
    bytes_sent_ += body.size();
    bytes_received_ += t.body.size();
    if (t.too_large || rc == CURLE_FILESIZE_EXCEEDED)
      return fail(EgressError::Kind::kUpstream, "the response is larger than " + std::to_string(policy_.max_response_bytes) + " bytes");
    if (rc == CURLE_OPERATION_TIMEDOUT) return fail(EgressError::Kind::kUpstream, "timed out");
    if (rc != CURLE_OK) return fail(EgressError::Kind::kUpstream, std::string("upstream failed: ") + curl_easy_strerror(rc));
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    const bool redirect = code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
    std::string location;
    for (const auto& [n, v] : t.headers)
      if (n == "location") location = v;
    if (!redirect || location.empty()) {
      out.ok = true;
      out.response.code = static_cast<std::uint16_t>(code);
      out.response.body.assign(t.body.begin(), t.body.end());
      out.response.headers = std::move(t.headers);
      return out;
    }
    if (hop + 1 > policy_.max_redirects) return fail(EgressError::Kind::kUpstream, "too many redirects");
    // Resolve the Location against the current URL (relative references).
    std::unique_ptr<CURLU, UrlDeleter> next(curl_url());
    curl_url_set(next.get(), CURLUPART_URL, target->url.c_str(), 0);
    if (curl_url_set(next.get(), CURLUPART_URL, location.c_str(), 0) != CURLUE_OK)
      return fail(EgressError::Kind::kUpstream, "the redirect's Location does not parse");
    url = url_part(next.get(), CURLUPART_URL).value_or("");
    if (code == 303 || ((code == 301 || code == 302) && method == "POST")) {
      method = "GET";
      body.clear();
    }
    previous_host = target->host;
  }
}

}  // namespace t3n::host
