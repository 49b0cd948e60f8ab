// Events the `chain` role publishes, for any plugin to subscribe to. Fields are only appended;
// a changed meaning gets a new schema name.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "alys/codec.hpp"

namespace alys::chain {

inline constexpr std::string_view kBlockImportedTopic = "chain.block_imported";

// A block was imported and is the new head.
struct BlockImported {
  static constexpr std::string_view schema_name = "alys.chain.BlockImported/1";
  std::uint64_t height = 0;
  std::array<std::uint8_t, 32> hash{};  // SHA-256 of the block's canonical encoding
  std::array<std::uint8_t, 32> parent_hash{};
  std::uint64_t slot = 0;
  std::uint64_t timestamp_ms = 0;
  std::uint32_t transaction_count = 0;
  ALYS_FIELDS(height, hash, parent_hash, slot, timestamp_ms, transaction_count)
};

inline constexpr std::string_view kFinalizedTopic = "chain.finalized";

// An imported block carried an AuxPoW: blocks range_start..range_end are final.
struct Finalized {
  static constexpr std::string_view schema_name = "alys.chain.Finalized/1";
  std::uint64_t range_start = 0;
  std::uint64_t range_end = 0;
  std::array<std::uint8_t, 32> finalized_hash{};  // the block at range_end
  std::uint64_t carried_by_height = 0;            // the block whose AuxPoW header finalized it
  std::uint64_t auxpow_height = 0;
  std::uint32_t bits = 0;
  ALYS_FIELDS(range_start, range_end, finalized_hash, carried_by_height, auxpow_height, bits)
};

}  // namespace alys::chain
