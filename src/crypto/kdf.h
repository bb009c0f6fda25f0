// HKDF (RFC 5869) over SHA-256/384/512, and the node's labeled derivation.
#pragma once

#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/hash.h"

namespace t3n::crypto {

// HKDF-Extract(salt, ikm) → PRK (hash-size bytes). An empty salt means
// HashLen zero bytes, as RFC 5869 says.
SecretBytes hkdf_extract(HashAlg alg, ByteView salt, ByteView ikm);
// HKDF-Expand(prk, info, L); L ≤ 255·HashLen.
Result<SecretBytes> hkdf_expand(HashAlg alg, ByteView prk, ByteView info, std::size_t length);
Result<SecretBytes> hkdf(HashAlg alg, ByteView salt, ByteView ikm, ByteView info, std::size_t length);

// The node's key derivation: HKDF-SHA256 with salt "t3n/v1" and
// info = label ‖ 0x00 ‖ context. Every purpose has its own label
// ("ledger/epoch-key", "tdx/sealing", …) so keys never serve two purposes.
Result<SecretBytes> derive_key(ByteView secret, std::string_view label, ByteView context, std::size_t length);

}  // namespace t3n::crypto
