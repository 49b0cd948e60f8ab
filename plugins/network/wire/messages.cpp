#include "wire/messages.hpp"

#include <exception>
#include <type_traits>
#include <utility>

namespace alys::network::wire {
namespace {

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMiB = 1024 * kKiB;

// The variant alternative of `type`, or npos for an unknown type: the type numbers are the
// alternatives' indices + 1, pinned by the static_asserts below.
constexpr std::size_t kNoAlternative = static_cast<std::size_t>(-1);
constexpr std::size_t alternative_of(std::uint8_t type) {
  return type >= 1 && type <= std::variant_size_v<Message> ? type - 1u : kNoAlternative;
}
static_assert(std::is_same_v<std::variant_alternative_t<0, Message>, PeerStatus>);
static_assert(std::is_same_v<std::variant_alternative_t<8, Message>, Pong>);
static_assert(std::variant_size_v<Message> == static_cast<std::size_t>(MessageType::pong));

// Decodes alternative I when it is `index`; the fold over all indices picks the one.
template <std::size_t I>
bool decode_alternative(std::size_t index, ByteView payload, std::optional<Message>& out) {
  if (index != I) return false;
  out.emplace(std::in_place_index<I>,
              decode_strict<std::variant_alternative_t<I, Message>>(payload));
  return true;
}

template <std::size_t... I>
void decode_payload(std::size_t index, ByteView payload, std::optional<Message>& out,
                    std::index_sequence<I...>) {
  (decode_alternative<I>(index, payload, out) || ...);
}

DecodedFrame refused(FrameError error, std::string detail) {
  DecodedFrame frame;
  frame.error = error;
  frame.detail = std::move(detail);
  return frame;
}

}  // namespace

std::string_view to_string(MessageType type) {
  switch (type) {
    case MessageType::status:
      return "status";
    case MessageType::proposal:
      return "proposal";
    case MessageType::approval:
      return "approval";
    case MessageType::auxpow:
      return "auxpow";
    case MessageType::transaction:
      return "transaction";
    case MessageType::get_blocks:
      return "get_blocks";
    case MessageType::blocks:
      return "blocks";
    case MessageType::ping:
      return "ping";
    case MessageType::pong:
      return "pong";
  }
  return "unknown";
}

std::string_view to_string(FrameError error) {
  switch (error) {
    case FrameError::unknown_version:
      return "unknown_version";
    case FrameError::unknown_type:
      return "unknown_type";
    case FrameError::oversize:
      return "oversize";
    case FrameError::malformed:
      return "malformed";
  }
  return "unknown";
}

MessageType type_of(const Message& message) {
  return static_cast<MessageType>(message.index() + 1);
}

std::size_t payload_cap(MessageType type) {
  switch (type) {
    case MessageType::status:
      return 256;
    case MessageType::proposal:
      return 4 * kMiB;
    case MessageType::approval:
      return 256;
    case MessageType::auxpow:
      return 128 * kKiB;
    case MessageType::transaction:
      return 128 * kKiB;
    case MessageType::get_blocks:
      return 64;
    case MessageType::blocks:
      return 16 * kMiB;
    case MessageType::ping:
    case MessageType::pong:
      return 16;
  }
  return 0;
}

std::optional<Bytes> encode_frame(const Message& message) {
  Bytes frame{kWireVersion, static_cast<std::uint8_t>(type_of(message))};
  Writer writer(frame);
  std::visit([&](const auto& value) { value.alys_fields(writer); }, message);
  if (frame.size() - kFrameHeaderSize > payload_cap(type_of(message))) return std::nullopt;
  return frame;
}

DecodedFrame decode_frame(ByteView frame) {
  if (frame.size() < kFrameHeaderSize)
    return refused(FrameError::malformed, "frame of " + std::to_string(frame.size()) + " bytes");
  if (frame[0] != kWireVersion)
    return refused(FrameError::unknown_version, "wire version " + std::to_string(frame[0]));
  std::size_t index = alternative_of(frame[1]);
  if (index == kNoAlternative)
    return refused(FrameError::unknown_type, "message type " + std::to_string(frame[1]));
  auto type = static_cast<MessageType>(frame[1]);
  ByteView payload = frame.subspan(kFrameHeaderSize);
  if (payload.size() > payload_cap(type))
    return refused(FrameError::oversize, std::string(to_string(type)) + " payload of " +
                                             std::to_string(payload.size()) + " bytes, cap " +
                                             std::to_string(payload_cap(type)));
  DecodedFrame decoded;
  try {
    decode_payload(index, payload, decoded.message,
                   std::make_index_sequence<std::variant_size_v<Message>>{});
  } catch (const DecodeError& e) {
    return refused(FrameError::malformed, std::string(to_string(type)) + ": " + e.what());
  }
  return decoded;
}

}  // namespace alys::network::wire
