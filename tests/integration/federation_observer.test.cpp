// An observer (a node with a network key but no member key) started after the federation has
// produced many blocks: it syncs them all from the members, serves the chain's and the engine's
// read RPC for them, and never approves or authors.
//
// ALYS_FED_OBSERVER_BLOCKS sets how many blocks exist before it starts (default 300, produced at
// 100 ms slots, so that the test stays within two minutes; the benchmark,
// tests/bench/federation_bench.sh, runs 10,000).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "federation.hpp"

using alys::testing::Federation;
using alys::testing::federation_of;
using alys::testing::FederationOptions;
using namespace std::chrono_literals;

namespace {

std::uint64_t blocks_before_observer() {
  const char* text = std::getenv("ALYS_FED_OBSERVER_BLOCKS");
  return text ? std::stoull(text) : 300;
}

std::string quantity(std::uint64_t value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

}  // namespace

TEST_CASE("an observer syncs the chain, serves read RPC, never approves or authors",
          "[integration][federation]") {
  const std::uint64_t target = blocks_before_observer();
  Federation federation(federation_of(3, 100, 1));
  for (std::size_t i = 0; i < 3; ++i) federation.start(i);
  for (std::size_t i = 0; i < 3; ++i) federation.wait_ready(i);
  const auto produce_timeout = std::chrono::milliseconds(target * 100 * 3 / 2 + 10'000);
  REQUIRE(federation.wait_heights({0, 1, 2}, target, produce_timeout));

  const auto started = std::chrono::steady_clock::now();
  federation.start(3);
  federation.wait_ready(3);
  const std::uint64_t members_head = federation.height(0);
  REQUIRE(federation.wait_heights({3}, members_head, 60s));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "observer synced " << members_head << " blocks in " << seconds << " s ("
            << static_cast<double>(members_head) / seconds
            << " blocks/s, process start included)\n";

  // The same chain, block by block, and the same engine state.
  for (std::uint64_t h = 0; h <= members_head; ++h) {
    auto theirs = federation.block(0, h);
    auto ours = federation.block(3, h);
    INFO("height " << h);
    REQUIRE(theirs);
    REQUIRE(ours);
    CHECK(ours->hash == theirs->hash);
    CHECK(ours->state_root == theirs->state_root);
  }
  // Ethereum read RPC on the observer.
  const auto eth_head = federation.must(3, "eth_blockNumber");
  CHECK(std::stoull(std::string(eth_head.as_string()).substr(2), nullptr, 16) >= members_head);
  const auto member_block =
      federation.must(0, "eth_getBlockByNumber", "[\"" + quantity(members_head) + "\", false]");
  const auto observer_block =
      federation.must(3, "eth_getBlockByNumber", "[\"" + quantity(members_head) + "\", false]");
  CHECK(observer_block.at("hash") == member_block.at("hash"));
  CHECK(observer_block.at("stateRoot") == member_block.at("stateRoot"));
  // The embedded engine keeps only its head's state; no transfer moves this balance here.
  const std::string balance_params = R"(["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "latest"])";
  CHECK(federation.must(3, "eth_getBalance", balance_params) ==
        federation.must(0, "eth_getBalance", balance_params));
  CHECK(federation.must(3, "eth_chainId") == federation.must(0, "eth_chainId"));

  // It follows the head from now on, and never authors or approves: no block names it, it makes
  // no proposal, and its chain knows no member index.
  REQUIRE(federation.wait_heights({3}, members_head + 5, 20s));
  const auto status = federation.must(3, "chain_status");
  CHECK(status.at("member_index").is_null());
  const std::string log = federation.log_text(3);
  CHECK(log.find("produced block") == std::string::npos);
  CHECK(log.find("proposed block") == std::string::npos);
  for (const auto& block : federation.blocks(3, 1, members_head + 5)) CHECK(block.author < 3);
  federation.finished();
}
