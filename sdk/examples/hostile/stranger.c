// Imports an interface that is neither WASI nor a T3N host interface: it
// deploys, and calling into it traps with a clear error.
#include "stranger.h"

#define P(name) exports_t3n_examples_hostile_contracts_##name

static bool refuse(stranger_string_t* err) {
  stranger_string_dup(err, "not this one");
  return false;
}

bool P(infinite_loop)(uint64_t* ret, stranger_string_t* err) {
  *ret = t3n_examples_hostile_stranger_api_poke();
  return true;
}
bool P(memory_bomb)(uint64_t* ret, stranger_string_t* err) { return refuse(err); }
bool P(deep_recursion)(uint64_t depth, uint64_t* ret, stranger_string_t* err) { return refuse(err); }
bool P(huge_return)(uint32_t mib, stranger_list_u8_t* ret, stranger_string_t* err) { return refuse(err); }
bool P(host_call_flood)(uint64_t* ret, stranger_string_t* err) { return refuse(err); }
bool P(write_then_loop)(uint64_t* ret, stranger_string_t* err) { return refuse(err); }
