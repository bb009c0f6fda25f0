// Shared test helpers: the official vectors under ../shared/vectors, hex.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/bytes.h"
#include "common/encoding.h"
#include "common/json.h"

namespace t3n::testing {

inline std::filesystem::path vectors_dir() {
  if (const char* env = std::getenv("T3N_VECTORS_DIR")) return env;
  return T3N_VECTORS_DIR;
}

// A whole file's bytes; fails the test (and returns nothing) if unreadable.
inline Bytes read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return common::to_bytes(ss.str());
}

// Every byte as %XX except letters, digits and "-._" (HTTP header values in test servers).
inline std::string percent_encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_') {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

// Loads a JSON file from the vectors folder; fails the test loudly if absent.
inline common::Json load_vectors(const std::string& relative) {
  auto path = vectors_dir() / relative;
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "test vectors not found: " << path << " (set T3N_VECTORS_DIR)";
    return common::Json::object();
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = common::parse_json(ss.str(), 512);
  if (!j.ok()) {
    ADD_FAILURE() << path << ": " << j.status().to_string();
    return common::Json::object();
  }
  return *j;
}

// Hex (any case, optional 0x) → bytes; aborts the test on bad hex.
inline Bytes hex(std::string_view s) {
  auto r = common::hex_decode(s);
  EXPECT_TRUE(r.ok()) << "bad hex in test data: " << s.substr(0, 40);
  return r.ok() ? *r : Bytes{};
}
inline Bytes hex(const char* s) { return hex(std::string_view(s)); }
inline Bytes hex(const std::string& s) { return hex(std::string_view(s)); }
inline Bytes hex(const common::Json& j) { return hex(std::string_view(j.get_ref<const std::string&>())); }

inline std::string to_hex(ByteView b) { return common::hex_encode(b); }

}  // namespace t3n::testing

#define T3N_ASSERT_OK_AND_ASSIGN(lhs, expr) T3N_ASSERT_OK_AND_ASSIGN_IMPL_(T3N_CONCAT_(t3n_r_, __LINE__), lhs, expr)
#define T3N_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  ASSERT_TRUE(tmp.ok()) << tmp.status().to_string();   \
  lhs = std::move(tmp).value()
