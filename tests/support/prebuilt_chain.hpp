// A federation's chain built before its members start: `blocks` empty, certified blocks on the
// genesis of a Federation whose genesis lies in the past, produced on the harness's virtual clock
// in one process (a minute of CPU, not the 10,000 slots of wall time a live federation needs).
//
// An observer node of that chain (storage, engine and chain plugins, the files a node loads) runs
// in the SDK harness. For each slot in turn the node's own engine builds the payload, the block is
// signed by the slot's author and the members after it up to the threshold, and the node's chain
// imports it through its normal import path (every rule a live block meets, signatures included).
// The node's data dir is then copied into each member's, so the members start with the chain as
// if they had produced it; an observer that starts later has to sync every block from them.
// Needs ALYS_BINARY_DIR and the target alys_testing.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "alys/schemas/chain.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "alys/testing.hpp"
#include "federation.hpp"

namespace alys::testing {

// A genesis far enough in the past for `blocks` slots of `slot_ms`, with `spare_ms` left over for
// building them and starting the members (block timestamps must not lie ahead of a node's clock).
inline std::uint64_t past_genesis_ms(std::uint64_t blocks, std::uint64_t slot_ms,
                                     std::uint64_t spare_ms = 60'000) {
  const auto now =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  return now - blocks * slot_ms - spare_ms;
}

// Builds the chain and copies it into the data dir of every member of `federation` (none may be
// running). Returns the height built. Progress goes to stdout every 1,000 blocks.
inline std::uint64_t prebuild_chain(Federation& federation, std::uint64_t blocks) {
  const auto started = std::chrono::steady_clock::now();
  const std::filesystem::path data_dir = federation.dir().path() / "prebuilt";
  std::filesystem::create_directories(data_dir);
  const std::string host = "host.data_dir = \"" + data_dir.string() + "\"\n";
  const std::filesystem::path plugins = ALYS_BINARY_DIR "/plugins";

  std::optional<Harness> holder;
  Harness& node = holder.emplace(HarnessOptions{federation.genesis_ms(), 0});
  node.add("storage", plugins / "storage/alys_storage.so",
           host + "backend = \"leveldb\"\npath = \"chain.db\"\n");
  node.add("engine", plugins / "engine/alys_engine.so", host + federation.engine_table(),
           {"storage"});
  node.add("chain", plugins / "chain/alys_chain.so",
           host + federation.chain_spec_table() + "[auxpow]\n" + federation.auxpow_table(),
           {"storage", "engine"});
  node.start();
  node.run();

  auto ask = [&node]<class Reply, class Request>(std::string_view role, const Request& request) {
    const std::uint64_t id = node.request(role, request, 60'000);
    node.run();
    auto reply = node.reply_as<Reply>(id);
    INFO("no " << Reply::schema_name << " from " << role);
    REQUIRE(reply);
    return *reply;
  };
  const storage::Head head = ask.operator()<storage::Head>("storage", storage::GetHead{});
  REQUIRE(head.height == 0);
  const auto genesis = ask.operator()<storage::BlockFound>("storage", storage::GetBlockByHeight{0});
  REQUIRE(genesis.found);
  SignedBlock parent = decode<SignedBlock>(genesis.block.block);
  Hash32 parent_hash = head.hash;

  const std::uint64_t slot_ms = federation.slot_ms();
  const std::uint64_t members = federation.members();
  const std::uint64_t threshold = federation.threshold();
  const std::uint64_t chain_id = federation.chain_id();
  for (std::uint64_t height = 1; height <= blocks; ++height) {
    const std::uint64_t slot = parent.block.slot + 1;
    // The node's clock at the slot's start, as the author's would be when it builds.
    if (node.now_ms() < slot * slot_ms)
      node.advance(std::chrono::milliseconds(slot * slot_ms - node.now_ms()));
    // Paying to the burn address, as every block's payload must (docs/mining.md, "Fees").
    engine::BuildPayload build{parent.block.payload.block_hash,
                               slot * slot_ms,
                               *fixed_from_hex<20>("0x000000000000000000000000000000000000dEaD"),
                               {},
                               1000};
    const auto built = ask.operator()<engine::PayloadBuilt>("engine", build);
    INFO("height " << height << ": " << built.error);
    REQUIRE(built.error.empty());

    SignedBlock block;
    block.block.height = height;
    block.block.parent_hash = parent_hash;
    block.block.slot = slot;
    block.block.timestamp_ms = slot * slot_ms;
    block.block.author_index = static_cast<std::uint32_t>(slot % members);
    block.block.payload = built.payload;
    const Hash32 hash = block_hash(block.block);
    for (std::uint64_t k = 0; k < threshold; ++k) {
      const auto member = static_cast<std::uint32_t>((slot + k) % members);
      block.approvals.push_back(Approval{
          member, federation.node(member).key.schnorr_sign(approval_message(chain_id, hash))});
    }
    const auto imported = ask.operator()<chain::ImportResult>("chain", chain::ImportBlock{block});
    INFO("height " << height << ": " << imported.code << " " << imported.error);
    REQUIRE(imported.imported);
    parent = std::move(block);
    parent_hash = hash;
    if (height % 1000 == 0 || height == blocks)
      std::cout << "prebuilt chain: " << height << " of " << blocks << " blocks ("
                << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
                << " s)\n"
                << std::flush;
  }
  REQUIRE(ask.operator()<storage::Head>("storage", storage::GetHead{}).height == blocks);
  holder.reset();  // the node lets go of its database before it is copied
  for (std::size_t i = 0; i < members; ++i)
    std::filesystem::copy(data_dir, federation.node(i).dir / "data",
                          std::filesystem::copy_options::recursive);
  return blocks;
}

}  // namespace alys::testing
