// Counter: the smallest useful T3N contract. Keeps a counter in the tenant's
// own map `z:<tid>:counter` through host:interfaces/kv-store.
#include <stdlib.h>
#include <string.h>

#include "counter.h"

static const char kKey[] = "count";

// "z:<40 hex of the tenant DID>:counter"
static void map_name(counter_string_t* out) {
  counter_list_u8_t did;
  host_tenant_tenant_context_tenant_did(&did);
  char name[64] = "z:";
  static const char hex[] = "0123456789abcdef";
  size_t n = 2;
  for (size_t i = 0; i < did.len && i < 20; ++i) {
    name[n++] = hex[did.ptr[i] >> 4];
    name[n++] = hex[did.ptr[i] & 15];
  }
  memcpy(name + n, ":counter", 9);
  counter_list_u8_free(&did);
  counter_string_dup(out, name);
}

static void set_error(counter_string_t* err, const char* message) { counter_string_dup(err, message); }

// Reads the counter; false (with err set) if the host refused.
static bool read_count(counter_string_t* map, uint64_t* value, counter_string_t* err) {
  counter_list_u8_t key = {(uint8_t*)kKey, sizeof kKey - 1};
  counter_option_list_u8_t found;
  if (!host_interfaces_kv_store_get(map, &key, &found, err)) return false;
  *value = 0;
  if (found.is_some) {
    char buf[32] = {0};
    size_t n = found.val.len < sizeof buf - 1 ? found.val.len : sizeof buf - 1;
    memcpy(buf, found.val.ptr, n);
    *value = strtoull(buf, NULL, 10);
    counter_option_list_u8_free(&found);
  }
  return true;
}

// Decimal text without stdio (stdio would pull in WASI imports).
static size_t u64_to_dec(uint64_t v, char* buf) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (size_t i = 0; i < n; ++i) buf[i] = tmp[n - 1 - i];
  return n;
}

static bool write_count(counter_string_t* map, uint64_t value, counter_string_t* err) {
  char buf[32];
  size_t n = u64_to_dec(value, buf);
  counter_list_u8_t key = {(uint8_t*)kKey, sizeof kKey - 1};
  counter_list_u8_t val = {(uint8_t*)buf, (size_t)n};
  return host_interfaces_kv_store_put(map, &key, &val, err);
}

bool exports_t3n_examples_counter_contracts_increment(uint64_t by, uint64_t* ret, counter_string_t* err) {
  counter_string_t map;
  map_name(&map);
  uint64_t current = 0;
  bool ok = read_count(&map, &current, err);
  if (ok && current + by < current) {
    set_error(err, "counter would overflow");
    ok = false;
  }
  if (ok) ok = write_count(&map, current + by, err);
  if (ok) {
    *ret = current + by;
    counter_string_t line;
    counter_string_dup(&line, "counter incremented");
    counter_string_t log_err;
    if (!host_interfaces_logging_info(&line, &log_err)) counter_string_free(&log_err);
    counter_string_free(&line);
    // One event of our own in the dispatch's audit trail (the host stamps
    // who acted on whose data, and when).
    counter_string_t action, target, outcome, details, audit_err;
    counter_string_dup(&action, "counter.increment");
    counter_string_dup(&target, "counter");
    counter_string_dup(&outcome, "success");
    counter_string_dup(&details, "incremented");
    if (!host_interfaces_logging_audit(&action, &target, &outcome, &details, &audit_err)) counter_string_free(&audit_err);
    counter_string_free(&action);
    counter_string_free(&target);
    counter_string_free(&outcome);
    counter_string_free(&details);
  }
  counter_string_free(&map);
  return ok;
}

bool exports_t3n_examples_counter_contracts_get(uint64_t* ret, counter_string_t* err) {
  counter_string_t map;
  map_name(&map);
  bool ok = read_count(&map, ret, err);
  counter_string_free(&map);
  return ok;
}

bool exports_t3n_examples_counter_contracts_get_bare(uint64_t* ret, counter_string_t* err) {
  counter_string_t map;
  counter_string_dup(&map, "counter");
  bool ok = read_count(&map, ret, err);
  counter_string_free(&map);
  return ok;
}

bool exports_t3n_examples_counter_contracts_fail_after_write(uint64_t* ret, counter_string_t* err) {
  counter_string_t map;
  map_name(&map);
  bool ok = write_count(&map, 1000000, err);
  counter_string_free(&map);
  if (!ok) return false;
  set_error(err, "refusing after a write: nothing may be committed");
  return false;
}

bool exports_t3n_examples_counter_contracts_trap_after_write(uint64_t* ret, counter_string_t* err) {
  counter_string_t map;
  map_name(&map);
  write_count(&map, 2000000, err);
  counter_string_free(&map);
  __builtin_trap();
}

bool exports_t3n_examples_counter_contracts_remember(exports_t3n_examples_counter_contracts_generic_input_t* req,
                                                     counter_list_u8_t* ret, counter_string_t* err) {
  counter_string_t map;
  map_name(&map);
  bool ok = true;
  if (req->input.is_some) {
    counter_list_u8_t key = {(uint8_t*)"last-input", 10};
    ok = host_interfaces_kv_store_put(&map, &key, &req->input.val, err);
  }
  if (ok) {
    // {"input": <input JSON>, "context": <node context JSON>}
    size_t in_len = req->input.is_some ? req->input.val.len : 4;
    size_t ctx_len = req->context.is_some ? req->context.val.len : 4;
    size_t cap = in_len + ctx_len + 32;
    char* out = malloc(cap);
    size_t n = 0;
    memcpy(out + n, "{\"input\":", 9);
    n += 9;
    if (req->input.is_some) memcpy(out + n, req->input.val.ptr, in_len); else memcpy(out + n, "null", 4);
    n += in_len;
    memcpy(out + n, ",\"context\":", 11);
    n += 11;
    if (req->context.is_some) memcpy(out + n, req->context.val.ptr, ctx_len); else memcpy(out + n, "null", 4);
    n += ctx_len;
    out[n++] = '}';
    ret->ptr = (uint8_t*)out;
    ret->len = n;
  }
  counter_option_list_u8_free(&req->input);
  counter_option_list_u8_free(&req->user_profile);
  counter_option_list_u8_free(&req->context);
  counter_string_free(&map);
  return ok;
}

bool exports_t3n_examples_counter_contracts_keys(uint32_t limit, counter_list_string_t* ret, counter_string_t* err) {
  counter_string_t map;
  map_name(&map);
  counter_list_u8_t start = {NULL, 0}, end = {NULL, 0};
  counter_list_tuple2_list_u8_list_u8_t rows;
  bool ok = host_interfaces_kv_store_scan(&map, &start, &end, limit, &rows, err);
  if (ok) {
    ret->len = rows.len;
    ret->ptr = malloc(sizeof(counter_string_t) * (rows.len ? rows.len : 1));
    for (size_t i = 0; i < rows.len; ++i) counter_string_dup_n(&ret->ptr[i], (const char*)rows.ptr[i].f0.ptr, rows.ptr[i].f0.len);
    counter_list_tuple2_list_u8_list_u8_free(&rows);
  }
  counter_string_free(&map);
  return ok;
}

bool exports_t3n_examples_counter_contracts_get_many(uint32_t n, uint64_t* ret, counter_string_t* err) {
  counter_string_t map;
  map_name(&map);
  bool ok = true;
  uint64_t sum = 0;
  for (uint32_t i = 0; i < n && ok; ++i) {
    uint64_t v = 0;
    ok = read_count(&map, &v, err);
    sum += v;
  }
  *ret = sum;
  counter_string_free(&map);
  return ok;
}

bool exports_t3n_examples_counter_contracts_noop(counter_string_t* err) { return true; }
