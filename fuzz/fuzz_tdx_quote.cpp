// TDX quote parsing and PCK extension parsing of hostile bytes.
#include "attest/tdx_quote.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto q = t3n::attest::parse_tdx_quote(t3n::ByteView(data, size));
  if (q.ok()) {
    (void)t3n::attest::pck_extensions(q->pck_chain_pem.front());
    (void)t3n::attest::verify_tdx_quote_signatures(*q, {});
  }
  return 0;
}
