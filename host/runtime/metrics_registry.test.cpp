#include "host/runtime/metrics_registry.hpp"

#include <catch2/catch.hpp>

#include "alys/abi.h"

using alys::host::MetricLabels;
using alys::host::MetricSample;
using alys::host::MetricsRegistry;

TEST_CASE("a labelled name is a sample of its own in its family", "[metrics]") {
  MetricsRegistry registry;
  REQUIRE(registry.counter_add("network", R"(misbehaviour_total{reason="garbage"})", 2) == ALYS_OK);
  REQUIRE(registry.counter_add("network", R"(misbehaviour_total{reason="oversize"})", 1) ==
          ALYS_OK);
  REQUIRE(registry.counter_add("network", R"(misbehaviour_total{reason="garbage"})", 3) == ALYS_OK);
  REQUIRE(registry.counter_add("network", "misbehaviour_total", 7) == ALYS_OK);

  auto garbage = registry.find("network", R"(misbehaviour_total{reason="garbage"})");
  REQUIRE(garbage);
  CHECK(garbage->name == "misbehaviour_total");
  CHECK(garbage->labels == MetricLabels{{"reason", "garbage"}});
  CHECK(garbage->counter == 5);
  CHECK(registry.find("network", R"(misbehaviour_total{reason="oversize"})")->counter == 1);
  CHECK(registry.find("network", "misbehaviour_total")->counter == 7);
  CHECK(registry.snapshot().size() == 3);
}

TEST_CASE("two labels keep their order; a family keeps one kind", "[metrics]") {
  MetricsRegistry registry;
  REQUIRE(registry.gauge_set("network", R"(peer_score{peer="a1",kind="member"})", 3) == ALYS_OK);
  auto sample = registry.find("network", R"(peer_score{peer="a1",kind="member"})");
  REQUIRE(sample);
  CHECK(sample->labels == MetricLabels{{"peer", "a1"}, {"kind", "member"}});
  CHECK(registry.counter_add("network", R"(peer_score{peer="b2"})", 1) == ALYS_ERR_INVALID);
  CHECK(registry.counter_add("engine", R"(peer_score{peer="b2"})", 1) == ALYS_OK);
}

TEST_CASE("label sets outside the rules are refused", "[metrics]") {
  MetricsRegistry registry;
  for (const char* bad : {
           R"(x{})",                        // an empty set
           R"(x{reason="a",b="c",d="e"})",  // three labels
           R"(x{Reason="a"})",              // upper case name
           R"(x{reason="A"})",              // upper case value
           R"(x{reason="a b"})",            // a space
           R"(x{reason="a-b"})",            // a dash
           R"(x{reason=""})",               // an empty value
           R"(x{role="a"})",                // the exposition's own label
           R"(x{le="1"})",                  // the histogram's own label
           R"(x{reason="a",reason="b"})",   // a label twice
           R"(x{reason="a"},)",             // text after the set
           R"(x{reason="a",})",             // a trailing comma
           R"(x{reason=a})",                // an unquoted value
           R"(x{reason="a")",               // no closing brace
           R"(X{reason="a"})",              // a bad family name
       }) {
    INFO(bad);
    CHECK(registry.counter_add("network", bad, 1) == ALYS_ERR_INVALID);
  }
  CHECK(registry.snapshot().empty());
}
