#include "host/loading/swap_trials.hpp"

#include <catch2/catch.hpp>

using alys::host::ActorCell;
using alys::host::SwapFigures;
using alys::host::SwapOutcome;
using alys::host::SwapTrial;
using alys::host::SwapTrials;

namespace {

// The trials only compare cell addresses; these stand in for cells and are never dereferenced.
ActorCell* fake_cell(std::uintptr_t n) { return reinterpret_cast<ActorCell*>(n * 64); }

SwapTrial trial_to(const std::string& version) {
  SwapTrial trial;
  trial.outcome.to_version = version;
  return trial;
}

}  // namespace

TEST_CASE("a trial ends once, by its own id", "[swap_trials]") {
  SwapTrials trials;
  ActorCell* cell = fake_cell(1);
  std::uint64_t first = trials.begin(cell, trial_to("2"));
  CHECK(trials.on_trial(cell));
  CHECK_FALSE(trials.on_trial(fake_cell(2)));

  auto ended = trials.end(cell, first);
  REQUIRE(ended);
  CHECK(ended->outcome.to_version == "2");
  CHECK_FALSE(trials.on_trial(cell));
  CHECK_FALSE(trials.end(cell, first));  // over already

  // A later trial of the same cell is not ended by the first one's (late) timer.
  std::uint64_t second = trials.begin(cell, trial_to("3"));
  CHECK(second != first);
  CHECK_FALSE(trials.end(cell, first));
  CHECK(trials.on_trial(cell));
  auto rolled_back = trials.end(cell);
  REQUIRE(rolled_back);
  CHECK(rolled_back->outcome.to_version == "3");
}

TEST_CASE("end_all hands every trial back with its cell", "[swap_trials]") {
  SwapTrials trials;
  (void)trials.begin(fake_cell(1), trial_to("a"));
  (void)trials.begin(fake_cell(2), trial_to("b"));
  auto ended = trials.end_all();
  REQUIRE(ended.size() == 2);
  for (const auto& [cell, trial] : ended)
    CHECK(trial->outcome.to_version == (cell == fake_cell(1) ? "a" : "b"));
  CHECK_FALSE(trials.on_trial(fake_cell(1)));
  CHECK(trials.end_all().empty());
}

TEST_CASE("swap figures count each outcome by role", "[swap_trials]") {
  SwapFigures figures;
  auto outcome = [](bool ok, std::string role, std::string mode, bool rolled_back) {
    SwapOutcome made;
    made.ok = ok;
    made.role = std::move(role);
    made.mode = std::move(mode);
    made.rolled_back = rolled_back;
    return made;
  };
  SwapOutcome swapped = outcome(true, "chain", "state", false);
  SwapOutcome restarted = outcome(true, "chain", "restart", false);
  SwapOutcome rolled_back = outcome(false, "engine", "state", true);
  SwapOutcome refused = outcome(false, "engine", "state", false);
  for (const auto& settled : {swapped, swapped, restarted, rolled_back, refused})
    figures.count(settled);
  auto counts = figures.counts();
  CHECK(counts["chain"].swapped == 2);
  CHECK(counts["chain"].restarted == 1);
  CHECK(counts["engine"].rolled_back == 1);
  CHECK(counts["engine"].swapped == 0);

  figures.observe_pause(1500);
  CHECK(figures.pause().count == 1);
  figures.count_unload_failure();
  CHECK(figures.unload_failures() == 1);
}
