// Ledger entries, receipts, state proofs and manifests from untrusted bytes.
#include <string_view>

#include "common/json.h"
#include "runtime/manifest.h"
#include "store/ledger_entry.h"
#include "store/receipt.h"
#include "store/state_tree.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  t3n::ByteView in(data, size);
  if (auto e = t3n::store::decode_entry(in); e.ok()) (void)t3n::store::decode_entry(t3n::store::encode_entry(*e));
  auto j = t3n::common::parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
  if (j.ok()) {
    if (auto r = t3n::store::receipt_from_json(*j); r.ok()) (void)t3n::store::verify_receipt(*r);
    if (auto p = t3n::store::state_proof_from_json(*j); p.ok()) (void)t3n::store::verify_state_proof(*p, {});
    (void)t3n::runtime::parse_manifest(*j);
  }
  return 0;
}
