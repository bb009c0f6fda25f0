// presenter: profile-ref handles (used as {{ref.<handle>}} placeholders)
// and OpenID4VP presentations (vp sign / submit / verify), as a contract
// sees them. Typed host errors come back as err("<case>[: detail]"). The
// contract never sees a profile value: only handles, paths and types.
// No stdio (no WASI imports).
#include <stdlib.h>
#include <string.h>

#include "presenter.h"

typedef presenter_string_t str_t;

static void set(str_t* out, const char* text) { presenter_string_dup(out, text); }

// "<name>" or "<name>: <detail>".
static void set_case(str_t* out, const char* name, const str_t* detail) {
  size_t n = strlen(name), d = detail != NULL ? detail->len : 0;
  char* buf = malloc(n + d + 3);
  memcpy(buf, name, n);
  size_t len = n;
  if (detail != NULL) {
    buf[len++] = ':';
    buf[len++] = ' ';
    memcpy(buf + len, detail->ptr, d);
    len += d;
  }
  out->ptr = (uint8_t*)buf;
  out->len = len;
}

static void ref_error(str_t* err, const host_interfaces_profile_ref_ref_error_t* e) {
  switch (e->tag) {
    case HOST_INTERFACES_PROFILE_REF_REF_ERROR_UNKNOWN_SCOPE: set_case(err, "unknown-scope", &e->val.unknown_scope); break;
    case HOST_INTERFACES_PROFILE_REF_REF_ERROR_SCOPE_DENIED: set_case(err, "scope-denied", &e->val.scope_denied); break;
    case HOST_INTERFACES_PROFILE_REF_REF_ERROR_UNKNOWN_HANDLE: set_case(err, "unknown-handle", &e->val.unknown_handle); break;
    default: set(err, "profile-unavailable"); break;
  }
}

static void http_error(str_t* err, const host_interfaces_http_with_placeholders_http_error_t* e) {
  switch (e->tag) {
    case HOST_INTERFACES_HTTP_WITH_PLACEHOLDERS_HTTP_ERROR_EGRESS_DENIED: set_case(err, "egress-denied", &e->val.egress_denied); break;
    case HOST_INTERFACES_HTTP_WITH_PLACEHOLDERS_HTTP_ERROR_PLACEHOLDER_DENIED:
      set_case(err, "placeholder-denied", &e->val.placeholder_denied);
      break;
    case HOST_INTERFACES_HTTP_WITH_PLACEHOLDERS_HTTP_ERROR_PLACEHOLDER_UNKNOWN:
      set_case(err, "placeholder-unknown", &e->val.placeholder_unknown);
      break;
    case HOST_INTERFACES_HTTP_WITH_PLACEHOLDERS_HTTP_ERROR_PLACEHOLDER_NO_USER_CONTEXT: set(err, "placeholder-no-user-context"); break;
    default: set_case(err, "upstream-error", &e->val.upstream_error); break;
  }
}

// POST `body` (text/plain) to `url` through http-with-placeholders.
static bool post(str_t* url, const uint8_t* body, size_t body_len, uint16_t* ret, str_t* err) {
  static char name[] = "Content-Type", value[] = "text/plain";
  presenter_tuple2_string_string_t header = {{(uint8_t*)name, sizeof name - 1}, {(uint8_t*)value, sizeof value - 1}};
  host_interfaces_http_with_placeholders_request_t req;
  req.method = HOST_INTERFACES_HTTP_WITH_PLACEHOLDERS_VERB_POST;
  req.url = *url;
  req.headers.is_some = true;
  req.headers.val.ptr = &header;
  req.headers.val.len = 1;
  req.payload.is_some = true;
  req.payload.val.ptr = (uint8_t*)body;
  req.payload.val.len = body_len;
  host_interfaces_http_with_placeholders_response_t resp;
  host_interfaces_http_with_placeholders_http_error_t e;
  if (!host_interfaces_http_with_placeholders_call(&req, &resp, &e)) {
    http_error(err, &e);
    return false;
  }
  *ret = resp.code;
  presenter_list_u8_free(&resp.payload);
  return true;
}

bool exports_t3n_examples_presenter_contracts_handles(str_t* scope, str_t* vc_id, exports_t3n_examples_presenter_contracts_list_item_t* ret,
                                                      str_t* err) {
  host_interfaces_profile_ref_list_handle_meta_t list;
  host_interfaces_profile_ref_ref_error_t e;
  if (!host_interfaces_profile_ref_list_handles(scope, vc_id, &list, &e)) {
    ref_error(err, &e);
    return false;
  }
  ret->len = list.len;
  ret->ptr = malloc(sizeof(*ret->ptr) * (list.len ? list.len : 1));
  for (size_t i = 0; i < list.len; ++i) {
    ret->ptr[i].handle = list.ptr[i].handle;  // ownership moves to the result
    ret->ptr[i].metadata.ptr = list.ptr[i].metadata.ptr;
    ret->ptr[i].metadata.len = list.ptr[i].metadata.len;
  }
  free(list.ptr);
  return true;
}

bool exports_t3n_examples_presenter_contracts_send_first(str_t* url, str_t* scope, uint16_t* ret, str_t* err) {
  static char none[] = "";
  str_t vc_id = {(uint8_t*)none, 0};
  host_interfaces_profile_ref_list_handle_meta_t list;
  host_interfaces_profile_ref_ref_error_t e;
  if (!host_interfaces_profile_ref_list_handles(scope, &vc_id, &list, &e)) {
    ref_error(err, &e);
    return false;
  }
  if (list.len == 0) {
    host_interfaces_profile_ref_list_handle_meta_free(&list);
    set(err, "no items under that scope");
    return false;
  }
  // "{{ref.<handle>}}": the host puts the value in after this call hands the request over.
  const str_t* h = &list.ptr[0].handle;
  size_t n = h->len + 8;
  uint8_t* body = malloc(n);
  memcpy(body, "{{ref.", 6);
  memcpy(body + 6, h->ptr, h->len);
  memcpy(body + 6 + h->len, "}}", 2);
  bool ok = post(url, body, n, ret, err);
  free(body);
  host_interfaces_profile_ref_list_handle_meta_free(&list);
  return ok;
}

bool exports_t3n_examples_presenter_contracts_send_raw(str_t* url, str_t* body, uint16_t* ret, str_t* err) {
  return post(url, body->ptr, body->len, ret, err);
}

bool exports_t3n_examples_presenter_contracts_present(str_t* sd_jwt, str_t* nonce, str_t* audience, str_t* ret, str_t* err) {
  host_interfaces_vp_sign_vp_request_t req = {*sd_jwt, *nonce, *audience};
  return host_interfaces_vp_sign(&req, ret, err);
}

static presenter_option_string_t opt(str_t* s) {
  presenter_option_string_t o;
  o.is_some = s != NULL;
  if (s != NULL) o.val = *s;
  return o;
}

bool exports_t3n_examples_presenter_contracts_submit(str_t* uri, str_t* token, str_t* maybe_state, str_t* maybe_mode, str_t* maybe_jwks,
                                                     exports_t3n_examples_presenter_contracts_submitted_t* ret, str_t* err) {
  host_interfaces_vp_submit_vp_request_t req;
  req.response_uri = *uri;
  req.vp_token = *token;
  req.state = opt(maybe_state);
  req.response_mode = opt(maybe_mode);
  req.client_metadata_jwks = opt(maybe_jwks);
  host_interfaces_vp_submit_vp_response_t resp;
  if (!host_interfaces_vp_submit(&req, &resp, err)) return false;
  ret->code = resp.code;
  ret->body.ptr = resp.payload.ptr;
  ret->body.len = resp.payload.len;
  return true;
}

bool exports_t3n_examples_presenter_contracts_verify(str_t* token, str_t* audience, str_t* nonce, str_t* issuer,
                                                     exports_t3n_examples_presenter_contracts_verified_t* ret, str_t* err) {
  host_interfaces_vp_verify_vp_request_t req = {*token, *audience, *nonce, *issuer};
  host_interfaces_vp_verify_vp_response_t resp;
  host_interfaces_vp_verify_vp_error_t e;
  if (!host_interfaces_vp_verify(&req, &resp, &e)) {
    switch (e.tag) {
      case HOST_INTERFACES_VP_VERIFY_VP_ERROR_SIGNATURE_INVALID: set(err, "signature-invalid"); break;
      case HOST_INTERFACES_VP_VERIFY_VP_ERROR_AUDIENCE_MISMATCH: set(err, "audience-mismatch"); break;
      case HOST_INTERFACES_VP_VERIFY_VP_ERROR_NONCE_MISMATCH: set(err, "nonce-mismatch"); break;
      case HOST_INTERFACES_VP_VERIFY_VP_ERROR_EXPIRED: set(err, "expired"); break;
      case HOST_INTERFACES_VP_VERIFY_VP_ERROR_NOT_YET_VALID: set(err, "not-yet-valid"); break;
      case HOST_INTERFACES_VP_VERIFY_VP_ERROR_ISSUER_UNTRUSTED: set(err, "issuer-untrusted"); break;
      default: set_case(err, "malformed", &e.val.malformed); break;
    }
    return false;
  }
  ret->holder_did = resp.holder_did;
  ret->claims.ptr = resp.claims.ptr;
  ret->claims.len = resp.claims.len;
  ret->issued_at = resp.issued_at;
  ret->expires_at = resp.expires_at;
  return true;
}
