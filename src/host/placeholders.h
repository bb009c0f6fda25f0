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
// `{{ref.<handle>}}` stands for the profile item a profile-ref handle of
// this execution names (profile_ref.cpp); it obeys the same allowlist.
#pragma once

#include <map>
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

// Is `path` ("a.b", without "profile.") allowed by a placeholder_allowlist?
bool profile_path_allowed(const std::string& path, const std::vector<std::string>& allowlist);
// Is `path` dotted lower-case snake_case segments?
bool is_profile_path(std::string_view path);
// The value at dotted `path` in `profile`; null if a segment is missing.
const common::Json* profile_value(const common::Json& profile, const std::string& path);

// Replaces every marker; `profile` is the caller's profile JSON (null when
// the call has no user); `handles` maps this execution's profile-ref
// handles to their paths (null: none). On failure returns nullopt and
// fills `why`.
std::optional<EgressRequest> substitute_placeholders(const EgressRequest& req, const common::Json* profile,
                                                     const std::vector<std::string>& allowlist, PlaceholderFailure& why,
                                                     const std::map<std::string, std::string>* handles = nullptr);

}  // namespace t3n::host
