// ledger-reader: the system-only audit, analytics and consensus-trigger
// interfaces as a contract an operator deploys sees them. The hosts' JSON
// goes back as text. No stdio (no WASI imports).
#include <string.h>

#include "ledger_reader.h"

typedef ledger_reader_string_t str_t;
typedef ledger_reader_list_u8_t bytes_t;

static bytes_t as_bytes(str_t* s) {
  bytes_t b = {s->ptr, s->len};
  return b;
}

// The host's bytes become the result string (ownership moves).
static bool text(bool ok, bytes_t* out, str_t* ret) {
  if (ok) {
    ret->ptr = out->ptr;
    ret->len = out->len;
  }
  return ok;
}

bool exports_t3n_examples_ledger_reader_contracts_query(str_t* request, str_t* ret, str_t* err) {
  bytes_t in = as_bytes(request), out;
  return text(host_interfaces_audit_query(&in, &out, err), &out, ret);
}

bool exports_t3n_examples_ledger_reader_contracts_snapshot(str_t* ret, str_t* err) {
  bytes_t out;
  return text(host_interfaces_analytics_snapshot(&out, err), &out, ret);
}

bool exports_t3n_examples_ledger_reader_contracts_refresh(str_t* ret, str_t* err) {
  bytes_t out;
  return text(host_interfaces_analytics_refresh(&out, err), &out, ret);
}

bool exports_t3n_examples_ledger_reader_contracts_range(str_t* request, str_t* ret, str_t* err) {
  bytes_t in = as_bytes(request), out;
  return text(host_interfaces_analytics_range(&in, &out, err), &out, ret);
}

static bool is(const str_t* s, const char* name) { return s->len == strlen(name) && memcmp(s->ptr, name, s->len) == 0; }

bool exports_t3n_examples_ledger_reader_contracts_trigger(str_t* which, str_t* request, str_t* ret, str_t* err) {
  bytes_t in = as_bytes(request), out;
  if (is(which, "indexing-backfill")) return text(host_interfaces_consensus_trigger_indexing_backfill(&in, &out, err), &out, ret);
  if (is(which, "indexing-activate")) return text(host_interfaces_consensus_trigger_indexing_activate(&in, &out, err), &out, ret);
  if (is(which, "dkg-trigger")) return text(host_interfaces_consensus_trigger_dkg_trigger(&in, &out, err), &out, ret);
  ledger_reader_string_dup(err, "unknown trigger");
  return false;
}
