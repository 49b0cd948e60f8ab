// Partitions by the network plugin's fault switch (`network_fault`, fault_injection = true: every
// frame to and from the listed peers is dropped, connections kept). One member isolated, then all
// three apart, then healed: at no moment do two nodes hold different blocks at one height (nor
// finalized ones), and after the heal all converge and produce on.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <string>

#include "federation.hpp"

using alys::testing::Federation;
using alys::testing::federation_of;
using alys::testing::FederationOptions;
using namespace std::chrono_literals;

namespace {

// Every (height, hash) any node showed as its head or finalized block, to catch a conflict even
// if it were later hidden.
class HeightLedger {
 public:
  void sample(Federation& federation) {
    for (std::size_t i = 0; i < federation.size(); ++i) {
      auto head = federation.head(i);
      if (!head) continue;
      record(federation, i, head->height, head->hash);
      if (head->finalized) {
        auto block = federation.block(i, *head->finalized);
        if (block) record(federation, i, block->height, block->hash);
      }
    }
  }
  // Every height up to `to` of every node.
  void sweep(Federation& federation, std::uint64_t to) {
    for (std::size_t i = 0; i < federation.size(); ++i)
      for (std::uint64_t h = 1; h <= to; ++h)
        if (auto block = federation.block(i, h)) record(federation, i, h, block->hash);
  }
  std::size_t heights() const { return seen_.size(); }

 private:
  void record(Federation& federation, std::size_t node, std::uint64_t height,
              const std::string& hash) {
    auto [at, fresh] = seen_.emplace(height, std::make_pair(hash, node));
    INFO("height " << height << ": " << federation.node(node).name << " has " << hash << ", "
                   << federation.node(at->second.second).name << " has " << at->second.first);
    CHECK(at->second.first == hash);
  }
  std::map<std::uint64_t, std::pair<std::string, std::size_t>> seen_;
};

void watch(Federation& federation, HeightLedger& ledger, std::chrono::milliseconds period) {
  const auto end = std::chrono::steady_clock::now() + period;
  while (std::chrono::steady_clock::now() < end) {
    ledger.sample(federation);
    std::this_thread::sleep_for(50ms);
  }
}

}  // namespace

TEST_CASE("partition and heal: never two blocks at one height, then convergence",
          "[integration][federation]") {
  Federation federation(federation_of(3, 300));
  federation.start_all();
  REQUIRE(federation.wait_heights({0, 1, 2}, 4, 30s));
  HeightLedger ledger;

  // node3 alone: the other two are a majority and produce on; node3 stalls.
  federation.network_fault(2, {0, 1});
  federation.network_fault(0, {2});
  federation.network_fault(1, {2});
  const std::uint64_t isolated_at = federation.height(2);
  const std::uint64_t majority_at = federation.height(0);
  watch(federation, ledger, 4s);
  CHECK(federation.height(0) >= majority_at + 4);
  CHECK(federation.height(2) <= isolated_at + 1);

  // All three apart: nobody has a threshold; nothing is imported anywhere.
  federation.network_fault(0, {1, 2});
  federation.network_fault(1, {0, 2});
  federation.network_fault(2, {0, 1});
  std::this_thread::sleep_for(1s);  // what was in flight lands
  std::uint64_t apart[3];
  for (std::size_t i = 0; i < 3; ++i) apart[i] = federation.height(i);
  watch(federation, ledger, 4s);
  for (std::size_t i = 0; i < 3; ++i) CHECK(federation.height(i) <= apart[i] + 1);

  // Heal: all converge on one head and produce on, within a bound.
  for (std::size_t i = 0; i < 3; ++i) federation.network_fault(i, {});
  const auto healed = std::chrono::steady_clock::now();
  std::uint64_t top = 0;
  for (std::size_t i = 0; i < 3; ++i) top = std::max(top, federation.height(i));
  REQUIRE(federation.wait_heights({0, 1, 2}, top + 3, 30s));
  const double converge_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - healed).count();
  INFO("converged " << converge_s << " s after the heal");
  CHECK(converge_s < 20.0);
  watch(federation, ledger, 1s);
  ledger.sweep(federation, top + 3);
  CHECK(ledger.heights() >= top + 3);
  federation.finished();
}
