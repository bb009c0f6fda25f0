// The operator API's client side (POST /api/admin): an operator's eth key
// file and one signed action (a fresh nonce, the body signed as it is sent
// with EIP-191 personal_sign).
#pragma once

#include <string>

#include "api/client.h"
#include "common/bytes.h"
#include "common/json.h"
#include "common/status.h"

namespace t3n::cli {

struct AdminKey {
  Bytes secret;
  Bytes address;
};

Result<AdminKey> load_admin_key(const std::string& path);
Result<common::Json> send_admin(api::NodeClient& client, const AdminKey& key, const std::string& action, common::Json body);

}  // namespace t3n::cli
