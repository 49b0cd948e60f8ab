// A message as the host holds it in a mailbox: header fields plus an owned copy of the payload.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>

#include "alys/abi.h"

namespace alys::host {

// Host-internal message kinds, never delivered to a plugin's handle function.
inline constexpr std::uint32_t kKindHealthProbe = 0x100;

// Owned payload bytes with small-buffer storage: most messages (a u64, a hash) need no allocation.
class Payload {
 public:
  static constexpr std::size_t kInline = 48;

  Payload() = default;
  // Each branch copies into the storage it chose: g++ 12 at -O2 cannot tell that a payload over
  // kInline never lands in inline_ when the destination is picked at run time (-Warray-bounds).
  Payload(const std::uint8_t* data, std::size_t size) : size_(size) {
    if (size > kInline) {
      heap_ = std::make_unique<std::uint8_t[]>(size);
      std::memcpy(heap_.get(), data, size);
    } else if (size > 0) {
      std::memcpy(inline_, data, size);
    }
  }
  Payload(Payload&& other) noexcept { *this = std::move(other); }
  Payload& operator=(Payload&& other) noexcept {
    size_ = other.size_;
    heap_ = std::move(other.heap_);
    if (!heap_ && size_ > 0) std::memcpy(inline_, other.inline_, size_);
    other.size_ = 0;
    return *this;
  }

  const std::uint8_t* data() const { return heap_ ? heap_.get() : inline_; }
  std::size_t size() const { return size_; }

 private:
  std::size_t size_ = 0;
  std::unique_ptr<std::uint8_t[]> heap_;
  std::uint8_t inline_[kInline];
};

struct Envelope {
  std::uint64_t type_id = 0;
  std::uint64_t correlation_id = 0;
  std::uint64_t topic_id = 0;
  alys_address sender = 0;
  std::uint32_t kind = ALYS_KIND_SEND;
  std::uint32_t priority = ALYS_PRIORITY_NORMAL;
  Payload payload;

  alys_message view() const {
    alys_message message{};
    message.type_id = type_id;
    message.correlation_id = correlation_id;
    message.topic_id = topic_id;
    message.sender = sender;
    message.kind = kind;
    message.priority = priority;
    message.host_owned_payload = payload.data();
    message.payload_size = payload.size();
    return message;
  }
};

}  // namespace alys::host
