// caller: contracts-call from a contract. One component is deployed under
// several names (each with its own tenant map "calls"), so it can call
// itself across deployments: nested writes, failures, traps, reentrancy
// and depth, and the caller's identity passing through. No stdio.
#include <stdlib.h>
#include <string.h>

#include "caller.h"

typedef caller_string_t str_t;

static caller_list_u8_t bytes_of(const str_t* s) {
  caller_list_u8_t l = {s->ptr, s->len};
  return l;
}

static bool put(const str_t* key, const char* value, size_t len, str_t* err) {
  str_t map;
  caller_string_dup(&map, "calls");
  caller_list_u8_t k = bytes_of(key);
  caller_list_u8_t v = {(uint8_t*)value, len};
  return host_interfaces_kv_store_put(&map, &k, &v, err);
}

// "err:<case>" or "err:<case>: <detail>".
static void set_case(str_t* out, const char* name, const str_t* detail) {
  size_t n = strlen(name), d = detail != NULL ? detail->len : 0;
  char* buf = malloc(4 + n + d + 2);
  memcpy(buf, "err:", 4);
  memcpy(buf + 4, name, n);
  size_t len = 4 + n;
  if (detail != NULL) {
    buf[len++] = ':';
    buf[len++] = ' ';
    memcpy(buf + len, detail->ptr, d);
    len += d;
  }
  out->ptr = (uint8_t*)buf;
  out->len = len;
}

bool exports_t3n_examples_caller_contracts_relay(str_t* target, str_t* function, str_t* input, str_t* ret, str_t* err) {
  str_t outer;
  caller_string_dup(&outer, "outer");
  if (!put(&outer, (const char*)target->ptr, target->len, err)) return false;
  host_interfaces_contracts_call_invoke_request_t req = {*target, *function, bytes_of(input)};
  caller_list_u8_t out;
  host_interfaces_contracts_call_invoke_error_t e;
  if (host_interfaces_contracts_call_invoke(&req, &out, &e)) {
    ret->ptr = out.ptr;  // the inner function's JSON result
    ret->len = out.len;
    return true;
  }
  switch (e.tag) {
    case HOST_INTERFACES_CONTRACTS_CALL_INVOKE_ERROR_NOT_ALLOWLISTED: set_case(ret, "not-allowlisted", &e.val.not_allowlisted); break;
    case HOST_INTERFACES_CONTRACTS_CALL_INVOKE_ERROR_NO_EXECUTION_CONTEXT: set_case(ret, "no-execution-context", NULL); break;
    case HOST_INTERFACES_CONTRACTS_CALL_INVOKE_ERROR_TARGET_UNKNOWN: set_case(ret, "target-unknown", &e.val.target_unknown); break;
    case HOST_INTERFACES_CONTRACTS_CALL_INVOKE_ERROR_DEPTH_EXCEEDED: set_case(ret, "depth-exceeded", NULL); break;
    case HOST_INTERFACES_CONTRACTS_CALL_INVOKE_ERROR_REENTRANT: set_case(ret, "reentrant", &e.val.reentrant); break;
    case HOST_INTERFACES_CONTRACTS_CALL_INVOKE_ERROR_INNER_FAILED: set_case(ret, "inner-failed", &e.val.inner_failed); break;
    case HOST_INTERFACES_CONTRACTS_CALL_INVOKE_ERROR_INNER_TRAPPED: set_case(ret, "inner-trapped", &e.val.inner_trapped); break;
    default: set_case(ret, "encoding-failed", &e.val.encoding_failed); break;
  }
  return true;
}

bool exports_t3n_examples_caller_contracts_write(str_t* key, str_t* value, str_t* ret, str_t* err) {
  if (!put(key, (const char*)value->ptr, value->len, err)) return false;
  caller_string_dup(ret, "written");
  return true;
}

bool exports_t3n_examples_caller_contracts_write_then_fail(str_t* key, str_t* ret, str_t* err) {
  if (!put(key, "doomed", 6, err)) return false;
  caller_string_dup(err, "failing on purpose after a write");
  return false;
}

bool exports_t3n_examples_caller_contracts_write_then_trap(str_t* key, str_t* ret, str_t* err) {
  if (!put(key, "doomed", 6, err)) return false;
  __builtin_trap();
}

bool exports_t3n_examples_caller_contracts_read(str_t* key, caller_option_string_t* ret, str_t* err) {
  str_t map;
  caller_string_dup(&map, "calls");
  caller_list_u8_t k = bytes_of(key);
  caller_option_list_u8_t found;
  if (!host_interfaces_kv_store_get(&map, &k, &found, err)) return false;
  ret->is_some = found.is_some;
  if (found.is_some) {
    ret->val.ptr = found.val.ptr;
    ret->val.len = found.val.len;
  }
  return true;
}

bool exports_t3n_examples_caller_contracts_whoami(str_t* ret, str_t* err) {
  caller_list_u8_t who;
  if (!host_tenant_tenant_context_calling_user_did(&who)) {
    caller_string_dup(ret, "none");
    return true;
  }
  static const char digits[] = "0123456789abcdef";
  char* buf = malloc(2 * who.len + 1);
  for (size_t i = 0; i < who.len; ++i) {
    buf[2 * i] = digits[who.ptr[i] >> 4];
    buf[2 * i + 1] = digits[who.ptr[i] & 15];
  }
  ret->ptr = (uint8_t*)buf;
  ret->len = 2 * who.len;
  return true;
}
