// counter: counts Count messages, checks each sender's order, and hands its state over on hot swap.
// One source, several builds (tests/plugins/CMakeLists.txt):
//   counter              v1.0.0, state schema 1
//   counter_v2           v2.0.0, state schema 2; restores schema 1 (migration) and writes schema 1
//                        when handing state back to a v1 build
//   counter_bad_restore  its restore always fails
//   counter_crashy       crashes 50 ms after each start (inside a swap's trial period)
//   counter_pausing      asks that roles requiring it pause during its swap; its start takes
//                        300 ms, so that pause can be seen
//   counter_abi_1_0      exports what a build against SDK 1.0 exported: ABI minor 0 in its
//                        manifest and the 1.0 function table, which ends before the table check
// Admin methods: counter_get (read-only) and counter_reset (mutating).
#include <chrono>
#include <limits>
#include <map>
#include <thread>

#include "alys/plugin.hpp"
#include "test_messages.hpp"

#ifndef COUNTER_SCHEMA
#define COUNTER_SCHEMA 1
#endif
#ifndef COUNTER_BUILD
#define COUNTER_BUILD "counter-1.0.0"
#endif
#ifndef COUNTER_VERSION
#define COUNTER_VERSION "1.0.0"
#endif

namespace {

using namespace alys::test;

struct CounterStateV1 {
  std::uint64_t total = 0;
  std::uint64_t order_violations = 0;
  std::vector<std::uint32_t> senders;
  std::vector<std::uint64_t> last_sequences;
  ALYS_FIELDS(total, order_violations, senders, last_sequences)
};

struct SenderSequence {
  std::uint32_t sender = 0;
  std::uint64_t last = 0;
  ALYS_FIELDS(sender, last)
};

// Schema 2 keeps (sender, last) pairs together and counts hand-offs.
struct CounterStateV2 {
  std::uint64_t total = 0;
  std::uint64_t order_violations = 0;
  std::vector<SenderSequence> senders;
  std::uint64_t restores = 0;
  ALYS_FIELDS(total, order_violations, senders, restores)
};

struct Crash {
  static constexpr std::string_view schema_name = "alys.test.counter.Crash/1";
  ALYS_FIELDS()
};

class CounterActor : public alys::Actor {
 public:
  explicit CounterActor(alys::Context context) : Actor(context) {
    on<Count>([this](const Count& count, const alys::Envelope&) {
      ++handled_;
      ++total_;
      auto [last, inserted] = last_sequence_.try_emplace(count.sender, 0);
      if (count.sequence != last->second + 1) ++order_violations_;
      last->second = count.sequence;
    });
    on<Mark>([this](const Mark&, const alys::Envelope&) {
      mark_position_ = handled_;
      ++handled_;
    });
    on<StartTicking>([this](const StartTicking& start, const alys::Envelope&) {
      ++handled_;
      tick_period_ms_ = start.period_ms;
      last_tick_ms_ = this->context().now_ms();
      this->context().start_timer(start.period_ms, start.period_ms, Tick{});
    });
    on<Tick>([this](const Tick&, const alys::Envelope&) {
      ++handled_;
      ++ticks_;
      std::uint64_t now = this->context().now_ms();
      if (now != last_tick_ms_ + tick_period_ms_) ++tick_order_violations_;
      last_tick_ms_ = now;
    });
    on<GetCount>([this](const GetCount&, const alys::Envelope& envelope) {
      ++handled_;
      (void)this->context().reply(envelope.correlation_id, state());
    });
    on<Crash>([](const Crash&, const alys::Envelope&) {
      throw std::runtime_error("counter_crashy: crashed during its trial period");
    });
    // Method names are unique in a node: when several roles run this plugin, the first one
    // serves them.
    try {
      rpc("counter_get", 0, [this](std::string_view) {
        return "{\"total\":" + std::to_string(total_) + ",\"build\":\"" COUNTER_BUILD "\"}";
      });
      rpc("counter_reset", ALYS_RPC_MUTATING, [this](std::string_view) {
        total_ = 0;
        return std::string("{\"reset\":true}");
      });
    } catch (const alys::Error& taken) {
      this->context().log(alys::LogLevel::info, taken.what());
    }
  }

  void on_start() override {
#ifdef COUNTER_START_DELAY_MS
    std::this_thread::sleep_for(std::chrono::milliseconds(COUNTER_START_DELAY_MS));
#endif
#ifdef COUNTER_CRASH_AFTER_MS
    context().start_timer(COUNTER_CRASH_AFTER_MS, 0, Crash{});
#endif
  }

  alys::StateSnapshot snapshot(std::uint32_t target_schema_version) override {
#if COUNTER_SCHEMA >= 2
    if (target_schema_version >= 2) {
      CounterStateV2 state{total_, order_violations_, {}, restores_};
      for (const auto& [sender, last] : last_sequence_) state.senders.push_back({sender, last});
      return {alys::encode(state), 2};
    }
#endif
    if (target_schema_version < 1)
      throw alys::Error(ALYS_ERR_SCHEMA, "counter writes state schema 1 at the oldest");
    CounterStateV1 state{total_, order_violations_, {}, {}};
    for (const auto& [sender, last] : last_sequence_) {
      state.senders.push_back(sender);
      state.last_sequences.push_back(last);
    }
    return {alys::encode(state), 1};
  }

  void restore(alys::ByteView bytes, std::uint32_t schema_version) override {
#ifdef COUNTER_FAIL_RESTORE
    (void)bytes;
    throw alys::Error(ALYS_ERR_FAILED,
                      "counter_bad_restore: restore refused by this build (schema " +
                          std::to_string(schema_version) + ")");
#else
    if (schema_version == 1) {
      CounterStateV1 state = alys::decode<CounterStateV1>(bytes);
      total_ = state.total;
      order_violations_ = state.order_violations;
      for (std::size_t i = 0; i < state.senders.size() && i < state.last_sequences.size(); ++i)
        last_sequence_[state.senders[i]] = state.last_sequences[i];
#if COUNTER_SCHEMA >= 2
    } else if (schema_version == 2) {
      CounterStateV2 state = alys::decode<CounterStateV2>(bytes);
      total_ = state.total;
      order_violations_ = state.order_violations;
      restores_ = state.restores;
      for (const auto& entry : state.senders) last_sequence_[entry.sender] = entry.last;
#endif
    } else {
      throw alys::Error(ALYS_ERR_SCHEMA, "counter " COUNTER_VERSION
                                         " cannot restore state schema " +
                                             std::to_string(schema_version));
    }
    ++restores_;
#endif
  }

 private:
  CountState state() const {
    return CountState{total_,        order_violations_,      handled_,      mark_position_, ticks_,
                      last_tick_ms_, tick_order_violations_, COUNTER_BUILD, restores_};
  }

  std::uint64_t total_ = 0;
  std::uint64_t order_violations_ = 0;
  std::uint64_t restores_ = 0;
  std::map<std::uint32_t, std::uint64_t> last_sequence_;
  std::uint64_t handled_ = 0;
  std::uint64_t mark_position_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t ticks_ = 0;
  std::uint64_t last_tick_ms_ = 0;
  std::uint64_t tick_period_ms_ = 0;
  std::uint64_t tick_order_violations_ = 0;
};

#ifdef COUNTER_PAUSE_DEPENDENTS
constexpr std::uint32_t kCapabilities = ALYS_CAP_SWAPPABLE | ALYS_CAP_PAUSE_DEPENDENTS_ON_SWAP;
#else
constexpr std::uint32_t kCapabilities = ALYS_CAP_SWAPPABLE;
#endif

}  // namespace

#ifndef COUNTER_ABI_1_0
ALYS_PLUGIN(CounterActor, alys::PluginInfo{.role = ALYS_ROLE_ANY,
                                           .name = "alys-test-counter",
                                           .version = COUNTER_VERSION,
                                           .state_schema_version = COUNTER_SCHEMA,
                                           .capabilities = kCapabilities});
#else
namespace {

// The function table of ABI 1.0: the 1.1 table without its appended entry.
struct FunctionTableV1_0 {
  std::uint32_t struct_size;
  std::uint32_t reserved;
  decltype(alys_plugin_function_table::alys_plugin_on_create) on_create;
  decltype(alys_plugin_function_table::alys_plugin_on_start) on_start;
  decltype(alys_plugin_function_table::alys_plugin_on_handle) on_handle;
  decltype(alys_plugin_function_table::alys_plugin_on_snapshot) on_snapshot;
  decltype(alys_plugin_function_table::alys_plugin_on_restore) on_restore;
  decltype(alys_plugin_function_table::alys_plugin_on_stop) on_stop;
  decltype(alys_plugin_function_table::alys_plugin_on_destroy) on_destroy;
  decltype(alys_plugin_function_table::alys_plugin_on_health) on_health;
};
static_assert(sizeof(FunctionTableV1_0) == 72);

constexpr alys_manifest manifest_v1_0() {
  alys_manifest manifest =
      alys::detail::make_manifest(alys::PluginInfo{.role = ALYS_ROLE_ANY,
                                                   .name = "alys-test-counter",
                                                   .version = COUNTER_VERSION,
                                                   .state_schema_version = COUNTER_SCHEMA,
                                                   .capabilities = kCapabilities});
  manifest.abi_minor = 0;
  return manifest;
}

}  // namespace

extern "C"
    __attribute__((visibility("default"))) constinit const alys_manifest alys_plugin_manifest =
        manifest_v1_0();
extern "C" __attribute__((
    visibility("default"))) constinit const FunctionTableV1_0 alys_plugin_functions = {
    sizeof(FunctionTableV1_0),
    0,
    &alys::detail::on_create<CounterActor>,
    &alys::detail::on_start,
    &alys::detail::on_handle,
    &alys::detail::on_snapshot,
    &alys::detail::on_restore,
    &alys::detail::on_stop,
    &alys::detail::on_destroy,
    &alys::detail::on_health};
#endif
