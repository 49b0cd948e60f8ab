#include "message_digest.hpp"

#include <catch2/catch.hpp>

#include "gossip_test_port.hpp"

using namespace alys;
using namespace alys::network;
using namespace alys::network::testing;

TEST_CASE("digests: one per message, whatever the signature nonce") {
  const Hash32 hash = block_hash(make_block(1, Hash32{}, 100).block);
  const chain::ApproveBlock approval = approval_of(1, hash, 1);
  const chain::ApproveBlock resigned = approval_of(1, hash, 1);
  REQUIRE(approval.approval.signature != resigned.approval.signature);
  CHECK(approval_digest(approval) == approval_digest(resigned));
  CHECK(approval_digest(approval) != approval_digest(approval_of(2, hash, 1)));
  CHECK(approval_digest(approval) != approval_digest(approval_of(1, hash, 1, 1)));
  chain::ApproveBlock other_height = approval;
  other_height.height = 2;
  CHECK(approval_digest(approval) != approval_digest(other_height));
  // Two kinds never share a digest, even over the same 32 bytes.
  CHECK(proposal_digest(hash) != transaction_digest(hash));
}
