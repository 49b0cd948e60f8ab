#include "host/config/dependency_order.hpp"

#include <catch2/catch.hpp>

using alys::host::order_by_requires;
using Roles = std::vector<std::string>;

TEST_CASE("a linear chain starts from the bottom", "[dependency_order]") {
  const auto result = order_by_requires({"app", "engine", "storage"},
                                        {{"app", {"engine"}}, {"engine", {"storage"}}});
  CHECK(result.cycle.empty());
  CHECK(result.order == Roles{"storage", "engine", "app"});
}

TEST_CASE("a diamond places the shared requirement first and each role once",
          "[dependency_order]") {
  const auto result =
      order_by_requires({"top", "left", "right", "base"},
                        {{"top", {"left", "right"}}, {"left", {"base"}}, {"right", {"base"}}});
  CHECK(result.cycle.empty());
  CHECK(result.order == Roles{"base", "left", "right", "top"});
}

TEST_CASE("roles without constraints keep declaration order", "[dependency_order]") {
  CHECK(order_by_requires({"c", "a", "b"}, {}).order == Roles{"c", "a", "b"});

  // Only the role that needs something declared later moves; the others stay put.
  const auto result = order_by_requires({"a", "b", "c", "d"}, {{"b", {"d"}}});
  CHECK(result.cycle.empty());
  CHECK(result.order == Roles{"a", "c", "d", "b"});
}

TEST_CASE("the order is deterministic", "[dependency_order]") {
  const Roles roles{"x", "y", "z", "w"};
  const std::map<std::string, Roles> requires_of{{"x", {"w"}}, {"y", {"w"}}};
  const auto first = order_by_requires(roles, requires_of);
  for (int i = 0; i < 5; ++i) CHECK(order_by_requires(roles, requires_of).order == first.order);
  CHECK(first.order == Roles{"z", "w", "x", "y"});
}

TEST_CASE("a cycle is reported as a closed path", "[dependency_order]") {
  const auto result =
      order_by_requires({"free", "a", "b", "c"}, {{"a", {"b"}}, {"b", {"c"}}, {"c", {"a"}}});
  CHECK(result.cycle == Roles{"a", "b", "c", "a"});
  CHECK(result.order == Roles{"free"});
}

TEST_CASE("a cycle starts at its earliest-declared role", "[dependency_order]") {
  // `head` leads into the cycle but is not on it.
  const auto result =
      order_by_requires({"head", "p", "q"}, {{"head", {"q"}}, {"q", {"p"}}, {"p", {"q"}}});
  CHECK(result.cycle == Roles{"p", "q", "p"});
}

TEST_CASE("a role requiring itself is a cycle", "[dependency_order]") {
  const auto result = order_by_requires({"a", "solo"}, {{"solo", {"solo"}}});
  CHECK(result.cycle == Roles{"solo", "solo"});
  CHECK(result.order == Roles{"a"});
}

TEST_CASE("an empty role list orders to nothing", "[dependency_order]") {
  const auto result = order_by_requires({}, {});
  CHECK(result.order.empty());
  CHECK(result.cycle.empty());
}
