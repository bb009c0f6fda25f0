// Hostile contract: each function misbehaves in one way. The node must stop
// each within its limit with a typed error, commit nothing, and keep serving.
#include <stdlib.h>
#include <string.h>

#include "hostile.h"

#define P(name) exports_t3n_examples_hostile_contracts_##name

// The test tenant's map (tid = 40 × 'a').
static hostile_string_t map(void) {
  hostile_string_t s;
  hostile_string_dup(&s, "z:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:hostile");
  return s;
}

bool P(infinite_loop)(uint64_t* ret, hostile_string_t* err) {
  volatile uint64_t i = 0;
  for (;;) i++;
}

bool P(memory_bomb)(uint64_t* ret, hostile_string_t* err) {
  // Grow linear memory 1 MiB at a time until refused, touching every page.
  for (;;) {
    long before = __builtin_wasm_memory_grow(0, 16);
    if (before < 0) __builtin_trap();  // what an allocator does on OOM: abort
    memset((void*)(before * 65536), 1, 16 * 65536);
  }
}

static volatile uint64_t sink;
__attribute__((noinline)) static uint64_t recurse(uint64_t depth) {
  if (depth == 0) return sink;
  uint64_t r = recurse(depth - 1);
  sink = r;  // work after the call: no tail call
  return r + depth;
}

bool P(deep_recursion)(uint64_t depth, uint64_t* ret, hostile_string_t* err) {
  *ret = recurse(depth);
  return true;
}

bool P(huge_return)(uint32_t mib, hostile_list_u8_t* ret, hostile_string_t* err) {
  size_t n = (size_t)mib << 20;
  uint8_t* p = malloc(n);
  if (p == NULL) {
    hostile_string_dup(err, "cannot allocate the return value");
    return false;
  }
  memset(p, 0x41, n);
  ret->ptr = p;
  ret->len = n;
  return true;
}

bool P(host_call_flood)(uint64_t* ret, hostile_string_t* err) {
  hostile_string_t msg;
  hostile_string_dup(&msg, "flood");
  uint64_t ok = 0;
  for (uint64_t i = 0; i < 100000000ull; ++i) {
    hostile_string_t e;
    if (host_interfaces_logging_info(&msg, &e)) ok++;
    else hostile_string_free(&e);
  }
  *ret = ok;
  return true;
}

bool P(write_then_loop)(uint64_t* ret, hostile_string_t* err) {
  hostile_string_t m = map();
  hostile_list_u8_t key = {(uint8_t*)"k", 1}, val = {(uint8_t*)"v", 1};
  if (!host_interfaces_kv_store_put(&m, &key, &val, err)) return false;
  volatile uint64_t i = 0;
  for (;;) i++;
}
