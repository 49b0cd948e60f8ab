// Hot swap of the network plugin on one member of a running three-member federation
// (`alys-ctl reload network FILE`, docs/operations.md), five times over: no block is lost, the
// chain stays one (same hash per height on all three) and the federation never stops.
#include <catch2/catch.hpp>

#include <chrono>
#include <iostream>
#include <string>

#include "federation.hpp"

using alys::testing::ChildProcess;
using alys::testing::Federation;
using alys::testing::federation_of;
using alys::testing::FederationOptions;
using namespace std::chrono_literals;

TEST_CASE("hot swap of the network plugin on a member: no block lost, no stop",
          "[integration][federation][swap]") {
  Federation federation(federation_of(3, 300));
  // A second file of the plugin: a reload between two files of one swappable build is a state
  // hand-off like any upgrade (the other plugins' swap tests do the same with their _v2 builds).
  const std::filesystem::path second = federation.dir().path() / "alys_network_copy.so";
  std::filesystem::copy_file(ALYS_BINARY_DIR "/plugins/network/alys_network.so", second);
  const std::filesystem::path first = ALYS_BINARY_DIR "/plugins/network/alys_network.so";
  federation.start_all();
  REQUIRE(federation.wait_heights({0, 1, 2}, 4, 30s));
  const std::uint64_t start_height = federation.height(0);

  constexpr int kSwaps = 5;
  for (int swap = 0; swap < kSwaps; ++swap) {
    const std::filesystem::path file = swap % 2 == 0 ? second : first;
    ChildProcess reload({ALYS_BINARY_DIR "/bin/alys-ctl", "--config",
                         federation.node(0).config.string(), "reload", "network", file.string()},
                        federation.dir().path() / ("reload-" + std::to_string(swap) + ".log"));
    auto code = reload.wait_exit(60s);
    INFO("reload " << swap << ": " << reload.output());
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(reload.output().find("reloaded network") != std::string::npos);
    const std::uint64_t now = federation.height(0);
    // The federation goes on after each swap, the swapped member included.
    REQUIRE(federation.wait_heights({0, 1, 2}, now + 2, 15s));
  }
  REQUIRE(federation.wait_heights({0, 1, 2}, federation.height(0) + 3, 15s));
  std::uint64_t top = UINT64_MAX;
  for (std::size_t i = 0; i < 3; ++i) top = std::min(top, federation.height(i));

  // Heights contiguous and one chain on all three.
  const auto blocks = federation.blocks(0, start_height, top);
  for (std::size_t i = 1; i < 3; ++i)
    for (const auto& block : federation.blocks(i, start_height, top)) {
      INFO(federation.node(i).name << " height " << block.height);
      CHECK(block.hash == blocks[block.height - start_height].hash);
    }
  // Every slot of the window made its block (all authors were up), but for at most one per swap
  // while the swapped member's connections came back.
  std::uint64_t missed = 0;
  for (std::size_t k = 1; k < blocks.size(); ++k) {
    CHECK(blocks[k].parent_hash == blocks[k - 1].hash);
    missed += blocks[k].slot - blocks[k - 1].slot - 1;
  }
  std::cout << "network swaps: " << kSwaps << ", blocks " << blocks.size() << ", slots missed "
            << missed << "\n";
  CHECK(missed <= static_cast<std::uint64_t>(kSwaps));
  federation.finished();
}
