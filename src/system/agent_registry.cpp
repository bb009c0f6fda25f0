#include "system/agent_registry.h"

#include <algorithm>
#include <cctype>

#include "common/encoding.h"

namespace t3n::system {

Status ensure_agent_tables(store::Store& store) { return store::ensure_tables(store, kAgentsTable); }

Status check_agent_uri(std::string_view uri) {
  if (uri.empty() || uri.size() > kMaxAgentUriBytes) return common::invalid_argument("InvalidAgentUri: 1..2048 bytes");
  if (!std::all_of(uri.begin(), uri.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; }))
    return common::invalid_argument("InvalidAgentUri: printable ASCII without spaces");
  const auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(uri[0])) ||
      !std::all_of(uri.begin(), uri.begin() + static_cast<std::ptrdiff_t>(colon),
                   [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '-' || c == '.'; }))
    return common::invalid_argument("InvalidAgentUri: a URI starts with a scheme (https:, did:, …)");
  return {};
}

Status register_agent(store::Transaction& tx, const Bytes& user, const std::string& agent_uri, ByteView owner_address20,
                      std::uint64_t now_ms) {
  T3N_RETURN_IF_ERROR(check_agent_uri(agent_uri));
  if (owner_address20.size() != 20) return common::invalid_argument("InvalidOwner: an Ethereum address is 20 bytes");
  const common::Json row = {{"agent_uri", agent_uri},
                            {"owner_eth_address", "0x" + common::hex_encode(owner_address20)},
                            {"registered_at_ms", now_ms}};
  return kAgentsTable.in(tx).put(user, common::to_bytes(row.dump()));
}

Result<std::optional<common::Json>> agent_of(store::Transaction& tx, const Bytes& user) {
  T3N_ASSIGN_OR_RETURN(auto raw, kAgentsTable.in(tx).get(user));
  if (!raw) return std::optional<common::Json>();
  auto j = common::parse_json(common::to_string(*raw), 8);
  if (!j.ok()) return common::data_loss("an agent row is corrupt");
  return std::optional<common::Json>(std::move(*j));
}

}  // namespace t3n::system
