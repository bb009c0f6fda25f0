// Results of the expensive, time-independent parts of attestation checks,
// remembered so that verifying the next quote from the same platform costs
// two ECDSA verifications instead of two chain walks, CRL parses and JSON
// signature checks.
//
// Sound by construction: a verified certificate chain is stored with the
// window in which every certificate and CRL in it is valid, and a hit outside
// that window is verified again from scratch; signed collateral is keyed by
// the SHA-256 of its exact text and of the key that signed it. Thread-safe;
// bounded (oldest entries go first).
#pragma once

#include <cstddef>
#include <ctime>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/bytes.h"
#include "common/json.h"

namespace t3n::attest {

class VerificationCache {
 public:
  explicit VerificationCache(std::size_t capacity = 512) : capacity_(capacity) {}
  VerificationCache(const VerificationCache&) = delete;
  VerificationCache& operator=(const VerificationCache&) = delete;

  struct Chain {
    Bytes leaf_key;
    std::time_t valid_from = 0;
    std::time_t valid_until = 0;
  };
  std::optional<Bytes> chain(const std::string& key, std::time_t at);
  void put_chain(const std::string& key, Chain chain);

  std::optional<common::Json> collateral(const std::string& key);
  void put_collateral(const std::string& key, common::Json value);

  std::size_t hits() const;

 private:
  void evict_locked();

  mutable std::mutex mu_;
  std::size_t capacity_;
  std::size_t hits_ = 0;
  std::unordered_map<std::string, Chain> chains_;
  std::unordered_map<std::string, common::Json> collateral_;
  std::deque<std::string> order_;  // insertion order over both maps
};

}  // namespace t3n::attest
