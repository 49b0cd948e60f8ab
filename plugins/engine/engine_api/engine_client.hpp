// A JSON-RPC client of an execution client's authenticated Engine API port (geth --authrpc.*):
// HTTP/1.1 POSTs over one kept-alive TCP connection (a new connection costs geth ~7 ms more per
// call on a loaded machine), a fresh HS256 JWT per call (the server accepts `iat` within ±60 s, so
// a cached token would expire), and one deadline covering connect, write and read. A connection
// the server closed while idle is replaced once, transparently; any other failure closes it, and
// the next call connects again.
//
// Threading: every call is synchronous and blocks the calling thread until the answer or the
// deadline (at most the call's timeout; name resolution of a host that is not an IP literal is not
// covered by it). Calls may come from several threads; they are serialized on the one connection
// (a mutex), so a caller can wait for another's call first, and that wait counts against its
// own timeout. Run it on a thread that may block, e.g.
// the engine actor's own worker, never on a shared runtime thread.
//
// Failures are classified the way Lighthouse's engine handling treats them
// (EngineError::retryable): transport failures, timeouts, HTTP 5xx and JSON-RPC -32603/-32000 are
// the execution client being down or busy: retry (Lighthouse marks the engine offline and re-checks
// it). 401 means the JWT was refused: wrong secret file, or clocks more than 60 s apart; retrying
// cannot help, the message names the secret file. The Engine API's own codes are answers about the
// request, not the link: -38001 unknown payload (the build is gone: build again), -38002 invalid
// forkchoice state, -38003 invalid payload attributes, -38004 too large request, -38005 unsupported
// fork (wrong method version for the timestamp: a configuration error), -32601 method not found,
// -32602 invalid params: none is retryable as is.
#pragma once

#include <atomic>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "alys/status.hpp"
#include "engine/engine_api/engine_types.hpp"
#include "engine/engine_api/jwt.hpp"

namespace alys::engine::engine_api {

// JSON-RPC error codes of the Engine API (execution-apis, src/engine/common.md "Errors").
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kServerError = -32000;
inline constexpr int kUnknownPayload = -38001;
inline constexpr int kInvalidForkchoiceState = -38002;
inline constexpr int kInvalidPayloadAttributes = -38003;
inline constexpr int kTooLargeRequest = -38004;
inline constexpr int kUnsupportedFork = -38005;

enum class EngineErrorKind {
  kTransport,     // connect refused, reset, DNS: retryable
  kTimeout,       // the call's deadline passed: retryable
  kUnauthorized,  // HTTP 401: the JWT was refused
  kHttp,          // another non-200 status (5xx retryable)
  kRpc,           // a JSON-RPC error object: see rpc_code
  kMalformed,     // an answer that is not the JSON-RPC or Engine API object it should be
};

struct EngineError {
  EngineErrorKind kind = EngineErrorKind::kTransport;
  int rpc_code = 0;     // for kRpc
  int http_status = 0;  // for kUnauthorized and kHttp
  std::string method;
  std::string message;  // names the method; for kUnauthorized also the secret file

  bool retryable() const;
  // As the SDK's one error type: kTimeout → ALYS_ERR_TIMEOUT, kRpc with -32601/-38005 →
  // ALYS_ERR_UNSUPPORTED, other kRpc and kMalformed → ALYS_ERR_INVALID, the rest ALYS_ERR_FAILED.
  Status status() const;
};

// A value or the EngineError that says why not.
template <class T>
class [[nodiscard]] EngineResult {
 public:
  EngineResult(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  EngineResult(EngineError error)                                              // NOLINT
      : state_(std::in_place_index<1>, std::move(error)) {}
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
  // REQUIRES !ok().
  const EngineError& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, EngineError> state_;
};

// Per-method deadlines: the execution-apis spec's timeouts for the consensus client's side.
struct EngineTimeouts {
  std::chrono::milliseconds exchange_capabilities{1000};
  std::chrono::milliseconds forkchoice_updated{8000};
  std::chrono::milliseconds get_payload{1000};
  std::chrono::milliseconds new_payload{8000};
  std::chrono::milliseconds get_payload_bodies{10000};
  std::chrono::milliseconds eth{8000};  // eth_chainId, eth_getBlockByNumber, call()'s default
};

struct EngineClientOptions {
  std::string host = "127.0.0.1";  // an IP literal or a name
  std::uint16_t port = 8551;
  JwtSecret jwt_secret{};
  std::filesystem::path jwt_secret_path;  // only for messages: where the secret came from
  EngineTimeouts timeouts;
  // Unix seconds for `iat`; defaults to the system clock. Injected so a test can send a stale one.
  std::function<std::int64_t()> unix_time_s;
};

// What the startup checks need of eth_getBlockByNumber.
struct EthBlockSummary {
  std::uint64_t number = 0;
  Hash32 hash{};
  Hash32 parent_hash{};
  std::uint64_t timestamp = 0;
  Hash32 state_root{};
};

struct EngineConnection;

class EngineClient {
 public:
  explicit EngineClient(EngineClientOptions options);

  // Loads the secret with load_jwt_secret(options.jwt_secret_path) first.
  static Result<EngineClient> open(EngineClientOptions options);

  EngineClient(EngineClient&& other) noexcept;
  ~EngineClient();
  EngineClient(const EngineClient&) = delete;
  EngineClient& operator=(const EngineClient&) = delete;

  const EngineClientOptions& options() const { return options_; }

  // engine_exchangeCapabilities: the methods the execution client supports.
  EngineResult<std::vector<std::string>> exchange_capabilities(
      const std::vector<std::string>& ours) const;
  EngineResult<ForkchoiceUpdatedResponse> forkchoice_updated_v2(
      const ForkchoiceStateV1& state, const std::optional<PayloadAttributesV2>& attributes) const;
  EngineResult<GetPayloadV2Response> get_payload_v2(const PayloadId& id) const;
  // REQUIRES payload.withdrawals set (a V2 payload): the spec wants [] rather than absent.
  EngineResult<PayloadStatusV1> new_payload_v2(const ExecutionPayloadV2& payload) const;
  EngineResult<std::vector<std::optional<ExecutionPayloadBodyV1>>> get_payload_bodies_by_hash_v1(
      const std::vector<Hash32>& hashes) const;

  EngineResult<std::uint64_t> chain_id() const;
  // `tag`: "latest", "earliest", "safe", "finalized" or a quantity; nullopt when there is no such
  // block.
  EngineResult<std::optional<EthBlockSummary>> get_block_by_number(const std::string& tag) const;

  // Any method: the JSON-RPC `result` as it came.
  EngineResult<boost::json::value> call(const std::string& method, boost::json::array params,
                                        std::chrono::milliseconds timeout) const;

 private:
  EngineClientOptions options_;
  mutable std::atomic<std::uint64_t> next_id_{1};
  mutable std::mutex mutex_;
  mutable std::unique_ptr<EngineConnection> connection_;  // guarded by mutex_
};

// The methods this client calls, for exchange_capabilities.
std::vector<std::string> engine_methods_we_use();

}  // namespace alys::engine::engine_api
