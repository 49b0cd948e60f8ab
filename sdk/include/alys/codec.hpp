// The binary codec of message and state schemas.
//
// Wire format: fields in declaration order; integers little-endian, fixed width; bool one byte;
// double IEEE-754 little-endian; strings, byte vectors, vectors and nested schemas are prefixed by
// their size as a LEB128 varint (a nested schema is length-prefixed so that it, too, can grow).
//
// Evolution: fields are only appended. A decoder that reaches the end of the bytes at a field
// boundary leaves the remaining fields at their defaults (an older message read by a newer plugin);
// bytes left after the last known field are ignored (a newer message read by an older plugin).
// Bytes that end inside a field are malformed: DecodeError.
//
// decode_strict() is the decoder for bytes from outside the node (peers): no evolution leeway,
// and no allocation beyond what the bytes can back (see its comment).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace alys {

class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// A schema is a struct that lists its fields with ALYS_FIELDS(a, b, c). (constexpr so that
// min_encoded_size can walk a schema at compile time.)
#define ALYS_FIELDS(...)                     \
  template <class Io>                        \
  constexpr void alys_fields(Io& io) {       \
    io(__VA_ARGS__);                         \
  }                                          \
  template <class Io>                        \
  constexpr void alys_fields(Io& io) const { \
    io(__VA_ARGS__);                         \
  }

namespace detail {
template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_byte_array : std::false_type {};
template <std::size_t N>
struct is_byte_array<std::array<std::uint8_t, N>> : std::true_type {};
// The unsigned integer an integral or enum field travels as.
template <class T>
struct wire_int {
  using type = std::make_unsigned_t<T>;
};
template <class T>
requires std::is_enum_v<T>
struct wire_int<T> {
  using type = std::make_unsigned_t<std::underlying_type_t<T>>;
};
}  // namespace detail

class Writer {
 public:
  Writer() = default;
  explicit Writer(Bytes& out) : external_(&out) {}

  template <class... Ts>
  void operator()(const Ts&... values) {
    (write(values), ...);
  }

  Bytes& bytes() { return external_ ? *external_ : own_; }
  Bytes take() { return std::move(bytes()); }

  void varint(std::uint64_t value) {
    while (value >= 0x80) {
      bytes().push_back(static_cast<std::uint8_t>(value | 0x80));
      value >>= 7;
    }
    bytes().push_back(static_cast<std::uint8_t>(value));
  }

  void raw(const void* data, std::size_t size) {
    auto* p = static_cast<const std::uint8_t*>(data);
    bytes().insert(bytes().end(), p, p + size);
  }

  template <class T>
  void write(const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      bytes().push_back(value ? 1 : 0);
    } else if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
      using U = typename detail::wire_int<T>::type;
      auto u = static_cast<U>(value);
      for (std::size_t i = 0; i < sizeof(U); ++i)
        bytes().push_back(static_cast<std::uint8_t>(u >> (8 * i)));
    } else if constexpr (std::is_same_v<T, double>) {
      std::uint64_t bits;
      std::memcpy(&bits, &value, sizeof bits);
      write(bits);
    } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, Bytes>) {
      varint(value.size());
      raw(value.data(), value.size());
    } else if constexpr (detail::is_byte_array<T>::value) {
      raw(value.data(), value.size());
    } else if constexpr (detail::is_vector<T>::value) {
      static_assert(!std::is_same_v<T, std::vector<bool>>,
                    "std::vector<bool> is not a codec field type: use std::vector<std::uint8_t>");
      varint(value.size());
      for (const auto& element : value) write(element);
    } else {
      // A nested schema: length-prefixed so it can grow on its own.
      Writer nested;
      value.alys_fields(nested);
      varint(nested.bytes().size());
      raw(nested.bytes().data(), nested.bytes().size());
    }
  }

 private:
  Bytes own_;
  Bytes* external_ = nullptr;
};

class Reader {
 public:
  explicit Reader(ByteView bytes) : bytes_(bytes) {}

  // Reads each field in turn; a field that starts at the end of the bytes keeps its default.
  template <class... Ts>
  void operator()(Ts&... values) {
    (read_optional(values), ...);
  }

  std::size_t remaining() const { return bytes_.size() - offset_; }

  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      std::uint8_t byte = take(1)[0];
      // The tenth byte holds bit 63 only; anything above it would be silently lost.
      if (shift == 63 && byte > 1) throw DecodeError("varint longer than 64 bits");
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return value;
    }
    throw DecodeError("varint longer than 64 bits");
  }

  ByteView take(std::size_t size) {
    if (size > remaining()) throw DecodeError("message ends inside a field");
    ByteView out = bytes_.subspan(offset_, size);
    offset_ += size;
    return out;
  }

  template <class T>
  void read(T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      std::uint8_t b = take(1)[0];
      if (b > 1) throw DecodeError("bool is neither 0 nor 1");
      value = b == 1;
    } else if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
      using U = typename detail::wire_int<T>::type;
      ByteView raw = take(sizeof(U));
      U u = 0;
      for (std::size_t i = 0; i < sizeof(U); ++i)
        u |= static_cast<U>(static_cast<U>(raw[i]) << (8 * i));
      value = static_cast<T>(u);
    } else if constexpr (std::is_same_v<T, double>) {
      std::uint64_t bits = 0;
      read(bits);
      std::memcpy(&value, &bits, sizeof bits);
    } else if constexpr (std::is_same_v<T, std::string>) {
      ByteView raw = take(checked_size(varint()));
      value.assign(reinterpret_cast<const char*>(raw.data()), raw.size());
    } else if constexpr (std::is_same_v<T, Bytes>) {
      ByteView raw = take(checked_size(varint()));
      value.assign(raw.begin(), raw.end());
    } else if constexpr (detail::is_byte_array<T>::value) {
      ByteView raw = take(value.size());
      std::memcpy(value.data(), raw.data(), raw.size());
    } else if constexpr (detail::is_vector<T>::value) {
      std::uint64_t count = varint();
      // Every element takes at least one byte: refuse counts the bytes cannot hold.
      if (count > remaining()) throw DecodeError("vector count exceeds the message");
      value.clear();
      value.resize(static_cast<std::size_t>(count));
      for (auto& element : value) read(element);
    } else {
      Reader nested(take(checked_size(varint())));
      value.alys_fields(nested);
    }
  }

 private:
  template <class T>
  void read_optional(T& value) {
    if (remaining() == 0) return;  // an appended field the sender did not know
    read(value);
  }

  std::size_t checked_size(std::uint64_t size) const {
    if (size > remaining()) throw DecodeError("length prefix exceeds the message");
    return static_cast<std::size_t>(size);
  }

  ByteView bytes_;
  std::size_t offset_ = 0;
};

template <class T>
Bytes encode(const T& value) {
  Writer writer;
  value.alys_fields(writer);
  return writer.take();
}

template <class T>
T decode(ByteView bytes) {
  T value{};
  Reader reader(bytes);
  value.alys_fields(reader);
  return value;
}

// The fewest bytes any encoding of a T takes: integers and enums their width, bool 1, double 8,
// strings, byte vectors and vectors 1 (an empty one's count), byte arrays N, a schema 1 (its length
// prefix) plus the minimum of each field. A constant expression where the compiler can
// default-construct the schema at compile time (g++ 12 can with std::string fields, clang 14
// cannot); cheap at run time either way (it walks a default-constructed T, which allocates
// nothing).
template <class T>
constexpr std::size_t min_encoded_size();

namespace detail {
struct MinSizeSum {
  std::size_t total = 0;
  template <class... Ts>
  constexpr void operator()(const Ts&...) {
    ((total += min_encoded_size<Ts>()), ...);
  }
};
}  // namespace detail

template <class T>
constexpr std::size_t min_encoded_size() {
  if constexpr (std::is_same_v<T, bool>) {
    return 1;
  } else if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
    return sizeof(typename detail::wire_int<T>::type);
  } else if constexpr (std::is_same_v<T, double>) {
    return 8;
  } else if constexpr (std::is_same_v<T, std::string> || detail::is_vector<T>::value) {
    return 1;
  } else if constexpr (detail::is_byte_array<T>::value) {
    return std::tuple_size_v<T>;
  } else {
    T value{};  // not const: libstdc++ 12's constexpr std::string writes to a const object
    detail::MinSizeSum sum;
    value.alys_fields(sum);
    return 1 + sum.total;
  }
}

// Reads a schema with no leeway (decode_strict): every field must be present, a nested schema
// must fill its length prefix exactly, and a vector's count must fit the bytes left at the
// element's minimum size, so that a count can never make the decoder allocate more than the input
// backs. Primitive fields are read as Reader reads them.
class StrictReader {
 public:
  explicit StrictReader(ByteView bytes) : reader_(bytes) {}

  template <class... Ts>
  void operator()(Ts&... values) {
    (read(values), ...);
  }

  std::size_t remaining() const { return reader_.remaining(); }

  template <class T>
  void read(T& value) {
    if constexpr (std::is_same_v<T, std::string>) {
      ByteView raw = take_sized();
      value.assign(reinterpret_cast<const char*>(raw.data()), raw.size());
    } else if constexpr (std::is_same_v<T, Bytes>) {
      ByteView raw = take_sized();
      value.assign(raw.begin(), raw.end());
    } else if constexpr (detail::is_byte_array<T>::value || std::is_arithmetic_v<T> ||
                         std::is_enum_v<T>) {
      reader_.read(value);
    } else if constexpr (detail::is_vector<T>::value) {
      std::uint64_t count = varint();
      // Not constexpr: clang 14 cannot default-construct a std::string at compile time.
      const std::size_t element_size = min_encoded_size<typename T::value_type>();
      if (count > remaining() / element_size)
        throw DecodeError("vector count exceeds what the message can hold");
      value.clear();
      value.resize(static_cast<std::size_t>(count));
      for (auto& element : value) read(element);
    } else {
      StrictReader nested(take_sized());
      value.alys_fields(nested);
      if (nested.remaining() != 0)
        throw DecodeError("bytes after the last field of a nested schema");
    }
  }

  // A LEB128 varint in its shortest form: a value has one encoding, so equal values have equal
  // bytes (and a peer cannot vary a message's bytes to slip past a cache keyed by them).
  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      std::uint8_t byte = reader_.take(1)[0];
      if (shift == 63 && byte > 1) throw DecodeError("varint longer than 64 bits");
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) {
        if (byte == 0 && shift > 0) throw DecodeError("varint not in its shortest form");
        return value;
      }
    }
    throw DecodeError("varint longer than 64 bits");
  }

 private:
  // A length-prefixed run of bytes (string, byte vector, nested schema).
  ByteView take_sized() {
    std::uint64_t size = varint();
    if (size > remaining()) throw DecodeError("length prefix exceeds the message");
    return reader_.take(static_cast<std::size_t>(size));
  }

  Reader reader_;
};

// Decodes bytes from outside the node: like decode(), but a missing field, bytes after the last
// field (at any nesting level), a varint not in its shortest form and a vector count the bytes
// cannot hold are DecodeError. So one value has one encoding, and the decoder allocates at most a
// small constant times bytes.size().
template <class T>
T decode_strict(ByteView bytes) {
  T value{};
  StrictReader reader(bytes);
  value.alys_fields(reader);
  if (reader.remaining() != 0) throw DecodeError("bytes after the last field");
  return value;
}

}  // namespace alys
