#include "cas/blob_store.h"

namespace t3n::cas {

namespace {
class FetchingBlobStore final : public BlobStore {
 public:
  FetchingBlobStore(std::unique_ptr<BlobStore> local, BlobFetcher fetch) : local_(std::move(local)), fetch_(std::move(fetch)) {}

  Result<Cid> put(ByteView data) override { return local_->put(data); }

  Result<Bytes> get(const Cid& cid) override {
    auto here = local_->get(cid);
    if (here.ok() || here.status().code() != ErrorCode::kNotFound) return here;
    T3N_ASSIGN_OR_RETURN(Bytes fetched, fetch_(cid));
    if (Cid::of(fetched) != cid)
      return Status(ErrorCode::kDataLoss, "blob " + cid.to_string() + " from a peer does not match its CID");
    T3N_RETURN_IF_ERROR(local_->put(fetched).status());
    return fetched;
  }

  Result<bool> contains(const Cid& cid) override { return local_->contains(cid); }

 private:
  std::unique_ptr<BlobStore> local_;
  BlobFetcher fetch_;
};
}  // namespace

std::unique_ptr<BlobStore> make_fetching_blob_store(std::unique_ptr<BlobStore> local, BlobFetcher fetch) {
  return std::make_unique<FetchingBlobStore>(std::move(local), std::move(fetch));
}

}  // namespace t3n::cas
