// Engines talking to each other through the wire's real frames (encode_frame / decode_frame), each
// with its own recording port playing chain and storage: sync and gossip end to end, minus sockets.
#include <catch2/catch.hpp>

#include <map>
#include <memory>

#include "gossip_engine.hpp"
#include "gossip_test_port.hpp"
#include "wire/messages.hpp"

using namespace alys;
using namespace alys::network;
using namespace alys::network::testing;

namespace {

// A node: its engine, and its chain (the blocks it imported, genesis excluded).
struct Node {
  RecordingPort port;
  std::unique_ptr<GossipEngine> engine;
  std::vector<SignedBlock> blocks;
  std::size_t reads_served = 0;

  explicit Node(std::uint32_t member, std::vector<SignedBlock> chain = {})
      : blocks(std::move(chain)) {
    GossipSettings settings = test_settings(64);
    settings.self = member_key(member).xonly_public_key();
    engine = std::make_unique<GossipEngine>(settings, port);
    chain::ChainStatus status;
    status.head_height = blocks.size();
    status.head_hash = blocks.empty() ? test_spec().genesis_hash : block_hash(blocks.back().block);
    engine->chain_status(status);
  }
};

// Peer ids: node i knows node j as 100 + j.
struct Network {
  std::vector<std::unique_ptr<Node>> nodes;
  std::size_t frames = 0;
  std::size_t frame_bytes = 0;

  void connect_all() {
    for (std::size_t i = 0; i < nodes.size(); ++i)
      for (std::size_t j = 0; j < nodes.size(); ++j)
        if (i != j)
          nodes[i]->engine->peer_connected(100 + j, member_peer(static_cast<std::uint32_t>(j)));
  }

  // Delivers frames, serves storage reads and plays each chain until nothing moves.
  void run() {
    for (bool moved = true; moved;) {
      moved = false;
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        Node& node = *nodes[i];
        auto sent = std::move(node.port.sent);
        node.port.sent.clear();
        for (const auto& s : sent) {
          std::optional<Bytes> frame = wire::encode_frame(s.message);
          REQUIRE(frame);
          ++frames;
          frame_bytes += frame->size();
          wire::DecodedFrame decoded = wire::decode_frame(*frame);
          REQUIRE(decoded.ok());
          nodes[s.peer - 100]->engine->received(100 + i, std::move(*decoded.message));
          moved = true;
        }
        while (node.reads_served < node.port.reads.size()) {
          auto read = std::move(node.port.reads[node.reads_served++]);
          std::vector<Bytes> found;
          for (std::uint64_t h = read.from;
               h < read.from + read.max_count && h <= node.blocks.size(); ++h)
            found.push_back(encode(node.blocks[h - 1]));
          read.done(std::move(found));
          moved = true;
        }
        while (node.port.open_imports() > 0) {
          const SignedBlock block = node.port.imports[node.port.answered_imports].block;
          const bool next = block.block.height == node.blocks.size() + 1;
          node.port.answer_import(next ? imported() : rejected("wrong_parent"));
          if (next) {
            node.blocks.push_back(block);
            node.engine->block_imported(imported_event(block));
          }
          moved = true;
        }
      }
    }
  }
};

}  // namespace

TEST_CASE("engine pair: a fresh observer syncs from genesis from two members") {
  const auto chain = make_chain(300, test_spec().genesis_hash);
  Network net;
  net.nodes.push_back(std::make_unique<Node>(0, chain));
  net.nodes.push_back(std::make_unique<Node>(1, chain));
  net.nodes.push_back(std::make_unique<Node>(7));  // not a member: an observer
  net.connect_all();
  net.run();
  Node& observer = *net.nodes[2];
  REQUIRE(observer.blocks.size() == 300);
  CHECK(block_hash(observer.blocks.back().block) == block_hash(chain.back().block));
  CHECK(observer.engine->stats().blocks_synced_total == 300);
  CHECK(net.nodes[0]->reads_served > 0);
  CHECK(net.nodes[1]->reads_served > 0);  // both members served ranges
  for (const auto& node : net.nodes) CHECK(node->port.reports.empty());
}

TEST_CASE("engine pair: a proposal and its approvals reach every node once") {
  Network net;
  for (std::uint32_t member = 0; member < 3; ++member)
    net.nodes.push_back(std::make_unique<Node>(member));
  net.connect_all();
  net.run();
  for (auto& node : net.nodes) node->port.sent.clear();

  const SignedBlock block = make_block(1, test_spec().genesis_hash, 101);  // member 2's slot
  const Hash32 hash = block_hash(block.block);
  net.nodes[2]->engine->local_proposal(chain::ImportBlock{block});
  net.nodes[2]->engine->local_approval(approval_of(2, hash, 1));
  const std::size_t frames_before = net.frames;
  const std::size_t bytes_before = net.frame_bytes;
  net.run();
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(net.nodes[i]->port.imports.size() == 1);
    CHECK(net.nodes[i]->port.approvals.size() == 1);
    CHECK(net.nodes[i]->blocks.size() == 1);
  }
  // Each of the two messages crosses each link at most once per direction: no loops.
  const std::size_t frames = net.frames - frames_before;
  CHECK(frames <= 2 * 6 + 6);  // + the status each node sends after its import
  WARN("one proposal + one approval among 3 nodes: "
       << frames << " frames, " << net.frame_bytes - bytes_before << " bytes; an approval frame is "
       << wire::encode_frame(approval_of(2, hash, 1))->size()
       << " bytes, an empty block's proposal frame "
       << wire::encode_frame(chain::ImportBlock{block})->size() << " bytes (before AEAD: +20)");
}
