// alys/testing.hpp — an in-process test harness for plugins.
//
// A Harness is a real alysd host inside the test process, on a virtual clock, with no threads of
// its own: nothing runs until the test calls run() or advance(). Plugins come from files (the .so a
// build produced) or are linked into the test binary. The harness itself is an actor with the role
// "test": what it sends comes from "test", and whatever reaches "test" (replies, timeouts,
// events, plain messages) is recorded for the test to inspect.
//
// Framework-neutral: failures are reported by exceptions (std::runtime_error) and return values;
// use it with Catch2, GoogleTest or plain asserts. Link the CMake target AlysSDK::testing.
//
// Thread-safety: a Harness is used from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alys/abi.h"
#include "alys/codec.hpp"
#include "alys/context.hpp"

extern "C" {
// Defined by ALYS_PLUGIN in a plugin compiled into the test binary (see this_plugin()).
extern const alys_manifest alys_plugin_manifest;
extern const alys_plugin_function_table alys_plugin_functions;
}

// The harness library exports this class only; everything inside it stays private.
#define ALYS_TESTING_API __attribute__((visibility("default")))

namespace alys::testing {

// Something that reached the "test" role.
struct Received {
  std::uint64_t type_id = 0;
  std::uint64_t correlation_id = 0;
  std::uint64_t topic_id = 0;  // events: fnv1a64(topic)
  Address sender = 0;
  std::uint32_t kind = ALYS_KIND_SEND;  // alys_message_kind
  Bytes payload;

  template <class M>
  bool is() const {
    return type_id == type_id_of<M>();
  }
  // Throws alys::DecodeError if the bytes are not an M.
  template <class M>
  M as() const {
    return decode<M>(payload);
  }
};

struct DeadLetterInfo {
  std::string role;
  std::string reason;
  std::uint64_t type_id = 0;
  std::uint32_t kind = 0;
};

struct SwapResult {
  bool ok = false;
  std::string mode;            // "state" or "restart"
  std::string stage;           // on failure
  std::string message;         // on failure
  std::uint64_t pause_us = 0;  // dispatch to the role paused (on failure: until the rollback)
};

// A plugin compiled into the test binary.
struct LinkedPlugin {
  alys_manifest manifest;
  const alys_plugin_function_table* functions;
};

// The plugin whose ALYS_PLUGIN(...) is linked into this test binary.
inline LinkedPlugin this_plugin() {
  return LinkedPlugin{alys_plugin_manifest, &alys_plugin_functions};
}

struct HarnessOptions {
  std::uint64_t start_ms = 1'700'000'000'000;  // virtual unix time at start
  std::uint64_t swap_trial_ms = 0;             // hot swaps in the harness: no trial by default
};

class ALYS_TESTING_API Harness {
 public:
  explicit Harness(HarnessOptions options = {});
  ~Harness();
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  // --- before start() ---
  // `config_toml` is the role's own table as TOML text (what would follow `[<role>]` in a node's
  // config). `requires_roles` start before this one. A plugin the ABI gate refuses throws here.
  Harness& add(std::string_view role, const std::filesystem::path& plugin_file,
               std::string_view config_toml = "", std::vector<std::string> requires_roles = {});
  Harness& add(std::string_view role, const LinkedPlugin& plugin, std::string_view config_toml = "",
               std::vector<std::string> requires_roles = {});
  // Creates and starts every plugin in `requires` order. Throws naming the role that failed.
  void start();

  // --- driving ---
  // Runs every ready actor until nothing is left to do. No virtual time passes.
  void run();
  // Moves the virtual clock forward, firing due timers in time order and running what each causes.
  void advance(std::chrono::milliseconds duration);
  std::uint64_t now_ms() const;

  // --- talking as the role "test" (the message is queued; run() delivers it) ---
  // Roles, topics, method and metric names are std::string_view, as in alys::Context, so that the
  // SDK's constants (alys::chain::kBlockImportedTopic, ...) pass as they are.
  template <class M>
  Status send(std::string_view role, const M& message, Priority priority = Priority::normal) {
    return send_raw(role, type_id_of<M>(), encode(message), priority);
  }
  // Returns the correlation id; after run(), reply(id) holds the answer (or a timeout).
  template <class M>
  std::uint64_t request(std::string_view role, const M& message, std::uint64_t timeout_ms = 1000,
                        Priority priority = Priority::normal) {
    return request_raw(role, type_id_of<M>(), encode(message), timeout_ms, priority);
  }
  template <class M>
  void publish(std::string_view topic, const M& message) {
    publish_raw(topic, type_id_of<M>(), encode(message));
  }
  void subscribe(std::string_view topic);

  // --- what reached "test" ---
  std::vector<Received> received() const;
  std::optional<Received> reply(std::uint64_t correlation_id) const;
  template <class M>
  std::optional<M> reply_as(std::uint64_t correlation_id) const {
    auto answer = reply(correlation_id);
    if (!answer || answer->kind != ALYS_KIND_REPLY) return std::nullopt;
    return answer->as<M>();
  }
  std::vector<Received> events(std::string_view topic) const;
  void clear_received();

  // --- inspecting the host ---
  std::vector<DeadLetterInfo> dead_letters() const;
  // A plugin metric of `role`: a counter's or gauge's value, a histogram's count. nullopt: none.
  std::optional<double> metric(std::string_view role, std::string_view name) const;
  // The actor's state: "running", "failed", "exited", ...
  std::string state(std::string_view role) const;
  std::uint64_t restarts(std::string_view role) const;

  // --- operating ---
  // Calls an admin JSON-RPC method a plugin registered; returns the result as JSON text. Throws
  // std::runtime_error with the plugin's error message, or on timeout.
  std::string call_rpc(std::string_view method, std::string_view params_json = "{}",
                       std::uint64_t timeout_ms = 5000);
  // Hot-swaps `role` to another plugin file, as `alys-ctl reload` does in a node.
  SwapResult swap(std::string_view role, const std::filesystem::path& plugin_file);

 private:
  Status send_raw(std::string_view role, std::uint64_t type_id, const Bytes& payload,
                  Priority priority);
  std::uint64_t request_raw(std::string_view role, std::uint64_t type_id, const Bytes& payload,
                            std::uint64_t timeout_ms, Priority priority);
  void publish_raw(std::string_view topic, std::uint64_t type_id, const Bytes& payload);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace alys::testing
