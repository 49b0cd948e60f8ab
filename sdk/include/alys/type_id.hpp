// Message type ids: FNV-1a 64 of a versioned schema name such as "alys.storage.PutBlock/1".
// A name, not a registry, so third-party plugins mint ids without asking anyone.
#pragma once

#include <cstdint>
#include <string_view>

namespace alys {

constexpr std::uint64_t fnv1a64(std::string_view text) noexcept {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

constexpr std::uint64_t type_id(std::string_view schema_name) noexcept {
  return fnv1a64(schema_name);
}
constexpr std::uint64_t topic_id(std::string_view topic) noexcept { return fnv1a64(topic); }

}  // namespace alys
