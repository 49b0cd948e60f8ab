#include "engine/engine_state.hpp"

#include <string>

#include "alys/context.hpp"
#include "alys/crc32c.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/status.hpp"
#include "engine/embedded/state_image.hpp"
#include "engine/engine_api_backend/backend_image.hpp"

namespace alys::engine {

namespace {

bool held_type_known(std::uint64_t type_id) {
  return type_id == type_id_of<GetInfo>() || type_id == type_id_of<BuildGenesis>() ||
         type_id == type_id_of<BuildPayload>() || type_id == type_id_of<ExecutePayload>() ||
         type_id == type_id_of<CommitPayload>();
}

// Bytes per pooled transaction in an image, about: sized up front so that writing 10,000 of them
// does not grow the buffer a dozen times.
constexpr std::size_t kImageBytesPerPooled = 230;

// The trailer: the CRC32C of every byte before it, little-endian.
constexpr std::size_t kChecksumSize = 4;

std::uint32_t stored_checksum(ByteView trailer) {
  return static_cast<std::uint32_t>(trailer[0]) | static_cast<std::uint32_t>(trailer[1]) << 8 |
         static_cast<std::uint32_t>(trailer[2]) << 16 |
         static_cast<std::uint32_t>(trailer[3]) << 24;
}

}  // namespace

std::uint32_t schema_to_write(std::uint32_t target, std::uint32_t newest) {
  if (target < kOldestStateSchema)
    throw Error(ALYS_ERR_SCHEMA,
                "alys-engine writes state schema " + std::to_string(kOldestStateSchema) +
                    " at the oldest, the incoming plugin reads up to " + std::to_string(target));
  return target < newest ? target : newest;
}

Bytes write_engine_state(const EngineState& state, std::uint32_t schema_version) {
  Bytes bytes;
  bytes.reserve(256 + kChecksumSize + state.mempool.size() * kImageBytesPerPooled);
  Writer writer(bytes);
  writer(state.chain_id, state.loaded, state.finalized.has_value(), state.finalized.value_or(0));
  if (state.loaded) {
    state.ledger.write_image(writer);
    state.history.write_image(writer);
  }
  state.mempool.write_image(writer);
  state.executed.write_image(writer);
  writer.varint(state.held.size());
  for (const HeldRequest& held : state.held) writer.write(held);
  if (schema_version >= 2) writer.write(state.handoffs);
  writer.write(crc32c(bytes));
  return bytes;
}

void read_engine_state(ByteView bytes, std::uint32_t schema_version, std::uint32_t newest,
                       EngineState& state) {
  if (schema_version < kOldestStateSchema || schema_version > newest)
    throw Error(ALYS_ERR_SCHEMA,
                "alys-engine restores state schema " + std::to_string(kOldestStateSchema) + " to " +
                    std::to_string(newest) + ", got " + std::to_string(schema_version));
  // The other backend's image carries a good checksum too: refused by its tag, by name.
  if (engine_api_backend::is_engine_api_image(bytes))
    throw Error(ALYS_ERR_INVALID,
                "the handed-over engine state is the engine-api backend's (tag \"ALYSEAPI\"), "
                "which the embedded backend cannot take over; change backends by a restart, not "
                "a swap");
  // Checked before anything is parsed: a corrupted raw transaction would otherwise be pooled and
  // break every payload built after the swap (the pool parses it only when selecting it).
  if (bytes.size() < kChecksumSize || crc32c(bytes.first(bytes.size() - kChecksumSize)) !=
                                          stored_checksum(bytes.last(kChecksumSize)))
    throw Error(ALYS_ERR_INVALID, "engine state schema " + std::to_string(schema_version) +
                                      ": checksum mismatch: truncated or corrupt (" +
                                      std::to_string(bytes.size()) + " bytes)");
  try {
    Reader reader(bytes.first(bytes.size() - kChecksumSize));
    bool has_finalized = false;
    std::uint64_t finalized = 0;
    reader.read(state.chain_id);
    reader.read(state.loaded);
    reader.read(has_finalized);
    reader.read(finalized);
    state.finalized = has_finalized ? std::optional<std::uint64_t>(finalized) : std::nullopt;
    state.ledger.clear();
    state.history.clear();
    if (state.loaded) {
      state.ledger.read_image(reader);
      state.history.read_image(reader);
    }
    state.mempool.read_image(reader);
    state.executed.read_image(reader);
    state.held.clear();
    std::size_t held = embedded::read_count(reader, 1, "held requests");
    for (std::size_t i = 0; i < held; ++i) {
      HeldRequest request;
      reader.read(request);
      if (!held_type_known(request.type_id))
        throw DecodeError("held request of unknown type " + std::to_string(request.type_id));
      state.held.push_back(std::move(request));
    }
    state.handoffs = 0;
    if (schema_version >= 2) reader.read(state.handoffs);
    if (reader.remaining() != 0)
      throw DecodeError(std::to_string(reader.remaining()) + " bytes after the state");
  } catch (const DecodeError& error) {
    throw Error(ALYS_ERR_INVALID,
                "engine state schema " + std::to_string(schema_version) + ": " + error.what());
  }
}

}  // namespace alys::engine
