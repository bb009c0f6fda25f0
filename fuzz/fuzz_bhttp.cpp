// Binary HTTP decoding of hostile input (the gateway's inner requests).
#include "api/bhttp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  t3n::ByteView in(data, size);
  auto req = t3n::api::decode_bhttp_request(in);
  if (req.ok()) (void)t3n::api::decode_bhttp_request(t3n::api::encode_bhttp_request(*req));
  (void)t3n::api::decode_bhttp_response(in);
  return 0;
}
