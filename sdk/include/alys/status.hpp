// Status codes of the ABI, as C++: a Status value for results that are expected to fail sometimes
// (a full mailbox), and an Error exception for the rest. Exceptions never cross the ABI: the
// plugin macro turns them into a code and message at the boundary.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "alys/abi.h"

namespace alys {

constexpr const char* code_name(std::int32_t code) noexcept {
  switch (code) {
    case ALYS_OK:
      return "ok";
    case ALYS_DONE:
      return "done";
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

class [[nodiscard]] Status {
 public:
  constexpr Status() = default;
  constexpr explicit Status(std::int32_t code) : code_(code) {}
  constexpr bool ok() const { return code_ == ALYS_OK; }
  constexpr std::int32_t code() const { return code_; }
  constexpr const char* name() const { return code_name(code_); }

 private:
  std::int32_t code_ = ALYS_OK;
};

class Error : public std::runtime_error {
 public:
  Error(std::int32_t code, const std::string& message) : std::runtime_error(message), code_(code) {}
  std::int32_t code() const { return code_; }

 private:
  std::int32_t code_;
};

}  // namespace alys
