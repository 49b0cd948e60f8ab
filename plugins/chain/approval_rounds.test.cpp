#include "approval_rounds.hpp"

#include <catch2/catch.hpp>

using namespace alys;
using namespace alys::chain;

namespace {

Hash32 hash_of(std::uint8_t first) {
  Hash32 hash{};
  hash[0] = first;
  return hash;
}

}  // namespace

TEST_CASE("a 1/1/1 split of 3 members with threshold 2 kills the round", "[rounds]") {
  RoundTally tally{{hash_of(3), {0}}, {hash_of(1), {1}}, {hash_of(2), {2}}};
  CHECK(heard(tally) == 3);
  CHECK(round_dead(tally, 3, 2));
  CHECK(next_round_choice(tally) == hash_of(1));  // a tie: the smallest hash
}

TEST_CASE("a round stays open while silent members could still complete a block", "[rounds]") {
  // 4 members, threshold 3: 1/1 heard, two silent could still bring either block to 3.
  RoundTally split{{hash_of(1), {0}}, {hash_of(2), {1}}};
  CHECK_FALSE(round_dead(split, 4, 3));
  // The third member approves block 2: block 2 can still reach 3 with the last member.
  split[hash_of(2)].insert(2);
  CHECK_FALSE(round_dead(split, 4, 3));
  // 2/2 among 4 with threshold 3: nobody left, the round is dead; most approvals, then smallest.
  split[hash_of(1)].insert(3);
  CHECK(round_dead(split, 4, 3));
  CHECK(next_round_choice(split) == hash_of(1));
  RoundTally uneven{{hash_of(1), {0}}, {hash_of(2), {1, 2}}, {hash_of(3), {}}};
  CHECK(round_dead(uneven, 4, 4));
  CHECK(next_round_choice(uneven) == hash_of(2));
}

TEST_CASE("without a held block no round is dead and nothing is chosen", "[rounds]") {
  CHECK_FALSE(round_dead({}, 3, 2));
  CHECK_FALSE(next_round_choice({}).has_value());
  // A held block nobody approved yet keeps the round open.
  CHECK_FALSE(round_dead({{hash_of(1), {}}}, 3, 2));
}
