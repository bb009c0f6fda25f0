// Every decoder must return a Result for any input, and round-trip what it accepts.
#include <cstdlib>
#include <string_view>

#include "common/encoding.h"

using namespace t3n::common;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool prefixed = text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  if (auto r = hex_decode(text); r.ok() && hex_encode(*r).size() != size - (prefixed ? 2 : 0)) std::abort();
  if (auto r = base64url_decode(text); r.ok() && base64url_encode(*r) != text) std::abort();
  if (auto r = base64_decode(text); r.ok() && base64_encode(*r) != text) std::abort();
  if (auto r = base32_decode(text); r.ok() && base32_encode(*r) != text) std::abort();
  if (auto r = base58btc_decode(text); r.ok() && base58btc_encode(*r) != text) std::abort();
  (void)multibase_decode(text);
  return 0;
}
