#include <fstream>
#include <random>
#include <sstream>

#include "cas/blob_store.h"

namespace t3n::cas {
namespace {

class LocalBlobStore final : public BlobStore {
 public:
  LocalBlobStore(std::filesystem::path dir, std::size_t max) : dir_(std::move(dir)), max_(max) {}

  Result<Cid> put(ByteView data) override {
    if (data.size() > max_) return Status(ErrorCode::kResourceExhausted, "blob larger than " + std::to_string(max_) + " bytes");
    const Cid cid = Cid::of(data);
    const auto path = path_of(cid);
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return cid;  // content-addressed: already there
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return Status(ErrorCode::kUnavailable, "cannot create " + path.parent_path().string() + ": " + ec.message());
    auto tmp = path;
    tmp += ".tmp" + std::to_string(std::random_device{}());
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
      out.flush();
      if (!out) return Status(ErrorCode::kUnavailable, "cannot write blob " + cid.to_string());
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) return Status(ErrorCode::kUnavailable, "cannot store blob " + cid.to_string() + ": " + ec.message());
    return cid;
  }

  Result<Bytes> get(const Cid& cid) override {
    std::ifstream in(path_of(cid), std::ios::binary);
    if (!in) return common::not_found("no blob " + cid.to_string());
    std::stringstream ss;
    ss << in.rdbuf();
    Bytes data = common::to_bytes(ss.str());
    if (!cid.matches(data)) return common::data_loss("blob " + cid.to_string() + " does not match its CID");
    return data;
  }

  Result<bool> contains(const Cid& cid) override {
    std::error_code ec;
    return std::filesystem::exists(path_of(cid), ec);
  }

 private:
  std::filesystem::path path_of(const Cid& cid) const {
    const std::string s = cid.to_string();
    return dir_ / s.substr(s.size() - 2) / s;
  }
  std::filesystem::path dir_;
  std::size_t max_;
};

}  // namespace

Result<std::unique_ptr<BlobStore>> open_local_blob_store(const std::filesystem::path& dir, std::size_t max_blob_size) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return common::failed_precondition("cannot create blob directory " + dir.string() + ": " + ec.message());
  return std::unique_ptr<BlobStore>(std::make_unique<LocalBlobStore>(dir, max_blob_size));
}

}  // namespace t3n::cas
