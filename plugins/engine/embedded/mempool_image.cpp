// The mempool's hand-over image (docs/engine.md, "Hot swap"): fixed-size records plus one arena of
// raw transactions, written and checked in one pass each, since both run inside a swap's pause.
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <tuple>

#include "engine/embedded/mempool.hpp"
#include "engine/embedded/state_image.hpp"
#include "engine/embedded/transfer_rules.hpp"

namespace alys::engine::embedded {

// An image stores integers little-endian, as the codec does; records are copied field by field.
static_assert(std::endian::native == std::endian::little,
              "the mempool image copies integers as they are in memory: little-endian hosts only");

namespace {

// One entry's record in an image (docs/engine.md, "Hot swap"), at fixed offsets: arrival 8, hash
// 32, sender 20, nonce 8, fee cap 16, tip cap 16, type 1, offset of its raw bytes in the image's
// arena 8, raw size 4.
constexpr std::size_t kRecordSize = 8 + 32 + 20 + 8 + 16 + 16 + 1 + 8 + 4;

class RecordWriter {
 public:
  explicit RecordWriter(std::uint8_t* out) : out_(out) {}
  template <class T>
  RecordWriter& put(const T& value) {
    std::memcpy(out_, &value, sizeof value);
    out_ += sizeof value;
    return *this;
  }

 private:
  std::uint8_t* out_;
};

class RecordReader {
 public:
  explicit RecordReader(const std::uint8_t* in) : in_(in) {}
  template <class T>
  RecordReader& get(T& value) {
    std::memcpy(&value, in_, sizeof value);
    in_ += sizeof value;
    return *this;
  }

 private:
  const std::uint8_t* in_;
};

// The bytes of an image's arena that its records claim, one bit each. Records are in (sender,
// nonce) order, not arena order, so overlap is found by marking rather than by comparing
// neighbours; a sort would cost some 0.4 ms for 10,000 records, this some 25 us.
class ArenaClaims {
 public:
  explicit ArenaClaims(std::size_t arena_size) : words_((arena_size + 63) / 64) {}

  // REQUIRES 0 < size and offset + size <= the arena size. False when a byte of the range was
  // claimed before; it stops there, so the work up to a refusal is bounded by the arena's size.
  bool claim(std::size_t offset, std::size_t size) {
    const std::size_t first = offset / 64;
    const std::size_t last = (offset + size - 1) / 64;
    const std::uint64_t head = ~std::uint64_t{0} << (offset % 64);
    const std::uint64_t tail = ~std::uint64_t{0} >> (63 - (offset + size - 1) % 64);
    if (first == last) return mark(first, head & tail);
    if (!mark(first, head)) return false;
    for (std::size_t word = first + 1; word < last; ++word)
      if (!mark(word, ~std::uint64_t{0})) return false;
    return mark(last, tail);
  }

 private:
  bool mark(std::size_t word, std::uint64_t bits) {
    if (words_[word] & bits) return false;
    words_[word] |= bits;
    return true;
  }

  std::vector<std::uint64_t> words_;
};

}  // namespace

void Mempool::write_image(Writer& writer) const {
  // The arena goes as it is, garbage and all, unless the garbage is worth leaving out: one copy
  // instead of one per entry.
  const bool as_is = arena_garbage_ * 8 <= arena_.size();
  const std::size_t arena_size = as_is ? arena_.size() : arena_.size() - arena_garbage_;
  writer.write(next_arrival_);
  writer.varint(order_.size());
  writer.varint(arena_size);
  // Appended record by record rather than resized and filled: a resize would zero megabytes
  // first, inside the swap's pause.
  Bytes& out = writer.bytes();
  out.reserve(out.size() + order_.size() * kRecordSize + arena_size);
  std::array<std::uint8_t, kRecordSize> record;
  std::uint64_t offset = 0;
  for (std::uint32_t slot : order_) {
    const Entry& e = slots_[slot];
    RecordWriter(record.data())
        .put(e.arrival)
        .put(e.hash)
        .put(e.sender)
        .put(e.nonce)
        .put(e.fee_cap)
        .put(e.tip_cap)
        .put(static_cast<std::uint8_t>(e.type))
        .put(as_is ? e.arena_offset : offset)
        .put(e.raw_size);
    out.insert(out.end(), record.begin(), record.end());
    offset += e.raw_size;
  }
  if (as_is) {
    out.insert(out.end(), arena_.begin(), arena_.end());
    return;
  }
  for (std::uint32_t slot : order_) {
    const std::uint8_t* raw = arena_.data() + slots_[slot].arena_offset;
    out.insert(out.end(), raw, raw + slots_[slot].raw_size);
  }
}

void Mempool::read_image(Reader& reader) {
  clear();
  try {
    reader.read(next_arrival_);
    std::size_t count = read_count(reader, kRecordSize, "mempool entries");
    std::uint64_t arena_size = reader.varint();
    ByteView records = reader.take(count * kRecordSize);
    ByteView arena = reader.take(static_cast<std::size_t>(
        std::min<std::uint64_t>(arena_size, std::numeric_limits<std::size_t>::max())));
    arena_.assign(arena.begin(), arena.end());
    slots_.reserve(count);
    order_.resize(count);
    by_hash_.reserve(count, key_of());
    ArenaClaims claims(arena_.size());
    std::size_t live = 0;
    const std::uint64_t now = clock_();
    for (std::size_t i = 0; i < count; ++i) {
      Entry e;
      e.pooled_at = now;
      std::uint8_t type = 0;
      RecordReader(records.data() + i * kRecordSize)
          .get(e.arrival)
          .get(e.hash)
          .get(e.sender)
          .get(e.nonce)
          .get(e.fee_cap)
          .get(e.tip_cap)
          .get(type)
          .get(e.arena_offset)
          .get(e.raw_size);
      if (type != static_cast<std::uint8_t>(eth::TxType::legacy) &&
          type != static_cast<std::uint8_t>(eth::TxType::eip1559))
        throw DecodeError("pooled transaction of unknown type " + std::to_string(type));
      e.type = static_cast<eth::TxType>(type);
      if (i > 0) {
        const Entry& previous = slots_.back();
        if (std::tie(previous.sender, previous.nonce) >= std::tie(e.sender, e.nonce))
          throw DecodeError("mempool entries out of order at " + address_text(e.sender) +
                            " nonce " + std::to_string(e.nonce));
      }
      if (e.arrival >= next_arrival_)
        throw DecodeError("mempool entry arrived at " + std::to_string(e.arrival) +
                          ", not before the pool's counter " + std::to_string(next_arrival_));
      if (e.arena_offset > arena_.size() || e.raw_size > arena_.size() - e.arena_offset ||
          e.raw_size == 0)
        throw DecodeError("pooled transaction " + to_0x_hex(e.hash) +
                          " lies outside the image's arena");
      // Disjoint ranges keep the garbage count (arena size minus live bytes) true, and with it
      // compaction, which copies each live range once.
      if (!claims.claim(static_cast<std::size_t>(e.arena_offset), e.raw_size))
        throw DecodeError("pooled transaction " + to_0x_hex(e.hash) +
                          " overlaps another in the image's arena");
      // The raw bytes' first byte says legacy (an RLP list) or type 2: a cheap check that record
      // and bytes belong together (the bytes are parsed only when the transaction is asked for).
      const std::uint8_t first = arena_[e.arena_offset];
      if ((e.type == eth::TxType::legacy) != (first >= 0xc0) ||
          (e.type == eth::TxType::eip1559 && first != 0x02))
        throw DecodeError("pooled transaction " + to_0x_hex(e.hash) +
                          ": its raw bytes are not of its type");
      live += e.raw_size;
      slots_.push_back(e);
      if (!by_hash_.insert(e.hash, static_cast<std::uint32_t>(i), key_of()))
        throw DecodeError("transaction " + to_0x_hex(e.hash) + " pooled twice");
      order_[i] = static_cast<std::uint32_t>(i);
    }
    arena_garbage_ = arena_.size() - live;
  } catch (...) {
    clear();
    throw;
  }
}

}  // namespace alys::engine::embedded
