// alys/json/value.hpp — json::Value and json::Object, the value type of alys/json.hpp.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "alys/status.hpp"

namespace alys::json {

class Value;
class Parser;

using Array = std::vector<Value>;

// The members of a JSON object: unique keys, in the order they were first set (or parsed).
// Lookups are linear, which suits the small objects of admin calls.
class Object {
 public:
  using Member = std::pair<std::string, Value>;

  Object() = default;
  // A repeated key keeps its first position and its last value, as set() does.
  Object(std::initializer_list<Member> members);

  // Sets `key` to `value`: replaces the value of an existing key in place, or appends the key.
  // Returns *this, so that calls chain.
  Object& set(std::string key, Value value);
  // nullptr when the key is absent.
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // Removes `key`; false if it was absent.
  bool erase(std::string_view key);

  std::size_t size() const { return members_.size(); }
  bool empty() const { return members_.empty(); }
  std::vector<Member>::const_iterator begin() const { return members_.begin(); }
  std::vector<Member>::const_iterator end() const { return members_.end(); }

  // Same keys in the same order with equal values.
  friend bool operator==(const Object& a, const Object& b);

 private:
  friend class Parser;  // appends without the per-key search, then checks uniqueness once
  std::vector<Member> members_;
};

enum class Kind { null, boolean, integer, number, string, array, object };

// "null", "a boolean", "an integer", "a number", "a string", "an array", "an object".
constexpr const char* kind_name(Kind kind) noexcept {
  switch (kind) {
    case Kind::null:
      return "null";
    case Kind::boolean:
      return "a boolean";
    case Kind::integer:
      return "an integer";
    case Kind::number:
      return "a number";
    case Kind::string:
      return "a string";
    case Kind::array:
      return "an array";
    case Kind::object:
      return "an object";
  }
  return "an unknown kind";
}

class Value {
 public:
  Value() = default;                   // null
  Value(std::nullptr_t) {}             // NOLINT: implicit
  Value(bool value) : data_(value) {}  // NOLINT
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) Value(T value) {  // NOLINT
    if constexpr (std::is_signed_v<T>) {
      data_ = static_cast<std::int64_t>(value);
    } else if (static_cast<std::uint64_t>(value) <=
               static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      data_ = static_cast<std::int64_t>(value);  // one representation per integer
    } else {
      data_ = static_cast<std::uint64_t>(value);
    }
  }
  Value(double value) : data_(value) {}                       // NOLINT
  Value(const char* text) : data_(std::string(text)) {}       // NOLINT
  Value(std::string text) : data_(std::move(text)) {}         // NOLINT
  Value(std::string_view text) : data_(std::string(text)) {}  // NOLINT
  Value(Array elements) : data_(std::move(elements)) {}       // NOLINT
  Value(Object members) : data_(std::move(members)) {}        // NOLINT

  Kind kind() const {
    switch (data_.index()) {
      case 0:
        return Kind::null;
      case 1:
        return Kind::boolean;
      case 2:
      case 3:
        return Kind::integer;
      case 4:
        return Kind::number;
      case 5:
        return Kind::string;
      case 6:
        return Kind::array;
      default:
        return Kind::object;
    }
  }
  bool is_null() const { return kind() == Kind::null; }
  bool is_bool() const { return kind() == Kind::boolean; }
  bool is_integer() const { return kind() == Kind::integer; }
  // An integer or a double.
  bool is_number() const { return kind() == Kind::integer || kind() == Kind::number; }
  bool is_string() const { return kind() == Kind::string; }
  bool is_array() const { return kind() == Kind::array; }
  bool is_object() const { return kind() == Kind::object; }

  // Direct access without messages (json::Field has the checked accessors). nullptr or nullopt
  // when the value is of another kind or, for the integers, out of the type's range.
  const bool* if_bool() const { return std::get_if<bool>(&data_); }
  std::optional<std::int64_t> if_int64() const {
    if (const auto* value = std::get_if<std::int64_t>(&data_)) return *value;
    return std::nullopt;
  }
  std::optional<std::uint64_t> if_uint64() const {
    if (const auto* value = std::get_if<std::uint64_t>(&data_)) return *value;
    if (const auto* value = std::get_if<std::int64_t>(&data_); value && *value >= 0)
      return static_cast<std::uint64_t>(*value);
    return std::nullopt;
  }
  // Any number; an integer beyond 2^53 may round.
  std::optional<double> if_double() const {
    if (const auto* value = std::get_if<double>(&data_)) return *value;
    if (const auto* value = std::get_if<std::int64_t>(&data_)) return static_cast<double>(*value);
    if (const auto* value = std::get_if<std::uint64_t>(&data_)) return static_cast<double>(*value);
    return std::nullopt;
  }
  const std::string* if_string() const { return std::get_if<std::string>(&data_); }
  const Array* if_array() const { return std::get_if<Array>(&data_); }
  Array* if_array() { return std::get_if<Array>(&data_); }
  const Object* if_object() const { return std::get_if<Object>(&data_); }
  Object* if_object() { return std::get_if<Object>(&data_); }

  // Same kind and value; objects compare their keys in order. An integer never equals a double.
  friend bool operator==(const Value& a, const Value& b) { return a.data_ == b.data_; }

 private:
  // Index 3 (uint64) holds only values above INT64_MAX, so each integer has one representation.
  std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, Array,
               Object>
      data_;
};

inline bool operator==(const Object& a, const Object& b) { return a.members_ == b.members_; }

inline Object::Object(std::initializer_list<Member> members) {
  for (const Member& member : members) set(member.first, member.second);
}

inline Object& Object::set(std::string key, Value value) {
  if (Value* existing = find(key)) {
    *existing = std::move(value);
  } else {
    members_.emplace_back(std::move(key), std::move(value));
  }
  return *this;
}

inline const Value* Object::find(std::string_view key) const {
  for (const Member& member : members_)
    if (member.first == key) return &member.second;
  return nullptr;
}

inline Value* Object::find(std::string_view key) {
  for (Member& member : members_)
    if (member.first == key) return &member.second;
  return nullptr;
}

inline bool Object::erase(std::string_view key) {
  auto found = std::find_if(members_.begin(), members_.end(),
                            [key](const Member& member) { return member.first == key; });
  if (found == members_.end()) return false;
  members_.erase(found);
  return true;
}

}  // namespace alys::json
