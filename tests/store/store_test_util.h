// Fixtures for store tests: a temporary directory and store options.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "store/store.h"

namespace t3n::store::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("t3n-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline LedgerSecret secret(std::uint32_t epoch, std::uint8_t fill) {
  return LedgerSecret{epoch, SecretBytes(Bytes(32, fill))};
}

inline std::shared_ptr<const NodeSigningKeys> test_signing_keys() {
  static const auto keys = [] {
    auto ed = crypto::Ed25519PrivateKey::from_seed(Bytes(32, 7));
    auto pq = crypto::mldsa65_keygen_derand(Bytes(32, 8));
    return std::make_shared<const NodeSigningKeys>(NodeSigningKeys{std::move(ed).value(), std::move(pq).value()});
  }();
  return keys;
}

inline StoreOptions options_for(const std::filesystem::path& path) {
  StoreOptions o;
  o.path = path;
  o.ledger_secrets.push_back(secret(0, 0x11));
  o.signing_keys = test_signing_keys();
  o.signature_interval_entries = 1000000;  // tests sign explicitly
  o.signature_interval_ms = 1000000000;
  o.sync_writes = false;
  std::uint64_t t = 1'700'000'000'000;
  o.clock_ms = [t]() mutable { return t++; };
  return o;
}

inline std::string tid(char c = 'a') { return std::string(40, c); }
inline std::string tenant_map(const std::string& tail, char c = 'a') { return "z:" + tid(c) + ":" + tail; }

inline Bytes b(std::string_view s) { return common::to_bytes(s); }

// Opens a store, failing the test (and returning null) if it cannot.
inline std::unique_ptr<Store> must_open(StoreOptions o) {
  auto s = Store::open(std::move(o));
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return s.ok() ? std::move(s).value() : nullptr;
}

}  // namespace t3n::store::testing
