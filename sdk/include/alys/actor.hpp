// alys::Actor — the base class plugin authors derive from.
//
// The host calls one member at a time per instance (never concurrently), on a worker thread or on
// the actor's dedicated thread. Register typed handlers in the constructor with on<M>(...), the
// handlers of requests with on_request<M>(...); ask other actors with request(...).then(...)
// (alys/request.hpp). Handlers may throw: the SDK turns the exception into an error code at the ABI
// boundary and the host treats it as a failure of the actor (its supervisor acts; the message goes
// to dead letters).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "alys/abi.h"
#include "alys/admin_rpc.hpp"
#include "alys/codec.hpp"
#include "alys/context.hpp"
#include "alys/request.hpp"
#include "alys/status.hpp"

namespace alys {

namespace detail {
// The adapter behind Actor::rpc_json, defined in alys/json.hpp: include that header to use it.
// (actor.hpp does not include it, so that plugins that do not use it see no alys::json namespace
// next to a `json` of their own.)
template <class F>
struct JsonRpcHandler;
}  // namespace detail

// What a handler learns about the message besides its decoded body.
struct Envelope {
  std::uint64_t type_id = 0;
  std::uint64_t correlation_id = 0;  // requests, replies and timeouts
  std::uint64_t topic_id = 0;        // events: the topic; timers: the timer id
  Address sender = 0;                // 0: the host; a timeout's: the role that did not answer
  alys_message_kind kind = ALYS_KIND_SEND;
  Priority priority = Priority::normal;
  ByteView payload;

  bool is_request() const { return kind == ALYS_KIND_REQUEST; }
};

struct StateSnapshot {
  Bytes bytes;
  std::uint32_t schema_version = 0;
};

// Answers one admin JSON-RPC call (see Actor::rpc_async). Copyable; answer or fail once.
class RpcResponder {
 public:
  RpcResponder(Context context, std::uint64_t correlation_id)
      : context_(context), correlation_id_(correlation_id) {}
  // `json` is the result as JSON text.
  void answer(std::string json) const {
    RpcResult result;
    result.ok = true;
    result.json = std::move(json);
    (void)context_.reply(correlation_id_, result);
  }
  // `code` 0: the host's default (-32000).
  void fail(std::int32_t code, std::string message) const {
    RpcResult result;
    result.json = std::move(message);
    result.error_code = code;
    (void)context_.reply(correlation_id_, result);
  }
  std::uint64_t correlation_id() const { return correlation_id_; }

 private:
  Context context_;
  std::uint64_t correlation_id_;
};

class Actor {
 public:
  explicit Actor(Context context) : context_(context) {}
  virtual ~Actor() = default;
  Actor(const Actor&) = delete;
  Actor& operator=(const Actor&) = delete;

  // Timers, subscriptions, own threads. Throw to fail the start.
  virtual void on_start() {}
  // Cancel work and join own threads; after it returns no thread may use the context.
  virtual void on_stop() {}
  // Health probe; return a non-empty reason when unhealthy (a failure: the supervisor restarts
  // the actor).
  virtual std::string health() { return {}; }
  // Asked by the same probe when health() found nothing: a non-empty reason when the actor runs
  // but cannot do its work because something outside the node is unavailable (ALYS_DEGRADED, ABI
  // 1.2). Not a failure: /health shows the actor degraded with the reason until it clears.
  virtual std::string degraded() { return {}; }
  // Swappable plugins override both. snapshot() writes the newest schema version it can that is
  // <= `target_schema_version` (the incoming plugin's; throw Error(ALYS_ERR_SCHEMA) if none);
  // restore() receives this or an older schema version.
  virtual StateSnapshot snapshot(std::uint32_t /*target_schema_version*/) {
    throw Error(ALYS_ERR_UNSUPPORTED, "this plugin does not snapshot its state");
  }
  virtual void restore(ByteView /*bytes*/, std::uint32_t schema_version) {
    throw Error(ALYS_ERR_SCHEMA,
                "this plugin restores no state (schema " + std::to_string(schema_version) + ")");
  }

  // The role's config table changed (SIGHUP); context().config_*() already return the new values.
  // Return true to carry on with them, false to be restarted with them (the default).
  virtual bool on_config_changed(std::string_view /*table_json*/) { return false; }

  // Called by the SDK's ABI glue: on_start, then the on_error of requests it made that the host
  // refused. done() has no effect here: an actor ends from a handler, not while it starts.
  void start_instance() {
    on_start();
    requests_.run_refused();
  }

  // Called by the SDK's ABI glue: on_stop, then the continuations of requests still waiting are
  // dropped unrun (an answer that comes later reaches the next instance, which ignores it).
  void stop_instance() {
    try {
      on_stop();
    } catch (...) {
      requests_.drop_all();
      throw;
    }
    requests_.drop_all();
  }

  // Called by the SDK's ABI glue. Returns an alys_code.
  std::int32_t dispatch(const alys_message& message) {
    Envelope envelope{message.type_id,
                      message.correlation_id,
                      message.topic_id,
                      message.sender,
                      static_cast<alys_message_kind>(message.kind),
                      static_cast<Priority>(message.priority),
                      ByteView(message.host_owned_payload, message.payload_size)};
    done_ = false;
    std::int32_t code = ALYS_OK;
    try {
      code = dispatch_envelope(envelope);
    } catch (...) {
      // A handler that failed on invalid input leaves the actor running: what it asked and the
      // host refused still gets its answer. The handler's failure is what the host must see (its
      // code decides between dead-lettering the message and restarting the actor), so a
      // continuation that fails too does not replace it.
      try {
        requests_.run_refused();
      } catch (...) {
      }
      throw;
    }
    requests_.run_refused();
    return done_ && code == ALYS_OK ? ALYS_DONE : code;
  }

 protected:
  // Registers the handler of schema M: f(const M&, const Envelope&).
  template <class M, class F>
  void on(F&& handler) {
    handlers_[type_id_of<M>()] = [fn = std::forward<F>(handler)](const Envelope& envelope) {
      M message = decode_or_invalid<M>(envelope.payload);
      fn(message, envelope);
    };
  }

  // Registers the handler of request schema M: f(const M&, const Envelope&). When f returns a
  // schema, that is the reply; when it returns void, f replies itself (now or later, with
  // context().reply(envelope.correlation_id, ...)). An M that came as a plain send has nowhere to
  // be answered: it is the sender's bug, dead-lettered as invalid, and the actor carries on.
  template <class M, class F>
  void on_request(F&& handler) {
    handlers_[type_id_of<M>()] = [this, fn = std::forward<F>(handler)](const Envelope& envelope) {
      if (!envelope.is_request())
        throw Error(ALYS_ERR_INVALID,
                    std::string(M::schema_name) + " must be sent as a request: it has a reply");
      M message = decode_or_invalid<M>(envelope.payload);
      if constexpr (std::is_void_v<std::invoke_result_t<F&, const M&, const Envelope&>>) {
        fn(message, envelope);
      } else {
        // A reply after the requester's deadline is discarded (and counted) by the host: there
        // is nobody left to tell.
        (void)context_.reply(envelope.correlation_id, fn(message, envelope));
      }
    };
  }

  // Asks `to` and continues in .then(on_value, on_error): see alys/request.hpp. Call it on the
  // actor's turn (a handler, on_start, a continuation), not from a thread of the plugin's own.
  template <class M>
  RequestHandle request(Address to, const M& message, std::uint64_t timeout_ms,
                        Priority priority = Priority::normal) {
    return RequestHandle(requests_, context_, to, type_id_of<M>(), M::schema_name, encode(message),
                         timeout_ms, priority);
  }

  // For requests sent with context().request: their timeouts arrive as type ALYS_TYPE_TIMEOUT.
  // (Those of request(...).then(...) go to its on_error.)
  template <class F>
  void on_timeout(F&& handler) {  // f(std::uint64_t correlation_id)
    handlers_[ALYS_TYPE_TIMEOUT] = [fn = std::forward<F>(handler)](const Envelope& envelope) {
      fn(envelope.correlation_id);
    };
  }

  // Offers `method` on the node's admin JSON-RPC API; calls arrive here. `handler` gets the params
  // as JSON text and returns the result as JSON text; throwing answers with an error. Call it from
  // the constructor or on_start. ALYS_RPC_MUTATING in `flags`: callers need the admin token.
  template <class F>
  void rpc(const std::string& method, std::uint32_t flags, F&& handler) {
    std::int32_t code =
        context_.api()->alys_host_rpc_register(context_.raw(), method.c_str(), flags);
    if (code != ALYS_OK)
      throw Error(code, "cannot register admin method '" + method + "': " + code_name(code));
    rpc_handlers_[method] = std::forward<F>(handler);
  }

  // Like rpc(), for a method whose answer needs other actors first (a storage read, say): the
  // handler gets the params and an RpcResponder, and answers through it later, from a handler of
  // this actor. An answer that comes after the host's RPC deadline is discarded (and counted).
  template <class F>
  void rpc_async(const std::string& method, std::uint32_t flags, F&& handler) {
    std::int32_t code =
        context_.api()->alys_host_rpc_register(context_.raw(), method.c_str(), flags);
    if (code != ALYS_OK)
      throw Error(code, "cannot register admin method '" + method + "': " + code_name(code));
    async_rpc_handlers_[method] = std::forward<F>(handler);
  }

  // Like rpc(), with the JSON done for you; include alys/json.hpp. `handler` gets the params
  // parsed, as a json::Field whose path is "params" ({} when the caller sent none), and returns a
  // json::Value, or a Result<json::Value> to fail without throwing: a failed Result answers with
  // its message, as JSON-RPC error -32602 (invalid params) when its code is ALYS_ERR_INVALID, which
  // is what every json::Field accessor fails with, and -32000 otherwise. Throwing answers as in
  // rpc().
  template <class F>
  void rpc_json(const std::string& method, std::uint32_t flags, F&& handler) {
    rpc(method, flags, detail::JsonRpcHandler<std::decay_t<F>>{std::forward<F>(handler)});
  }

  // Override to handle types without a registered handler. The default dead-letters them, except
  // replies and timeouts: one that no request waits for answers a request of an earlier instance
  // of this role (answers go to the role, and the instance was restarted or swapped since) or one
  // given up on, which is nobody's mistake.
  virtual std::int32_t on_unhandled(const Envelope& envelope) {
    if (envelope.kind == ALYS_KIND_REPLY || envelope.kind == ALYS_KIND_TIMEOUT) return ALYS_OK;
    return ALYS_ERR_UNHANDLED;
  }

  // Ends this actor normally once the current handler returns (transient actors stay down).
  void done() { done_ = true; }

  const Context& context() const { return context_; }

 private:
  std::int32_t dispatch_envelope(const Envelope& envelope) {
    if (envelope.kind == ALYS_KIND_CONFIG) {
      std::string_view json(reinterpret_cast<const char*>(envelope.payload.data()),
                            envelope.payload.size());
      return on_config_changed(json) ? ALYS_OK : ALYS_ERR_UNHANDLED;
    }
    if (envelope.type_id == ALYS_TYPE_RPC_CALL && envelope.kind == ALYS_KIND_REQUEST)
      return dispatch_rpc(envelope);
    if (requests_.settle(envelope.kind, envelope.correlation_id, envelope.type_id,
                         envelope.payload))
      return ALYS_OK;
    auto handler = handlers_.find(envelope.type_id);
    if (handler == handlers_.end()) return on_unhandled(envelope);
    handler->second(envelope);
    return ALYS_OK;
  }

  std::int32_t dispatch_rpc(const Envelope& envelope) {
    RpcCall call = decode_or_invalid<RpcCall>(envelope.payload);
    RpcResponder responder(context_, envelope.correlation_id);
    if (auto async = async_rpc_handlers_.find(call.method); async != async_rpc_handlers_.end()) {
      try {
        async->second(call.params_json, responder);
      } catch (const RpcError& error) {
        responder.fail(error.code(), error.what());
      } catch (const std::exception& error) {
        responder.fail(0, error.what());
      }
      return ALYS_OK;
    }
    auto handler = rpc_handlers_.find(call.method);
    if (handler == rpc_handlers_.end()) {
      responder.fail(0, "method '" + call.method + "' is not served by this plugin");
      return ALYS_OK;
    }
    try {
      responder.answer(handler->second(call.params_json));
    } catch (const RpcError& error) {
      responder.fail(error.code(), error.what());
    } catch (const std::exception& error) {
      responder.fail(0, error.what());
    }
    return ALYS_OK;
  }

  template <class M>
  static M decode_or_invalid(ByteView bytes) {
    try {
      return decode<M>(bytes);
    } catch (const DecodeError& error) {
      throw Error(ALYS_ERR_INVALID, std::string(M::schema_name) + ": " + error.what());
    }
  }

  Context context_;
  std::unordered_map<std::uint64_t, std::function<void(const Envelope&)>> handlers_;
  std::unordered_map<std::string, std::function<std::string(std::string_view)>> rpc_handlers_;
  std::unordered_map<std::string, std::function<void(std::string_view, RpcResponder)>>
      async_rpc_handlers_;
  PendingRequests requests_;
  bool done_ = false;
};

}  // namespace alys
