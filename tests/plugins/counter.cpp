// counter: counts Count messages, checks each sender's order, and keeps its state across hot swaps
// (state schema 1).
#include <limits>
#include <map>

#include "alys/plugin.hpp"
#include "test_messages.hpp"

namespace {

using namespace alys::test;

struct CounterStateV1 {
  std::uint64_t total = 0;
  std::uint64_t order_violations = 0;
  std::vector<std::uint32_t> senders;
  std::vector<std::uint64_t> last_sequences;
  ALYS_FIELDS(total, order_violations, senders, last_sequences)
};

class CounterActor : public alys::Actor {
 public:
  explicit CounterActor(alys::Context context) : Actor(context) {
    on<Count>([this](const Count& count, const alys::Envelope&) {
      ++handled_;
      ++state_.total;
      auto [last, inserted] = last_sequence_.try_emplace(count.sender, 0);
      if (count.sequence != last->second + 1) ++state_.order_violations;
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
      CountState reply{state_.total,  state_.order_violations, handled_, mark_position_, ticks_,
                       last_tick_ms_, tick_order_violations_};
      (void)this->context().reply(envelope.correlation_id, reply);
    });
  }

  alys::StateSnapshot snapshot() override {
    CounterStateV1 state = state_;
    for (const auto& [sender, sequence] : last_sequence_) {
      state.senders.push_back(sender);
      state.last_sequences.push_back(sequence);
    }
    return {alys::encode(state), 1};
  }

  void restore(alys::ByteView bytes, std::uint32_t schema_version) override {
    if (schema_version != 1)
      throw alys::Error(ALYS_ERR_SCHEMA,
                        "counter restores schema 1, got " + std::to_string(schema_version));
    CounterStateV1 state = alys::decode<CounterStateV1>(bytes);
    for (std::size_t i = 0; i < state.senders.size() && i < state.last_sequences.size(); ++i)
      last_sequence_[state.senders[i]] = state.last_sequences[i];
    state.senders.clear();
    state.last_sequences.clear();
    state_ = state;
  }

 private:
  CounterStateV1 state_;
  std::map<std::uint32_t, std::uint64_t> last_sequence_;
  std::uint64_t handled_ = 0;
  std::uint64_t mark_position_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t ticks_ = 0;
  std::uint64_t last_tick_ms_ = 0;
  std::uint64_t tick_period_ms_ = 0;
  std::uint64_t tick_order_violations_ = 0;
};

}  // namespace

ALYS_PLUGIN(CounterActor, alys::PluginInfo{.role = ALYS_ROLE_ANY,
                                           .name = "alys-test-counter",
                                           .version = "1.0.0",
                                           .state_schema_version = 1,
                                           .capabilities = ALYS_CAP_SWAPPABLE});
