// Content-addressed blob storage. Backends: a local directory (default,
// embedded) and an IPFS (Kubo) node over its HTTP RPC API. Every blob read
// back is checked against its CID; the store is outside the trust boundary,
// so callers put only ciphertext here.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "cas/cid.h"
#include "common/bytes.h"
#include "common/status.h"

namespace t3n::cas {

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  virtual Result<Cid> put(ByteView data) = 0;
  // kNotFound if absent; kDataLoss if the stored bytes do not match the CID.
  virtual Result<Bytes> get(const Cid& cid) = 0;
  virtual Result<bool> contains(const Cid& cid) = 0;
};

inline constexpr std::size_t kDefaultMaxBlobSize = 64 * 1024 * 1024;

// Files at <dir>/<first 2 chars after "bafkrei">/<cid>, written atomically.
Result<std::unique_ptr<BlobStore>> open_local_blob_store(const std::filesystem::path& dir,
                                                         std::size_t max_blob_size = kDefaultMaxBlobSize);

// A Kubo node: `api_url` like "http://127.0.0.1:5001". Blobs are single raw
// blocks (block/put with cid-codec=raw), so their CIDs are ours.
Result<std::unique_ptr<BlobStore>> open_kubo_blob_store(const std::string& api_url,
                                                        std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                                        std::size_t max_blob_size = kDefaultMaxBlobSize);

// A cluster member's store: `local` first; a blob it lacks comes from
// `fetch` (the other members, over the attested peer links), is checked
// against its CID (a peer cannot substitute bytes) and kept locally.
// `fetch` answers kNotFound when nobody has it.
using BlobFetcher = std::function<Result<Bytes>(const Cid&)>;
std::unique_ptr<BlobStore> make_fetching_blob_store(std::unique_ptr<BlobStore> local, BlobFetcher fetch);

}  // namespace t3n::cas
