// Attachments: keeps the file uploaded with a call (the SDK's
// executeWithBlob) through t3n:host/stash and returns where it went.
#include <string.h>

#include "attachments.h"

static void error_text(t3n_host_stash_stash_error_t* e, attachments_string_t* out) {
  switch (e->tag) {
    case T3N_HOST_STASH_STASH_ERROR_NO_BLOB_ATTACHED: attachments_string_dup(out, "no-blob-attached"); break;
    case T3N_HOST_STASH_STASH_ERROR_ALREADY_CONSUMED: attachments_string_dup(out, "already-consumed"); break;
    case T3N_HOST_STASH_STASH_ERROR_NOT_ALLOWLISTED: attachments_string_dup(out, "not-allowlisted"); break;
    case T3N_HOST_STASH_STASH_ERROR_TOO_LARGE: attachments_string_dup(out, "too-large"); break;
    default: attachments_string_dup(out, "storage"); break;
  }
  t3n_host_stash_stash_error_free(e);
}

bool exports_t3n_examples_attachments_contracts_keep(exports_t3n_examples_attachments_contracts_stored_t* ret,
                                                     attachments_string_t* err) {
  t3n_host_stash_stash_ref_t ref;
  t3n_host_stash_stash_error_t e;
  if (!t3n_host_stash_persist_attached_blob(&ref, &e)) {
    error_text(&e, err);
    return false;
  }
  ret->cid = ref.cid;
  ret->size = ref.size;
  ret->media_type.is_some = ref.media_type.is_some;
  if (ref.media_type.is_some) ret->media_type.val = ref.media_type.val;
  return true;
}

bool exports_t3n_examples_attachments_contracts_keep_twice(attachments_string_t* ret, attachments_string_t* err) {
  t3n_host_stash_stash_ref_t ref;
  t3n_host_stash_stash_error_t e;
  if (!t3n_host_stash_persist_attached_blob(&ref, &e)) {
    error_text(&e, err);
    return false;
  }
  t3n_host_stash_stash_ref_free(&ref);
  if (t3n_host_stash_persist_attached_blob(&ref, &e)) {
    t3n_host_stash_stash_ref_free(&ref);
    attachments_string_dup(err, "the second persist was allowed");
    return false;
  }
  error_text(&e, ret);
  return true;
}
