// The network role's messages to itself: what its I/O threads saw (TransportEvents turned into
// messages, so the actor handles them on its own turn) and its timers. Private to the plugin.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "alys/codec.hpp"
#include "alys/domain/secp256k1.hpp"

namespace alys::network {

struct NetListening {
  static constexpr std::string_view schema_name = "alys.network.Listening/1";
  std::string address;
  ALYS_FIELDS(address)
};

struct NetConnected {
  static constexpr std::string_view schema_name = "alys.network.Connected/1";
  std::uint64_t id = 0;
  XOnlyPublicKey key{};
  std::uint8_t direction = 0;  // Direction
  std::string address;
  ALYS_FIELDS(id, key, direction, address)
};

struct NetFrame {
  static constexpr std::string_view schema_name = "alys.network.Frame/1";
  std::uint64_t id = 0;
  Bytes frame;
  ALYS_FIELDS(id, frame)
};

struct NetDisconnected {
  static constexpr std::string_view schema_name = "alys.network.Disconnected/1";
  std::uint64_t id = 0;
  XOnlyPublicKey key{};
  std::string why;
  ALYS_FIELDS(id, key, why)
};

struct NetOffence {
  static constexpr std::string_view schema_name = "alys.network.Offence/1";
  bool has_key = false;
  XOnlyPublicKey key{};
  std::string ip;
  std::uint8_t offence = 0;  // Offence
  std::string detail;
  ALYS_FIELDS(has_key, key, ip, offence, detail)
};

struct NetRefused {
  static constexpr std::string_view schema_name = "alys.network.Refused/1";
  std::string reason;
  ALYS_FIELDS(reason)
};

// Connections came or went: the actor takes them from the inbox (actor_inbox.hpp).
struct NetWake {
  static constexpr std::string_view schema_name = "alys.network.Wake/1";
  ALYS_FIELDS()
};

struct NetTick {
  static constexpr std::string_view schema_name = "alys.network.Tick/1";
  ALYS_FIELDS()
};

struct NetAskSpec {
  static constexpr std::string_view schema_name = "alys.network.AskSpec/1";
  ALYS_FIELDS()
};

struct NetAskStatus {
  static constexpr std::string_view schema_name = "alys.network.AskStatus/1";
  ALYS_FIELDS()
};

}  // namespace alys::network
