// alys/json.hpp — a small JSON reader and writer that is safe inside plugins.
//
// Admin methods take and return JSON text (Actor::rpc, alys/admin_rpc.hpp). A general-purpose JSON
// library in a plugin risks what section 5 of docs/plugin-guide.md warns about: static locals in
// inline functions and template statics (GNU-unique symbols that pin the plugin in memory), and
// exceptions as its error channel. This one is header-only, has no static locals and no globals,
// and fails with alys::Status / alys::Result (alys/status.hpp) instead of throwing.
//
//   json::Value    null, boolean, integer (every int64 and uint64 without loss), double, string,
//                  array, object (keys unique, kept in insertion order)
//   json::parse    strict RFC 8259: Result<Value>, a failure names line and column
//   json::write    compact JSON text; always valid JSON
//   json::Field    a value and the path that reached it ("params.height", "params[0]"), with typed
//                  accessors whose failures name that path: "params[0]: expected a string, got an
//                  integer"
//   Actor::rpc_json (alys/actor.hpp) admin methods in these terms: handlers get a Field, return a
//                  Value or a Result<Value>
//
// Thread-safety: none of its own; a Value is like a std::vector (const access from many threads is
// fine, any mutation needs exclusive access). Memory: parsing allocates in proportion to the input
// and never from a size the input declares; nesting is bounded by ParseOptions::max_depth.
//
// The parts: alys/json/value.hpp, write.hpp, parse.hpp and field.hpp; this header includes them
// all and adds the admin-method adapter.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include "alys/admin_rpc.hpp"
#include "alys/json/field.hpp"
#include "alys/json/parse.hpp"
#include "alys/json/value.hpp"
#include "alys/json/write.hpp"
#include "alys/json_rpc.hpp"
#include "alys/status.hpp"

namespace alys::detail {

// What Actor::rpc_json registers with Actor::rpc: parses the params, calls the handler, writes its
// result. Failures leave as RpcError, which Actor's dispatch turns into the answer; they never
// leave the plugin.
template <class F>
struct JsonRpcHandler {
  F handler;

  std::string operator()(std::string_view params_json) {
    Result<json::Value> params = json::parse(params_json);
    if (!params.ok()) throw RpcError(json_rpc::kInvalidParams, params.status().message());
    const json::Field field(*params, "params");
    using Returned = std::decay_t<std::invoke_result_t<F&, const json::Field&>>;
    if constexpr (std::is_same_v<Returned, Result<json::Value>>) {
      Result<json::Value> result = handler(field);
      if (!result.ok())
        throw RpcError(result.status().code() == ALYS_ERR_INVALID ? json_rpc::kInvalidParams
                                                                  : json_rpc::kOperationFailed,
                       result.status().message());
      return json::write(*result);
    } else {
      return json::write(json::Value(handler(field)));
    }
  }
};

}  // namespace alys::detail
