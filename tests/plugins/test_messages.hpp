// Message schemas of the test plugins, shared by the plugins and the tests that drive them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "alys/codec.hpp"

namespace alys::test {

// echo: a request answered with the same bytes.
struct Echo {
  static constexpr std::string_view schema_name = "alys.test.Echo/1";
  std::string text;
  ALYS_FIELDS(text)
};

// counter: one counted message, from a numbered sender, in that sender's sequence.
struct Count {
  static constexpr std::string_view schema_name = "alys.test.Count/1";
  std::uint32_t sender = 0;
  std::uint64_t sequence = 0;
  ALYS_FIELDS(sender, sequence)
};

// counter: remembers how many messages it had handled when this one arrived.
struct Mark {
  static constexpr std::string_view schema_name = "alys.test.Mark/1";
  ALYS_FIELDS()
};

// counter: request; answered with CountState.
struct GetCount {
  static constexpr std::string_view schema_name = "alys.test.GetCount/1";
  ALYS_FIELDS()
};

struct CountState {
  static constexpr std::string_view schema_name = "alys.test.CountState/1";
  std::uint64_t total = 0;             // Count messages handled
  std::uint64_t order_violations = 0;  // a sender's sequence that was not last + 1
  std::uint64_t handled = 0;           // all messages handled by this instance
  std::uint64_t mark_position = 0;     // `handled` when Mark arrived (UINT64_MAX: never)
  std::uint64_t ticks = 0;             // Tick timers handled
  std::uint64_t last_tick_ms = 0;
  std::uint64_t tick_order_violations = 0;  // a tick not exactly one period after the last
  std::string build;                        // which counter build answered (appended field)
  std::uint64_t restores = 0;               // state hand-offs this state went through
  ALYS_FIELDS(total, order_violations, handled, mark_position, ticks, last_tick_ms,
              tick_order_violations, build, restores)
};

// counter: starts a periodic timer delivering Tick.
struct StartTicking {
  static constexpr std::string_view schema_name = "alys.test.StartTicking/1";
  std::uint64_t period_ms = 0;
  ALYS_FIELDS(period_ms)
};

struct Tick {
  static constexpr std::string_view schema_name = "alys.test.Tick/1";
  ALYS_FIELDS()
};

// faulty: throws while handling it.
struct Poison {
  static constexpr std::string_view schema_name = "alys.test.Poison/1";
  std::string why;
  ALYS_FIELDS(why)
};

// faulty: counted in the host metric `work_handled` (which outlives instances).
struct Work {
  static constexpr std::string_view schema_name = "alys.test.Work/1";
  std::uint64_t id = 0;
  ALYS_FIELDS(id)
};

// faulty: ends the instance normally (ALYS_DONE).
struct Finish {
  static constexpr std::string_view schema_name = "alys.test.Finish/1";
  ALYS_FIELDS()
};

// faulty: a thread of the plugin reports a fatal error through the host API.
struct FailFromThread {
  static constexpr std::string_view schema_name = "alys.test.FailFromThread/1";
  ALYS_FIELDS()
};

// slow: request; blocks `ms` milliseconds, then replies with the same message.
struct Sleep {
  static constexpr std::string_view schema_name = "alys.test.Sleep/1";
  std::uint64_t ms = 0;
  ALYS_FIELDS(ms)
};

}  // namespace alys::test
