// The greeter test plugin's schemas that do not differ between its two builds (greeter.cpp),
// shared with the tests that drive it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "alys/codec.hpp"

namespace alys::test {

// What the greeted plugin decoded.
struct Seen {
  static constexpr std::string_view schema_name = "alys.test.Seen/1";
  std::string name;
  std::string language;  // "" when the decoder's schema has no language, or the sender sent none
  std::uint32_t decoder_schema = 0;
  ALYS_FIELDS(name, language, decoder_schema)
};

// From a test: greet `to_role` with this build's Greeting and answer with what it saw.
struct Relay {
  static constexpr std::string_view schema_name = "alys.test.Relay/1";
  std::string to_role;
  std::string name;
  std::string language;
  ALYS_FIELDS(to_role, name, language)
};

}  // namespace alys::test
