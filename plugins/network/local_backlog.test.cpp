#include "local_backlog.hpp"

#include <catch2/catch.hpp>

using namespace alys;
using namespace alys::network;

TEST_CASE("the local backlog keeps events in order and drops the oldest", "[network]") {
  LocalBacklog backlog(3);
  for (std::uint64_t round = 0; round < 5; ++round) {
    chain::ApproveBlock approval;
    approval.round = round;
    backlog.push(approval);
  }
  CHECK(backlog.size() == 3);
  CHECK(backlog.dropped() == 2);
  auto events = backlog.take();
  REQUIRE(events.size() == 3);
  CHECK(std::get<chain::ApproveBlock>(events[0]).round == 2);
  CHECK(std::get<chain::ApproveBlock>(events[2]).round == 4);
  CHECK(backlog.size() == 0);
  backlog.push(engine::TransactionPooled{});
  CHECK(std::holds_alternative<engine::TransactionPooled>(backlog.take().front()));
}

TEST_CASE("the local backlog drops transactions before consensus events", "[network]") {
  LocalBacklog backlog(3);
  chain::ApproveBlock approval;
  approval.round = 7;
  backlog.push(approval);
  for (int i = 0; i < 5; ++i) backlog.push(engine::TransactionPooled{});
  auto events = backlog.take();
  REQUIRE(events.size() == 3);
  CHECK(std::get<chain::ApproveBlock>(events[0]).round == 7);
  CHECK(backlog.dropped() == 3);
}
