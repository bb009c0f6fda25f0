// CSPRNG: the kernel's (getrandom(2)); OpenSSL's own key generation keeps
// its DRBG, seeded from the same kernel pool. Inside a TDX guest that pool
// is fed by RDSEED/RDRAND, which the TD trusts.
#pragma once

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::crypto {

Status random_bytes(MutableByteView out);
Result<Bytes> random_vector(std::size_t size);
Result<SecretBytes> random_secret(std::size_t size);

}  // namespace t3n::crypto
