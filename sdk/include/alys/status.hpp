// One way to fail, on both sides of the ABI: a Status is an ABI code (abi.h's ALYS_OK / ALYS_ERR_*)
// plus a message, cheap when OK (LevelDB's leveldb::Status is the model); Result<T> is a value or a
// failed Status. The host, the tools and the SDK's C++ layer return these for anything expected to
// fail sometimes (a full mailbox, a bad file, a refused plugin). Error is the exception for the
// rest, inside one library only: exceptions never cross the ABI (the plugin macro turns them into a
// code and message at the boundary).
//
// Header-only and free of static locals, so it is safe inside plugins (no GNU-unique symbols).
#pragma once

#include <cassert>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "alys/abi.h"

namespace alys {

constexpr const char* code_name(std::int32_t code) noexcept {
  switch (code) {
    case ALYS_OK:
      return "ok";
    case ALYS_DONE:
      return "done";
    case ALYS_DEGRADED:
      return "degraded";
    case ALYS_ERR_FAILED:
      return "failed";
    case ALYS_ERR_INVALID:
      return "invalid";
    case ALYS_ERR_UNHANDLED:
      return "unhandled";
    case ALYS_ERR_MAILBOX_FULL:
      return "mailbox full";
    case ALYS_ERR_NO_SUCH_ROLE:
      return "no such role";
    case ALYS_ERR_NOT_FOUND:
      return "not found";
    case ALYS_ERR_TYPE:
      return "wrong type";
    case ALYS_ERR_STOPPED:
      return "actor stopped";
    case ALYS_ERR_TIMEOUT:
      return "timeout";
    case ALYS_ERR_UNSUPPORTED:
      return "unsupported";
    case ALYS_ERR_SCHEMA:
      return "unknown state schema";
    case ALYS_ERR_SHUTTING_DOWN:
      return "shutting down";
    default:
      return "unknown code";
  }
}

// A code and a message. A default-constructed Status is OK. A failed Status always has a message
// that a person can act on: when none is given, the code's name stands in.
class [[nodiscard]] Status {
 public:
  Status() = default;
  explicit Status(std::int32_t code) : code_(code) {
    if (code_ != ALYS_OK) message_ = code_name(code_);
  }
  Status(std::int32_t code, std::string message) : code_(code), message_(std::move(message)) {
    if (code_ != ALYS_OK && message_.empty()) message_ = code_name(code_);
  }

  static Status Ok() { return Status(); }
  // Shorthands for the codes the host and tools use most.
  static Status Failed(std::string message) { return {ALYS_ERR_FAILED, std::move(message)}; }
  static Status Invalid(std::string message) { return {ALYS_ERR_INVALID, std::move(message)}; }
  static Status NotFound(std::string message) { return {ALYS_ERR_NOT_FOUND, std::move(message)}; }
  static Status Timeout(std::string message) { return {ALYS_ERR_TIMEOUT, std::move(message)}; }

  bool ok() const { return code_ == ALYS_OK; }
  explicit operator bool() const { return ok(); }
  std::int32_t code() const { return code_; }
  const char* name() const { return code_name(code_); }
  // Empty when OK.
  const std::string& message() const { return message_; }
  // "ok", or "<code name>: <message>" (the message alone when it is the code's name).
  std::string to_string() const {
    if (ok()) return "ok";
    if (message_ == name()) return message_;
    return std::string(name()) + ": " + message_;
  }

  // The same failure with context in front: "loading plugin x.so: <message>". OK stays OK.
  Status with_context(std::string_view context) const {
    if (ok()) return *this;
    return Status(code_, std::string(context) + ": " + message_);
  }

 private:
  std::int32_t code_ = ALYS_OK;
  std::string message_;
};

// A value, or the Status that explains why there is none. Constructed from a failed Status only.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}          // NOLINT: implicit
  Result(Status failure) : state_(std::in_place_index<1>, std::move(failure)) {  // NOLINT
    assert(!std::get<1>(state_).ok() && "a Result holds a value or a failed Status");
  }

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // REQUIRES ok().
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // OK when there is a value.
  Status status() const { return ok() ? Status() : std::get<1>(state_); }

 private:
  std::variant<T, Status> state_;
};

class Error : public std::runtime_error {
 public:
  Error(std::int32_t code, const std::string& message) : std::runtime_error(message), code_(code) {}
  std::int32_t code() const { return code_; }
  Status status() const { return Status(code_, what()); }

 private:
  std::int32_t code_;
};

}  // namespace alys
