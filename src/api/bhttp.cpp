#include "api/bhttp.h"

#include <algorithm>
#include <cctype>

namespace t3n::api {
namespace {

constexpr std::uint64_t kKnownRequest = 0, kKnownResponse = 1, kIndeterminateRequest = 2, kIndeterminateResponse = 3;

class Reader {
 public:
  explicit Reader(ByteView in) : in_(in) {}
  bool done() const { return pos_ == in_.size(); }
  std::size_t remaining() const { return in_.size() - pos_; }

  Result<std::uint64_t> varint() {
    if (done()) return truncated();
    const std::uint8_t first = in_[pos_];
    const std::size_t len = std::size_t{1} << (first >> 6);
    if (remaining() < len) return truncated();
    std::uint64_t v = first & 0x3F;
    for (std::size_t i = 1; i < len; ++i) v = (v << 8) | in_[pos_ + i];
    pos_ += len;
    return v;
  }
  Result<ByteView> bytes(std::size_t n) {
    if (remaining() < n) return truncated();
    ByteView v = in_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  Result<ByteView> length_prefixed(std::size_t max) {
    T3N_ASSIGN_OR_RETURN(std::uint64_t n, varint());
    if (n > max) return common::invalid_argument("bhttp: a field is longer than " + std::to_string(max) + " bytes");
    return bytes(static_cast<std::size_t>(n));
  }
  // After the message: only zero padding may follow.
  Status padding() {
    for (std::size_t i = pos_; i < in_.size(); ++i)
      if (in_[i] != 0) return common::invalid_argument("bhttp: non-zero bytes after the message");
    pos_ = in_.size();
    return {};
  }
  // Indeterminate-length messages may be truncated at a section boundary.
  bool at_end_or_padding() const {
    return std::all_of(in_.begin() + static_cast<std::ptrdiff_t>(pos_), in_.end(), [](std::uint8_t b) { return b == 0; });
  }

 private:
  static Status truncated() { return common::invalid_argument("bhttp: truncated message"); }
  ByteView in_;
  std::size_t pos_ = 0;
};

std::string lower(ByteView v) {
  std::string s(v.begin(), v.end());
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Status check_field_name(const std::string& name) {
  if (name.empty()) return common::invalid_argument("bhttp: empty field name");
  for (char c : name)
    if (c <= 0x20 || c >= 0x7F || c == ':') return common::invalid_argument("bhttp: invalid character in a field name");
  return {};
}

Status check_field_value(ByteView v) {
  for (auto c : v)
    if (c == 0 || c == '\r' || c == '\n') return common::invalid_argument("bhttp: invalid character in a field value");
  return {};
}

Result<HeaderFields> read_fields(Reader& r, bool known_length, const BhttpLimits& limits) {
  HeaderFields out;
  std::size_t total = 0;
  auto add = [&](ByteView name, ByteView value) -> Status {
    std::string n = lower(name);
    T3N_RETURN_IF_ERROR(check_field_name(n));
    T3N_RETURN_IF_ERROR(check_field_value(value));
    if (out.size() >= limits.max_fields) return common::invalid_argument("bhttp: too many fields");
    total += name.size() + value.size();
    if (total > limits.max_field_bytes) return common::invalid_argument("bhttp: field section too large");
    out.emplace_back(std::move(n), std::string(value.begin(), value.end()));
    return {};
  };
  if (known_length) {
    if (r.at_end_or_padding()) return out;  // truncated after the previous section
    T3N_ASSIGN_OR_RETURN(ByteView section, r.length_prefixed(limits.max_field_bytes + 8 * limits.max_fields));
    Reader fr(section);
    while (!fr.done()) {
      T3N_ASSIGN_OR_RETURN(ByteView name, fr.length_prefixed(limits.max_field_bytes));
      T3N_ASSIGN_OR_RETURN(ByteView value, fr.length_prefixed(limits.max_field_bytes));
      T3N_RETURN_IF_ERROR(add(name, value));
    }
    return out;
  }
  for (;;) {
    if (r.at_end_or_padding()) return out;  // truncated indeterminate message
    T3N_ASSIGN_OR_RETURN(ByteView name, r.length_prefixed(limits.max_field_bytes));
    if (name.empty()) return out;  // content terminator
    T3N_ASSIGN_OR_RETURN(ByteView value, r.length_prefixed(limits.max_field_bytes));
    T3N_RETURN_IF_ERROR(add(name, value));
  }
}

Result<Bytes> read_content(Reader& r, bool known_length, const BhttpLimits& limits) {
  if (known_length) {
    if (r.at_end_or_padding()) return Bytes{};
    T3N_ASSIGN_OR_RETURN(ByteView c, r.length_prefixed(limits.max_content));
    return common::to_bytes(c);
  }
  Bytes out;
  for (;;) {
    if (r.at_end_or_padding()) return out;
    T3N_ASSIGN_OR_RETURN(ByteView chunk, r.length_prefixed(limits.max_content));
    if (chunk.empty()) return out;
    if (out.size() + chunk.size() > limits.max_content) return common::invalid_argument("bhttp: content too large");
    common::append(out, chunk);
  }
}

void write_bytes(Bytes& out, std::string_view s) {
  append_varint(out, s.size());
  common::append(out, common::as_bytes(s));
}

void write_fields(Bytes& out, const HeaderFields& fields) {
  Bytes section;
  for (const auto& [n, v] : fields) {
    write_bytes(section, n);
    write_bytes(section, v);
  }
  append_varint(out, section.size());
  common::append(out, section);
}

}  // namespace

void append_varint(Bytes& out, std::uint64_t v) {
  if (v < 64) {
    out.push_back(static_cast<std::uint8_t>(v));
  } else if (v < 16384) {
    out.push_back(static_cast<std::uint8_t>(0x40 | (v >> 8)));
    out.push_back(static_cast<std::uint8_t>(v));
  } else if (v < (1ull << 30)) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>((s == 24 ? 0x80 : 0) | ((v >> s) & 0xFF)));
  } else {
    for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>((s == 56 ? 0xC0 : 0) | ((v >> s) & 0xFF)));
  }
}

std::string BhttpRequest::header(std::string_view name) const {
  const std::string n = lower(common::as_bytes(name));
  for (const auto& [k, v] : headers)
    if (k == n) return v;
  return {};
}

Result<BhttpRequest> decode_bhttp_request(ByteView data, const BhttpLimits& limits) {
  Reader r(data);
  T3N_ASSIGN_OR_RETURN(std::uint64_t framing, r.varint());
  if (framing != kKnownRequest && framing != kIndeterminateRequest)
    return common::invalid_argument("bhttp: not a request (framing indicator " + std::to_string(framing) + ")");
  const bool known = framing == kKnownRequest;
  BhttpRequest req;
  T3N_ASSIGN_OR_RETURN(ByteView method, r.length_prefixed(64));
  T3N_ASSIGN_OR_RETURN(ByteView scheme, r.length_prefixed(64));
  T3N_ASSIGN_OR_RETURN(ByteView authority, r.length_prefixed(1024));
  T3N_ASSIGN_OR_RETURN(ByteView path, r.length_prefixed(8192));
  req.method = common::to_string(method);
  req.scheme = common::to_string(scheme);
  req.authority = common::to_string(authority);
  req.path = common::to_string(path);
  if (req.method.empty()) return common::invalid_argument("bhttp: empty method");
  T3N_ASSIGN_OR_RETURN(req.headers, read_fields(r, known, limits));
  T3N_ASSIGN_OR_RETURN(req.content, read_content(r, known, limits));
  if (!r.at_end_or_padding()) {
    T3N_ASSIGN_OR_RETURN(req.trailers, read_fields(r, known, limits));
  }
  T3N_RETURN_IF_ERROR(r.padding());
  return req;
}

Result<BhttpResponse> decode_bhttp_response(ByteView data, const BhttpLimits& limits) {
  Reader r(data);
  T3N_ASSIGN_OR_RETURN(std::uint64_t framing, r.varint());
  if (framing != kKnownResponse && framing != kIndeterminateResponse)
    return common::invalid_argument("bhttp: not a response (framing indicator " + std::to_string(framing) + ")");
  const bool known = framing == kKnownResponse;
  BhttpResponse resp;
  for (;;) {
    T3N_ASSIGN_OR_RETURN(std::uint64_t status, r.varint());
    if (status < 100 || status > 599) return common::invalid_argument("bhttp: invalid status " + std::to_string(status));
    T3N_ASSIGN_OR_RETURN(HeaderFields fields, read_fields(r, known, limits));
    if (status < 200) {
      if (resp.informational.size() >= 16) return common::invalid_argument("bhttp: too many informational responses");
      resp.informational.push_back({static_cast<std::uint16_t>(status), std::move(fields)});
      continue;
    }
    resp.status = static_cast<std::uint16_t>(status);
    resp.headers = std::move(fields);
    break;
  }
  T3N_ASSIGN_OR_RETURN(resp.content, read_content(r, known, limits));
  if (!r.at_end_or_padding()) {
    T3N_ASSIGN_OR_RETURN(resp.trailers, read_fields(r, known, limits));
  }
  T3N_RETURN_IF_ERROR(r.padding());
  return resp;
}

Bytes encode_bhttp_request(const BhttpRequest& q) {
  Bytes out;
  append_varint(out, kKnownRequest);
  write_bytes(out, q.method);
  write_bytes(out, q.scheme);
  write_bytes(out, q.authority);
  write_bytes(out, q.path);
  write_fields(out, q.headers);
  append_varint(out, q.content.size());
  common::append(out, q.content);
  write_fields(out, q.trailers);
  return out;
}

Bytes encode_bhttp_response(const BhttpResponse& p) {
  Bytes out;
  append_varint(out, kKnownResponse);
  for (const auto& info : p.informational) {
    append_varint(out, info.status);
    write_fields(out, info.headers);
  }
  append_varint(out, p.status);
  write_fields(out, p.headers);
  append_varint(out, p.content.size());
  common::append(out, p.content);
  write_fields(out, p.trailers);
  return out;
}

}  // namespace t3n::api
