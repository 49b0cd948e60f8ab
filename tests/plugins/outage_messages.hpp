// The outage test plugin's schema (outage.cpp), shared with the tests that drive it.
#pragma once

#include <string>
#include <string_view>

#include "alys/codec.hpp"

namespace alys::test {

// What the actor depends on outside the node is down for `reason`; "" says it is back.
struct SetOutage {
  static constexpr std::string_view schema_name = "alys.test.SetOutage/1";
  std::string reason;
  ALYS_FIELDS(reason)
};

}  // namespace alys::test
