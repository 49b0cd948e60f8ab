// Range sync through the GossipEngine, as the actor drives it: peers report their heads, the
// engine asks for ranges, the test answers with real encoded blocks and plays the chain.
#include "block_sync.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>

#include "gossip_test_port.hpp"

using namespace alys;
using namespace alys::network;
using namespace alys::network::testing;

namespace {

constexpr PeerId kA = 21, kB = 22;

struct Syncing {
  RecordingPort port;
  GossipEngine engine;
  Hash32 genesis = test_spec().genesis_hash;
  std::vector<SignedBlock> chain;

  explicit Syncing(std::uint64_t blocks, std::uint32_t batch = 4)
      : engine(test_settings(batch), port), chain(make_chain(blocks, genesis)) {
    chain::ChainStatus status;
    status.head_hash = genesis;
    engine.chain_status(status);
    engine.peer_connected(kA, member_peer(1));
    engine.peer_connected(kB, member_peer(2));
    port.sent.clear();
  }

  wire::PeerStatus status_at(std::uint64_t height) {
    wire::PeerStatus status;
    status.head_height = height;
    status.head_hash = block_hash(chain[height - 1].block);
    return status;
  }

  wire::Blocks range(std::uint64_t from, std::uint32_t count) {
    wire::Blocks answer{from, {}};
    for (std::uint64_t h = from; h < from + count && h <= chain.size(); ++h)
      answer.blocks.push_back(encode(chain[h - 1]));
    return answer;
  }

  // Every GetBlocks sent since the last call, by peer.
  std::vector<std::pair<PeerId, wire::GetBlocks>> requests() {
    auto out = port.sent_of<wire::GetBlocks>();
    std::erase_if(port.sent, [](const RecordingPort::Sent& s) {
      return std::holds_alternative<wire::GetBlocks>(s.message);
    });
    return out;
  }

  // Plays the chain: answers the open imports in order, imported, and announces each head.
  void import_all() {
    while (port.open_imports() > 0) {
      const SignedBlock block = port.imports[port.answered_imports].block;
      port.answer_import(imported());
      engine.block_imported(imported_event(block));
    }
  }
};

}  // namespace

TEST_CASE("sync: ranges split across two peers ahead, imported in height order") {
  Syncing s(20);
  s.engine.received(kA, s.status_at(20));
  s.engine.received(kB, s.status_at(20));
  auto asked = s.requests();
  // Two in flight per peer, different ranges, batch 4: A 1-4 and 5-8 (it was first), B 9-16.
  REQUIRE(asked.size() == 4);
  std::map<std::uint64_t, PeerId> by_from;
  for (const auto& [peer, request] : asked) {
    CHECK(request.max_count == 4);
    by_from[request.from_height] = peer;
  }
  CHECK(by_from == std::map<std::uint64_t, PeerId>{{1, kA}, {5, kA}, {9, kB}, {13, kB}});
  CHECK(s.engine.stats().syncing);
  CHECK(s.engine.stats().sync_target_height == 20);

  // Later ranges arrive first: nothing can be imported before block 1.
  s.engine.received(kB, s.range(13, 4));
  s.engine.received(kB, s.range(9, 4));
  s.engine.received(kA, s.range(5, 4));
  CHECK(s.port.imports.empty());
  s.engine.received(kA, s.range(1, 4));
  // Pipelined: all sixteen handed to the chain without waiting for an answer, in order.
  REQUIRE(s.port.imports.size() == 16);
  for (std::size_t i = 0; i < 16; ++i) CHECK(s.port.imports[i].block.block.height == i + 1);
  asked = s.requests();
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].second.from_height == 17);
  s.engine.received(asked[0].first, s.range(17, 4));
  s.import_all();

  CHECK(s.engine.stats().head_height == 20);
  CHECK(s.engine.stats().blocks_synced_total == 20);
  CHECK_FALSE(s.engine.stats().syncing);
  CHECK(s.port.reports.empty());
  REQUIRE(s.port.imports.size() == 20);
  for (std::size_t i = 0; i < 20; ++i) CHECK(s.port.imports[i].block.block.height == i + 1);
}

TEST_CASE("sync: a range that times out is asked again of the other peer") {
  Syncing s(6, 4);
  s.engine.received(kA, s.status_at(6));
  auto asked = s.requests();
  REQUIRE(asked.size() == 2);  // A only: 1-4 and 5-6
  CHECK(asked[0].first == kA);
  s.engine.received(kB, s.status_at(6));
  CHECK(s.requests().empty());  // nothing left to ask

  s.port.clock_ms += 5'000;
  s.engine.tick();
  CHECK(s.engine.stats().sync_requests_timed_out_total == 2);
  asked = s.requests();
  REQUIRE(asked.size() == 2);
  for (const auto& [peer, request] : asked) CHECK(peer == kB);
  CHECK(asked[0].second.from_height == 1);
  CHECK(asked[1].second.from_height == 5);

  // B answers; A's late answer is still accepted without blame and changes nothing.
  s.engine.received(kB, s.range(1, 4));
  s.engine.received(kB, s.range(5, 2));
  s.engine.received(kA, s.range(1, 4));
  s.import_all();
  CHECK(s.engine.stats().head_height == 6);
  CHECK(s.port.imports.size() == 6);
  CHECK(s.port.reports.empty());
}

TEST_CASE("sync: a gapped, reordered or foreign range is refused and asked elsewhere") {
  Syncing s(8, 4);
  s.engine.received(kA, s.status_at(8));
  auto asked = s.requests();
  REQUIRE(asked.size() == 2);
  s.engine.received(kB, s.status_at(8));

  wire::Blocks bad = s.range(1, 4);
  SECTION("gap") { bad.blocks.erase(bad.blocks.begin() + 1); }
  SECTION("reordered") { std::swap(bad.blocks[1], bad.blocks[2]); }
  SECTION("not from where asked") { bad = s.range(2, 3), bad.from_height = 1; }
  SECTION("another chain's block in the middle") {
    SignedBlock other = s.chain[2];
    other.block.parent_hash[0] ^= 1;
    bad.blocks[2] = encode(other);
  }
  SECTION("more blocks than asked") { bad.blocks.push_back(encode(s.chain[4])); }
  s.engine.received(kA, bad);
  CHECK(s.port.reported(Misbehaviour::bad_range) == 1);
  CHECK(s.port.imports.empty());
  asked = s.requests();
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].first == kB);
  CHECK(asked[0].second.from_height == 1);
}

TEST_CASE("sync: a block that does not decode strictly is malformed_payload") {
  Syncing s(4, 4);
  s.engine.received(kA, s.status_at(4));
  s.requests();
  wire::Blocks answer = s.range(1, 4);
  answer.blocks[3].push_back(0);  // a trailing byte: decode() would take it, decode_strict not
  s.engine.received(kA, answer);
  CHECK(s.port.reported(Misbehaviour::malformed_payload) == 1);
  CHECK(s.port.imports.empty());
}

TEST_CASE("sync: Blocks nobody asked for are unrequested_blocks") {
  Syncing s(4, 4);
  s.engine.received(kA, s.range(1, 4));
  CHECK(s.port.reported(Misbehaviour::unrequested_blocks) == 1);
  s.engine.received(kA, s.status_at(4));
  s.requests();
  s.engine.received(kA, s.range(1, 4));
  s.engine.received(kA, s.range(1, 4));  // answered already
  CHECK(s.port.reported(Misbehaviour::unrequested_blocks) == 2);
  CHECK(s.port.imports.size() == 4);
}

TEST_CASE("sync: a block the chain rejects as invalid is blamed and fetched again") {
  Syncing s(8, 4);
  s.engine.received(kA, s.status_at(8));
  s.engine.received(kB, s.status_at(8));
  for (const auto& [peer, request] : s.requests())
    s.engine.received(peer, s.range(request.from_height, request.max_count));
  REQUIRE(s.port.imports.size() == 8);
  s.port.answer_import(imported());
  s.engine.block_imported(imported_event(s.chain[0]));
  s.port.answer_import(imported());
  s.engine.block_imported(imported_event(s.chain[1]));
  s.port.answer_import(rejected("payload_invalid"));
  // The blocks pipelined behind it fail too; they belong to the abandoned attempt.
  while (s.port.open_imports() > 0) s.port.answer_import(rejected("wrong_parent"));
  REQUIRE(s.port.reported(Misbehaviour::invalid_block) == 1);
  const PeerId blamed = s.port.reports[0].peer;
  auto asked = s.requests();
  REQUIRE(!asked.empty());
  CHECK(asked[0].second.from_height == 3);
  CHECK(asked[0].first != blamed);
  CHECK(std::any_of(s.port.logs.begin(), s.port.logs.end(), [](const std::string& line) {
    return line.find("synced block 3") != std::string::npos;
  }));
}

TEST_CASE("sync: progress in the log every 2 s while syncing") {
  Syncing s(12, 4);
  s.engine.received(kA, s.status_at(12));
  s.engine.tick();
  for (const auto& [peer, request] : s.requests())
    s.engine.received(peer, s.range(request.from_height, request.max_count));
  s.import_all();
  s.port.clock_ms += 2'000;
  s.engine.tick();
  auto has = [&](std::string_view text) {
    return std::any_of(s.port.logs.begin(), s.port.logs.end(), [&](const std::string& line) {
      return line.find(text) != std::string::npos;
    });
  };
  CHECK(has("sync: height 8 of 12, 4 blocks/s, from 1 peers"));
  for (const auto& [peer, request] : s.requests())
    s.engine.received(peer, s.range(request.from_height, request.max_count));
  s.import_all();
  s.engine.tick();
  CHECK(has("sync: caught up at height 12"));
}

// The figure for the notes: what the engine itself costs per synced block (strict decoding,
// hashing, range checks, scheduling), the chain's import excluded.
TEST_CASE("sync: 10,000 blocks from genesis through the engine") {
  constexpr std::uint64_t kBlocks = 10'000;
  Syncing s(kBlocks, 256);
  std::vector<Bytes> encoded;
  for (const SignedBlock& block : s.chain) encoded.push_back(encode(block));
  const auto started = std::chrono::steady_clock::now();
  s.engine.received(kA, s.status_at(kBlocks));
  s.engine.received(kB, s.status_at(kBlocks));
  while (s.engine.stats().head_height < kBlocks) {
    auto asked = s.requests();
    for (const auto& [peer, request] : asked) {
      wire::Blocks answer{request.from_height, {}};
      for (std::uint64_t h = request.from_height;
           h < request.from_height + request.max_count && h <= kBlocks; ++h)
        answer.blocks.push_back(encoded[h - 1]);
      s.engine.received(peer, answer);
    }
    const std::size_t before = s.port.answered_imports;
    s.import_all();
    REQUIRE((s.port.answered_imports > before || !asked.empty()));
    s.port.clock_ms += 10;
    s.engine.tick();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  WARN("engine sync overhead: " << kBlocks << " blocks in " << seconds << " s = "
                                << static_cast<std::uint64_t>(kBlocks / seconds) << " blocks/s");
  CHECK(s.engine.stats().blocks_synced_total == kBlocks);
  CHECK(s.port.reports.empty());
  for (std::size_t i = 0; i < s.port.imports.size(); ++i)
    REQUIRE(s.port.imports[i].block.block.height == i + 1);
}

TEST_CASE("sync: nothing is fetched before the chain has told its head") {
  RecordingPort port;
  GossipEngine engine(test_settings(4), port);
  const auto chain = make_chain(9, test_spec().genesis_hash);
  engine.peer_connected(kA, member_peer(1));
  wire::PeerStatus ahead;
  ahead.head_height = 9;
  engine.received(kA, ahead);
  chain::ChainStatus reading;
  reading.syncing = true;  // the chain is still reading its head from storage
  engine.chain_status(reading);
  engine.tick();
  CHECK(port.sent_of<wire::GetBlocks>().empty());
  chain::ChainStatus status;
  status.head_height = 5;
  status.head_hash = block_hash(chain[4].block);
  engine.chain_status(status);
  const auto asked = port.sent_of<wire::GetBlocks>();
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].second.from_height == 6);
  CHECK(asked[0].second.max_count == 4);
}
