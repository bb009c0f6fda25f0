// Text encodings of bytes. Decoders are strict: they reject padding where the
// encoding has none, non-canonical trailing bits and characters outside the
// alphabet, and say which position was bad.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::common {

std::string hex_encode(ByteView data);
// Accepts upper or lower case and an optional "0x" prefix.
Result<Bytes> hex_decode(std::string_view text);
// The canonical form only: lower case, no prefix, exactly `size` bytes
// (identifiers such as tenant ids, where two spellings must not mean one id).
Result<Bytes> hex_decode_canonical(std::string_view text, std::size_t size);

// An RFC 3339 UTC timestamp with second precision, "2025-06-19T22:32:27Z"
// (the form of PCS collateral dates and of --at), as seconds since the epoch.
Result<std::time_t> parse_utc_timestamp(std::string_view text);
std::string format_utc_timestamp(std::time_t t);

// RFC 4648 §5, no padding (JWS/JWT style).
std::string base64url_encode(ByteView data);
// RFC 3986 percent-encoding: everything but the unreserved characters.
std::string percent_encode(std::string_view text);
Result<Bytes> base64url_decode(std::string_view text);

// RFC 4648 §4 with padding (JSON APIs, PEM bodies).
std::string base64_encode(ByteView data);
Result<Bytes> base64_decode(std::string_view text);

// RFC 4648 §6, lower case, no padding (CIDv1 text form).
std::string base32_encode(ByteView data);
Result<Bytes> base32_decode(std::string_view text);

// Bitcoin alphabet (did:key, multibase 'z').
std::string base58btc_encode(ByteView data);
Result<Bytes> base58btc_decode(std::string_view text);

// Multibase: one prefix character names the base.
enum class Multibase : char {
  kBase16 = 'f',
  kBase32 = 'b',
  kBase58btc = 'z',
  kBase64url = 'u',
};
std::string multibase_encode(Multibase base, ByteView data);
Result<Bytes> multibase_decode(std::string_view text);

}  // namespace t3n::common
