#include "engine/engine_config.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

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
  CHECK(config.mempool.max_pending_per_sender == 16);
  CHECK(config.mempool.max_future_per_sender == 64);
  CHECK(config.mempool.lifetime_s == 10'800);
  CHECK(config.mempool.max_transaction_bytes == 131'072);
  CHECK(config.mempool.max_access_list_entries == 64);
  CHECK(config.mempool.max_access_list_keys == 1024);
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

TEST_CASE("the mempool's per-sender, lifetime and size limits are read") {
  EngineConfig config = parse_engine_config(
      R"({"chain_id": 7, "mempool_max_per_sender": 4, "mempool_max_future_per_sender": 0,)"
      R"( "mempool_lifetime_s": 60, "mempool_max_tx_bytes": 2048,)"
      R"( "mempool_max_access_list_entries": 0, "mempool_max_access_list_keys": 9})");
  CHECK(config.mempool.max_pending_per_sender == 4);
  CHECK(config.mempool.max_future_per_sender == 0);
  CHECK(config.mempool.lifetime_s == 60);
  CHECK(config.mempool.max_transaction_bytes == 2048);
  CHECK(config.mempool.max_access_list_entries == 0);
  CHECK(config.mempool.max_access_list_keys == 9);

  std::vector<std::string> errors;
  for (const char* json : {R"({"chain_id": 7, "mempool_max_per_sender": 0})",
                           R"({"chain_id": 7, "mempool_lifetime_s": 0})",
                           R"({"chain_id": 7, "mempool_max_tx_bytes": 1023})",
                           R"({"chain_id": 7, "mempool_max_future_per_sender": -1})",
                           R"({"chain_id": 7, "mempool_max_access_list_keys": "many"})"}) {
    try {
      parse_engine_config(json);
      errors.emplace_back("accepted");
    } catch (const std::invalid_argument& error) {
      errors.emplace_back(error.what());
    }
  }
  CHECK_THAT(errors[0], Contains("[engine] mempool_max_per_sender: must be at least 1, got 0"));
  CHECK_THAT(errors[1], Contains("[engine] mempool_lifetime_s: must be at least 1, got 0"));
  CHECK_THAT(errors[2], Contains("[engine] mempool_max_tx_bytes: must be at least 1024, got 1023"));
  CHECK_THAT(errors[3], Contains("mempool_max_future_per_sender: must be a non-negative integer"));
  CHECK_THAT(errors[4], Contains("mempool_max_access_list_keys: must be a non-negative integer"));
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
  CHECK_THAT(error_of(R"({"chain_id": 7, "backend": "geth"})"),
             Contains("[engine] backend: unknown backend 'geth'; valid backends: embedded, "
                      "engine-api"));
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

namespace {

std::vector<alys::ConfigProblem> problems_of(std::string_view json) {
  alys::ConfigProblems problems;
  (void)read_engine_config(json, problems);
  return problems.list();
}

}  // namespace

TEST_CASE("the check reports every problem with its key, the start refuses them all") {
  // A wrong type (the typo an operator met), a value out of range and an unknown key, at once.
  const char* table =
      R"({"chain_id": 7, "block_gas_limit": "lots", "mempool_limit": 0, "gas_limt": 5})";
  std::vector<alys::ConfigProblem> problems = problems_of(table);
  REQUIRE(problems.size() == 3);
  CHECK(problems[0].key == "block_gas_limit");
  CHECK(problems[0].code == ALYS_ERR_TYPE);
  CHECK(problems[0].message == "must be a non-negative integer, got \"lots\"");
  CHECK(problems[1].key == "mempool_limit");
  CHECK(problems[1].code == ALYS_ERR_INVALID);
  CHECK(problems[1].message == "must be at least 1, got 0");
  CHECK(problems[2].key == "gas_limt");
  CHECK(problems[2].code == ALYS_ERR_INVALID);
  CHECK_THAT(problems[2].message, Contains("unknown key"));

  try {
    parse_engine_config(table);
    FAIL("accepted");
  } catch (const std::invalid_argument& error) {
    CHECK(std::string(error.what()) ==
          "[engine] block_gas_limit: must be a non-negative integer, got \"lots\"\n"
          "[engine] mempool_limit: must be at least 1, got 0\n"
          "[engine] gas_limt: unknown key (valid: backend, chain_id, base_fee_wei, "
          "block_gas_limit, mempool_limit, mempool_max_per_sender, mempool_max_future_per_sender, "
          "mempool_lifetime_s, mempool_max_tx_bytes, mempool_max_access_list_entries, "
          "mempool_max_access_list_keys)");
  }
}

TEST_CASE("the check accepts what the start accepts") {
  CHECK(problems_of(R"({"chain_id": 7, "block_gas_limit": 21000, "host": {"data_dir": "/d"}})")
            .empty());
  std::vector<alys::ConfigProblem> missing = problems_of(R"({"mempool_limit": 5})");
  REQUIRE(missing.size() == 1);
  CHECK(missing[0].key == "chain_id");
  CHECK(missing[0].code == ALYS_ERR_NOT_FOUND);
  std::vector<alys::ConfigProblem> garbage = problems_of("[1, 2]");
  REQUIRE(garbage.size() == 1);
  CHECK(garbage[0].key.empty());
}

TEST_CASE("the engine-api backend's keys, and the secret file against host.config_dir") {
  EngineConfig config = parse_engine_config(
      R"({"backend": "engine-api", "chain_id": 7, "jwt_secret_file": "secrets/jwt.hex",)"
      R"( "host": {"config_dir": "/etc/alysd", "data_dir": "/var/lib/alysd"}})");
  CHECK(config.backend == "engine-api");
  CHECK(config.engine_api.url == "http://127.0.0.1:8551");
  CHECK(config.engine_api.host == "127.0.0.1");
  CHECK(config.engine_api.port == 8551);
  CHECK(config.engine_api.jwt_secret_file == "/etc/alysd/secrets/jwt.hex");
  CHECK(config.engine_api.timeout_ms == 8000);
  CHECK(config.engine_api.build_wait_ms == 250);
  CHECK(config.engine_api.replay_log_every == 1000);

  EngineConfig every = parse_engine_config(
      R"({"backend": "engine-api", "chain_id": 7, "jwt_secret_file": "/run/jwt.hex",)"
      R"( "engine_url": "http://10.0.0.5:9551/", "engine_timeout_ms": 500, "build_wait_ms": 40,)"
      R"( "replay_log_every": 10, "base_fee_wei": 7, "block_gas_limit": 60000})");
  CHECK(every.engine_api.host == "10.0.0.5");
  CHECK(every.engine_api.port == 9551);
  CHECK(every.engine_api.jwt_secret_file == "/run/jwt.hex");
  CHECK(every.engine_api.timeout_ms == 500);
  CHECK(every.engine_api.build_wait_ms == 40);
  CHECK(every.engine_api.replay_log_every == 10);
  CHECK(every.rules.base_fee == 7);  // block 0's, for alys-ctl genesis
  CHECK(every.rules.block_gas_limit == 60000);
}

TEST_CASE("keys of the other backend are refused, saying whose they are") {
  auto error_of = [](const char* json) {
    try {
      parse_engine_config(json);
    } catch (const std::invalid_argument& error) {
      return std::string(error.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(error_of(R"({"backend": "engine-api", "chain_id": 7, "jwt_secret_file": "/j",)"
                      R"( "mempool_limit": 5})"),
             Contains("[engine] mempool_limit: only the embedded backend reads this key, and "
                      "backend is \"engine-api\""));
  CHECK_THAT(error_of(R"({"chain_id": 7, "engine_url": "http://127.0.0.1:8551"})"),
             Contains("[engine] engine_url: only the engine-api backend reads this key, and "
                      "backend is \"embedded\""));
  CHECK_THAT(error_of(R"({"backend": "engine-api", "chain_id": 7})"),
             Contains("[engine] jwt_secret_file: missing"));
  CHECK_THAT(error_of(R"({"backend": "engine-api", "chain_id": 7, "jwt_secret_file": "jwt.hex"})"),
             Contains("jwt_secret_file: \"jwt.hex\" is relative and there is no host.config_dir"));
  for (const char* url : {"https://127.0.0.1:8551", "http://127.0.0.1", "http://:8551",
                          "http://127.0.0.1:0", "http://127.0.0.1:70000", "http://h:1/x"}) {
    INFO(url);
    CHECK_THAT(error_of((std::string(R"({"backend": "engine-api", "chain_id": 7,)") +
                         R"( "jwt_secret_file": "/j", "engine_url": ")" + url + "\"}")
                            .c_str()),
               Contains("engine_url: must be http://HOST:PORT"));
  }
  CHECK_THAT(error_of(R"({"backend": "engine-api", "chain_id": 7, "jwt_secret_file": "/j",)"
                      R"( "engine_urll": "x"})"),
             Contains("engine_urll: unknown key (valid: backend, chain_id, base_fee_wei, "
                      "block_gas_limit, engine_url, jwt_secret_file"));
  CHECK(backend_of(R"({"backend": "engine-api"})") == "engine-api");
  CHECK(backend_of(R"({"chain_id": 1})") == "embedded");
  CHECK(backend_of("not json") == "embedded");
}
