#include "engine/engine_config.hpp"

#include <catch2/catch.hpp>

using namespace alys;
using namespace alys::engine;
using Catch::Matchers::Contains;

TEST_CASE("defaults apply to everything but the chain id") {
  EngineConfig config = parse_engine_config(R"({"chain_id": 212121})");
  CHECK(config.backend == "embedded");
  CHECK(config.rules.chain_id == 212121);
  CHECK(config.rules.base_fee == 1'000'000'000);
  CHECK(config.rules.block_gas_limit == 30'000'000);
  CHECK(config.mempool_limit == 10'000);
}

TEST_CASE("every key is read") {
  EngineConfig config = parse_engine_config(
      R"({"backend": "embedded", "chain_id": 7, "base_fee_wei": 5, "block_gas_limit": 21000,)"
      R"( "mempool_limit": 3})");
  CHECK(config.rules.chain_id == 7);
  CHECK(config.rules.base_fee == 5);
  CHECK(config.rules.block_gas_limit == 21'000);
  CHECK(config.mempool_limit == 3);
  // A base fee past 2^63 as a decimal string.
  EngineConfig big = parse_engine_config(
      R"({"chain_id": 7, "base_fee_wei": "340282366920938463463374607431768211455"})");
  CHECK(big.rules.base_fee == ~Wei{0});
}

TEST_CASE("bad settings fail naming the key") {
  auto error_of = [](const char* json) {
    try {
      parse_engine_config(json);
    } catch (const std::invalid_argument& error) {
      return std::string(error.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(error_of("{}"), Contains("chain_id: missing"));
  CHECK_THAT(error_of(R"({"chain_id": 7, "backend": "engine-api"})"),
             Contains("[engine] backend: unknown backend 'engine-api'; valid backends: embedded"));
  CHECK_THAT(error_of(R"({"chain_id": 0})"), Contains("chain_id: must be at least 1"));
  CHECK_THAT(error_of(R"({"chain_id": -3})"), Contains("chain_id: must be a non-negative integer"));
  CHECK_THAT(error_of(R"({"chain_id": "7"})"),
             Contains("chain_id: must be a non-negative integer"));
  CHECK_THAT(error_of(R"({"chain_id": 7, "base_fee_wei": "1e9"})"),
             Contains("base_fee_wei: must be a decimal number"));
  CHECK_THAT(
      error_of(R"({"chain_id": 7, "base_fee_wei": "340282366920938463463374607431768211456"})"),
      Contains("base_fee_wei: must be a decimal number of wei below 2^128"));
  CHECK_THAT(error_of(R"({"chain_id": 7, "block_gas_limit": 20999})"),
             Contains("block_gas_limit: must be at least 21000"));
  CHECK_THAT(error_of(R"({"chain_id": 7, "mempool_limit": 0})"),
             Contains("mempool_limit: must be at least 1"));
  CHECK_THAT(error_of(R"({"chain_id": 7, "gas_limit": 5})"), Contains("gas_limit: unknown key"));
}

TEST_CASE("the host's own keys in every role table are accepted") {
  // alysd adds host.data_dir and host.config_dir to every role's table (docs/config.md).
  EngineConfig config = parse_engine_config(
      R"({"chain_id": 7, "host": {"data_dir": "/var/lib/alysd", "config_dir": "/etc/alysd"}})");
  CHECK(config.rules.chain_id == 7);
}
