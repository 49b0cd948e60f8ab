#include "chain_state.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "alys/domain/sha256.hpp"
#include "alys/status.hpp"

using namespace alys;
using namespace alys::chain;

namespace {

Hash32 filled(std::uint8_t byte) {
  Hash32 hash{};
  hash.fill(byte);
  return hash;
}

JobState held_block(std::uint64_t height) {
  JobState job;
  job.kind = JobKind::import;
  job.block.block.height = height;
  job.block.block.slot = 100 + height;
  job.block.approvals.push_back(Approval{1, {}});
  job.hash = filled(static_cast<std::uint8_t>(height));
  job.correlation_id = 40 + height;
  return job;
}

ChainState sample() {
  ChainState state;
  state.running = true;
  state.head = HeadView{7, filled(7), 107, filled(0x70), 1'700'000'014};
  state.has_finalized = true;
  state.finalized_height = 5;
  state.finalized_hash = filled(5);
  state.last_approved_height = 8;
  state.last_approved_hash = filled(8);
  state.anchor_hash = filled(5);
  state.paused = true;
  state.slot_timer = 12;
  state.in_flight.push_back(held_block(8));
  JobState produce;
  produce.kind = JobKind::produce;
  produce.slot = 109;
  state.queued = {produce, held_block(9)};
  state.pending.push_back(held_block(8));
  state.early_approvals.push_back(EarlyApprovals{filled(9), {Approval{2, {}}}});
  state.block_queries.push_back(BlockQuery{77, false, 12, {}});
  state.block_queries.push_back(BlockQuery{78, true, 0, filled(0x5b)});
  state.has_mining = true;
  state.mining.state = PowState{0x207fffff, 3, 1'700'000'000'000};
  state.mining.first_unfinalized_height = 6;
  state.mining.unfinalized = {filled(6), filled(7)};
  state.mining.handed_out.push_back(Work{filled(0xaa), 6, 7, 0x207fffff, {}});
  state.round = 2;
  state.last_approved_round = 1;
  state.approvals.push_back(HeardApprovalsState{filled(8), 8, true, 1, {Approval{3, {}}}});
  state.handoffs = 4;
  return state;
}

std::int32_t read_code(ByteView bytes, std::uint32_t schema, std::string* message = nullptr) {
  try {
    read_chain_state(bytes, schema);
  } catch (const Error& error) {
    if (message) *message = error.what();
    return error.code();
  }
  return ALYS_OK;
}

}  // namespace

TEST_CASE("chain state: schema 2 round-trips every field, schema 1 all but the hand-offs",
          "[chain_state]") {
  const ChainState state = sample();
  const ChainState two = read_chain_state(write_chain_state(state, 2), 2);
  CHECK(two.running);
  CHECK(two.head.height == 7);
  CHECK(two.head.payload_hash == filled(0x70));
  CHECK(two.head.payload_timestamp_s == 1'700'000'014);
  CHECK(two.finalized_height == 5);
  CHECK(two.last_approved_hash == filled(8));
  CHECK(two.paused);
  CHECK(two.slot_timer == 12);
  REQUIRE(two.in_flight.size() == 1);
  CHECK(two.in_flight[0].correlation_id == 48);
  REQUIRE(two.queued.size() == 2);
  CHECK(two.queued[0].kind == JobKind::produce);
  CHECK(two.queued[0].slot == 109);
  CHECK(two.queued[1].block.block.height == 9);
  REQUIRE(two.pending.size() == 1);
  CHECK(two.pending[0].block.approvals.size() == 1);
  REQUIRE(two.early_approvals.size() == 1);
  CHECK(two.early_approvals[0].approvals[0].member_index == 2);
  REQUIRE(two.block_queries.size() == 2);
  CHECK(two.block_queries[0].rpc_correlation_id == 77);
  CHECK(two.block_queries[0].height == 12);
  CHECK(two.block_queries[1].by_hash);
  CHECK(two.block_queries[1].hash == filled(0x5b));
  CHECK(two.mining.unfinalized.size() == 2);
  REQUIRE(two.mining.handed_out.size() == 1);
  CHECK(two.mining.handed_out[0].aux_hash == filled(0xaa));
  CHECK(two.handoffs == 4);
  CHECK(two.round == 2);
  CHECK(two.last_approved_round == 1);
  REQUIRE(two.approvals.size() == 1);
  CHECK(two.approvals[0].held);
  CHECK(two.approvals[0].round == 1);
  CHECK(two.approvals[0].approvals[0].member_index == 3);

  const Bytes one_bytes = write_chain_state(state, 1);
  CHECK(one_bytes.size() < write_chain_state(state, 2).size());
  const ChainState one = read_chain_state(one_bytes, 1);
  CHECK(one.head.hash == filled(7));
  CHECK(one.mining.first_unfinalized_height == 6);
  CHECK(one.handoffs == 0);
  CHECK(one.round == 2);
  CHECK(one.approvals.size() == 1);
}

TEST_CASE("chain state: unknown schemas are ALYS_ERR_SCHEMA, both ways", "[chain_state]") {
  CHECK_THROWS_MATCHES(
      write_chain_state(sample(), 3), Error,
      Catch::Predicate<Error>([](const Error& e) { return e.code() == ALYS_ERR_SCHEMA; }));
  std::string message;
  CHECK(read_code(write_chain_state(sample(), 2), 3, &message) == ALYS_ERR_SCHEMA);
  CHECK(message == "the chain reads state schema 1 to 2, not 3");
  CHECK(read_code(write_chain_state(sample(), 1), 0) == ALYS_ERR_SCHEMA);
}

TEST_CASE("chain state: truncated, corrupt or mislabelled bytes are ALYS_ERR_INVALID",
          "[chain_state]") {
  const Bytes bytes = write_chain_state(sample(), 2);
  // Every cut, including those at a field boundary that the codec alone would read as defaults.
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    INFO("cut at " << size << " of " << bytes.size());
    CHECK(read_code(ByteView(bytes.data(), size), 2) == ALYS_ERR_INVALID);
  }
  std::string message;
  CHECK(read_code(ByteView(bytes.data(), bytes.size() - 1), 2, &message) == ALYS_ERR_INVALID);
  CHECK(message.find("chain state (schema 2): checksum mismatch") == 0);
  CHECK(read_code(ByteView(bytes.data(), 10), 2, &message) == ALYS_ERR_INVALID);
  CHECK(message.find("fewer than its 32-byte checksum") != std::string::npos);

  Bytes flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x01;
  CHECK(read_code(flipped, 2) == ALYS_ERR_INVALID);

  // Schema-2 bytes read as schema 1: the hand-off count is left over.
  CHECK(read_code(bytes, 1, &message) == ALYS_ERR_INVALID);
  CHECK(message.find("bytes after the last field") != std::string::npos);
}

TEST_CASE("chain state: an inconsistent state is refused", "[chain_state]") {
  ChainState two_in_flight = sample();
  two_in_flight.in_flight.push_back(held_block(9));
  std::string message;
  CHECK(read_code(write_chain_state(two_in_flight, 1), 1, &message) == ALYS_ERR_INVALID);
  CHECK(message.find("2 jobs in flight") != std::string::npos);

  ChainState bad_kind = sample();
  bad_kind.queued[0].kind = static_cast<JobKind>(7);
  CHECK(read_code(write_chain_state(bad_kind, 1), 1, &message) == ALYS_ERR_INVALID);
  CHECK(message.find("unknown job kind 7") != std::string::npos);
}

TEST_CASE("chain state: a schema-1 state from before rounds reads with round 0", "[chain_state]") {
  // The schema-1 fields as builds without rounds wrote them, then their SHA-256.
  const ChainState state = sample();
  Bytes bytes;
  Writer writer(bytes);
  writer(state.running, state.head, state.has_finalized, state.finalized_height,
         state.finalized_hash, state.last_approved_height, state.last_approved_hash,
         state.anchor_hash, state.paused, state.slot_timer, state.in_flight, state.queued,
         state.pending, state.early_approvals, state.has_mining, state.mining, state.block_queries,
         state.spec_digest);
  const Hash32 digest = sha256(bytes);
  bytes.insert(bytes.end(), digest.begin(), digest.end());
  const ChainState old = read_chain_state(bytes, 1);
  CHECK(old.last_approved_height == 8);
  CHECK(old.round == 0);
  CHECK(old.last_approved_round == 0);
  CHECK(old.approvals.empty());
  REQUIRE(old.early_approvals.size() == 1);
}
