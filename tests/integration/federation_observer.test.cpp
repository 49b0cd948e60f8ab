// An observer (a node with a network key but no member key) started after the federation has
// produced many blocks: it syncs them all from the members, serves the chain's and the engine's
// read RPC for them, and never approves or authors.
//
// The 10,000 blocks (ALYS_FED_OBSERVER_BLOCKS) are built before the members start, on the harness's
// virtual clock through the chain's import path (prebuilt_chain.hpp), on a genesis that far in the
// past; the members start on that chain and produce on top of it, and then the observer starts.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "federation.hpp"
#include "prebuilt_chain.hpp"

using alys::testing::Federation;
using alys::testing::federation_of;
using alys::testing::FederationOptions;
using namespace std::chrono_literals;

namespace {

std::uint64_t blocks_before_observer() {
  const char* text = std::getenv("ALYS_FED_OBSERVER_BLOCKS");
  return text ? std::stoull(text) : 10'000;
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
  FederationOptions options = federation_of(3, 100, 1);
  options.genesis_ms = alys::testing::past_genesis_ms(target, options.slot_ms);
  // The prebuilt blocks carry no AuxPoW: nothing pauses production over them.
  options.dev_mine = false;
  options.max_blocks_without_pow = target + 100'000;
  Federation federation(options);
  alys::testing::prebuild_chain(federation, target);
  for (std::size_t i = 0; i < 3; ++i) federation.start(i);
  for (std::size_t i = 0; i < 3; ++i) federation.wait_ready(i);
  // The members are live on top of it before the observer comes.
  REQUIRE(federation.wait_heights({0, 1, 2}, target + 3, 30s));

  const auto started = std::chrono::steady_clock::now();
  federation.start(3);
  federation.wait_ready(3);
  const std::uint64_t members_head = federation.height(0);
  REQUIRE(federation.wait_heights({3}, members_head, 120s));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "observer synced " << members_head << " blocks in " << seconds << " s ("
            << static_cast<double>(members_head) / seconds
            << " blocks/s, process start included)\n";

  // The same chain and the same engine state. Every block names its parent's hash, so one hash
  // at the members' head height vouches for all below it; a sample of heights is read as well.
  std::vector<std::uint64_t> heights;
  for (std::uint64_t h = 0; h <= members_head; h += 97) heights.push_back(h);
  for (std::uint64_t h = members_head > 20 ? members_head - 20 : 0; h <= members_head; ++h)
    heights.push_back(h);
  for (std::uint64_t h : heights) {
    auto theirs = federation.block(0, h);
    auto ours = federation.block(3, h);
    INFO("height " << h);
    REQUIRE(theirs);
    REQUIRE(ours);
    CHECK(ours->hash == theirs->hash);
    CHECK(ours->parent_hash == theirs->parent_hash);
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
  for (const auto& block : federation.blocks(3, target, members_head + 5)) CHECK(block.author < 3);
  federation.finished();
}
