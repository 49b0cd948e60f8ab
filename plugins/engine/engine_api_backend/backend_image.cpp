#include "engine/engine_api_backend/backend_image.hpp"

#include <algorithm>
#include <string>

#include "alys/context.hpp"
#include "alys/crc32c.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/status.hpp"

namespace alys::engine::engine_api_backend {

namespace {

constexpr std::size_t kChecksumSize = 4;

std::uint32_t stored_checksum(ByteView trailer) {
  return static_cast<std::uint32_t>(trailer[0]) | static_cast<std::uint32_t>(trailer[1]) << 8 |
         static_cast<std::uint32_t>(trailer[2]) << 16 |
         static_cast<std::uint32_t>(trailer[3]) << 24;
}

bool held_type_known(std::uint64_t type_id) {
  return type_id == type_id_of<GetInfo>() || type_id == type_id_of<BuildGenesis>() ||
         type_id == type_id_of<BuildPayload>() || type_id == type_id_of<ExecutePayload>() ||
         type_id == type_id_of<CommitPayload>();
}

}  // namespace

bool is_engine_api_image(ByteView image) {
  return image.size() >= kImageTag.size() &&
         std::equal(kImageTag.begin(), kImageTag.end(), image.begin());
}

Bytes write_image(const EngineApiImage& image) {
  Bytes bytes(kImageTag.begin(), kImageTag.end());
  Bytes body = encode(image);
  bytes.insert(bytes.end(), body.begin(), body.end());
  Writer writer(bytes);
  writer.write(crc32c(bytes));
  return bytes;
}

EngineApiImage read_image(ByteView bytes) {
  if (!is_engine_api_image(bytes))
    throw Error(ALYS_ERR_INVALID,
                "the handed-over engine state is not the engine-api backend's (no \"ALYSEAPI\" "
                "tag): it is the embedded backend's, which this backend cannot take over; change "
                "backends by a restart, not a swap");
  if (bytes.size() < kImageTag.size() + kChecksumSize ||
      crc32c(bytes.first(bytes.size() - kChecksumSize)) !=
          stored_checksum(bytes.last(kChecksumSize)))
    throw Error(ALYS_ERR_INVALID, "engine-api state: checksum mismatch: truncated or corrupt (" +
                                      std::to_string(bytes.size()) + " bytes)");
  EngineApiImage image;
  try {
    image = decode_strict<EngineApiImage>(
        bytes.subspan(kImageTag.size(), bytes.size() - kImageTag.size() - kChecksumSize));
  } catch (const DecodeError& error) {
    throw Error(ALYS_ERR_INVALID, std::string("engine-api state: ") + error.what());
  }
  for (const HeldRequest& held : image.held)
    if (!held_type_known(held.type_id))
      throw Error(ALYS_ERR_INVALID,
                  "engine-api state: held request of unknown type " + std::to_string(held.type_id));
  return image;
}

}  // namespace alys::engine::engine_api_backend
