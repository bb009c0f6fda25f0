#include "identity/siwe.h"

#include <algorithm>
#include <charconv>

#include "common/encoding.h"
#include "crypto/secp256k1.h"

namespace t3n::identity {
namespace {

constexpr std::string_view kHeaderSuffix = " wants you to sign in with your Ethereum account:";
constexpr std::string_view kUri = "URI: ";
constexpr std::string_view kVersion = "Version: ";
constexpr std::string_view kChainId = "Chain ID: ";
constexpr std::string_view kNonce = "Nonce: ";
constexpr std::string_view kIssuedAt = "Issued At: ";
constexpr std::string_view kExpirationTime = "Expiration Time: ";
constexpr std::string_view kNotBefore = "Not Before: ";
constexpr std::string_view kRequestId = "Request ID: ";
constexpr std::string_view kResources = "Resources:";
constexpr std::string_view kResourceItem = "- ";

// secp256k1 group order n, halved (floor): the largest low-s value.
constexpr std::array<std::uint8_t, 32> kHalfOrder = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                     0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4,
                                                     0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

Status bad(std::string m) { return common::invalid_argument("SIWE: " + std::move(m)); }
Status bad_line(std::size_t line, std::string m) { return bad("line " + std::to_string(line) + ": " + std::move(m)); }
Status unauth(std::string m) { return Status(ErrorCode::kUnauthenticated, "SIWE: " + std::move(m)); }

bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_unreserved(char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~'; }
bool is_sub_delim(char c) { return std::string_view("!$&'()*+,;=").find(c) != std::string_view::npos; }
bool is_gen_delim(char c) { return std::string_view(":/?#[]@").find(c) != std::string_view::npos; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// Every character of `s` is in `allowed` or a valid %XX escape.
template <typename Pred>
bool all_or_pct(std::string_view s, Pred allowed) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
      i += 2;
    } else if (!allowed(s[i])) {
      return false;
    }
  }
  return true;
}

bool is_pchar(char c) { return is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@'; }

// RFC 3986 scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
bool valid_scheme(std::string_view s) {
  if (s.empty() || !is_alpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.'; });
}

// IP-literal = "[" ( IPv6address / IPvFuture ) "]". IPv6 is checked for its
// characters only (HEXDIG, ":", "."), not its group structure.
bool valid_ip_literal(std::string_view inner) {
  if (inner.empty()) return false;
  if (inner[0] == 'v' || inner[0] == 'V') {  // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
    std::size_t dot = inner.find('.');
    if (dot == std::string_view::npos || dot < 2 || dot + 1 == inner.size()) return false;
    if (!std::all_of(inner.begin() + 1, inner.begin() + static_cast<std::ptrdiff_t>(dot), is_hex)) return false;
    return std::all_of(inner.begin() + static_cast<std::ptrdiff_t>(dot) + 1, inner.end(),
                       [](char c) { return is_unreserved(c) || is_sub_delim(c) || c == ':'; });
  }
  return std::all_of(inner.begin(), inner.end(), [](char c) { return is_hex(c) || c == ':' || c == '.'; });
}

// authority = [ userinfo "@" ] host [ ":" port ]
bool valid_authority(std::string_view a, bool allow_empty_host) {
  if (std::size_t at = a.rfind('@'); at != std::string_view::npos) {
    if (!all_or_pct(a.substr(0, at), [](char c) { return is_unreserved(c) || is_sub_delim(c) || c == ':'; }))
      return false;
    a.remove_prefix(at + 1);
  }
  std::string_view host, port;
  if (!a.empty() && a[0] == '[') {
    std::size_t close = a.find(']');
    if (close == std::string_view::npos || !valid_ip_literal(a.substr(1, close - 1))) return false;
    host = a.substr(0, close + 1);
    std::string_view after = a.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return false;
      port = after.substr(1);
    }
  } else {
    std::size_t colon = a.find(':');
    host = a.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = a.substr(colon + 1);
    }
    if (!all_or_pct(host, [](char c) { return is_unreserved(c) || is_sub_delim(c); })) return false;
  }
  if (host.empty() && !allow_empty_host) return false;
  return std::all_of(port.begin(), port.end(), is_digit);
}

// RFC 3986 URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ]. After
// an optional "//" authority, path, query and fragment are pchar / "/" / "?"
// with at most one "#".
bool valid_uri(std::string_view u) {
  std::size_t colon = u.find(':');
  if (colon == std::string_view::npos || !valid_scheme(u.substr(0, colon))) return false;
  std::string_view rest = u.substr(colon + 1);
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    std::size_t end = rest.find_first_of("/?#");
    if (!valid_authority(rest.substr(0, end), /*allow_empty_host=*/true)) return false;
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  std::size_t hash = rest.find('#');
  std::string_view before = rest.substr(0, hash);
  std::string_view fragment = hash == std::string_view::npos ? std::string_view() : rest.substr(hash + 1);
  auto ok = [](char c) { return is_pchar(c) || c == '/' || c == '?'; };
  return all_or_pct(before, ok) && all_or_pct(fragment, ok);
}

// statement = *( reserved / unreserved / " " )
bool valid_statement(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_gen_delim(c) || is_sub_delim(c) || is_unreserved(c) || c == ' '; });
}

Status check_address(std::string_view a, std::size_t line) {
  if (a.size() != 42 || a[0] != '0' || a[1] != 'x' || !std::all_of(a.begin() + 2, a.end(), is_hex))
    return bad_line(line, "address must be 0x followed by 40 hex digits");
  const bool has_lower = std::any_of(a.begin() + 2, a.end(), [](char c) { return c >= 'a' && c <= 'f'; });
  const bool has_upper = std::any_of(a.begin() + 2, a.end(), [](char c) { return c >= 'A' && c <= 'F'; });
  if (has_lower && has_upper) {
    auto bytes = common::hex_decode(a.substr(2));
    if (!bytes.ok() || crypto::eth_checksum_address(*bytes) != a)
      return bad_line(line, "address has mixed case but an invalid EIP-55 checksum");
  }
  return {};
}

// Howard Hinnant's days_from_civil: days since 1970-01-01 (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap(unsigned y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(s[i])) return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

Result<std::int64_t> line_time(std::string_view text, std::size_t line, std::string_view field) {
  auto t = parse_rfc3339(text);
  if (!t.ok()) return bad_line(line, std::string(field) + " is not an RFC 3339 date-time");
  return t;
}

struct Cursor {
  std::vector<std::string_view> lines;
  std::size_t i = 0;
  bool done() const { return i >= lines.size(); }
  std::size_t number() const { return i + 1; }
  // The value after `tag` on the current line, consuming it; nullopt when the
  // line does not start with `tag` (or there is none).
  std::optional<std::string_view> take(std::string_view tag) {
    if (done() || lines[i].substr(0, tag.size()) != tag) return std::nullopt;
    return lines[i++].substr(tag.size());
  }
};

std::string quoted(std::string_view tag) { return "\"" + std::string(tag) + "\""; }

Result<std::string_view> required(Cursor& c, std::string_view tag) {
  if (c.done()) return bad_line(c.number(), "missing " + quoted(tag));
  auto v = c.take(tag);
  if (!v) return bad_line(c.number(), "expected " + quoted(tag));
  return *v;
}

}  // namespace

Result<std::int64_t> parse_rfc3339(std::string_view s) {
  // full-date "T" partial-time time-offset; "t"/"z" as lower case are allowed (RFC 3339 §5.6).
  unsigned year, month, day, hour, minute, second;
  auto invalid = [] { return common::invalid_argument("not an RFC 3339 date-time"); };
  if (!digits(s, 0, 4, year) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
      !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, hour) || s[13] != ':' ||
      !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second))
    return invalid();
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return invalid();
  if (day > kDays[month - 1] + (month == 2 && leap(year) ? 1 : 0)) return invalid();
  if (hour > 23 || minute > 59 || second > 60) return invalid();
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < s.size() && is_digit(s[pos])) ++pos;
    if (pos == start) return invalid();
  }
  std::int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    unsigned oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om) ||
        oh > 23 || om > 59)
      return invalid();
    offset = (s[pos] == '+' ? 1 : -1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
    pos += 6;
  } else {
    return invalid();
  }
  if (pos != s.size()) return invalid();
  return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
}

Result<SiweMessage> parse_siwe(std::string_view text) {
  if (text.size() > kMaxSiweMessageSize) return bad("message longer than " + std::to_string(kMaxSiweMessageSize));
  Cursor c;
  {
    std::size_t line = 1;
    for (char ch : text) {
      if (ch == '\r') return bad_line(line, "carriage return (lines end with LF only)");
      if (ch == '\n')
        ++line;
      else if (ch < 0x20 || ch > 0x7e)
        return bad_line(line, "character outside printable ASCII");
    }
    std::size_t start = 0;
    for (;;) {
      std::size_t lf = text.find('\n', start);
      c.lines.push_back(text.substr(start, lf == std::string_view::npos ? std::string_view::npos : lf - start));
      if (lf == std::string_view::npos) break;
      start = lf + 1;
    }
  }
  SiweMessage m;

  // Line 1: [scheme "://"] domain " wants you to sign in with your Ethereum account:"
  std::string_view header = c.lines[0];
  if (header.size() < kHeaderSuffix.size() || header.substr(header.size() - kHeaderSuffix.size()) != kHeaderSuffix)
    return bad_line(1, "expected \"<domain> wants you to sign in with your Ethereum account:\"");
  std::string_view origin = header.substr(0, header.size() - kHeaderSuffix.size());
  if (std::size_t sep = origin.find("://"); sep != std::string_view::npos) {
    if (!valid_scheme(origin.substr(0, sep))) return bad_line(1, "scheme is not an RFC 3986 scheme");
    m.scheme = std::string(origin.substr(0, sep));
    origin.remove_prefix(sep + 3);
  }
  if (!valid_authority(origin, /*allow_empty_host=*/false)) return bad_line(1, "domain is not an RFC 3986 authority");
  m.domain = std::string(origin);
  c.i = 1;

  // Line 2: address; line 3 blank.
  if (c.done()) return bad_line(2, "missing address");
  T3N_RETURN_IF_ERROR(check_address(c.lines[1], 2));
  m.address = std::string(c.lines[1]);
  c.i = 2;
  if (c.done() || !c.lines[2].empty()) return bad_line(3, "expected a blank line after the address");
  c.i = 3;

  // [statement LF] LF: "", "" → no statement; "", "", "" → empty statement;
  // text, "" → statement.
  if (c.done()) return bad_line(c.number(), "missing " + quoted(kUri));
  if (c.lines[3].empty()) {
    if (c.lines.size() > 4 && c.lines[4].empty()) {
      m.statement = std::string();
      c.i = 5;
    } else {
      c.i = 4;
    }
  } else {
    std::string_view st = c.lines[3];
    if (st.substr(0, kUri.size()) == kUri && c.lines.size() > 4 && c.lines[4].substr(0, kVersion.size()) == kVersion)
      return bad_line(4, "one blank line before \"URI: \"; with no statement EIP-4361 has two");
    if (!valid_statement(st))
      return bad_line(4, "statement has a character outside RFC 3986 reserved/unreserved/space");
    m.statement = std::string(st);
    if (c.lines.size() <= 4 || !c.lines[4].empty()) return bad_line(5, "expected a blank line after the statement");
    c.i = 5;
  }

  T3N_ASSIGN_OR_RETURN(std::string_view uri, required(c, kUri));
  if (!valid_uri(uri)) return bad_line(c.i, "URI is not an RFC 3986 URI");
  m.uri = std::string(uri);

  T3N_ASSIGN_OR_RETURN(std::string_view version, required(c, kVersion));
  if (version != "1") return bad_line(c.i, "Version must be 1");
  m.version = "1";

  T3N_ASSIGN_OR_RETURN(std::string_view chain, required(c, kChainId));
  {
    auto [end, ec] = std::from_chars(chain.data(), chain.data() + chain.size(), m.chain_id);
    if (chain.empty() || !std::all_of(chain.begin(), chain.end(), is_digit) || ec != std::errc() ||
        end != chain.data() + chain.size())
      return bad_line(c.i, "Chain ID must be decimal digits that fit 64 bits");
  }

  T3N_ASSIGN_OR_RETURN(std::string_view nonce, required(c, kNonce));
  if (nonce.size() < 8 ||
      !std::all_of(nonce.begin(), nonce.end(), [](char ch) { return is_alpha(ch) || is_digit(ch); }))
    return bad_line(c.i, "Nonce must be at least 8 letters or digits");
  m.nonce = std::string(nonce);

  T3N_ASSIGN_OR_RETURN(std::string_view issued, required(c, kIssuedAt));
  T3N_ASSIGN_OR_RETURN(m.issued_at_unix, line_time(issued, c.i, "Issued At"));
  m.issued_at = std::string(issued);

  if (auto v = c.take(kExpirationTime)) {
    T3N_ASSIGN_OR_RETURN(m.expiration_time_unix, line_time(*v, c.i, "Expiration Time"));
    m.expiration_time = std::string(*v);
  }
  if (auto v = c.take(kNotBefore)) {
    T3N_ASSIGN_OR_RETURN(m.not_before_unix, line_time(*v, c.i, "Not Before"));
    m.not_before = std::string(*v);
  }
  if (auto v = c.take(kRequestId)) {
    if (!all_or_pct(*v, is_pchar)) return bad_line(c.i, "Request ID has a character outside RFC 3986 pchar");
    m.request_id = std::string(*v);
  }
  if (!c.done() && c.lines[c.i] == kResources) {
    ++c.i;
    m.resources.emplace();
    while (auto v = c.take(kResourceItem)) {
      if (!valid_uri(*v)) return bad_line(c.i, "resource is not an RFC 3986 URI");
      m.resources->emplace_back(*v);
    }
  }
  if (!c.done()) {
    std::string_view rest = c.lines[c.i];
    for (std::string_view tag : {kUri, kVersion, kChainId, kNonce, kIssuedAt, kExpirationTime, kNotBefore, kRequestId,
                                 kResources, kResourceItem})
      if (rest.substr(0, tag.size()) == tag)
        return bad_line(c.number(), "field " + quoted(tag) + " out of order or repeated");
    if (rest.empty() && c.i + 1 == c.lines.size()) return bad_line(c.number(), "message ends with a line break");
    return bad_line(c.number(), "unexpected text after the last field");
  }
  return m;
}

std::string format_siwe(const SiweMessage& m) {
  std::string out;
  if (m.scheme) out += *m.scheme + "://";
  out += m.domain;
  out += kHeaderSuffix;
  out += "\n" + m.address + "\n\n";
  if (m.statement) out += *m.statement + "\n";
  out += "\n";
  out += std::string(kUri) + m.uri + "\n";
  out += std::string(kVersion) + m.version + "\n";
  out += std::string(kChainId) + std::to_string(m.chain_id) + "\n";
  out += std::string(kNonce) + m.nonce + "\n";
  out += std::string(kIssuedAt) + m.issued_at;
  if (m.expiration_time) out += "\n" + std::string(kExpirationTime) + *m.expiration_time;
  if (m.not_before) out += "\n" + std::string(kNotBefore) + *m.not_before;
  if (m.request_id) out += "\n" + std::string(kRequestId) + *m.request_id;
  if (m.resources) {
    out += "\n";
    out += kResources;
    for (const auto& r : *m.resources) out += "\n" + std::string(kResourceItem) + r;
  }
  return out;
}

Status check_siwe(const SiweMessage& m, const SiweExpectations& e) {
  if (e.address.size() != 42 || e.address.substr(0, 2) != "0x" ||
      !std::all_of(e.address.begin() + 2, e.address.end(), is_hex))
    return common::invalid_argument("SIWE: expected address must be 0x followed by 40 hex digits");
  if (e.nonce.empty()) return common::invalid_argument("SIWE: expected nonce is empty");
  if (e.allowed_skew_seconds < 0 || e.max_lifetime_seconds <= 0)
    return common::invalid_argument("SIWE: skew must be ≥ 0 and the lifetime > 0");

  if (!iequals(m.address, e.address)) return unauth("message is for another address");
  if (m.nonce != e.nonce) return unauth("nonce is not the expected challenge");
  if (e.chain_id && m.chain_id != *e.chain_id) return unauth("Chain ID is not allowed");
  if (!e.allowed_domains.empty() && std::none_of(e.allowed_domains.begin(), e.allowed_domains.end(),
                                                 [&](const std::string& d) { return iequals(d, m.domain); }))
    return unauth("domain is not allowed");

  if (m.issued_at_unix > e.now_unix + e.allowed_skew_seconds) return unauth("Issued At is in the future");
  if (m.not_before_unix && *m.not_before_unix > e.now_unix + e.allowed_skew_seconds)
    return unauth("Not Before has not passed");
  if (!m.expiration_time_unix) return unauth("Expiration Time is required");
  const std::int64_t exp = *m.expiration_time_unix;
  if (exp <= m.issued_at_unix) return unauth("Expiration Time is not after Issued At");
  if (exp - m.issued_at_unix > e.max_lifetime_seconds)
    return unauth("lifetime (Expiration Time - Issued At) exceeds " + std::to_string(e.max_lifetime_seconds) + " s");
  if (exp <= e.now_unix) return unauth("message has expired");
  return {};
}

Result<std::array<std::uint8_t, 20>> recover_eip191_address(std::string_view message, ByteView signature65) {
  if (signature65.size() != crypto::kRecoverableSignatureSize)
    return common::invalid_argument("EIP-191 signature must be 65 bytes, got " + std::to_string(signature65.size()));
  const std::uint8_t v = signature65[64];
  if (v != 0 && v != 1 && v != 27 && v != 28) return common::invalid_argument("EIP-191 signature v must be 27 or 28");
  ByteView s = signature65.subspan(32, 32);
  if (std::lexicographical_compare(kHalfOrder.begin(), kHalfOrder.end(), s.begin(), s.end()))
    return common::verification_failed("EIP-191 signature has a high s (malleable form refused)");
  T3N_ASSIGN_OR_RETURN(Bytes who, crypto::eth_recover_personal_signer(common::as_bytes(message), signature65));
  if (who.size() != 20) return common::internal_error("recovered address is not 20 bytes");
  std::array<std::uint8_t, 20> out{};
  std::copy(who.begin(), who.end(), out.begin());
  return out;
}

Result<SiweMessage> verify_siwe(std::string_view text, ByteView signature65, const SiweExpectations& expect) {
  T3N_ASSIGN_OR_RETURN(SiweMessage m, parse_siwe(text));
  T3N_RETURN_IF_ERROR(check_siwe(m, expect));
  auto who = recover_eip191_address(text, signature65);
  if (!who.ok()) return unauth("signature does not verify");
  auto claimed = common::hex_decode(std::string_view(m.address).substr(2));
  if (!claimed.ok() || !std::equal(who->begin(), who->end(), claimed->begin(), claimed->end()))
    return unauth("signature is by another address");
  return m;
}

}  // namespace t3n::identity
