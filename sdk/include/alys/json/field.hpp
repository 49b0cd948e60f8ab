// alys/json/field.hpp — json::Field: a value and the path that reached it, with typed accessors
// whose failures name that path (alys/json.hpp).
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

#include "alys/json/value.hpp"
#include "alys/json/write.hpp"
#include "alys/status.hpp"

namespace alys::json {

// A value and the path that reached it, for accessors whose failures say what was wrong where:
// "params.height: expected an integer, got a string". The path of the root is its name
// ("params"); an object member adds ".key", an array element "[index]". Every failure is an
// ALYS_ERR_INVALID Status (Actor::rpc_json answers it with JSON-RPC -32602, invalid params).
//
// A Field refers to the Value it was made from: keep that Value alive while the Field is used.
class Field {
 public:
  Field(const Value& value, std::string path) : value_(&value), path_(std::move(path)) {}

  const Value& value() const { return *value_; }
  const std::string& path() const { return path_; }

  // The member `key` of this object. Fails when this is not an object or has no such member.
  Result<Field> get(std::string_view key) const {
    const Object* object = value_->if_object();
    if (object == nullptr) return mismatch("an object");
    const Value* member = object->find(key);
    if (member == nullptr)
      return Status::Invalid(path_ + ": missing key \"" + std::string(key) + "\"");
    return Field(*member, member_path(key));
  }
  // The member `key` of this object, or nullopt when it is absent. Fails when this is not an
  // object.
  Result<std::optional<Field>> find(std::string_view key) const {
    const Object* object = value_->if_object();
    if (object == nullptr) return mismatch("an object");
    const Value* member = object->find(key);
    if (member == nullptr) return std::optional<Field>();
    return std::optional<Field>(Field(*member, member_path(key)));
  }
  // Element `index` of this array. Fails when this is not an array or is too short.
  Result<Field> at(std::size_t index) const {
    const Array* array = value_->if_array();
    if (array == nullptr) return mismatch("an array");
    if (index >= array->size())
      return Status::Invalid(path_ + ": expected at least " + std::to_string(index + 1) +
                             " element(s), got " + std::to_string(array->size()));
    return Field((*array)[index], path_ + "[" + std::to_string(index) + "]");
  }
  // Every element of this array, each with its path.
  Result<std::vector<Field>> elements() const {
    const Array* array = value_->if_array();
    if (array == nullptr) return mismatch("an array");
    std::vector<Field> out;
    out.reserve(array->size());
    for (std::size_t i = 0; i < array->size(); ++i)
      out.emplace_back((*array)[i], path_ + "[" + std::to_string(i) + "]");
    return out;
  }

  Result<bool> as_bool() const {
    if (const bool* value = value_->if_bool()) return *value;
    return mismatch("a boolean");
  }
  Result<std::string> as_string() const {
    if (const std::string* value = value_->if_string()) return *value;
    return mismatch("a string");
  }
  Result<std::int64_t> as_int64() const {
    if (auto value = value_->if_int64()) return *value;
    if (value_->is_integer())
      return Status::Invalid(path_ + ": integer " + json::write(*value_) +
                             " is out of the range of a signed 64-bit integer");
    return mismatch("an integer");
  }
  Result<std::uint64_t> as_uint64() const {
    if (auto value = value_->if_uint64()) return *value;
    if (value_->is_integer())
      return Status::Invalid(path_ + ": expected a non-negative integer, got " +
                             json::write(*value_));
    return mismatch("a non-negative integer");
  }
  // Any number; an integer beyond 2^53 may round.
  Result<double> as_double() const {
    if (auto value = value_->if_double()) return *value;
    return mismatch("a number");
  }

  // get(key) then the conversion: the common case of a required member of a given type.
  Result<bool> get_bool(std::string_view key) const { return then(get(key), &Field::as_bool); }
  Result<std::string> get_string(std::string_view key) const {
    return then(get(key), &Field::as_string);
  }
  Result<std::int64_t> get_int64(std::string_view key) const {
    return then(get(key), &Field::as_int64);
  }
  Result<std::uint64_t> get_uint64(std::string_view key) const {
    return then(get(key), &Field::as_uint64);
  }
  Result<double> get_double(std::string_view key) const {
    return then(get(key), &Field::as_double);
  }

 private:
  template <class T>
  static Result<T> then(const Result<Field>& field, Result<T> (Field::*convert)() const) {
    if (!field.ok()) return field.status();
    return ((*field).*convert)();
  }

  std::string member_path(std::string_view key) const { return path_ + "." + std::string(key); }

  Status mismatch(const char* expected) const {
    return Status::Invalid(path_ + ": expected " + expected + ", got " + kind_name(value_->kind()));
  }

  const Value* value_;
  std::string path_;
};

}  // namespace alys::json
