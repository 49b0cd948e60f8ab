// The frames peers exchange: the plaintext of one secure-channel record.
//
// Frame: u8 wire version (kWireVersion) | u8 MessageType | payload, the alys codec encoding of the
// type's schema. Payloads are decoded with decode_strict (every field present, nothing trailing,
// no vector count beyond what the bytes can hold), so a frame decodes to one exact value and the
// decoder allocates no more than a small constant times the frame. Each type has a hard payload
// cap (payload_cap); a frame above it is refused before decoding.
//
// Evolution: a new message is a new type number; a changed payload is a new type number or a new
// wire version. Peers refuse what they do not know (unknown_type, unknown_version).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/engine.hpp"

namespace alys::network::wire {

inline constexpr std::uint8_t kWireVersion = 1;
inline constexpr std::size_t kFrameHeaderSize = 2;

// Where a peer stands (exchanged on connect and when the head moves); the fields of ChainStatus.
struct PeerStatus {
  std::uint64_t head_height = 0;
  Hash32 head_hash{};
  bool has_finalized = false;
  std::uint64_t finalized_height = 0;
  Hash32 finalized_hash{};
  ALYS_FIELDS(head_height, head_hash, has_finalized, finalized_height, finalized_hash)
};

// Asks for up to `max_count` blocks from `from_height` on; answered with Blocks.
struct GetBlocks {
  std::uint64_t from_height = 0;
  std::uint32_t max_count = 0;
  ALYS_FIELDS(from_height, max_count)
};

// Consecutive blocks from `from_height`, each encode(SignedBlock) (the receiver decodes each with
// decode_strict and imports it through the chain). Fewer than asked when the sender has no more or
// the frame cap is reached; none when it has none.
struct Blocks {
  std::uint64_t from_height = 0;
  std::vector<Bytes> blocks;
  ALYS_FIELDS(from_height, blocks)
};

struct Ping {
  std::uint64_t nonce = 0;
  ALYS_FIELDS(nonce)
};
struct Pong {
  std::uint64_t nonce = 0;  // the Ping's
  ALYS_FIELDS(nonce)
};

enum class MessageType : std::uint8_t {
  status = 1,       // PeerStatus
  proposal = 2,     // chain::ImportBlock
  approval = 3,     // chain::ApproveBlock
  auxpow = 4,       // chain::OfferAuxPow
  transaction = 5,  // engine::SubmitTransaction
  get_blocks = 6,   // GetBlocks
  blocks = 7,       // Blocks
  ping = 8,         // Ping
  pong = 9,         // Pong
};
// "status", "proposal", ...: stable metric label values; "unknown" for any other value.
std::string_view to_string(MessageType type);

// One alternative per MessageType, in type order.
using Message =
    std::variant<PeerStatus, chain::ImportBlock, chain::ApproveBlock, chain::OfferAuxPow,
                 engine::SubmitTransaction, GetBlocks, Blocks, Ping, Pong>;

MessageType type_of(const Message& message);

// The hard cap on a type's payload bytes: status 256, proposal 4 MiB, approval 256, auxpow 128 KiB,
// transaction 128 KiB, get_blocks 64, blocks 16 MiB, ping 16, pong 16; 0 for an unknown type.
std::size_t payload_cap(MessageType type);

// The largest frame of any type (header + the largest cap): the secure channel's plaintext cap.
inline constexpr std::size_t kMaxFrameSize = kFrameHeaderSize + 16 * 1024 * 1024;

// Why a frame was refused. to_string() yields stable metric label values.
enum class FrameError : std::uint8_t {
  unknown_version,
  unknown_type,
  oversize,   // payload above its type's cap
  malformed,  // payload is not exactly one value of its type's schema
};
std::string_view to_string(FrameError error);

// A decoded frame or why there is none.
struct DecodedFrame {
  std::optional<Message> message;  // set when ok()
  FrameError error = FrameError::malformed;
  std::string detail;  // for the log; empty when ok()

  bool ok() const { return message.has_value(); }
};

// The frame of `message`, or nullopt when its payload exceeds its type's cap (a peer would refuse
// it: the sender splits Blocks or drops the message instead). Throws only std::bad_alloc.
std::optional<Bytes> encode_frame(const Message& message);

// Never throws except std::bad_alloc.
DecodedFrame decode_frame(ByteView frame);

}  // namespace alys::network::wire
