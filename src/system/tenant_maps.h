// tee:tenant's map functions: create, update and delete a tenant's maps
// (visibility, writers/readers ACLs by contract id, key validators, extra
// grants to other tenants' contracts) and the tenant's own access to their
// contents (map-put / map-get / map-remove), e.g. API keys under
// z:<tid>:secrets. A map's values are written only by the tenant or its
// contracts and read back by the tenant only when the map is public or
// marked admin_readable; they never appear in logs or errors.
#pragma once

#include "common/json.h"
#include "common/status.h"
#include "store/table.h"
#include "system/system_contract.h"

namespace t3n::system {

// Map rows as tee:tenant returns them (metadata, never values), by map name.
inline constexpr store::TableDef<store::StringCodec, store::StringCodec> kTenantMapsTable{"tenant_maps"};

Status ensure_tenant_map_tables(store::Store& store);

Result<common::Json> map_create(const SystemEnv& env, SystemCall& call);
Result<common::Json> map_update(const SystemEnv& env, SystemCall& call);
Result<common::Json> map_delete(const SystemEnv& env, SystemCall& call);
Result<common::Json> map_put(const SystemEnv& env, SystemCall& call);
Result<common::Json> map_get(const SystemEnv& env, SystemCall& call);
Result<common::Json> map_remove(const SystemEnv& env, SystemCall& call);
Result<common::Json> map_list(const SystemEnv& env, SystemCall& call);

}  // namespace t3n::system
