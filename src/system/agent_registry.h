// The agent registry (SYSTEM-CONTRACTS.md tee:agent-registry): an agent
// URI per user DID with its owner's Ethereum address; the DID document at
// /api/did/<did> lists it as an AgentService.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/json.h"
#include "common/status.h"
#include "store/store.h"
#include "store/table.h"

namespace t3n::system {

// user id → {"agent_uri", "owner_eth_address", "registered_at_ms"}.
inline constexpr store::TableDef<store::BytesCodec, store::BytesCodec> kAgentsTable{"agents"};
Status ensure_agent_tables(store::Store& store);

inline constexpr std::size_t kMaxAgentUriBytes = 2048;

// A URI with a scheme ("https://…", "did:…"), ≤ 2048 bytes, printable ASCII.
Status check_agent_uri(std::string_view uri);
// Registers (or replaces) the user's agent.
Status register_agent(store::Transaction& tx, const Bytes& user, const std::string& agent_uri, ByteView owner_address20,
                      std::uint64_t now_ms);
Result<std::optional<common::Json>> agent_of(store::Transaction& tx, const Bytes& user);

}  // namespace t3n::system
