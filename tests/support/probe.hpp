// A probe: an in-process actor the test owns. It records every message it receives and lends its
// Context to the test, so test threads can send, request and publish as that role.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "alys/plugin.hpp"
#include "alys/testing.hpp"
#include "host/loading/plugin_library.hpp"
#include "host/runtime/runtime.hpp"

namespace alys::testing {

// Received (what reached the probe) is the SDK harness's type: alys/testing.hpp.

class Inbox {
 public:
  void push(Received received) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(received));
    }
    changed_.notify_all();
  }

  // Waits (real time) until `predicate(items)` holds; false on timeout.
  template <class Predicate>
  bool wait_until(Predicate predicate,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return predicate(items_); });
  }

  std::vector<Received> items() const {
    std::lock_guard lock(mutex_);
    return items_;
  }

  std::optional<Received> find_correlation(std::uint64_t correlation_id) const {
    std::lock_guard lock(mutex_);
    for (const auto& item : items_)
      if (item.correlation_id == correlation_id) return item;
    return std::nullopt;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Received> items_;
};

class ProbeActor : public Actor {
 public:
  explicit ProbeActor(Context context, std::shared_ptr<Inbox> inbox = {})
      : Actor(context), inbox_(std::move(inbox)) {}

 protected:
  std::int32_t on_unhandled(const Envelope& envelope) override {
    if (inbox_) {
      inbox_->push(Received{envelope.type_id, envelope.correlation_id, envelope.topic_id,
                            envelope.sender, static_cast<std::uint32_t>(envelope.kind),
                            Bytes(envelope.payload.begin(), envelope.payload.end())});
    }
    return ALYS_OK;
  }

 private:
  std::shared_ptr<Inbox> inbox_;
};

inline constexpr alys_plugin_function_table kProbeFunctions =
    detail::make_function_table<ProbeActor>();

struct Probe {
  std::shared_ptr<Inbox> inbox = std::make_shared<Inbox>();
  std::shared_ptr<std::optional<Context>> context_slot = std::make_shared<std::optional<Context>>();
  std::shared_ptr<host::PluginLibrary> library;

  Probe() {
    auto inbox_copy = inbox;
    auto slot = context_slot;
    library = host::PluginLibrary::linked(
        detail::make_manifest(PluginInfo{.name = "alys-test-probe", .version = "1.0.0"}),
        kProbeFunctions,
        [inbox_copy, slot](const alys_host_api* api, alys_host_context* ctx, alys_status*) {
          auto* instance = new alys_instance();
          instance->actor = std::make_unique<ProbeActor>(Context(api, ctx), inbox_copy);
          slot->emplace(api, ctx);
          return instance;
        });
  }

  // REQUIRES: the runtime has started the probe.
  const Context& context() const {
    if (!context_slot->has_value()) throw std::logic_error("probe not started");
    return **context_slot;
  }
};

inline std::filesystem::path test_plugin(const std::string& name) {
  return std::filesystem::path(ALYS_TEST_PLUGIN_DIR) / ("alys_test_" + name + ".so");
}

inline std::filesystem::path scratch_dir() {
  return std::filesystem::temp_directory_path() / "alys-test-plugin-copies";
}

inline std::shared_ptr<host::PluginLibrary> load_test_plugin(const std::string& name) {
  auto loaded = host::PluginLibrary::load(test_plugin(name), scratch_dir());
  if (!loaded.ok()) throw std::runtime_error(loaded.status().message());
  return std::move(loaded).value();
}

// Runtime logs go to stderr at `warn` unless ALYS_TEST_LOG names another level.
inline std::shared_ptr<spdlog::logger> test_logger() {
  auto logger = std::make_shared<spdlog::logger>(
      "alys-test", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  const char* level = std::getenv("ALYS_TEST_LOG");
  logger->set_level(spdlog::level::from_str(level ? level : "warn"));
  return logger;
}

inline host::RuntimeOptions deterministic_options() {
  host::RuntimeOptions options;
  options.deterministic = true;
  options.virtual_clock = true;
  options.logger = test_logger();
  return options;
}

inline host::RuntimeOptions threaded_options(unsigned workers = 2) {
  host::RuntimeOptions options;
  options.workers = workers;
  options.logger = test_logger();
  return options;
}

inline host::ActorSpec actor(std::string role, std::shared_ptr<host::PluginLibrary> library,
                             host::MailboxConfig mailbox = {},
                             host::RestartType restart = host::RestartType::permanent) {
  host::ActorSpec spec;
  spec.role = std::move(role);
  spec.library = std::move(library);
  spec.mailbox = mailbox;
  spec.restart = restart;
  return spec;
}

}  // namespace alys::testing
