// Binary HTTP messages (RFC 9292): the inner requests and responses that
// Oblivious HTTP carries. Decoding accepts known-length and indeterminate-
// length messages (with padding); encoding produces known-length messages.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::api {

using HeaderFields = std::vector<std::pair<std::string, std::string>>;  // lower-case names

struct BhttpRequest {
  std::string method;
  std::string scheme;
  std::string authority;
  std::string path;
  HeaderFields headers;
  Bytes content;
  HeaderFields trailers;

  // First value of a header (names compare case-insensitively), or empty.
  std::string header(std::string_view name) const;
};

struct BhttpInformational {
  std::uint16_t status = 100;
  HeaderFields headers;
};

struct BhttpResponse {
  std::vector<BhttpInformational> informational;
  std::uint16_t status = 200;
  HeaderFields headers;
  Bytes content;
  HeaderFields trailers;
};

// Limits applied while decoding untrusted input.
struct BhttpLimits {
  std::size_t max_fields = 128;
  std::size_t max_field_bytes = 16 * 1024;
  std::size_t max_content = 8 * 1024 * 1024;
};

Result<BhttpRequest> decode_bhttp_request(ByteView data, const BhttpLimits& limits = {});
Result<BhttpResponse> decode_bhttp_response(ByteView data, const BhttpLimits& limits = {});
Bytes encode_bhttp_request(const BhttpRequest& request);
Bytes encode_bhttp_response(const BhttpResponse& response);

// QUIC variable-length integers (RFC 9000 §16), as BHTTP uses them.
void append_varint(Bytes& out, std::uint64_t v);

}  // namespace t3n::api
