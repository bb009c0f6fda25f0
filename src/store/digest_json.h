// Hashes in the JSON forms of receipts and proofs: lower-case hex, 32 bytes.
#pragma once

#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "crypto/hash.h"

namespace t3n::store {

// `object[field]` as a 32-byte hash.
Result<crypto::Digest32> json_digest(const common::Json& object, std::string_view field);
// `object[field]` as an array of at most `max_items` 32-byte hashes.
Result<std::vector<crypto::Digest32>> json_digest_list(const common::Json& object, std::string_view field,
                                                       std::size_t max_items);

}  // namespace t3n::store
