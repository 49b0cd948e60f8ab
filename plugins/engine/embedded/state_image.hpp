// The building blocks of the engine's hand-over image (its hot-swap state, docs/engine.md "Hot
// swap"): the SDK codec's Writer and Reader, read strictly (a field cut short is a DecodeError,
// never a default), plus the few types the codec has no encoding for.
//
// Every part of the engine (ledger, block history, mempool) writes its own image with these and
// reads it back in linear time: images are written in each container's key order, so a rebuild
// appends at the end of every ordered index instead of searching it.
#pragma once

#include <cstdint>
#include <string>

#include "alys/codec.hpp"
#include "alys/domain/wei.hpp"

namespace alys::engine::embedded {

// Wei as two little-endian u64 words, low word first (16 bytes).
inline void write_wei(Writer& writer, Wei value) {
  writer.write(static_cast<std::uint64_t>(value));
  writer.write(static_cast<std::uint64_t>(value >> 64));
}

inline Wei read_wei(Reader& reader) {
  std::uint64_t low = 0;
  std::uint64_t high = 0;
  reader.read(low);
  reader.read(high);
  return static_cast<Wei>(high) << 64 | low;
}

// A count of records that take at least `min_record_bytes` each: refused when the bytes left cannot
// hold them, so a corrupted count never reserves memory for records that are not there.
inline std::size_t read_count(Reader& reader, std::size_t min_record_bytes, const char* what) {
  std::uint64_t count = reader.varint();
  if (min_record_bytes == 0) min_record_bytes = 1;
  if (count > reader.remaining() / min_record_bytes)
    throw DecodeError(std::string(what) + ": count " + std::to_string(count) +
                      " exceeds the image");
  return static_cast<std::size_t>(count);
}

}  // namespace alys::engine::embedded
