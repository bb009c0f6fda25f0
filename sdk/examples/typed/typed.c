// Typed echo contract: returns its input unchanged, for every WIT type the
// node converts to and from JSON. Ownership of each parameter passes to the
// return value, which the generated post-return code frees.
#include <stdlib.h>

#include "typed.h"

#define P(name) exports_t3n_examples_typed_contracts_##name

bool P(echo_order)(P(order_t) * o, P(order_t) * ret, typed_string_t* err) {
  *ret = *o;
  return true;
}
bool P(echo_shape)(P(shape_t) * s, P(shape_t) * ret, typed_string_t* err) {
  *ret = *s;
  return true;
}
bool P(echo_color)(P(color_t) c, P(color_t) * ret, typed_string_t* err) {
  *ret = c;
  return true;
}
bool P(echo_perms)(P(perms_t) p, P(perms_t) * ret, typed_string_t* err) {
  *ret = p;
  return true;
}
bool P(echo_option)(uint16_t* maybe_v, typed_option_u16_t* ret, typed_string_t* err) {
  ret->is_some = maybe_v != NULL;
  if (maybe_v != NULL) ret->val = *maybe_v;
  return true;
}
bool P(echo_result)(P(result_u32_string_t) * r, P(result_u32_string_t) * ret, typed_string_t* err) {
  *ret = *r;
  return true;
}
bool P(echo_list)(P(list_point_t) * items, P(list_point_t) * ret, typed_string_t* err) {
  *ret = *items;
  return true;
}
bool P(echo_bytes)(typed_list_u8_t* b, typed_list_u8_t* ret, typed_string_t* err) {
  *ret = *b;
  return true;
}
bool P(add)(uint32_t a, uint32_t b, uint32_t* ret, typed_string_t* err) {
  if (a + b < a) {
    typed_string_dup(err, "overflow");
    return false;
  }
  *ret = a + b;
  return true;
}
void P(plain)(typed_string_t* s, typed_string_t* ret) { *ret = *s; }
