#include "host/placeholders.h"

#include <algorithm>
#include <cctype>

#include "common/encoding.h"

namespace t3n::host {

namespace {

using common::Json;

// A marker: "{{" ns ("." seg)* "}}" with lower-case snake_case segments.
struct Marker {
  std::size_t begin = 0, end = 0;  // [begin, end) in the text
  std::string ns;                  // "profile"
  std::string path;                // "verified_contacts.email.value"
};

bool seg_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

std::optional<Marker> next_marker(std::string_view text, std::size_t from) {
  for (std::size_t at = text.find("{{", from); at != std::string_view::npos; at = text.find("{{", at + 1)) {
    std::size_t i = at + 2;
    std::string name;
    while (i < text.size() && (seg_char(text[i]) || text[i] == '.')) name += text[i++];
    if (i + 1 < text.size() && text[i] == '}' && text[i + 1] == '}' && !name.empty() && name.front() != '.' &&
        name.back() != '.' && name.find("..") == std::string::npos) {
      const auto dot = name.find('.');
      Marker m;
      m.begin = at;
      m.end = i + 2;
      m.ns = name.substr(0, dot);
      m.path = dot == std::string::npos ? "" : name.substr(dot + 1);
      return m;
    }
  }
  return std::nullopt;
}


enum class Where { kQuery, kHeader, kJsonString, kJsonValue, kForm, kRaw };

class Substituter {
 public:
  Substituter(const Json* profile, const std::vector<std::string>& allowlist, PlaceholderFailure& why,
              const std::map<std::string, std::string>* handles)
      : profile_(profile), allowlist_(allowlist), why_(why), handles_(handles) {}

  bool fail(PlaceholderFailure::Kind k, std::string msg) {
    why_ = {k, std::move(msg)};
    return false;
  }

  // The value for a marker, as text fit for `where`.
  bool value_for(const Marker& marker, Where where, std::string& out) {
    Marker m = marker;
    if (m.ns == "ref" && !m.path.empty()) {
      // A profile-ref handle: the path it names (the handle is not a secret,
      // but only this execution's handles resolve).
      const std::string* path = nullptr;
      if (handles_ != nullptr)
        if (auto it = handles_->find(m.path); it != handles_->end()) path = &it->second;
      if (path == nullptr) return fail(PlaceholderFailure::Kind::kUnknown, "ref." + m.path + " is not a handle of this execution");
      m.ns = "profile";
      m.path = *path;
    }
    if (m.ns != "profile" || m.path.empty())
      return fail(PlaceholderFailure::Kind::kDenied, "only {{profile.<path>}} and {{ref.<handle>}} placeholders exist");
    if (!allowed(m.path)) return fail(PlaceholderFailure::Kind::kDenied, "profile." + m.path + " is not on the placeholder_allowlist");
    if (profile_ == nullptr) return fail(PlaceholderFailure::Kind::kNoUserContext, "no user is bound to this call");
    const Json* v = profile_value(*profile_, m.path);
    if (v == nullptr || v->is_null()) return fail(PlaceholderFailure::Kind::kUnknown, "profile." + m.path + " is not in the profile");
    const bool scalar = v->is_string() || v->is_number() || v->is_boolean();
    if (where == Where::kJsonValue) {
      out = v->dump(-1, ' ', false, Json::error_handler_t::replace);
      return true;
    }
    if (!scalar) return fail(PlaceholderFailure::Kind::kDenied, "profile." + m.path + " is not a single value");
    const std::string text = v->is_string() ? v->get<std::string>() : v->dump();
    switch (where) {
      case Where::kQuery:
      case Where::kForm: out = common::percent_encode(text); return true;
      case Where::kHeader:
        if (text.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
          return fail(PlaceholderFailure::Kind::kDenied, "profile." + m.path + " cannot go into a header (line break)");
        out = text;
        return true;
      case Where::kJsonString: {
        const std::string quoted = Json(text).dump(-1, ' ', false, Json::error_handler_t::replace);
        out = quoted.substr(1, quoted.size() - 2);
        return true;
      }
      default: out = text; return true;
    }
  }

  bool replace_all(std::string& text, Where where) {
    std::string out;
    std::size_t pos = 0;
    while (auto m = next_marker(text, pos)) {
      out.append(text, pos, m->begin - pos);
      std::string v;
      if (!value_for(*m, where, v)) return false;
      out += v;
      pos = m->end;
    }
    out.append(text, pos, std::string::npos);
    text = std::move(out);
    return true;
  }

  // JSON bodies: inside a string literal or not decides the escaping.
  bool replace_json(std::string& text) {
    std::string out;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size();) {
      if (text[i] == '{' && i + 1 < text.size() && text[i + 1] == '{') {
        if (auto m = next_marker(text, i); m && m->begin == i) {
          std::string v;
          if (!value_for(*m, in_string ? Where::kJsonString : Where::kJsonValue, v)) return false;
          out += v;
          i = m->end;
          continue;
        }
      }
      const char c = text[i];
      if (in_string && c == '\\' && i + 1 < text.size()) {
        out += text.substr(i, 2);
        i += 2;
        continue;
      }
      if (c == '"') in_string = !in_string;
      out += c;
      ++i;
    }
    text = std::move(out);
    return true;
  }

 private:
  bool allowed(const std::string& path) const { return profile_path_allowed(path, allowlist_); }

  const Json* profile_;
  const std::vector<std::string>& allowlist_;
  PlaceholderFailure& why_;
  const std::map<std::string, std::string>* handles_;
};

std::string content_type_of(const EgressRequest& req) {
  for (const auto& [n, v] : req.headers) {
    std::string name = n;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "content-type") {
      std::string t = v.substr(0, v.find(';'));
      for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      while (!t.empty() && t.back() == ' ') t.pop_back();
      return t;
    }
  }
  return {};
}

}  // namespace

bool profile_path_allowed(const std::string& path, const std::vector<std::string>& allowlist) {
  return std::any_of(allowlist.begin(), allowlist.end(), [&](std::string entry) {
    if (entry.rfind("profile.", 0) == 0) entry = entry.substr(8);
    return !entry.empty() && (path == entry || path.rfind(entry + ".", 0) == 0);
  });
}

bool is_profile_path(std::string_view path) {
  if (path.empty() || path.size() > 256 || path.front() == '.' || path.back() == '.' || path.find("..") != std::string_view::npos)
    return false;
  return std::all_of(path.begin(), path.end(), [](char c) { return seg_char(c) || c == '.'; });
}

const Json* profile_value(const Json& profile, const std::string& path) {
  const Json* v = &profile;
  for (std::size_t pos = 0;;) {
    const auto dot = path.find('.', pos);
    const std::string seg = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    if (!v->is_object() || !v->contains(seg)) return nullptr;
    v = &(*v)[seg];
    if (dot == std::string::npos) return v;
    pos = dot + 1;
  }
}

bool has_placeholders(const EgressRequest& req) {
  if (next_marker(req.url, 0)) return true;
  for (const auto& [n, v] : req.headers)
    if (next_marker(n, 0) || next_marker(v, 0)) return true;
  const std::string_view body(reinterpret_cast<const char*>(req.body.data()), req.body.size());
  return next_marker(body, 0).has_value();
}

std::optional<EgressRequest> substitute_placeholders(const EgressRequest& req, const common::Json* profile,
                                                     const std::vector<std::string>& allowlist, PlaceholderFailure& why,
                                                     const std::map<std::string, std::string>* handles) {
  Substituter sub(profile, allowlist, why, handles);
  EgressRequest out = req;
  // URL: only the query may hold markers (a value must not pick the host or path).
  const auto q = out.url.find('?');
  const auto hash = out.url.find('#');
  const std::string head = out.url.substr(0, q == std::string::npos ? std::min(hash, out.url.size()) : q);
  if (next_marker(head, 0)) {
    why = {PlaceholderFailure::Kind::kDenied, "placeholders may stand only in the URL's query"};
    return std::nullopt;
  }
  if (hash != std::string::npos && next_marker(out.url.substr(hash), 0)) {
    why = {PlaceholderFailure::Kind::kDenied, "placeholders may not stand in the URL's fragment"};
    return std::nullopt;
  }
  if (q != std::string::npos) {
    std::string query = out.url.substr(q + 1, hash == std::string::npos ? std::string::npos : hash - q - 1);
    if (!sub.replace_all(query, Where::kQuery)) return std::nullopt;
    out.url = out.url.substr(0, q + 1) + query + (hash == std::string::npos ? "" : out.url.substr(hash));
  }
  for (auto& [n, v] : out.headers) {
    if (next_marker(n, 0)) {
      why = {PlaceholderFailure::Kind::kDenied, "placeholders may not stand in a header name"};
      return std::nullopt;
    }
    if (!sub.replace_all(v, Where::kHeader)) return std::nullopt;
  }
  std::string body(out.body.begin(), out.body.end());
  const std::string type = content_type_of(req);
  const bool json = type == "application/json" || (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
  const bool ok = json ? sub.replace_json(body)
                       : sub.replace_all(body, type == "application/x-www-form-urlencoded" ? Where::kForm : Where::kRaw);
  if (!ok) return std::nullopt;
  out.body.assign(body.begin(), body.end());
  return out;
}

}  // namespace t3n::host
