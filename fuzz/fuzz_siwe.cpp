// Sign-In with Ethereum messages, RFC 3339 times and EIP-191 signatures from
// untrusted bytes. What parses must format back to text that parses to the
// same message.
#include <cstdlib>
#include <string_view>

#include "identity/siwe.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)t3n::identity::parse_rfc3339(text);
  if (auto m = t3n::identity::parse_siwe(text); m.ok()) {
    const std::string once = t3n::identity::format_siwe(*m);
    auto again = t3n::identity::parse_siwe(once);
    if (!again.ok() || t3n::identity::format_siwe(*again) != once) std::abort();
    t3n::identity::SiweExpectations e;
    e.address = m->address;
    e.nonce = m->nonce;
    e.now_unix = m->issued_at_unix;
    (void)t3n::identity::check_siwe(*m, e);
  }
  if (size >= 65) (void)t3n::identity::recover_eip191_address(text.substr(65), t3n::ByteView(data, 65));
  return 0;
}
