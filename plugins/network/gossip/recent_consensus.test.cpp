#include "recent_consensus.hpp"

#include <catch2/catch.hpp>

#include "gossip_test_port.hpp"

using namespace alys;
using namespace alys::network;
using namespace alys::network::testing;

TEST_CASE("recent consensus: heights above the head only, within the bound") {
  RecentConsensus recent(4);
  recent.head_moved(10);
  const Hash32 hash{1};
  CHECK_FALSE(recent.add_approval(approval_of(1, hash, 10)));
  CHECK(recent.add_approval(approval_of(1, hash, 11)));
  CHECK_FALSE(recent.add_approval(approval_of(1, hash, 11)));  // the same (hash, member, round)
  CHECK(recent.add_approval(approval_of(1, hash, 11, 1)));     // another round
  // The same member and round for another block: restated old approvals, or an equivocation the
  // chain judges; either way it cannot take more than its member's one place.
  CHECK_FALSE(recent.add_approval(approval_of(1, Hash32{2}, 11)));
  CHECK(recent.add_approval(approval_of(1, hash, 14)));
  CHECK_FALSE(recent.add_approval(approval_of(1, hash, 15)));  // too far above the head
  CHECK(recent.size() == 3);
  recent.head_moved(11);
  CHECK(recent.size() == 1);
}

TEST_CASE("recent consensus: proposals before approvals on replay, AuxPoW until final") {
  RecentConsensus recent(64);
  const SignedBlock block = make_block(1, Hash32{}, 100);
  const Hash32 hash = block_hash(block.block);
  CHECK(recent.add_approval(approval_of(1, hash, 1)));
  CHECK(recent.add_proposal(chain::ImportBlock{block}, hash));
  CHECK_FALSE(recent.add_proposal(chain::ImportBlock{block}, hash));
  chain::OfferAuxPow offer;
  offer.header.range_end = 5;
  CHECK(recent.add_auxpow(offer));
  CHECK_FALSE(recent.add_auxpow(offer));
  std::vector<char> order;
  recent.replay([&](const chain::ImportBlock&) { order.push_back('p'); },
                [&](const chain::ApproveBlock&) { order.push_back('a'); },
                [&](const chain::OfferAuxPow&) { order.push_back('x'); });
  CHECK(order == std::vector<char>{'p', 'a', 'x'});
  recent.finalized(4);
  CHECK(recent.size() == 3);
  recent.finalized(5);
  CHECK(recent.size() == 2);
}
