#include "crypto/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <string>


namespace t3n::crypto {

// The kernel's CSPRNG (getrandom(2), blocking only until it is first
// seeded): in a busy multi-threaded node OpenSSL's RAND_bytes costs several
// microseconds per call in its DRBG bookkeeping, and per-request nonces and
// ids call this constantly. OpenSSL's own key generation keeps its DRBG.
Status random_bytes(MutableByteView out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t got = ::getrandom(out.data() + done, out.size() - done, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return Status(ErrorCode::kUnavailable, std::string("random number generator failed: ") + std::strerror(errno));
    }
    done += static_cast<std::size_t>(got);
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
