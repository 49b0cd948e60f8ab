// faulty: fails on demand — throws on Poison, fails its start (`fail_on_start = true` in its role
// table), poisons itself by timer `crash_after_ms` after each start, reports a fatal error from
// its own thread, fails health checks (`fail_health = true`), or finishes normally on Finish.
// Counts Work in the host metric `work_handled`, which survives restarts, and `starts` on every
// start.
#include <thread>

#include "alys/plugin.hpp"
#include "test_messages.hpp"

namespace {

using namespace alys::test;

class FaultyActor : public alys::Actor {
 public:
  explicit FaultyActor(alys::Context context) : Actor(context) {
    on<Poison>([](const Poison& poison, const alys::Envelope&) {
      throw std::runtime_error("poisoned: " + poison.why);
    });
    on<Work>([this](const Work&, const alys::Envelope&) {
      this->context().counter_add("work_handled");
    });
    on<Finish>([this](const Finish&, const alys::Envelope&) { done(); });
    on<FailFromThread>([this](const FailFromThread&, const alys::Envelope&) {
      if (reporter_.joinable()) return;
      reporter_ = std::thread(
          [ctx = this->context()] { ctx.report_fatal("worker thread lost its connection"); });
    });
  }

  void on_start() override {
    if (context().config_bool("fail_on_start").value_or(false))
      throw std::runtime_error("configured to fail on start");
    context().counter_add("starts");
    if (auto delay = context().config_int("crash_after_ms"))
      context().start_timer(static_cast<std::uint64_t>(*delay), 0, Poison{"crash_after_ms"});
  }

  void on_stop() override {
    if (reporter_.joinable()) reporter_.join();
  }

  // Takes a new config table without a restart, and counts it.
  bool on_config_changed(std::string_view) override {
    context().counter_add("config_changes");
    return true;
  }

  std::string health() override {
    return context().config_bool("fail_health").value_or(false) ? "configured to be unhealthy" : "";
  }

 private:
  std::thread reporter_;
};

}  // namespace

ALYS_PLUGIN(FaultyActor,
            alys::PluginInfo{
                .role = ALYS_ROLE_ANY, .name = "alys-test-faulty", .version = "1.0.0"});
