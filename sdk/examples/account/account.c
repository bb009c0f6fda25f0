// account: user-profile, did-registry, agent-auth and user-removal as a
// contract sees them, always for the calling user (tenant-context) except
// save-profile-for, which shows the host refusing another user.
// No stdio (no WASI imports).
#include "account.h"

typedef account_string_t str_t;
typedef account_list_u8_t bytes_t;

static bytes_t as_bytes(str_t* s) {
  bytes_t b = {s->ptr, s->len};
  return b;
}

// The calling user's 20-byte id; false (with err) when the call has none.
static bool me(bytes_t* user, str_t* err) {
  if (!host_tenant_tenant_context_calling_user_did(user)) {
    account_string_dup(err, "no calling user");
    return false;
  }
  return true;
}

bool exports_t3n_examples_account_contracts_save_profile(str_t* profile, str_t* ret, str_t* err) {
  bytes_t user, body = as_bytes(profile);
  if (!me(&user, err)) return false;
  return host_interfaces_user_profile_upsert(&user, &body, ret, err);
}

bool exports_t3n_examples_account_contracts_save_profile_for(bytes_t* user, str_t* profile, str_t* ret, str_t* err) {
  bytes_t body = as_bytes(profile);
  return host_interfaces_user_profile_upsert(user, &body, ret, err);
}

bool exports_t3n_examples_account_contracts_link(str_t* authenticator, str_t* ret, str_t* err) {
  bytes_t user;
  if (!me(&user, err)) return false;
  if (!host_interfaces_did_registry_link_authenticator(&user, authenticator, err)) return false;
  account_string_dup(ret, "linked");
  return true;
}

bool exports_t3n_examples_account_contracts_grant(str_t* payload, str_t* ret, str_t* err) {
  bytes_t user, body = as_bytes(payload);
  if (!me(&user, err)) return false;
  return host_interfaces_agent_auth_update_authorisations(&user, &body, ret, err);
}

bool exports_t3n_examples_account_contracts_agent(str_t* uri, bytes_t* owner, str_t* ret, str_t* err) {
  bytes_t user;
  if (!me(&user, err)) return false;
  return host_interfaces_agent_registry_register_agent(&user, uri, owner, ret, err);
}

bool exports_t3n_examples_account_contracts_remove_me(str_t* ret, str_t* err) {
  bytes_t user;
  if (!me(&user, err)) return false;
  return host_interfaces_user_removal_remove_user(&user, ret, err);
}
