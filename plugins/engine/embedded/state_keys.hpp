// The embedded engine's key space in storage: what it writes through the chain's CommitBlock and
// reads back with ScanEngineState when it starts. Values are SDK-codec encodings.
//
//   key                               value
//   "m"                               EngineFormat {backend "embedded", format 1, chain id}
//   "h"                               HeadPointer {payload hash, number}
//   "a" || address (20)               StoredAccount {nonce, balance (32, big-endian)}; non-empty
//   only "b" || number (8, big-endian)     BlockSummary (block_history.hpp) "p" || payload hash
//   (32)          number (u64) "t" || transaction hash (32)      IncludedTransaction
//   (block_history.hpp)
//
// Big-endian numbers keep blocks in number order in a scan. The format record is written with the
// genesis; a store written for another chain id, backend or format is refused when loading.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"
#include "alys/schemas/storage.hpp"
#include "engine/embedded/block_history.hpp"
#include "engine/embedded/ledger.hpp"
#include "engine/embedded/payload_executor.hpp"

namespace alys::engine::embedded {

inline constexpr std::uint32_t kStateFormatVersion = 1;
inline constexpr std::string_view kBackendName = "embedded";

struct EngineFormat {
  std::string backend;
  std::uint32_t format_version = 0;
  std::uint64_t chain_id = 0;
  ALYS_FIELDS(backend, format_version, chain_id)
};

struct HeadPointer {
  Hash32 payload_hash{};
  std::uint64_t number = 0;
  ALYS_FIELDS(payload_hash, number)
};

struct StoredAccount {
  std::uint64_t nonce = 0;
  std::array<std::uint8_t, 32> balance{};  // big-endian
  ALYS_FIELDS(nonce, balance)
};

Bytes format_key();
Bytes head_key();
Bytes account_key(const EthAddress& address);
Bytes block_key(std::uint64_t number);
Bytes payload_number_key(const Hash32& payload_hash);
Bytes transaction_key(const Hash32& transaction_hash);

struct StateWrites {
  std::vector<storage::KeyValue> puts;
  std::vector<Bytes> deletes;
};

// Exactly what moves the stored state from the head to `executed`: its changed accounts (an
// emptied one deleted), the head pointer, the block's summary and hash index, its transactions; for
// a genesis also the format record for `chain_id`.
StateWrites state_writes(const ExecutedPayload& executed, bool genesis, std::uint64_t chain_id);

// Rebuilds a ledger and a block history from the entries of a scan, page by page.
class StateLoader {
 public:
  // Clears both; they are filled as entries arrive.
  StateLoader(Ledger& ledger, BlockHistory& history);

  // Throws std::runtime_error naming the key when it is not of this key space or its value does
  // not decode.
  void add(const storage::KeyValue& entry);

  // Checks what was loaded: the format record (backend, version, `chain_id`), the head pointer
  // against the last block, the block history, the hash index, and the ledger's state root against
  // the head block's. Empty when consistent (also for an empty store: no genesis yet), otherwise
  // what is wrong.
  std::string finish(std::uint64_t chain_id) const;

 private:
  Ledger& ledger_;
  BlockHistory& history_;
  std::optional<EngineFormat> format_;
  std::optional<HeadPointer> head_;
  std::vector<std::pair<Hash32, std::uint64_t>> payload_numbers_;
  std::size_t entries_ = 0;
};

}  // namespace alys::engine::embedded
