#include "host/outbox.h"

#include "common/encoding.h"
#include "common/json.h"
#include "crypto/hash.h"
#include "host/host.h"
#include "host/http_values.h"
#include "host/util.h"

namespace t3n::host {

namespace {

using common::Json;

constexpr const char* kVerbs[] = {"get", "post", "put", "patch", "delete"};
constexpr const char* kRequestType =
    "record { method: enum { get, post, put, patch, delete }, url: string, headers: list<tuple<string, string>>, body: list<u8> }";
constexpr const char* kErrorType =
    "variant { invalid-idk(string), idk-collision, outbox-full, no-active-tx, host-not-allowed(string), invalid-url(string), "
    "kv(string), decode(string), leader-only }";
constexpr const char* kStatusType =
    "variant { pending, committed(record { meta: record { at-seq: u64 }, upstream-ref: option<string>, response-digest: list<u8> }), "
    "failed(record { meta: record { at-seq: u64 }, error-kind: string }) }";

Val outbox_error(std::string_view which, std::optional<std::string> text = std::nullopt) {
  std::optional<Val> payload;
  if (text) payload = Val::string(*text);
  return Val(wc::WitResult::err(Val(wc::Variant(which, std::move(payload)))));
}

Bytes key_of(std::uint32_t contract_id, std::string_view idk) {
  Bytes k;
  k.reserve(4 + idk.size());
  for (int shift = 24; shift >= 0; shift -= 8) k.push_back(static_cast<std::uint8_t>(contract_id >> shift));
  for (char c : idk) k.push_back(static_cast<std::uint8_t>(c));
  return k;
}

bool valid_idk(std::string_view idk) {
  if (idk.empty() || idk.size() > 128) return false;
  for (char c : idk)
    if (c <= 0x20 || c >= 0x7f) return false;
  return true;
}

struct Request {
  std::string method, url;
  std::vector<std::pair<std::string, std::string>> headers;
  Bytes body;
};

Result<Request> request_of(const Val& v) {
  if (!v.is_record()) return common::invalid_argument("request: expected a record");
  Request r;
  for (const auto& f : v.get_record()) {
    const Val& x = f.value();
    if (f.name() == "method" && x.is_enum()) {
      r.method = std::string(x.get_enum());
      for (char& c : r.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (f.name() == "url" && x.is_string()) {
      r.url = std::string(x.get_string());
    } else if (f.name() == "headers") {
      T3N_ASSIGN_OR_RETURN(r.headers, http_headers_of(x, "request.headers"));
    } else if (f.name() == "body") {
      T3N_ASSIGN_OR_RETURN(r.body, runtime::val_to_bytes(x, "request.body"));
    }
  }
  if (r.method.empty()) return common::invalid_argument("request.method missing");
  return r;
}

// What identifies a request: same idk + same digest is the same enqueue.
std::string digest_of(const Request& r) {
  std::string text = r.method + '\0' + r.url + '\0';
  for (const auto& [k, v] : r.headers) text += k + '\0' + v + '\0';
  text.append(r.body.begin(), r.body.end());
  return common::hex_encode(crypto::sha256(common::as_bytes(text)));
}


Json row_json(const Bytes& b) {
  auto j = common::parse_json(common::to_string(b), 8);
  return j.ok() ? *j : Json::object();
}

Val status_val(const Json& row) {
  const std::string state = row.value("state", "pending");
  if (state == "pending" || state == "sending") return Val(wc::Variant("pending", std::nullopt));
  std::vector<std::pair<std::string_view, Val>> meta;
  meta.emplace_back("at-seq", Val(row.value("at_seq", std::uint64_t{0})));
  std::vector<std::pair<std::string_view, Val>> fields;
  fields.emplace_back("meta", Val(wc::Record(std::move(meta))));
  if (state == "committed") {
    const std::string ref = row.value("upstream_ref", "");
    fields.emplace_back("upstream-ref", ref.empty() ? none() : some(Val::string(ref)));
    auto digest = common::hex_decode(row.value("response_digest", ""));
    fields.emplace_back("response-digest", runtime::bytes_to_val(digest.ok() ? *digest : Bytes{}));
    return Val(wc::Variant("committed", Val(wc::Record(std::move(fields)))));
  }
  fields.emplace_back("error-kind", Val::string(row.value("error_kind", "unknown")));
  return Val(wc::Variant("failed", Val(wc::Record(std::move(fields)))));
}

}  // namespace

Status enqueue_system(store::Transaction& tx, const std::string& idk, const OutboxRequest& in) {
  if (!valid_idk(idk)) return common::invalid_argument("outbox: an idk is 1..128 printable ASCII characters");
  if (!url_host(in.url)) return common::invalid_argument("outbox: the URL does not parse");
  Request req{in.method, in.url, in.headers, in.body};
  const Bytes key = key_of(0, idk);
  const std::string digest = digest_of(req);
  Json headers = Json::array();
  for (const auto& [k, v] : req.headers) headers.push_back({k, v});
  const Json row = {{"state", "pending"}, {"digest", digest},   {"method", req.method}, {"url", req.url},
                    {"headers", headers}, {"body", common::base64_encode(req.body)}, {"idk", idk}, {"contract_id", 0}};
  return tx.as_system([&]() -> Status {
    T3N_ASSIGN_OR_RETURN(auto existing, kOutboxTable.in(tx).get(key));
    if (existing) {
      if (row_json(*existing).value("digest", "") != digest) return Status(ErrorCode::kAlreadyExists, "outbox: idk collision");
      return Status{};
    }
    T3N_RETURN_IF_ERROR(kOutboxTable.in(tx).put(key, common::to_bytes(row.dump())));
    return kOutboxQueueTable.in(tx).put(key, Bytes{});
  });
}

Status ensure_outbox_tables(store::Store& store) { return store::ensure_tables(store, kOutboxTable, kOutboxQueueTable); }

runtime::HostInterface outbox_interface() {
  runtime::HostInterface iface{"host:outbox/outbox@1.0.0", "outbox", {}};
  iface.functions["enqueue"] = {
      std::string("func(idk: string, request: ") + kRequestType + ") -> result<_, " + kErrorType + ">",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 2));
        T3N_ASSIGN_OR_RETURN(std::string idk, arg_string(args, 0));
        if (!valid_idk(idk)) return set_result(r, outbox_error("invalid-idk", "1..128 printable ASCII characters, no spaces"));
        auto req = request_of(args[1]);
        if (!req.ok()) return set_result(r, outbox_error("decode", req.status().message()));
        if (ctx.tx == nullptr) return set_result(r, outbox_error("no-active-tx"));
        const auto host = url_host(req->url);
        if (!host) return set_result(r, outbox_error("invalid-url", "the URL does not parse"));
        static const std::vector<std::string> kNone;
        if (!host_allowed(*host, ctx.manifest != nullptr ? ctx.manifest->outbox_hosts : kNone))
          return set_result(r, outbox_error("host-not-allowed", *host));
        const Bytes key = key_of(ctx.contract_id, idk);
        const std::string digest = digest_of(*req);
        Json headers = Json::array();
        for (const auto& [k, v] : req->headers) headers.push_back({k, v});
        const Json row = {{"state", "pending"},    {"digest", digest},       {"method", req->method},
                          {"url", req->url},       {"headers", headers},     {"body", common::base64_encode(req->body)},
                          {"idk", idk},            {"contract_id", ctx.contract_id}};
        const std::string text = row.dump();
        std::optional<Val> refusal;
        Status s = ctx.tx->as_system([&]() -> Status {
          T3N_ASSIGN_OR_RETURN(auto existing, kOutboxTable.in(*ctx.tx).get(key));
          if (existing) {
            if (row_json(*existing).value("digest", "") != digest) refusal = outbox_error("idk-collision");
            return Status{};  // the same request again: idempotent
          }
          if (ctx.outbox_enqueued >= kOutboxMaxPerCall) {
            refusal = outbox_error("outbox-full");
            return Status{};
          }
          const std::size_t size = key.size() * 2 + text.size();
          if (!ctx.writes.fits("outbox", key, size)) {
            refusal = outbox_error("kv", write_budget_error(ctx));
            return Status{};
          }
          T3N_RETURN_IF_ERROR(kOutboxTable.in(*ctx.tx).put(key, common::to_bytes(text)));
          T3N_RETURN_IF_ERROR(kOutboxQueueTable.in(*ctx.tx).put(key, Bytes{}));
          ctx.writes.record("outbox", key, size);
          ++ctx.outbox_enqueued;
          ctx.outbox_upstreams.push_back(*host);
          ctx.egress_bytes_queued += req->body.size();
          return Status{};
        });
        if (!s.ok()) return set_result(r, outbox_error("kv", std::string(common::error_code_name(s.code()))));
        if (refusal) return set_result(r, std::move(*refusal));
        return set_result(r, ok_unit());
      }};
  iface.functions["status"] = {
      std::string("func(idk: string) -> result<option<") + kStatusType + ">, " + kErrorType + ">",
      [](runtime::CallContext& ctx, const ValArgs& args, ValArgs& r) -> Status {
        T3N_RETURN_IF_ERROR(arity(args, 1));
        T3N_ASSIGN_OR_RETURN(std::string idk, arg_string(args, 0));
        if (!valid_idk(idk)) return set_result(r, outbox_error("invalid-idk", "1..128 printable ASCII characters, no spaces"));
        if (ctx.tx == nullptr) return set_result(r, outbox_error("no-active-tx"));
        const Bytes key = key_of(ctx.contract_id, idk);
        auto row = ctx.tx->as_system([&] { return kOutboxTable.in(*ctx.tx).get(key); });
        if (!row.ok()) return set_result(r, outbox_error("kv", std::string(common::error_code_name(row.status().code()))));
        if (!*row) return set_result(r, ok_val(none()));
        return set_result(r, ok_val(some(status_val(row_json(**row)))));
      }};
  return iface;
}

OutboxWorker::OutboxWorker(store::Store& store, const Egress& egress, common::Logger log)
    : store_(store), egress_(egress), log_(std::move(log)) {}

OutboxWorker::~OutboxWorker() { stop(); }

Status OutboxWorker::recover() {
  auto tx = store_.begin(store::Principal::system());
  T3N_ASSIGN_OR_RETURN(auto queued, kOutboxQueueTable.in(tx).scan({}, {}, 100'000));
  std::uint64_t marked = 0;
  for (const auto& [key, _] : queued) {
    T3N_ASSIGN_OR_RETURN(auto row, kOutboxTable.in(tx).get(key));
    if (!row) continue;
    Json j = row_json(*row);
    if (j.value("state", "") != "sending") continue;
    // It may or may not have reached the upstream: never send it again.
    j["state"] = "failed";
    j["error_kind"] = "interrupted";
    T3N_RETURN_IF_ERROR(kOutboxTable.in(tx).put(key, common::to_bytes(j.dump())));
    T3N_ASSIGN_OR_RETURN(bool removed, kOutboxQueueTable.in(tx).remove(key));
    (void)removed;
    ++marked;
  }
  if (marked > 0) {
    T3N_ASSIGN_OR_RETURN(auto info, store_.commit(tx));
    (void)info;
    log_.warn("outbox: {} request(s) were being sent when the node stopped; marked failed(interrupted), not resent", marked);
    std::lock_guard lock(mu_);
    stats_.interrupted += marked;
  }
  return {};
}

Status OutboxWorker::deliver(const Bytes& key) {
  // 1. The marker: once this commits, the request is never sent again.
  Json j;
  std::uint64_t at_seq = 0;
  {
    auto tx = store_.begin(store::Principal::system());
    T3N_ASSIGN_OR_RETURN(auto row, kOutboxTable.in(tx).get(key));
    if (!row) return {};
    j = row_json(*row);
    if (j.value("state", "") != "pending") return {};
    j["state"] = "sending";
    T3N_RETURN_IF_ERROR(kOutboxTable.in(tx).put(key, common::to_bytes(j.dump())));
    T3N_ASSIGN_OR_RETURN(auto info, store_.commit(tx));
    at_seq = info.seqno;
  }
  // 2. The send, through the same egress checks as http.
  EgressRequest req;
  req.method = j.value("method", "GET");
  req.url = j.value("url", "");
  for (const auto& h : j.value("headers", Json::array()))
    if (h.is_array() && h.size() == 2) req.headers.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
  req.headers.emplace_back("Idempotency-Key", j.value("idk", ""));
  auto body = common::base64_decode(j.value("body", ""));
  if (body.ok()) req.body = std::move(*body);
  const auto host = url_host(req.url).value_or("");
  const auto out = egress_.send(req, {host});
  // 3. The ack, with the response's digest as this entry's claims digest.
  auto tx = store_.begin(store::Principal::system());
  j["at_seq"] = at_seq;
  if (out.ok) {
    const auto digest = crypto::sha256(out.response.body);
    j["state"] = "committed";
    j["response_digest"] = common::hex_encode(digest);
    j["code"] = out.response.code;
    for (const auto& [n, v] : out.response.headers)
      if (n == "x-request-id" && v.size() <= 256) j["upstream_ref"] = v;
    T3N_RETURN_IF_ERROR(tx.set_claims_digest(digest));
  } else {
    j["state"] = "failed";
    j["error_kind"] = out.error.kind == EgressError::Kind::kDenied ? "egress-denied" : "upstream-error";
    // The error names what failed, never the request's contents.
    log_.warn("outbox: delivery to {} failed ({}: {})", host, j["error_kind"].get<std::string>(), out.error.message);
  }
  T3N_RETURN_IF_ERROR(kOutboxTable.in(tx).put(key, common::to_bytes(j.dump())));
  T3N_ASSIGN_OR_RETURN(bool removed, kOutboxQueueTable.in(tx).remove(key));
  (void)removed;
  T3N_RETURN_IF_ERROR(store_.commit(tx).status());
  std::lock_guard lock(mu_);
  if (out.ok) ++stats_.sent;
  else ++stats_.failed;
  return {};
}

Result<std::size_t> OutboxWorker::drain_once() {
  std::lock_guard drain(drain_mu_);
  auto tx = store_.begin(store::Principal::system());
  T3N_ASSIGN_OR_RETURN(auto queued, kOutboxQueueTable.in(tx).scan({}, {}, 1000));
  std::size_t done = 0;
  for (const auto& [key, _] : queued) {
    Status s = deliver(key);
    if (!s.ok()) {
      log_.error("outbox: delivery bookkeeping failed: {}", s.to_string());
      continue;
    }
    ++done;
  }
  return done;
}

void OutboxWorker::start(std::uint64_t interval_ms) {
  {
    std::lock_guard lock(mu_);
    if (thread_.joinable()) return;  // running
    stopping_ = false;               // started again after stop() (a cluster member that leads again)
  }
  thread_ = std::thread([this, interval_ms] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      if (auto r = drain_once(); !r.ok()) log_.error("outbox: {}", r.status().to_string());
      lock.lock();
      cv_.wait_for(lock, std::chrono::milliseconds(interval_ms), [this] { return stopping_ || poked_; });
      poked_ = false;
    }
  });
}

void OutboxWorker::notify() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

void OutboxWorker::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

OutboxStats OutboxWorker::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace t3n::host
