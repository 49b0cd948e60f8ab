#include "peer_book.hpp"

#include <algorithm>

namespace alys::network {

Verdict PeerBook::record(std::optional<XOnlyPublicKey> key, const std::string& ip, Offence offence,
                         std::uint64_t now_ms) {
  const OffencePolicy& policy = policy_of(offence);
  ++counts_[static_cast<std::size_t>(offence)];
  Verdict verdict;
  verdict.disconnect = policy.disconnect;
  if (!key) {
    if (policy.ban && !ip.empty() && ban_ms_ > 0) {
      banned_ips_[ip] = now_ms + ban_ms_;
      verdict.ban_ip = true;
    }
    return verdict;
  }
  PeerRecord& peer = records_[*key];
  ++peer.offences;
  peer.score -= policy.penalty;
  if ((policy.ban || peer.score <= kBanScore) && ban_ms_ > 0) {
    peer.banned_until_ms = now_ms + ban_ms_;
    verdict.ban_key = true;
    verdict.disconnect = true;
  }
  return verdict;
}

bool PeerBook::banned(const XOnlyPublicKey& key, std::uint64_t now_ms) const {
  auto it = records_.find(key);
  return it != records_.end() && it->second.banned_until_ms > now_ms;
}

void PeerBook::recover(std::uint64_t now_ms) {
  if (!recovered_at_ms_ || now_ms < *recovered_at_ms_) {
    recovered_at_ms_ = now_ms;
    return;
  }
  const std::uint64_t points = (now_ms - *recovered_at_ms_) / 1000;
  if (points == 0) return;
  *recovered_at_ms_ += points * 1000;  // the remainder counts towards the next point
  const auto credit = static_cast<std::int32_t>(std::min<std::uint64_t>(points, -kBanScore));
  for (auto& [key, peer] : records_) {
    if (peer.banned_until_ms > now_ms || peer.score >= 0) continue;
    peer.score = std::min(0, peer.score + credit);
  }
}

std::vector<XOnlyPublicKey> PeerBook::expire_keys(std::uint64_t now_ms) {
  std::vector<XOnlyPublicKey> out;
  for (auto& [key, peer] : records_) {
    if (peer.banned_until_ms == 0 || peer.banned_until_ms > now_ms) continue;
    peer.banned_until_ms = 0;
    peer.score = 0;
    out.push_back(key);
  }
  return out;
}

std::vector<std::string> PeerBook::expire_ips(std::uint64_t now_ms) {
  std::vector<std::string> out;
  for (auto it = banned_ips_.begin(); it != banned_ips_.end();) {
    if (it->second > now_ms) {
      ++it;
      continue;
    }
    out.push_back(it->first);
    it = banned_ips_.erase(it);
  }
  return out;
}

std::optional<PeerRecord> PeerBook::find(const XOnlyPublicKey& key) const {
  auto it = records_.find(key);
  if (it == records_.end()) return std::nullopt;
  return it->second;
}

std::size_t PeerBook::banned_count(std::uint64_t now_ms) const {
  std::size_t n = 0;
  for (const auto& [key, peer] : records_) n += peer.banned_until_ms > now_ms ? 1 : 0;
  return n;
}

}  // namespace alys::network
