// Egress: a contract that calls out through host:interfaces/http and
// http-with-placeholders. `notify` hands the host a request with
// {{profile.…}} markers and returns everything it can see afterwards — the
// markers it wrote and the upstream's answer — so a test can show the
// user's plaintext never reached the contract.
#include <stdlib.h>
#include <string.h>

#include "egress.h"

// out = a ‖ b (b of length n)
static void append(egress_string_t* out, const char* a, size_t alen, const uint8_t* b, size_t blen) {
  uint8_t* p = malloc(alen + blen);
  memcpy(p, a, alen);
  if (blen) memcpy(p + alen, b, blen);
  out->ptr = p;
  out->len = alen + blen;
}

static void code_and_body(egress_string_t* out, uint16_t code, const uint8_t* body, size_t n) {
  char head[8] = {0};
  head[0] = (char)('0' + code / 100);
  head[1] = (char)('0' + code / 10 % 10);
  head[2] = (char)('0' + code % 10);
  head[3] = ' ';
  append(out, head, 4, body, n);
}

bool exports_t3n_examples_egress_contracts_fetch(egress_string_t* url, egress_string_t* ret, egress_string_t* err) {
  host_interfaces_http_request_t req = {0};
  req.method = HOST_INTERFACES_HTTP_VERB_GET;
  req.url = *url;
  host_interfaces_http_response_t res;
  if (!host_interfaces_http_call(&req, &res, err)) return false;
  code_and_body(ret, res.code, res.payload.ptr, res.payload.len);
  host_interfaces_http_response_free(&res);
  return true;
}

static const char kBody[] =
    "{\"email\":\"{{profile.email_address}}\",\"contact\":\"{{profile.verified_contacts.email.value}}\"}";

bool exports_t3n_examples_egress_contracts_notify(egress_string_t* url, egress_string_t* ret, egress_string_t* err) {
  egress_tuple2_string_string_t headers[2];
  egress_string_set(&headers[0].f0, "content-type");
  egress_string_set(&headers[0].f1, "application/json");
  egress_string_set(&headers[1].f0, "x-user-email");
  egress_string_set(&headers[1].f1, "{{profile.email_address}}");
  host_interfaces_http_with_placeholders_request_t req = {0};
  req.method = HOST_INTERFACES_HTTP_WITH_PLACEHOLDERS_VERB_POST;
  req.url = *url;
  req.headers.is_some = true;
  req.headers.val.ptr = headers;
  req.headers.val.len = 2;
  req.payload.is_some = true;
  req.payload.val.ptr = (uint8_t*)kBody;
  req.payload.val.len = sizeof kBody - 1;
  host_interfaces_http_with_placeholders_response_t res;
  host_interfaces_http_with_placeholders_http_error_t e;
  if (!host_interfaces_http_with_placeholders_call(&req, &res, &e)) {
    static const char* kNames[] = {"egress-denied", "placeholder-denied", "placeholder-unknown",
                                   "placeholder-no-user-context", "upstream-error"};
    const char* name = e.tag < 5 ? kNames[e.tag] : "unknown";
    if (e.tag == HOST_INTERFACES_HTTP_WITH_PLACEHOLDERS_HTTP_ERROR_PLACEHOLDER_NO_USER_CONTEXT) {
      egress_string_dup(err, name);
    } else {
      egress_string_t* p = &e.val.egress_denied;  // every other case carries a string
      char head[64];
      size_t n = strlen(name);
      memcpy(head, name, n);
      head[n++] = ':';
      head[n++] = ' ';
      append(err, head, n, p->ptr, p->len);
      host_interfaces_http_with_placeholders_http_error_free(&e);
    }
    return false;
  }
  // What the contract can see: its own request (markers) and the answer.
  egress_string_t seen;
  code_and_body(&seen, res.code, res.payload.ptr, res.payload.len);
  append(ret, (const char*)seen.ptr, seen.len, (const uint8_t*)" | sent ", 8);
  egress_string_t both;
  append(&both, (const char*)ret->ptr, ret->len, (const uint8_t*)kBody, sizeof kBody - 1);
  egress_string_free(ret);
  egress_string_free(&seen);
  *ret = both;
  egress_string_t line;
  append(&line, "notify sent ", 12, (const uint8_t*)headers[1].f1.ptr, headers[1].f1.len);
  egress_string_t log_err;
  host_interfaces_logging_info(&line, &log_err);
  egress_string_free(&line);
  host_interfaces_http_with_placeholders_response_free(&res);
  return true;
}

// ---- host:outbox: sent after commit, at most once ----

static const char* outbox_error_name(uint8_t tag) {
  static const char* kNames[] = {"invalid-idk", "idk-collision", "outbox-full", "no-active-tx", "host-not-allowed",
                                 "invalid-url", "kv",            "decode",      "leader-only"};
  return tag < 9 ? kNames[tag] : "unknown";
}

static bool enqueue(egress_string_t* idk, egress_string_t* url, const uint8_t* body, size_t n, egress_string_t* err) {
  host_outbox_outbox_request_t req = {0};
  req.method = HOST_OUTBOX_OUTBOX_VERB_POST;
  req.url = *url;
  req.body.ptr = (uint8_t*)body;
  req.body.len = n;
  host_outbox_outbox_outbox_error_t e;
  if (host_outbox_outbox_enqueue(idk, &req, &e)) return true;
  egress_string_dup(err, outbox_error_name(e.tag));
  host_outbox_outbox_outbox_error_free(&e);
  return false;
}

bool exports_t3n_examples_egress_contracts_send_later(egress_string_t* idk, egress_string_t* url, egress_string_t* body,
                                                      egress_string_t* err) {
  return enqueue(idk, url, body->ptr, body->len, err);
}

bool exports_t3n_examples_egress_contracts_send_then_fail(egress_string_t* idk, egress_string_t* url, egress_string_t* err) {
  if (!enqueue(idk, url, (const uint8_t*)"never", 5, err)) return false;
  egress_string_dup(err, "failing after the enqueue: nothing may be sent");
  return false;
}

bool exports_t3n_examples_egress_contracts_outbox_status(egress_string_t* idk, egress_string_t* ret, egress_string_t* err) {
  host_outbox_outbox_option_outbox_status_t st;
  host_outbox_outbox_outbox_error_t e;
  if (!host_outbox_outbox_status(idk, &st, &e)) {
    egress_string_dup(err, outbox_error_name(e.tag));
    host_outbox_outbox_outbox_error_free(&e);
    return false;
  }
  if (!st.is_some) {
    egress_string_dup(ret, "none");
    return true;
  }
  static const char kHex[] = "0123456789abcdef";
  if (st.val.tag == HOST_OUTBOX_OUTBOX_OUTBOX_STATUS_PENDING) {
    egress_string_dup(ret, "pending");
  } else if (st.val.tag == HOST_OUTBOX_OUTBOX_OUTBOX_STATUS_COMMITTED) {
    const egress_list_u8_t* d = &st.val.val.committed.response_digest;
    char* text = malloc(10 + d->len * 2 + 1);
    memcpy(text, "committed ", 10);
    for (size_t i = 0; i < d->len; ++i) {
      text[10 + 2 * i] = kHex[d->ptr[i] >> 4];
      text[11 + 2 * i] = kHex[d->ptr[i] & 15];
    }
    ret->ptr = (uint8_t*)text;
    ret->len = 10 + d->len * 2;
  } else {
    const egress_string_t* k = &st.val.val.failed.error_kind;
    append(ret, "failed ", 7, k->ptr, k->len);
  }
  host_outbox_outbox_option_outbox_status_free(&st);
  return true;
}

// ---- http + kv-store + tenant-context together, as real tenant contracts do ----

static const char kLast[] = "last";

bool exports_t3n_examples_egress_contracts_fetch_and_keep(egress_string_t* url, egress_string_t* ret, egress_string_t* err) {
  if (!exports_t3n_examples_egress_contracts_fetch(url, ret, err)) return false;
  // Only a contract of a tenant may keep state: the node must name one.
  egress_list_u8_t tenant;
  host_tenant_tenant_context_tenant_did(&tenant);
  const bool has_tenant = tenant.len == 20;
  egress_list_u8_free(&tenant);
  if (!has_tenant) {
    egress_string_free(ret);
    egress_string_dup(err, "no tenant");
    return false;
  }
  egress_string_t map;
  egress_string_set(&map, "responses");  // bare: z:<own tid>:responses
  egress_list_u8_t key = {(uint8_t*)kLast, sizeof kLast - 1};
  egress_list_u8_t value = {ret->ptr, ret->len};
  if (!host_interfaces_kv_store_put(&map, &key, &value, err)) {
    egress_string_free(ret);
    return false;
  }
  return true;
}

bool exports_t3n_examples_egress_contracts_last(egress_string_t* ret, egress_string_t* err) {
  egress_string_t map;
  egress_string_set(&map, "responses");
  egress_list_u8_t key = {(uint8_t*)kLast, sizeof kLast - 1};
  egress_option_list_u8_t found;
  if (!host_interfaces_kv_store_get(&map, &key, &found, err)) return false;
  if (!found.is_some) {
    egress_string_dup(ret, "");
    return true;
  }
  ret->ptr = found.val.ptr;
  ret->len = found.val.len;
  return true;
}
