// `{{profile.<dotted.path>}}` markers of http-with-placeholders (HOST-API.md):
// replaced in the host, after the contract handed over the request, by the
// calling user's profile values — so the plaintext never enters WASM.
// Markers may stand in the URL's query, header values and the body; each
// value is escaped for where it lands (query: percent-encoded; header: as
// is, but never with a line break; JSON body: a JSON string's contents
// inside a string literal, a JSON value outside one; form body:
// percent-encoded; other bodies: as is). A `placeholder_allowlist` entry
// ("email_address" or "profile.email_address") allows that path and
// everything below it. Failures name the path, never a value.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "host/egress.h"

namespace t3n::host {

struct PlaceholderFailure {
  enum class Kind { kNone, kDenied, kUnknown, kNoUserContext } kind = Kind::kNone;
  std::string message;  // names the path or the position, never a value
};

// Does the request contain any `{{…}}` marker of the placeholder form?
bool has_placeholders(const EgressRequest& req);

// Replaces every marker; `profile` is the caller's profile JSON (null when
// the call has no user). On failure returns nullopt and fills `why`.
std::optional<EgressRequest> substitute_placeholders(const EgressRequest& req, const common::Json* profile,
                                                     const std::vector<std::string>& allowlist, PlaceholderFailure& why);

}  // namespace t3n::host
