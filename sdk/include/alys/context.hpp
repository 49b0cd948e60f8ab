// alys::Context — the C++ face of the host API handed to a plugin instance.
//
// Thread-safety: every member may be called from any thread of the plugin between its start and the
// return of its stop (the host API is thread-safe). A Context is a cheap handle; copy it freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "alys/abi.h"
#include "alys/codec.hpp"
#include "alys/status.hpp"
#include "alys/type_id.hpp"

namespace alys {

using Address = alys_address;

enum class Priority : std::uint32_t {
  background = ALYS_PRIORITY_BACKGROUND,
  normal = ALYS_PRIORITY_NORMAL,
  high = ALYS_PRIORITY_HIGH,
  consensus = ALYS_PRIORITY_CONSENSUS,
};

enum class LogLevel : std::uint32_t {
  trace = ALYS_LOG_TRACE,
  debug = ALYS_LOG_DEBUG,
  info = ALYS_LOG_INFO,
  warn = ALYS_LOG_WARN,
  error = ALYS_LOG_ERROR,
};

// The type id of a schema struct M, from its `static constexpr std::string_view schema_name`.
template <class M>
constexpr std::uint64_t type_id_of() noexcept {
  return type_id(M::schema_name);
}

class Context {
 public:
  Context(const alys_host_api* api, alys_host_context* ctx) : api_(api), ctx_(ctx) {}

  // The role's address, or ALYS_ERR_NO_SUCH_ROLE when the node runs no such role: for a role a
  // plugin can do without (one it does not list in its manifest's requires).
  Result<Address> find_role(std::string_view role) const {
    std::string name(role);
    Address address = 0;
    std::int32_t code = api_->alys_host_resolve(ctx_, name.c_str(), &address);
    if (code != ALYS_OK) return Status(code, "resolve '" + name + "': " + code_name(code));
    return address;
  }

  // Throws alys::Error when the role is not configured.
  Address resolve(std::string_view role) const {
    std::string name(role);
    Address address = 0;
    check(api_->alys_host_resolve(ctx_, name.c_str(), &address), "resolve '" + name + "'");
    return address;
  }

  // ALYS_ERR_MAILBOX_FULL when the target's mailbox rejects; the caller decides to retry or drop.
  template <class M>
  [[nodiscard]] Status send(Address to, const M& message,
                            Priority priority = Priority::normal) const {
    Bytes bytes = encode(message);
    return send_raw(to, type_id_of<M>(), bytes, priority);
  }

  [[nodiscard]] Status send_raw(Address to, std::uint64_t type, ByteView bytes,
                                Priority priority = Priority::normal) const {
    return Status(api_->alys_host_send(ctx_, to, type, static_cast<std::uint32_t>(priority),
                                       bytes.data(), bytes.size()));
  }

  // Returns the correlation id; the reply or the timeout arrives as a message carrying it. Throws
  // alys::Error when the host refuses to send. An actor rather uses Actor::request, which routes
  // the answer to a continuation (alys/request.hpp).
  template <class M>
  std::uint64_t request(Address to, const M& message, std::uint64_t timeout_ms,
                        Priority priority = Priority::normal) const {
    Bytes bytes = encode(message);
    Result<std::uint64_t> sent = request_raw(to, type_id_of<M>(), bytes, timeout_ms, priority);
    if (!sent.ok()) throw Error(sent.status().code(), "request: " + sent.status().message());
    return *sent;
  }

  // The correlation id, or the host's refusal (ALYS_ERR_NO_SUCH_ROLE, ALYS_ERR_MAILBOX_FULL, ...).
  // A refused request is withdrawn at once, so it does not also time out — unless its deadline is
  // shorter than the delivery attempt itself (a timeout of 0 or 1 ms), when its timeout can arrive
  // first: a timeout for a correlation id you were never given is such a one (request().then()
  // ignores it).
  Result<std::uint64_t> request_raw(Address to, std::uint64_t type, ByteView bytes,
                                    std::uint64_t timeout_ms,
                                    Priority priority = Priority::normal) const {
    std::uint64_t correlation = 0;
    std::int32_t code =
        api_->alys_host_request(ctx_, to, type, static_cast<std::uint32_t>(priority), bytes.data(),
                                bytes.size(), timeout_ms, &correlation);
    if (code != ALYS_OK) return Status(code);
    return correlation;
  }

  template <class M>
  Status reply(std::uint64_t correlation_id, const M& message) const {
    Bytes bytes = encode(message);
    return Status(
        api_->alys_host_reply(ctx_, correlation_id, type_id_of<M>(), bytes.data(), bytes.size()));
  }

  template <class M>
  Status publish(std::string_view topic, const M& message) const {
    std::string name(topic);
    Bytes bytes = encode(message);
    return Status(
        api_->alys_host_publish(ctx_, name.c_str(), type_id_of<M>(), bytes.data(), bytes.size()));
  }

  void subscribe(std::string_view topic) const {
    std::string name(topic);
    check(api_->alys_host_subscribe(ctx_, name.c_str()), "subscribe '" + name + "'");
  }

  // Delivered as ALYS_KIND_TIMER carrying `message`; period 0 means one-shot. Returns the timer id.
  template <class M>
  std::uint64_t start_timer(std::uint64_t delay_ms, std::uint64_t period_ms,
                            const M& message) const {
    Bytes bytes = encode(message);
    std::uint64_t timer = 0;
    check(api_->alys_host_timer_start(ctx_, delay_ms, period_ms, type_id_of<M>(), bytes.data(),
                                      bytes.size(), &timer),
          "timer_start");
    return timer;
  }

  Status cancel_timer(std::uint64_t timer_id) const {
    return Status(api_->alys_host_timer_cancel(ctx_, timer_id));
  }

  std::uint64_t now_ms() const { return api_->alys_host_now_ms(ctx_); }

  void log(LogLevel level, std::string_view text) const {
    api_->alys_host_log(ctx_, static_cast<std::uint32_t>(level), text.data(), text.size());
  }

  // Throw alys::Error for a bad name ([a-z_][a-z0-9_]*) or a name already used with another kind:
  // a typo should fail the plugin's tests, not vanish.
  void counter_add(const char* name, std::uint64_t delta = 1) const {
    check_metric(api_->alys_host_counter_add(ctx_, name, delta), name);
  }
  void gauge_set(const char* name, double value) const {
    check_metric(api_->alys_host_gauge_set(ctx_, name, value), name);
  }
  void histogram_observe(const char* name, double value) const {
    check_metric(api_->alys_host_histogram_observe(ctx_, name, value), name);
  }

  // Role config lookups: nullopt when the key is absent; alys::Error when it has another type.
  // (The host call is sequenced before `value` is read: argument evaluation order is unspecified.)
  std::optional<std::int64_t> config_int(const char* key) const {
    std::int64_t value = 0;
    std::int32_t code = api_->alys_host_config_int(ctx_, key, &value);
    return lookup(code, key, value);
  }
  std::optional<double> config_double(const char* key) const {
    double value = 0;
    std::int32_t code = api_->alys_host_config_double(ctx_, key, &value);
    return lookup(code, key, value);
  }
  std::optional<bool> config_bool(const char* key) const {
    std::int32_t value = 0;
    std::int32_t code = api_->alys_host_config_bool(ctx_, key, &value);
    auto found = lookup(code, key, value);
    if (!found) return std::nullopt;
    return *found != 0;
  }
  std::optional<std::string> config_string(const char* key) const {
    std::string value;
    std::int32_t code = api_->alys_host_config_string(ctx_, key, &append_to, &value);
    return lookup(code, key, std::move(value));
  }
  std::string config_json() const {
    std::string value;
    check(api_->alys_host_config_json(ctx_, &append_to, &value), "config_json");
    return value;
  }

  // From a plugin's own thread: the actor has failed; its supervisor acts.
  void report_fatal(std::string_view text) const {
    api_->alys_host_report_fatal(ctx_, text.data(), text.size());
  }

  const alys_host_api* api() const { return api_; }
  alys_host_context* raw() const { return ctx_; }

 private:
  // Called by the host: nothing may unwind into it. On allocation failure the value stays short.
  static void append_to(void* user, const char* data, std::size_t size) noexcept {
    try {
      static_cast<std::string*>(user)->append(data, size);
    } catch (...) {
      static_cast<std::string*>(user)->clear();
    }
  }

  static void check_metric(std::int32_t code, const char* name) {
    if (code != ALYS_OK)
      throw Error(code, std::string("metric '") + (name ? name : "") +
                            "': invalid name, or already used with another kind");
  }

  static void check(std::int32_t code, const std::string& what) {
    if (code != ALYS_OK) throw Error(code, what + ": " + code_name(code));
  }

  template <class T>
  static std::optional<T> lookup(std::int32_t code, const char* key, T value) {
    if (code == ALYS_ERR_NOT_FOUND) return std::nullopt;
    if (code == ALYS_ERR_TYPE)
      throw Error(ALYS_ERR_INVALID, std::string("config key '") + key + "' has the wrong type");
    check(code, std::string("config '") + key + "'");
    return value;
  }

  const alys_host_api* api_;
  alys_host_context* ctx_;
};

}  // namespace alys
