// The engine-api backend's hand-over image (hot swap, docs/engine.md "The engine-api backend").
// Small: the execution client holds the state, so the image is only the engine's view of it — the
// head payload, genesis and finalized hashes, the payloads executed and not yet committed (with
// their mints and fees, so that their CommitPayload and a repeated ExecutePayload are served
// without asking the client again) — and the engine requests held while it synced.
//
// Layout: an 8-byte tag "ALYSEAPI" (so that the embedded backend's reader, whose image starts with
// a chain id, refuses it by name, and this reader refuses the embedded backend's), the SDK-codec
// encoding of EngineApiImage, the CRC32C of all bytes before it (u32, little-endian). Pure.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/block.hpp"
#include "engine/engine_state.hpp"

namespace alys::engine::engine_api_backend {

// The image's first 8 bytes, as the little-endian u64 the embedded reader would take for a chain
// id: "ALYSEAPI".
inline constexpr std::array<std::uint8_t, 8> kImageTag = {'A', 'L', 'Y', 'S', 'E', 'A', 'P', 'I'};

// True when `image` begins with kImageTag: the embedded reader's test.
bool is_engine_api_image(ByteView image);

// A payload the client judged VALID, waiting for its CommitPayload.
struct ExecutedEntry {
  ExecutionPayload payload;
  std::vector<Mint> mints;
  bool genesis = false;
  std::array<std::uint8_t, 32> fees_wei{};
  ALYS_FIELDS(payload, mints, genesis, fees_wei)
};

struct EngineApiImage {
  std::uint64_t chain_id = 0;
  bool synced = false;  // head is the stored chain head and the client has it
  bool has_head = false;
  ExecutionPayload head;  // the head payload (meaningful with has_head)
  bool has_genesis = false;
  Hash32 genesis_hash{};  // the client's block 0
  bool has_finalized = false;
  std::uint64_t finalized_number = 0;
  Hash32 finalized_hash{};
  std::vector<ExecutedEntry> executed;  // oldest first
  std::vector<HeldRequest> held;        // arrival order
  ALYS_FIELDS(chain_id, synced, has_head, head, has_genesis, genesis_hash, has_finalized,
              finalized_number, finalized_hash, executed, held)
};

Bytes write_image(const EngineApiImage& image);

// Throws alys::Error(ALYS_ERR_INVALID) naming what is wrong: an embedded backend's image ("the
// handed-over state is the embedded backend's ..."), a checksum mismatch, bytes that do not decode
// strictly, a held request of a type the engine does not hold.
EngineApiImage read_image(ByteView bytes);

}  // namespace alys::engine::engine_api_backend
