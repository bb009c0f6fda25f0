// t3n:host/stash@1.0.0 — persist-attached-blob: the blob uploaded with this
// request (multipart executeWithBlob) goes into content-addressed storage
// and the contract gets its reference. Single use per request; needs the
// `stash` capability and "stash": true in the manifest (default deny). The
// blob travelled unencrypted (the SDK sends it outside the session's
// encryption), so it is public to the network: the CAS holds it as is.
#include "cas/blob_store.h"
#include "host/host.h"
#include "host/util.h"

namespace t3n::host {
namespace {

Val stash_error(std::string_view which, std::optional<Val> payload = std::nullopt) {
  return Val(wc::WitResult::err(Val(wc::Variant(which, std::move(payload)))));
}

}  // namespace

runtime::HostInterface stash_interface(cas::BlobStore* cas) {
  runtime::HostInterface iface{"t3n:host/stash@1.0.0", "stash", {}};
  iface.functions["persist-attached-blob"] = {
      "func() -> result<record { cid: string, size: u64, media-type: option<string> }, variant { no-blob-attached, "
      "already-consumed, not-allowlisted, too-large(u64), storage(string) }>",
      [cas](runtime::CallContext& ctx, const ValArgs&, ValArgs& r) -> Status {
        if (ctx.manifest == nullptr || !ctx.manifest->stash) return set_result(r, stash_error("not-allowlisted"));
        if (!ctx.attached_blob) return set_result(r, stash_error("no-blob-attached"));
        auto& blob = *ctx.attached_blob;
        if (blob.consumed) return set_result(r, stash_error("already-consumed"));
        if (blob.bytes.size() > runtime::kMaxAttachedBlobBytes)
          return set_result(r, stash_error("too-large", Val(static_cast<std::uint64_t>(runtime::kMaxAttachedBlobBytes))));
        if (cas == nullptr) return set_result(r, stash_error("storage", Val::string("this node has no blob store")));
        blob.consumed = true;
        auto cid = cas->put(blob.bytes);
        if (!cid.ok()) return set_result(r, stash_error("storage", Val::string("the blob store refused the blob")));
        ctx.cas_bytes += blob.bytes.size();
        std::vector<std::pair<std::string_view, Val>> fields;
        fields.emplace_back("cid", Val::string(cid->to_string()));
        fields.emplace_back("size", Val(static_cast<std::uint64_t>(blob.bytes.size())));
        fields.emplace_back("media-type", blob.media_type ? some(Val::string(*blob.media_type)) : none());
        return set_result(r, ok_val(Val(wc::Record(std::move(fields)))));
      }};
  return iface;
}

}  // namespace t3n::host
