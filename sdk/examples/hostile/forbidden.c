// Imports host:interfaces/http, which the tests' manifests do not grant:
// the node must refuse to deploy it, naming the interface.
#include "forbidden.h"

#define P(name) exports_t3n_examples_hostile_contracts_##name

static bool refuse(forbidden_string_t* err) {
  forbidden_string_dup(err, "unreachable");
  return false;
}

bool P(infinite_loop)(uint64_t* ret, forbidden_string_t* err) {
  host_interfaces_http_request_t req = {0};
  forbidden_string_dup(&req.url, "https://example.com/");
  host_interfaces_http_response_t resp;
  if (host_interfaces_http_call(&req, &resp, err)) {
    *ret = resp.code;
    return true;
  }
  return false;
}
bool P(memory_bomb)(uint64_t* ret, forbidden_string_t* err) {
  host_interfaces_otp_verify_request_t req = {0};
  req.user_did.ptr = (uint8_t*)"01234567890123456789";
  req.user_did.len = 20;
  req.channel = HOST_INTERFACES_OTP_OTP_CHANNEL_EMAIL;
  host_interfaces_otp_verify_response_t out;
  if (host_interfaces_otp_verify(&req, &out, err)) {
    *ret = out.is_new_profile.is_some;
    return true;
  }
  return false;
}
bool P(deep_recursion)(uint64_t depth, uint64_t* ret, forbidden_string_t* err) { return refuse(err); }
bool P(huge_return)(uint32_t mib, forbidden_list_u8_t* ret, forbidden_string_t* err) { return refuse(err); }
bool P(host_call_flood)(uint64_t* ret, forbidden_string_t* err) { return refuse(err); }
bool P(write_then_loop)(uint64_t* ret, forbidden_string_t* err) { return refuse(err); }
