#include "host/runtime/topic_table.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "alys/type_id.hpp"

using alys::host::TopicTable;

TEST_CASE("subscribers come back in subscription order, each once", "[topic_table]") {
  TopicTable topics;
  CHECK(topics.subscribe(3, "blocks").ok());
  CHECK(topics.subscribe(1, "blocks").ok());
  CHECK(topics.subscribe(3, "blocks").ok());  // again: no change
  CHECK(topics.subscribe(2, "heads").ok());
  CHECK(topics.subscribers(alys::topic_id("blocks")) == std::vector<alys_address>{3, 1});
  CHECK(topics.subscribers(alys::topic_id("heads")) == std::vector<alys_address>{2});
  CHECK(topics.subscribers(alys::topic_id("nobody")).empty());
}

TEST_CASE("a topic without a name is refused", "[topic_table]") {
  TopicTable topics;
  alys::Status refused = topics.subscribe(1, "");
  CHECK(refused.code() == ALYS_ERR_INVALID);
  CHECK(topics.subscribers(alys::topic_id("")).empty());
}
