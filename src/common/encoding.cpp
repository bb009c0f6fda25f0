#include "common/encoding.h"

#include <array>
#include <cctype>
#include <ctime>
#include <cstdint>

namespace t3n::common {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kB64Std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB32[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr char kB58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

// Reverse lookup table: 0xFF = not in the alphabet.
template <std::size_t N>
constexpr std::array<std::uint8_t, 256> reverse_table(const char (&alphabet)[N]) {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = 0xFF;
  for (std::size_t i = 0; i + 1 < N; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
  return t;
}
constexpr auto kB64UrlRev = reverse_table(kB64Url);
constexpr auto kB64StdRev = reverse_table(kB64Std);
constexpr auto kB32Rev = reverse_table(kB32);
constexpr auto kB58Rev = reverse_table(kB58);

Status bad_char(std::string_view what, std::size_t pos) {
  return invalid_argument(std::string(what) + ": invalid character at position " + std::to_string(pos));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string base64_encode_with(ByteView data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    std::uint32_t v = std::uint32_t{data[i]} << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

// Decodes unpadded base64 text (padding already stripped and checked).
Result<Bytes> base64_decode_with(std::string_view text, const std::array<std::uint8_t, 256>& rev,
                                 std::string_view what) {
  if (text.size() % 4 == 1) return invalid_argument(std::string(what) + ": impossible length " + std::to_string(text.size()));
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::uint8_t v = rev[static_cast<unsigned char>(text[i])];
    if (v == 0xFF) return bad_char(what, i);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
    }
  }
  // Canonical encodings leave the unused low bits zero.
  if ((acc & ((1u << bits) - 1)) != 0) return invalid_argument(std::string(what) + ": non-canonical trailing bits");
  return out;
}

}  // namespace

std::string hex_encode(ByteView data) {
  std::string out;
  out.resize(data.size() * 2);
  for (std::size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = kHexDigits[data[i] >> 4];
    out[2 * i + 1] = kHexDigits[data[i] & 15];
  }
  return out;
}

Result<Bytes> hex_decode(std::string_view text) {
  std::size_t offset = 0;
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) offset = 2;
  if ((text.size() - offset) % 2 != 0) return invalid_argument("hex: odd number of digits");
  Bytes out((text.size() - offset) / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(text[offset + 2 * i]);
    int lo = hex_value(text[offset + 2 * i + 1]);
    if (hi < 0) return bad_char("hex", offset + 2 * i);
    if (lo < 0) return bad_char("hex", offset + 2 * i + 1);
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

Result<Bytes> hex_decode_canonical(std::string_view text, std::size_t size) {
  if (text.size() != 2 * size)
    return invalid_argument("hex: expected " + std::to_string(2 * size) + " lower-case digits, got " + std::to_string(text.size()) +
                            " characters");
  for (std::size_t i = 0; i < text.size(); ++i)
    if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f'))) return bad_char("hex", i);
  return hex_decode(text);
}

std::string base64url_encode(ByteView data) { return base64_encode_with(data, kB64Url, false); }

Result<Bytes> base64url_decode(std::string_view text) {
  return base64_decode_with(text, kB64UrlRev, "base64url");
}

std::string base64_encode(ByteView data) { return base64_encode_with(data, kB64Std, true); }

Result<Bytes> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return invalid_argument("base64: length is not a multiple of 4");
  std::size_t pad = 0;
  while (pad < 2 && !text.empty() && text[text.size() - 1 - pad] == '=') ++pad;
  std::string_view body = text.substr(0, text.size() - pad);
  return base64_decode_with(body, kB64StdRev, "base64");
}

std::string base32_encode(ByteView data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t b : data) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kB32[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += kB32[(acc << (5 - bits)) & 31];
  return out;
}

Result<Bytes> base32_decode(std::string_view text) {
  // Valid unpadded lengths mod 8: 0, 2, 4, 5, 7.
  switch (text.size() % 8) {
    case 1: case 3: case 6:
      return invalid_argument("base32: impossible length " + std::to_string(text.size()));
    default: break;
  }
  Bytes out;
  out.reserve(text.size() * 5 / 8);
  std::uint64_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::uint8_t v = kB32Rev[static_cast<unsigned char>(text[i])];
    if (v == 0xFF) return bad_char("base32", i);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return invalid_argument("base32: non-canonical trailing bits");
  return out;
}

std::string base58btc_encode(ByteView data) {
  std::size_t zeros = 0;
  while (zeros < data.size() && data[zeros] == 0) ++zeros;
  // log(256)/log(58) ≈ 1.365
  std::vector<std::uint8_t> digits((data.size() - zeros) * 138 / 100 + 1, 0);
  std::size_t len = 0;
  for (std::size_t i = zeros; i < data.size(); ++i) {
    std::uint32_t carry = data[i];
    std::size_t j = 0;
    for (auto it = digits.rbegin(); (carry != 0 || j < len) && it != digits.rend(); ++it, ++j) {
      carry += 256u * *it;
      *it = static_cast<std::uint8_t>(carry % 58);
      carry /= 58;
    }
    len = j;
  }
  auto it = digits.begin() + static_cast<std::ptrdiff_t>(digits.size() - len);
  while (it != digits.end() && *it == 0) ++it;
  std::string out(zeros, '1');
  for (; it != digits.end(); ++it) out += kB58[*it];
  return out;
}

Result<Bytes> base58btc_decode(std::string_view text) {
  std::size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;
  // log(58)/log(256) ≈ 0.733
  std::vector<std::uint8_t> bytes((text.size() - ones) * 733 / 1000 + 1, 0);
  std::size_t len = 0;
  for (std::size_t i = ones; i < text.size(); ++i) {
    std::uint8_t v = kB58Rev[static_cast<unsigned char>(text[i])];
    if (v == 0xFF) return bad_char("base58btc", i);
    std::uint32_t carry = v;
    std::size_t j = 0;
    for (auto it = bytes.rbegin(); (carry != 0 || j < len) && it != bytes.rend(); ++it, ++j) {
      carry += 58u * *it;
      *it = static_cast<std::uint8_t>(carry & 0xFF);
      carry >>= 8;
    }
    len = j;
  }
  auto it = bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() - len);
  while (it != bytes.end() && *it == 0) ++it;
  Bytes out(ones, 0);
  out.insert(out.end(), it, bytes.end());
  return out;
}

std::string multibase_encode(Multibase base, ByteView data) {
  std::string out(1, static_cast<char>(base));
  switch (base) {
    case Multibase::kBase16: out += hex_encode(data); break;
    case Multibase::kBase32: out += base32_encode(data); break;
    case Multibase::kBase58btc: out += base58btc_encode(data); break;
    case Multibase::kBase64url: out += base64url_encode(data); break;
  }
  return out;
}

Result<Bytes> multibase_decode(std::string_view text) {
  if (text.empty()) return invalid_argument("multibase: empty string");
  std::string_view body = text.substr(1);
  switch (text[0]) {
    case 'f': {
      if (body.size() >= 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X'))
        return invalid_argument("multibase: base16 must not carry a 0x prefix");
      return hex_decode(body);
    }
    case 'b': return base32_decode(body);
    case 'z': return base58btc_decode(body);
    case 'u': return base64url_decode(body);
    default:
      return invalid_argument(std::string("multibase: unsupported prefix '") + text[0] + "'");
  }
}

Result<std::time_t> parse_utc_timestamp(std::string_view text) {
  const std::string s(text);
  std::tm tm{};
  const char* end = ::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') return invalid_argument("bad timestamp '" + s + "' (expected like 2025-06-19T22:32:27Z)");
  return ::timegm(&tm);
}

std::string format_utc_timestamp(std::time_t t) {
  std::tm g{};
  gmtime_r(&t, &g);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &g);
  return buf;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += static_cast<char>(c);
    else out += {'%', kHex[c >> 4], kHex[c & 15]};
  }
  return out;
}

}  // namespace t3n::common
