#include "serve_limiter.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace alys::network;

TEST_CASE("two GetBlocks per peer run, a few wait, the rest are refused", "[network]") {
  ServeLimiter limiter(2, 2);
  std::string ran;
  auto job = [&ran](char name) { return [&ran, name] { ran += name; }; };
  CHECK(limiter.submit(1, job('a')) == Admission::run);
  CHECK(limiter.submit(1, job('b')) == Admission::run);
  CHECK(limiter.submit(1, job('c')) == Admission::wait);
  CHECK(limiter.submit(1, job('d')) == Admission::wait);
  CHECK(limiter.submit(1, job('e')) == Admission::refuse);
  CHECK(limiter.submit(2, job('x')) == Admission::run);  // another peer has its own lane
  CHECK(limiter.running(1) == 2);
  CHECK(limiter.waiting(1) == 2);

  auto next = limiter.finish(1);
  REQUIRE(next);
  (*next)();
  CHECK(limiter.running(1) == 2);
  (*limiter.finish(1))();
  CHECK(ran == "cd");
  CHECK_FALSE(limiter.finish(1));
  CHECK_FALSE(limiter.finish(1));
  CHECK(limiter.running(1) == 0);
  CHECK(limiter.submit(1, job('f')) == Admission::run);
}

TEST_CASE("a peer that leaves drops its waiting GetBlocks", "[network]") {
  ServeLimiter limiter(1, 4);
  CHECK(limiter.submit(7, [] {}) == Admission::run);
  CHECK(limiter.submit(7, [] {}) == Admission::wait);
  limiter.forget(7);
  CHECK(limiter.waiting(7) == 0);
  CHECK(limiter.running(7) == 1);
  CHECK_FALSE(limiter.finish(7));
  CHECK(limiter.running(7) == 0);
}
