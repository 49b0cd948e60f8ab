#include "host/runtime/degraded_state.hpp"

#include <catch2/catch.hpp>

using alys::host::DegradedChange;
using alys::host::DegradedState;

TEST_CASE("DegradedState: each change is reported once, with the reason it replaced",
          "[degraded_state]") {
  DegradedState state;
  CHECK_FALSE(state.degraded());
  CHECK(state.reason().empty());
  CHECK(state.clear() == DegradedChange::none);

  CHECK(state.mark("execution client down") == DegradedChange::became_degraded);
  CHECK(state.degraded());
  CHECK(state.reason() == "execution client down");
  CHECK(state.mark("execution client down") == DegradedChange::none);
  CHECK(state.mark("execution client syncing") == DegradedChange::reason_changed);
  CHECK(state.reason() == "execution client syncing");

  std::string was;
  CHECK(state.clear(&was) == DegradedChange::recovered);
  CHECK(was == "execution client syncing");
  CHECK_FALSE(state.degraded());
  was = "untouched";
  CHECK(state.clear(&was) == DegradedChange::none);
  CHECK(was == "untouched");
  CHECK(state.mark("down") == DegradedChange::became_degraded);
}
