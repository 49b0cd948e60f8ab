#include "host/admin/rpc_registry.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "host/admin/admin_methods.hpp"

using alys::host::RpcRegistry;

TEST_CASE("a registered method is found with its actor and flags", "[rpc_registry]") {
  RpcRegistry registry;
  REQUIRE(registry.register_method(4, "chain_head", 0).ok());
  auto found = registry.find("chain_head");
  REQUIRE(found.has_value());
  CHECK(found->address == 4);
  CHECK(found->flags == 0);
  CHECK_FALSE(registry.find("chain_tail").has_value());
}

TEST_CASE("the same actor may register again to change the flags; another may not",
          "[rpc_registry]") {
  RpcRegistry registry;
  REQUIRE(registry.register_method(4, "chain_reset", 0).ok());
  REQUIRE(registry.register_method(4, "chain_reset", ALYS_RPC_MUTATING).ok());
  CHECK(registry.find("chain_reset")->flags == ALYS_RPC_MUTATING);
  alys::Status taken = registry.register_method(5, "chain_reset", 0);
  CHECK(taken.code() == ALYS_ERR_INVALID);
  CHECK(registry.find("chain_reset")->address == 4);
}

TEST_CASE("names outside [a-z][A-Za-z0-9_]{0,63} are refused", "[rpc_registry]") {
  RpcRegistry registry;
  for (const std::string& bad :
       {std::string(), std::string("Chain"), std::string("1st"), std::string("chain-head"),
        std::string("chain.head"), std::string(65, 'a')})
    CHECK(registry.register_method(1, bad, 0).code() == ALYS_ERR_INVALID);
  CHECK(registry.register_method(1, std::string(64, 'a'), 0).ok());
  CHECK(registry.register_method(1, "eth_blockNumber", 0).ok());
}

TEST_CASE("the host's own admin methods cannot be registered", "[rpc_registry]") {
  RpcRegistry registry;
  for (std::string_view reserved : alys::host::admin_methods::kReserved) {
    CHECK(registry.register_method(1, std::string(reserved), 0).code() == ALYS_ERR_INVALID);
    CHECK_FALSE(registry.find(std::string(reserved)).has_value());
  }
}
