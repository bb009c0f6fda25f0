// CIDs, DIDs and delegation payloads from untrusted text.
#include <string_view>

#include "cas/cid.h"
#include "common/json.h"
#include "identity/delegation.h"
#include "identity/did.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto cid = t3n::cas::Cid::parse(text); cid.ok()) (void)t3n::cas::Cid::parse(cid->to_string());
  (void)t3n::cas::Cid::from_bytes(t3n::ByteView(data, size));
  (void)t3n::identity::parse_did(text);
  (void)t3n::identity::parse_t3n_did(text);
  (void)t3n::identity::version_matches(text, "1.2.3");
  if (auto j = t3n::common::parse_json(text); j.ok()) (void)t3n::identity::parse_delegations(*j);
  return 0;
}
