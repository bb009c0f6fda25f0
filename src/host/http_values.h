// The `request` / `response` records shared by host:interfaces/http and
// http-with-placeholders (HOST-API.md), to and from the egress module.
#pragma once

#include <cctype>
#include <string>

#include "host/egress.h"
#include "host/util.h"

namespace t3n::host {

inline constexpr const char* kHttpRequestType =
    "record { method: enum { get, post, put, patch, delete }, url: string, headers: option<list<tuple<string, string>>>, "
    "payload: option<list<u8>> }";
inline constexpr const char* kHttpResponseType = "record { code: u16, payload: list<u8> }";

// list<tuple<string, string>> → header pairs.
inline Result<std::vector<std::pair<std::string, std::string>>> http_headers_of(const Val& list, const std::string& what) {
  if (!list.is_list()) return common::invalid_argument(what + ": expected a list");
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& item : list.get_list()) {
    if (!item.is_tuple() || item.get_tuple().size() != 2) return common::invalid_argument(what + ": expected pairs");
    const Val& k = *item.get_tuple().begin();
    const Val& val = *(item.get_tuple().begin() + 1);
    if (!k.is_string() || !val.is_string()) return common::invalid_argument(what + ": expected strings");
    out.emplace_back(std::string(k.get_string()), std::string(val.get_string()));
  }
  return out;
}

inline Result<EgressRequest> http_request_of(const Val& v) {
  if (!v.is_record()) return common::invalid_argument("request: expected a record");
  EgressRequest req;
  for (const auto& f : v.get_record()) {
    const std::string_view name = f.name();
    const Val& x = f.value();
    if (name == "method") {
      if (!x.is_enum()) return common::invalid_argument("request.method: expected the verb enum");
      std::string m(x.get_enum());
      for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      req.method = std::move(m);
    } else if (name == "url") {
      if (!x.is_string()) return common::invalid_argument("request.url: expected a string");
      req.url = std::string(x.get_string());
    } else if (name == "headers") {
      if (!x.is_option()) return common::invalid_argument("request.headers: expected an option");
      if (const Val* list = x.get_option().value(); list != nullptr) {
        T3N_ASSIGN_OR_RETURN(req.headers, http_headers_of(*list, "request.headers"));
      }
    } else if (name == "payload") {
      if (!x.is_option()) return common::invalid_argument("request.payload: expected an option");
      if (const Val* body = x.get_option().value(); body != nullptr) {
        T3N_ASSIGN_OR_RETURN(req.body, runtime::val_to_bytes(*body, "request.payload"));
      }
    }
  }
  return req;
}

inline Val http_response_val(const EgressResponse& r) {
  std::vector<std::pair<std::string_view, Val>> fields;
  fields.emplace_back("code", Val(r.code));
  fields.emplace_back("payload", runtime::bytes_to_val(r.body));
  return Val(wc::Record(std::move(fields)));
}

}  // namespace t3n::host
