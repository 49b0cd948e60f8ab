#include "engine/geth_genesis.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <string>

using namespace alys;
using namespace alys::engine;
namespace json = boost::json;

namespace {

EthAddress address_of(std::string_view hex) { return *fixed_from_hex<20>(hex); }

GethGenesisSpec dev_spec() {
  GethGenesisSpec spec;
  spec.chain_id = 263634;
  spec.timestamp_s = 1767225600;
  spec.gas_limit = 30'000'000;
  spec.base_fee = 1'000'000'000;
  // 10^22 wei, past 64 bits.
  spec.alloc.push_back(Mint{address_of("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
                            wei_to_be32(Wei{10'000'000'000ULL} * 1'000'000'000'000ULL)});
  spec.predeploys.push_back(
      Predeploy{address_of("bBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"), Bytes{0x60, 0x00, 0xf3}});
  return spec;
}

json::object parsed(const GethGenesisSpec& spec) {
  auto text = geth_genesis_json(spec);
  REQUIRE(text.ok());
  return json::parse(*text).as_object();
}

}  // namespace

TEST_CASE("post-merge from block 0 with every fork through Shanghai, no Cancun") {
  json::object genesis = parsed(dev_spec());
  const json::object& config = genesis.at("config").as_object();
  CHECK(config.at("chainId").to_number<std::uint64_t>() == 263634);
  CHECK(config.at("terminalTotalDifficulty").to_number<std::uint64_t>() == 0);
  CHECK(genesis.at("difficulty") == "0x0");
  for (const char* fork : {"homesteadBlock", "eip150Block", "eip155Block", "eip158Block",
                           "byzantiumBlock", "constantinopleBlock", "petersburgBlock",
                           "istanbulBlock", "berlinBlock", "londonBlock", "shanghaiTime"}) {
    INFO(fork);
    REQUIRE(config.contains(fork));
    CHECK(config.at(fork).to_number<std::uint64_t>() == 0);
  }
  CHECK_FALSE(config.contains("cancunTime"));
  CHECK_FALSE(config.contains("pragueTime"));
  CHECK_FALSE(config.contains("blobSchedule"));
}

TEST_CASE("header fields carry the spec's time, gas limit and base fee as quantities") {
  json::object genesis = parsed(dev_spec());
  CHECK(genesis.at("timestamp") == "0x6955b900");
  CHECK(genesis.at("gasLimit") == "0x1c9c380");
  CHECK(genesis.at("baseFeePerGas") == "0x3b9aca00");
}

TEST_CASE("alloc holds balances and predeployed code under lowercase addresses") {
  json::object alloc = parsed(dev_spec()).at("alloc").as_object();
  REQUIRE(alloc.size() == 2);
  const json::object& funded = alloc.at("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266").as_object();
  CHECK(funded.at("balance") == "0x21e19e0c9bab2400000");
  CHECK_FALSE(funded.contains("code"));
  const json::object& bridge = alloc.at("0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").as_object();
  CHECK(bridge.at("code") == "0x6000f3");
  CHECK(bridge.at("balance") == "0x0");
}

TEST_CASE("a funded predeploy is one account with balance and code") {
  GethGenesisSpec spec = dev_spec();
  spec.alloc.push_back(Mint{spec.predeploys[0].address, wei_to_be32(5)});
  json::object alloc = parsed(spec).at("alloc").as_object();
  REQUIRE(alloc.size() == 2);
  const json::object& bridge = alloc.at("0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").as_object();
  CHECK(bridge.at("balance") == "0x5");
  CHECK(bridge.at("code") == "0x6000f3");
}

TEST_CASE("the same spec gives the same bytes whatever the order of its lists") {
  GethGenesisSpec spec = dev_spec();
  spec.alloc.push_back(
      Mint{address_of("0000000000000000000000000000000000000001"), wei_to_be32(1)});
  GethGenesisSpec reordered = spec;
  std::swap(reordered.alloc[0], reordered.alloc[1]);
  CHECK(*geth_genesis_json(spec) == *geth_genesis_json(reordered));
}

TEST_CASE("refuses a zero chain id, a zero gas limit, duplicates and empty code") {
  GethGenesisSpec spec = dev_spec();
  spec.chain_id = 0;
  CHECK_FALSE(geth_genesis_json(spec).ok());
  spec = dev_spec();
  spec.gas_limit = 0;
  CHECK_FALSE(geth_genesis_json(spec).ok());
  spec = dev_spec();
  spec.alloc.push_back(spec.alloc[0]);
  CHECK(geth_genesis_json(spec).status().message().find("twice") != std::string::npos);
  spec = dev_spec();
  spec.predeploys.push_back(spec.predeploys[0]);
  CHECK(geth_genesis_json(spec).status().message().find("two predeploys") != std::string::npos);
  spec = dev_spec();
  spec.predeploys[0].code.clear();
  CHECK(geth_genesis_json(spec).status().message().find("no code") != std::string::npos);
}
