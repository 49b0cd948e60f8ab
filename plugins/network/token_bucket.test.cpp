#include "token_bucket.hpp"

#include <catch2/catch.hpp>

#include "dial_backoff.hpp"

using alys::network::DialBackoff;
using alys::network::TokenBucket;

TEST_CASE("a token bucket holds one second's worth and refills with time", "[network]") {
  TokenBucket bucket(100, 0);
  for (int i = 0; i < 100; ++i) CHECK(bucket.take(1, 0));
  CHECK_FALSE(bucket.take(1, 0));
  CHECK_FALSE(bucket.take(1, 9));  // 0.9 of a token
  CHECK(bucket.take(1, 10));
  CHECK(bucket.take(100, 5000));  // never more than one second's worth
  CHECK_FALSE(bucket.take(1, 5000));
  CHECK_FALSE(bucket.take(101, 100'000));  // above the bucket: never
}

TEST_CASE("dial backoff doubles up to its maximum, with jitter, and resets", "[network]") {
  DialBackoff backoff(100, 1000, 42);
  std::uint64_t ceilings[] = {100, 200, 400, 800, 1000, 1000};
  for (std::uint64_t ceiling : ceilings) {
    const std::uint64_t delay = backoff.next_delay();
    CHECK(delay >= ceiling / 2);
    CHECK(delay <= ceiling);
  }
  backoff.reset();
  CHECK(backoff.next_delay() <= 100);
}
