#include "store/digest_json.h"

#include <algorithm>

#include "common/encoding.h"

namespace t3n::store {
namespace {

Result<crypto::Digest32> to_digest(const Bytes& b, std::string_view field) {
  if (b.size() != 32) return common::invalid_argument("field '" + std::string(field) + "': expected 32-byte hashes");
  crypto::Digest32 d{};
  std::copy(b.begin(), b.end(), d.begin());
  return d;
}

}  // namespace

Result<crypto::Digest32> json_digest(const common::Json& object, std::string_view field) {
  T3N_ASSIGN_OR_RETURN(Bytes b, common::json_hex(object, field));
  return to_digest(b, field);
}

Result<std::vector<crypto::Digest32>> json_digest_list(const common::Json& object, std::string_view field,
                                                       std::size_t max_items) {
  const std::string f(field);
  if (!object.is_object() || !object.contains(f) || !object[f].is_array() || object[f].size() > max_items)
    return common::invalid_argument("field '" + f + "': expected an array of at most " + std::to_string(max_items) +
                                    " hashes");
  std::vector<crypto::Digest32> out;
  for (const auto& item : object[f]) {
    if (!item.is_string()) return common::invalid_argument("field '" + f + "': expected hex strings");
    T3N_ASSIGN_OR_RETURN(Bytes b, common::hex_decode(item.get<std::string>()));
    T3N_ASSIGN_OR_RETURN(crypto::Digest32 d, to_digest(b, field));
    out.push_back(d);
  }
  return out;
}

}  // namespace t3n::store
