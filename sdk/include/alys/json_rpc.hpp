// The JSON-RPC 2.0 error codes of a node's admin endpoint (docs/admin-api.md), defined once: the
// host answers with them, plugins choose them for their own methods (alys::RpcError), and the
// tools decide what to do from them — never from the text of a message.
#pragma once

#include <cstdint>

namespace alys::json_rpc {

// Defined by JSON-RPC 2.0.
inline constexpr std::int32_t kParseError = -32700;
inline constexpr std::int32_t kInvalidRequest = -32600;
inline constexpr std::int32_t kMethodNotFound = -32601;
inline constexpr std::int32_t kInvalidParams = -32602;
inline constexpr std::int32_t kInternalError = -32603;

// The server-error range (-32000 to -32099), as alysd uses it.
// The operation was refused or failed (a plugin method's default; an Ethereum method's refusal).
inline constexpr std::int32_t kOperationFailed = -32000;
// The method changes the node and the request carries no valid bearer token.
inline constexpr std::int32_t kUnauthorized = -32001;
// The plugin serving the method did not answer within its deadline.
inline constexpr std::int32_t kPluginTimeout = -32002;

}  // namespace alys::json_rpc
