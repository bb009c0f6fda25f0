// signer: the cluster key, the caller's custodial wallets, SD-JWT VCs,
// authorisation, provider-config and config, as a contract sees them.
// Typed host errors come back as err("<case>[: detail]") so tests and
// callers can tell them apart. No stdio (no WASI imports).
#include <stdlib.h>
#include <string.h>

#include "signer.h"

typedef signer_string_t str_t;

static void set(str_t* out, const char* text) { signer_string_dup(out, text); }

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

static void set_hex(str_t* out, const uint8_t* bytes, size_t n) {
  static const char digits[] = "0123456789abcdef";
  char* buf = malloc(2 + 2 * n);
  buf[0] = '0';
  buf[1] = 'x';
  for (size_t i = 0; i < n; ++i) {
    buf[2 + 2 * i] = digits[bytes[i] >> 4];
    buf[3 + 2 * i] = digits[bytes[i] & 15];
  }
  out->ptr = (uint8_t*)buf;
  out->len = 2 + 2 * n;
}

static signer_list_u8_t bytes_of(const str_t* s) {
  signer_list_u8_t l = {s->ptr, s->len};
  return l;
}

static void user_error(str_t* err, const host_interfaces_signing_sign_as_user_error_t* e) {
  switch (e->tag) {
    case HOST_INTERFACES_SIGNING_SIGN_AS_USER_ERROR_NO_EXECUTION_CONTEXT: set(err, "no-execution-context"); break;
    case HOST_INTERFACES_SIGNING_SIGN_AS_USER_ERROR_CONTRACT_NOT_ALLOWLISTED:
      set_case(err, "contract-not-allowlisted", &e->val.contract_not_allowlisted);
      break;
    case HOST_INTERFACES_SIGNING_SIGN_AS_USER_ERROR_NO_WALLET: set(err, "no-wallet"); break;
    case HOST_INTERFACES_SIGNING_SIGN_AS_USER_ERROR_KV_UNAVAILABLE: set_case(err, "kv-unavailable", &e->val.kv_unavailable); break;
    case HOST_INTERFACES_SIGNING_SIGN_AS_USER_ERROR_SIGNING_FAILED: set_case(err, "signing-failed", &e->val.signing_failed); break;
    case HOST_INTERFACES_SIGNING_SIGN_AS_USER_ERROR_NOT_AUTHORIZED: set(err, "not-authorized"); break;
    default: set(err, "malformed-address"); break;
  }
}

bool exports_t3n_examples_signer_contracts_sign_message(str_t* message, str_t* ret, str_t* err) {
  signer_list_u8_t msg = bytes_of(message), out;
  host_interfaces_signing_sign_error_t e;
  if (!host_interfaces_signing_sign(&msg, &out, &e)) {
    switch (e.tag) {
      case HOST_INTERFACES_SIGNING_SIGN_ERROR_NO_SIGNING_KEY: set(err, "no-signing-key"); break;
      case HOST_INTERFACES_SIGNING_SIGN_ERROR_SIGNING_FAILED: set_case(err, "signing-failed", &e.val.signing_failed); break;
      case HOST_INTERFACES_SIGNING_SIGN_ERROR_PUBKEY_FORMAT: set(err, "pubkey-format"); break;
      default: set_case(err, "encoding-failed", &e.val.encoding_failed); break;
    }
    return false;
  }
  ret->ptr = out.ptr;  // the host's UTF-8 JSON
  ret->len = out.len;
  return true;
}

bool exports_t3n_examples_signer_contracts_sign_as_me(str_t* message, str_t* ret, str_t* err) {
  signer_list_u8_t msg = bytes_of(message), sig;
  host_interfaces_signing_sign_as_user_error_t e;
  if (!host_interfaces_signing_sign_as_user(&msg, &sig, &e)) {
    user_error(err, &e);
    return false;
  }
  set_hex(ret, sig.ptr, sig.len);
  return true;
}

bool exports_t3n_examples_signer_contracts_sign_with(signer_list_u8_t* address, str_t* message, str_t* ret, str_t* err) {
  signer_list_u8_t msg = bytes_of(message), sig;
  host_interfaces_signing_sign_as_user_error_t e;
  if (!host_interfaces_signing_sign_with_wallet(address, &msg, &sig, &e)) {
    user_error(err, &e);
    return false;
  }
  set_hex(ret, sig.ptr, sig.len);
  return true;
}

bool exports_t3n_examples_signer_contracts_my_address(str_t* ret, str_t* err) {
  signer_option_list_u8_t addr;
  host_interfaces_signing_sign_as_user_error_t e;
  if (!host_interfaces_signing_get_user_eth_address(&addr, &e)) {
    user_error(err, &e);
    return false;
  }
  if (!addr.is_some) {
    set(err, "no-wallet");
    return false;
  }
  set_hex(ret, addr.val.ptr, addr.val.len);
  return true;
}

bool exports_t3n_examples_signer_contracts_wallet_count(uint32_t* ret, str_t* err) {
  host_interfaces_signing_user_wallets_t w;
  host_interfaces_signing_sign_as_user_error_t e;
  if (!host_interfaces_signing_list_user_wallets(&w, &e)) {
    user_error(err, &e);
    return false;
  }
  *ret = (uint32_t)(1 + w.secondary.len);
  return true;
}

bool exports_t3n_examples_signer_contracts_has_wallet(signer_list_u8_t* user, bool* ret, str_t* err) {
  host_interfaces_signing_sign_as_user_error_t e;
  if (!host_interfaces_signing_has_user_wallet(user, ret, &e)) {
    user_error(err, &e);
    return false;
  }
  return true;
}

bool exports_t3n_examples_signer_contracts_issue_credential(str_t* payload, signer_list_string_t* disclosable, str_t* holder,
                                                            str_t* maybe_issuer, bool bind, str_t* ret, str_t* err) {
  signer_option_string_t issuer = {false, {NULL, 0}};  // NULL: none given
  if (maybe_issuer != NULL) {
    issuer.is_some = true;
    issuer.val = *maybe_issuer;
  }
  host_interfaces_signing_sign_sd_jwt_vc_request_t req = {*payload, *disclosable, *holder, issuer, bind};
  host_interfaces_signing_sign_sd_jwt_vc_error_t e;
  if (host_interfaces_signing_sign_sd_jwt_vc(&req, ret, &e)) return true;
  static const char* names[] = {"unknown-issuer", "invalid-payload", "holder-binding-invalid",
                                "conceal-claims-failed", "sign-failed", "current-time-failed"};
  // Every case carries a string; the union's members share one layout.
  set_case(err, e.tag < 6 ? names[e.tag] : "sign-failed", &e.val.unknown_issuer);
  return false;
}

bool exports_t3n_examples_signer_contracts_may_reach(signer_list_string_t* hosts, str_t* ret, str_t* err) {
  host_interfaces_authorisation_auth_error_t e;
  if (host_interfaces_authorisation_check_authorized(hosts, &e)) {
    set(ret, "ok");
    return true;
  }
  switch (e.tag) {
    case HOST_INTERFACES_AUTHORISATION_AUTH_ERROR_DENIED_UNAUTHORIZED:
      set_case(ret, "denied-unauthorized", &e.val.denied_unauthorized);
      break;
    case HOST_INTERFACES_AUTHORISATION_AUTH_ERROR_DENIED_NO_ALLOWLIST: set(ret, "denied-no-allowlist"); break;
    case HOST_INTERFACES_AUTHORISATION_AUTH_ERROR_DENIED_SCOPE: set_case(ret, "denied-scope", &e.val.denied_scope); break;
    default: set(ret, "denied-revoked"); break;
  }
  return true;
}

bool exports_t3n_examples_signer_contracts_may_reach_bool(signer_list_string_t* hosts, bool* ret, str_t* err) {
  *ret = host_interfaces_authorisation_is_authorized(hosts);
  return true;
}

bool exports_t3n_examples_signer_contracts_provider(str_t* id, str_t* ret, str_t* err) {
  signer_list_u8_t out;
  if (!host_interfaces_provider_config_fetch(id, &out, err)) return false;
  ret->ptr = out.ptr;
  ret->len = out.len;
  return true;
}

bool exports_t3n_examples_signer_contracts_config_string(str_t* key, signer_option_string_t* ret, str_t* err) {
  return t3n_host_config_read_string(key, ret, err);
}

bool exports_t3n_examples_signer_contracts_config_u64(str_t* key, signer_option_u64_t* ret, str_t* err) {
  return t3n_host_config_read_u64(key, ret, err);
}
