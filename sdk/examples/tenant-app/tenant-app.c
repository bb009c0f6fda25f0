// tenant-app: what a tenant uploads with the SDK's TenantClient. It reads
// an API key the tenant seeded into its own `secrets` map, logs through
// host:interfaces/logging (readable by the tenant with contract-logs) and
// keeps state in its `state` map. Maps are named bare ("secrets"): the node
// resolves them to z:<own tid>:secrets.
#include <string.h>

#include "tenant_app.h"

// Small string building without stdio (no WASI imports): append text or a number.
static size_t put(char* buf, size_t n, size_t cap, const char* text, size_t len) {
  for (size_t i = 0; i < len && n + 1 < cap; ++i) buf[n++] = text[i];
  buf[n] = 0;
  return n;
}
static size_t put_str(char* buf, size_t n, size_t cap, const char* text) { return put(buf, n, cap, text, strlen(text)); }
static size_t put_num(char* buf, size_t n, size_t cap, size_t v) {
  char digits[24];
  size_t d = 0;
  do {
    digits[d++] = (char)('0' + v % 10);
    v /= 10;
  } while (v > 0);
  while (d > 0 && n + 1 < cap) buf[n++] = digits[--d];
  buf[n] = 0;
  return n;
}

static void set_error(tenant_app_string_t* err, const char* message) { tenant_app_string_dup(err, message); }

static void log_line(bool (*level)(tenant_app_string_t*, tenant_app_string_t*), const char* text) {
  tenant_app_string_t line, err;
  tenant_app_string_dup(&line, text);
  if (!level(&line, &err)) tenant_app_string_free(&err);
  tenant_app_string_free(&line);
}

// The seeded key, or false with err set.
static bool read_key(tenant_app_list_u8_t* key_out, tenant_app_string_t* err) {
  tenant_app_string_t map;
  tenant_app_string_dup(&map, "secrets");
  tenant_app_list_u8_t key = {(uint8_t*)"api_key", 7};
  tenant_app_option_list_u8_t found;
  bool ok = host_interfaces_kv_store_get(&map, &key, &found, err);
  tenant_app_string_free(&map);
  if (!ok) return false;
  if (!found.is_some) {
    set_error(err, "no api key seeded (map-put secrets api_key …)");
    return false;
  }
  *key_out = found.val;
  return true;
}

bool exports_t3n_examples_tenant_app_contracts_quote(tenant_app_string_t* city, tenant_app_string_t* ret,
                                                     tenant_app_string_t* err) {
  tenant_app_list_u8_t key;
  bool ok = read_key(&key, err);
  if (ok) {
    const size_t city_len = city->len > 100 ? 100 : city->len;
    char line[256];
    size_t n = put_str(line, 0, sizeof line, "quote for ");
    put(line, n, sizeof line, (const char*)city->ptr, city_len);
    log_line(host_interfaces_logging_info, line);
    n = put_str(line, 0, sizeof line, "api key is ");
    n = put_num(line, n, sizeof line, key.len);
    put_str(line, n, sizeof line, " bytes");
    log_line(host_interfaces_logging_debug, line);
    tenant_app_string_t map;
    tenant_app_string_dup(&map, "state");
    tenant_app_list_u8_t k = {(uint8_t*)"last_city", 9};
    tenant_app_list_u8_t v = {city->ptr, city->len};
    ok = host_interfaces_kv_store_put(&map, &k, &v, err);
    tenant_app_string_free(&map);
    if (ok) {
      char out[256];
      size_t m = put(out, 0, sizeof out, (const char*)city->ptr, city_len);
      m = put_str(out, m, sizeof out, ": 42 (key ok, ");
      m = put_num(out, m, sizeof out, key.len);
      put_str(out, m, sizeof out, " bytes)");
      tenant_app_string_dup(ret, out);
    }
    tenant_app_list_u8_free(&key);
  }
  tenant_app_string_free(city);
  return ok;
}

bool exports_t3n_examples_tenant_app_contracts_secret_matches(tenant_app_string_t* candidate, bool* ret,
                                                              tenant_app_string_t* err) {
  tenant_app_list_u8_t key;
  bool ok = read_key(&key, err);
  if (ok) {
    *ret = key.len == candidate->len && memcmp(key.ptr, candidate->ptr, key.len) == 0;
    tenant_app_list_u8_free(&key);
  }
  tenant_app_string_free(candidate);
  return ok;
}

bool exports_t3n_examples_tenant_app_contracts_fail_loudly(tenant_app_string_t* err) {
  log_line(host_interfaces_logging_error, "failing on purpose");
  set_error(err, "failed on purpose");
  return false;
}

bool exports_t3n_examples_tenant_app_contracts_balance(uint64_t* ret, tenant_app_string_t* err) {
  host_interfaces_token_balance_row_t row;
  host_interfaces_token_balance_error_t e;
  if (!host_interfaces_token_get_balance(&row, &e)) {
    set_error(err, e.tag == HOST_INTERFACES_TOKEN_BALANCE_ERROR_NOT_AUTHORISED ? "not-authorised" : "account-not-found");
    return false;
  }
  *ret = row.available.lo;
  return true;
}

bool exports_t3n_examples_tenant_app_contracts_peek_balance(tenant_app_list_u8_t* account, tenant_app_string_t* ret,
                                                            tenant_app_string_t* err) {
  host_interfaces_token_balance_row_t row;
  host_interfaces_token_balance_error_t e;
  if (host_interfaces_token_get_account_balance(account, &row, &e)) {
    tenant_app_string_dup(ret, "readable");
  } else {
    tenant_app_string_dup(ret, e.tag == HOST_INTERFACES_TOKEN_BALANCE_ERROR_NOT_AUTHORISED ? "not-authorised" : "account-not-found");
  }
  tenant_app_list_u8_free(account);
  return true;
}
