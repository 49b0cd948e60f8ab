// Schemas of admin JSON-RPC calls routed to a plugin (alys_host_rpc_register). The type ids are
// fixed in abi.h; these structs give them their codec layout.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "alys/codec.hpp"

namespace alys {

struct RpcCall {
  static constexpr std::string_view schema_name = "alys.host.RpcCall/1";
  std::string method;
  std::string params_json;  // "{}" or "[]" when the caller sent none
  ALYS_FIELDS(method, params_json)
};

struct RpcResult {
  static constexpr std::string_view schema_name = "alys.host.RpcResult/1";
  bool ok = false;
  std::string json;  // the result as JSON text; when !ok, an error message (plain text)
  // When !ok: the JSON-RPC error code to answer with; 0 means the host's default (-32000).
  std::int32_t error_code = 0;
  ALYS_FIELDS(ok, json, error_code)
};

// Thrown by an admin method's handler to answer with a specific JSON-RPC error code (e.g. -32602
// for invalid params); any other exception answers -32000 with its message.
class RpcError : public std::runtime_error {
 public:
  RpcError(std::int32_t code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  std::int32_t code() const { return code_; }

 private:
  std::int32_t code_;
};

}  // namespace alys
