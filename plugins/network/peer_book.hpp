// What this node holds against its peers: a score per key, bans of keys and addresses until a
// time, and the offences counted by reason. The actor owns it (one thread); the transport only
// hears the resulting bans. Survives a hot swap (network_state.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alys/domain/secp256k1.hpp"
#include "misbehaviour.hpp"

namespace alys::network {

struct PeerRecord {
  std::int32_t score = 0;
  std::uint64_t banned_until_ms = 0;  // unix ms; 0 = not banned
  std::uint64_t offences = 0;
};

// What an offence leads to.
struct Verdict {
  bool disconnect = false;
  bool ban_key = false;
  bool ban_ip = false;
};

class PeerBook {
 public:
  explicit PeerBook(std::uint64_t ban_ms) : ban_ms_(ban_ms) {}

  // Counts `offence` and scores `key` (when known). A key banned here stays banned until
  // now + ban_ms; `ip` is banned too for an offence before the handshake (no key).
  Verdict record(std::optional<XOnlyPublicKey> key, const std::string& ip, Offence offence,
                 std::uint64_t now_ms);
  bool banned(const XOnlyPublicKey& key, std::uint64_t now_ms) const;
  // Scores below 0 recover one point per second elapsed since the last call (banned keys wait
  // for their ban to end): an honest peer's occasional rate_limit or bad_range never adds up to
  // a ban, a peer that keeps at it still reaches one.
  void recover(std::uint64_t now_ms);
  // Bans that ended by `now_ms`, removed (their scores start again from 0).
  std::vector<XOnlyPublicKey> expire_keys(std::uint64_t now_ms);
  std::vector<std::string> expire_ips(std::uint64_t now_ms);

  std::optional<PeerRecord> find(const XOnlyPublicKey& key) const;
  const std::map<XOnlyPublicKey, PeerRecord>& records() const { return records_; }
  const std::map<std::string, std::uint64_t>& banned_ips() const { return banned_ips_; }
  std::size_t banned_count(std::uint64_t now_ms) const;
  std::uint64_t count(Offence offence) const { return counts_[static_cast<std::size_t>(offence)]; }

  // For the hand-off (network_state.hpp).
  void restore(std::map<XOnlyPublicKey, PeerRecord> records,
               std::map<std::string, std::uint64_t> banned_ips,
               std::array<std::uint64_t, kOffenceCount> counts) {
    records_ = std::move(records);
    banned_ips_ = std::move(banned_ips);
    counts_ = counts;
  }
  const std::array<std::uint64_t, kOffenceCount>& counts() const { return counts_; }

 private:
  std::uint64_t ban_ms_;
  std::map<XOnlyPublicKey, PeerRecord> records_;
  std::map<std::string, std::uint64_t> banned_ips_;  // ip -> until (unix ms)
  std::array<std::uint64_t, kOffenceCount> counts_{};
  std::optional<std::uint64_t> recovered_at_ms_;  // up to where recover() has credited
};

}  // namespace alys::network
