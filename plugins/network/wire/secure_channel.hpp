// The record layer after the handshake: ChaCha20-Poly1305 (RFC 8439, OpenSSL) with one key per
// direction (SessionKeys).
//
// Record: u32 LE length of (ciphertext + 16-byte tag) | ciphertext | tag. The AAD is the 4 length
// bytes. The 96-bit nonce is the record's number in its direction as a u64 LE, then 4 zero bytes;
// the numbers are implicit (never sent), so a tampered, replayed, dropped or reordered record fails
// authentication, and so does every record after it: the network actor then closes the connection.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "alys/codec.hpp"
#include "wire/handshake.hpp"
#include "wire/messages.hpp"

namespace alys::network::wire {

inline constexpr std::size_t kRecordHeaderSize = 4;
inline constexpr std::size_t kRecordTagSize = 16;

// Why an Opener stopped. to_string() yields stable metric label values.
enum class ChannelFailure : std::uint8_t {
  none,
  oversize_record,        // a length above the cap (refused before anything is allocated for it)
  authentication_failed,  // tampered, replayed, dropped or reordered record, or a wrong key
};
std::string_view to_string(ChannelFailure failure);

// Seals the frames one side sends. Not thread-safe: one writer. Never throws for a plaintext of at
// most kMaxFrameSize bytes; throws std::length_error above 2 GiB - 17 (EVP lengths are int) and
// std::runtime_error when libcrypto fails (out of memory).
class Sealer {
 public:
  explicit Sealer(const SymmetricKey& key);
  ~Sealer();
  Sealer(Sealer&&) noexcept;
  Sealer& operator=(Sealer&&) noexcept;

  // One record holding `plaintext`.
  Bytes seal(ByteView plaintext);
  // The same, appended to `out` (for batching records into one write).
  void seal_into(ByteView plaintext, Bytes& out);
  // Records sealed so far (the next record's nonce).
  std::uint64_t records() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Opens the records the peer sends, fed in any split. Not thread-safe: one reader. Never throws
// out of feed() except std::bad_alloc.
class Opener {
 public:
  // Records whose plaintext would exceed `max_plaintext` are refused from their length prefix.
  explicit Opener(const SymmetricKey& key, std::size_t max_plaintext = kMaxFrameSize);
  ~Opener();
  Opener(Opener&&) noexcept;
  Opener& operator=(Opener&&) noexcept;

  // Buffers `bytes`, opens every whole record now available, in order, and appends each plaintext
  // (one frame) to `frames`. Returns ChannelFailure::none, or the failure; a failure is final
  // (every later call returns it and appends nothing). Holds at most one partial record.
  ChannelFailure feed(ByteView bytes, std::vector<Bytes>& frames);

  ChannelFailure failure() const;
  // Records opened so far.
  std::uint64_t records() const;
  // Bytes of a partial record held.
  std::size_t buffered() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace alys::network::wire
