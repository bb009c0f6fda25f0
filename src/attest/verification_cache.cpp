#include "attest/verification_cache.h"

namespace t3n::attest {

std::optional<Bytes> VerificationCache::chain(const std::string& key, std::time_t at) {
  std::lock_guard lock(mu_);
  auto it = chains_.find(key);
  if (it == chains_.end() || at < it->second.valid_from || at > it->second.valid_until) return std::nullopt;
  ++hits_;
  return it->second.leaf_key;
}

void VerificationCache::put_chain(const std::string& key, Chain chain) {
  std::lock_guard lock(mu_);
  if (chains_.insert_or_assign(key, std::move(chain)).second) order_.push_back("c" + key);
  evict_locked();
}

std::optional<common::Json> VerificationCache::collateral(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = collateral_.find(key);
  if (it == collateral_.end()) return std::nullopt;
  ++hits_;
  return it->second;
}

void VerificationCache::put_collateral(const std::string& key, common::Json value) {
  std::lock_guard lock(mu_);
  if (collateral_.insert_or_assign(key, std::move(value)).second) order_.push_back("j" + key);
  evict_locked();
}

std::size_t VerificationCache::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

void VerificationCache::evict_locked() {
  while (order_.size() > capacity_) {
    const std::string& oldest = order_.front();
    if (oldest[0] == 'c') chains_.erase(oldest.substr(1));
    else collateral_.erase(oldest.substr(1));
    order_.pop_front();
  }
}

}  // namespace t3n::attest
