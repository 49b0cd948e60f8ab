// Catch2's main, in a translation unit of its own so that editing the tests does not rebuild it.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
