// Schemas of admin JSON-RPC calls routed to a plugin (alys_host_rpc_register). The type ids are
// fixed in abi.h; these structs give them their codec layout.
#pragma once

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
  ALYS_FIELDS(ok, json)
};

}  // namespace alys
