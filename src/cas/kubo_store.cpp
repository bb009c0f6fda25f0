#include <httplib.h>

#include "cas/blob_store.h"
#include "common/json.h"

namespace t3n::cas {
namespace {

class KuboBlobStore final : public BlobStore {
 public:
  KuboBlobStore(const std::string& url, std::chrono::milliseconds timeout, std::size_t max)
      : client_(url), max_(max) {
    const auto secs = static_cast<time_t>(timeout.count() / 1000);
    const auto usecs = static_cast<time_t>((timeout.count() % 1000) * 1000);
    client_.set_connection_timeout(secs, usecs);
    client_.set_read_timeout(secs, usecs);
    client_.set_write_timeout(secs, usecs);
  }

  Result<Cid> put(ByteView data) override {
    if (data.size() > max_) return Status(ErrorCode::kResourceExhausted, "blob larger than " + std::to_string(max_) + " bytes");
    httplib::MultipartFormDataItems items{
        {"file", std::string(reinterpret_cast<const char*>(data.data()), data.size()), "blob", "application/octet-stream"}};
    auto res = client_.Post("/api/v0/block/put?cid-codec=raw&mhtype=sha2-256&allow-big-block=true", items);
    if (!res) return unavailable(res.error());
    if (res->status != 200) return Status(ErrorCode::kUnavailable, "ipfs block/put: HTTP " + std::to_string(res->status));
    auto json = common::parse_json(res->body);
    if (!json.ok()) return json.status().with_context("ipfs block/put");
    T3N_ASSIGN_OR_RETURN(std::string key, common::json_string(*json, "Key"));
    T3N_ASSIGN_OR_RETURN(Cid cid, Cid::parse(key));
    if (cid != Cid::of(data)) return common::data_loss("ipfs stored the blob under an unexpected CID " + key);
    return cid;
  }

  Result<Bytes> get(const Cid& cid) override {
    auto res = client_.Post("/api/v0/block/get?arg=" + cid.to_string(), "", "application/octet-stream");
    if (!res) return unavailable(res.error());
    if (res->status == 500 && res->body.find("not found") != std::string::npos)
      return common::not_found("no blob " + cid.to_string());
    if (res->status != 200) return Status(ErrorCode::kUnavailable, "ipfs block/get: HTTP " + std::to_string(res->status));
    if (res->body.size() > max_) return Status(ErrorCode::kResourceExhausted, "ipfs returned an oversized blob");
    Bytes data = common::to_bytes(res->body);
    if (!cid.matches(data)) return common::data_loss("ipfs returned bytes that do not match " + cid.to_string());
    return data;
  }

  Result<bool> contains(const Cid& cid) override {
    auto res = client_.Post("/api/v0/block/stat?arg=" + cid.to_string(), "", "application/octet-stream");
    if (!res) return unavailable(res.error());
    return res->status == 200;
  }

 private:
  static Status unavailable(httplib::Error e) {
    return Status(ErrorCode::kUnavailable, "ipfs node unreachable: " + httplib::to_string(e));
  }
  httplib::Client client_;
  std::size_t max_;
};

}  // namespace

Result<std::unique_ptr<BlobStore>> open_kubo_blob_store(const std::string& api_url, std::chrono::milliseconds timeout,
                                                        std::size_t max_blob_size) {
  if (api_url.rfind("http://", 0) != 0 && api_url.rfind("https://", 0) != 0)
    return common::invalid_argument("ipfs API URL must start with http:// or https://");
  return std::unique_ptr<BlobStore>(std::make_unique<KuboBlobStore>(api_url, timeout, max_blob_size));
}

}  // namespace t3n::cas
