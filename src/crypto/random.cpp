#include "crypto/random.h"

#include <openssl/rand.h>

#include <climits>

#include "crypto/openssl_util.h"

namespace t3n::crypto {

Status random_bytes(MutableByteView out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const std::size_t chunk = std::min<std::size_t>(out.size() - done, INT_MAX);
    if (RAND_bytes(out.data() + done, static_cast<int>(chunk)) != 1)
      return detail::openssl_error(ErrorCode::kUnavailable, "random number generator failed");
    done += chunk;
  }
  return {};
}

Result<Bytes> random_vector(std::size_t size) {
  Bytes out(size);
  T3N_RETURN_IF_ERROR(random_bytes(out));
  return out;
}

Result<SecretBytes> random_secret(std::size_t size) {
  SecretBytes out(size);
  T3N_RETURN_IF_ERROR(random_bytes(out.mutable_view()));
  return out;
}

}  // namespace t3n::crypto
