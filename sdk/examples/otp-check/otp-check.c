// otp-check: the otp interface for the calling user — send a code, then
// check it. No stdio (no WASI imports).
#include "otp_check.h"

typedef otp_check_string_t str_t;

static bool run(str_t* email, str_t* code, str_t* ret, str_t* err) {
  host_interfaces_otp_verify_request_t req = {0};
  if (!host_tenant_tenant_context_calling_user_did(&req.user_did)) {
    otp_check_string_dup(err, "no calling user");
    return false;
  }
  req.channel = HOST_INTERFACES_OTP_OTP_CHANNEL_EMAIL;
  req.new_contact.is_some = true;
  req.new_contact.val = *email;
  if (code != NULL) {
    req.otp_code.is_some = true;
    req.otp_code.val = *code;
  }
  host_interfaces_otp_verify_response_t resp;
  if (!host_interfaces_otp_verify(&req, &resp, err)) return false;
  if (resp.otp_status.is_some) {
    otp_check_string_dup(ret, resp.otp_status.val == HOST_INTERFACES_OTP_OTP_STATUS_OTP_PENDING ? "pending" : "failed");
  } else if (resp.profile.is_some) {
    ret->ptr = resp.profile.val.ptr;  // the verified profile's JSON
    ret->len = resp.profile.val.len;
  } else {
    otp_check_string_dup(ret, "no answer");
  }
  return true;
}

bool exports_t3n_examples_otp_check_contracts_send(str_t* email, str_t* ret, str_t* err) { return run(email, NULL, ret, err); }

bool exports_t3n_examples_otp_check_contracts_check(str_t* email, str_t* code, str_t* ret, str_t* err) {
  return run(email, code, ret, err);
}
