// Outbound HTTP(S) for contracts (http, http-with-placeholders, outbox):
// one place that decides where a contract may connect, and connects only
// there. libcurl does the transfer; the checks around it are ours:
// - the URL is parsed by libcurl's own URL API (CURLU), so what we check is
//   what it will connect to; only http(s) (http only if the policy allows),
//   no userinfo, no IP literals, the host on the contract's allow list
//   (exact, or "*.suffix" for names strictly below suffix);
// - the name is resolved once, every address must be public (not loopback,
//   private, link-local, CGNAT, multicast, unspecified, documentation,
//   benchmarking, reserved, IPv4-mapped/-translated forms of those, or a
//   cloud metadata address) unless the operator's policy allows private
//   targets (tests), and the connection is pinned to the checked address
//   (CURLOPT_RESOLVE) so DNS rebinding cannot swap it;
// - redirects are followed by us, not libcurl, each one checked again;
// - proxies from the environment are ignored; timeouts and a response cap.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::host {

struct EgressPolicy {
  // Operator switches, all off by default.
  bool allow_private_targets = false;  // tests: loopback upstreams (never on a production node)
  bool allow_plain_http = false;       // http:// as well as https://
  bool allow_ip_literals = false;
  // host → address used instead of DNS (tests map names without a resolver).
  std::map<std::string, std::string> resolve_overrides;
  std::string ca_file;  // trust this CA bundle instead of the system's
  long connect_timeout_ms = 5'000;
  long total_timeout_ms = 15'000;
  std::size_t max_request_bytes = 1024 * 1024;
  std::size_t max_response_bytes = 4 * 1024 * 1024;
  int max_redirects = 3;
};

struct EgressRequest {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  Bytes body;
};

struct EgressResponse {
  std::uint16_t code = 0;
  Bytes body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
};

// Why a request did not get an answer: refused by policy before any
// connection, or the upstream failed (connect, TLS, timeout, too large).
struct EgressError {
  enum class Kind { kDenied, kUpstream } kind = Kind::kDenied;
  std::string message;  // says what, never the request's contents
};

// Does `host` (lower-case, no trailing dot) match one allow-list entry?
bool host_allowed(std::string_view host, const std::vector<std::string>& allow_list);
// The lower-case host of `url` as libcurl parses it (no trailing dot); none if it does not parse.
std::optional<std::string> url_host(const std::string& url);
// Is this textual IPv4/IPv6 address one a contract may never reach?
bool is_forbidden_address(std::string_view address);

class Egress {
 public:
  explicit Egress(EgressPolicy policy);

  // Sends `req` if the policy and `allow_list` permit it. On success the
  // response as the upstream sent it (after following allowed redirects).
  struct Outcome {
    bool ok = false;
    EgressResponse response;
    EgressError error;
  };
  Outcome send(const EgressRequest& req, const std::vector<std::string>& allow_list) const;

  std::uint64_t bytes_sent() const { return bytes_sent_.load(); }
  std::uint64_t bytes_received() const { return bytes_received_.load(); }
  const EgressPolicy& policy() const { return policy_; }

 private:
  struct Target {
    std::string url;   // normalised by CURLU
    std::string host;  // lower-case
    long port = 0;
    std::string address;  // the checked address the connection is pinned to
  };
  Result<Target> check(const std::string& url, const std::vector<std::string>& allow_list, EgressError& why) const;

  EgressPolicy policy_;
  mutable std::atomic<std::uint64_t> bytes_sent_{0};
  mutable std::atomic<std::uint64_t> bytes_received_{0};
};

}  // namespace t3n::host
