#include "engine/geth_genesis.hpp"

#include <boost/json.hpp>
#include <map>
#include <optional>
#include <string_view>

namespace alys::engine {

namespace json = boost::json;

namespace {

struct GenesisAccount {
  std::optional<std::array<std::uint8_t, 32>> balance;
  std::optional<Bytes> code;
};

std::string quantity(std::uint64_t value) { return wei_to_quantity(value); }

// A 256-bit big-endian amount as a QUANTITY; Geth's genesis reads balances as 256-bit integers.
std::string quantity(const std::array<std::uint8_t, 32>& be) {
  const std::string digits = to_hex(be);
  const std::size_t first = digits.find_first_not_of('0');
  return first == std::string::npos ? "0x0" : "0x" + digits.substr(first);
}

// Block-numbered forks Geth requires in order before Shanghai (params/config.go
// CheckConfigForkOrder).
constexpr std::string_view kBlockForks[] = {
    "homesteadBlock",   "eip150Block",         "eip155Block",     "eip158Block",
    "byzantiumBlock",   "constantinopleBlock", "petersburgBlock", "istanbulBlock",
    "muirGlacierBlock", "berlinBlock",         "londonBlock",     "arrowGlacierBlock",
    "grayGlacierBlock", "mergeNetsplitBlock"};

}  // namespace

Result<std::string> geth_genesis_json(const GethGenesisSpec& spec) {
  if (spec.chain_id == 0) return Status::Invalid("the chain id must be greater than 0");
  if (spec.gas_limit == 0) return Status::Invalid("the gas limit must be greater than 0");

  // Sorted by address: the same spec always gives the same bytes.
  std::map<EthAddress, GenesisAccount> accounts;
  for (const Mint& mint : spec.alloc) {
    GenesisAccount& account = accounts[mint.to];
    if (account.balance)
      return Status::Invalid("the genesis alloc lists " + to_0x_hex(mint.to) + " twice");
    account.balance = mint.amount_wei;
  }
  for (const Predeploy& predeploy : spec.predeploys) {
    if (predeploy.code.empty())
      return Status::Invalid("the predeploy at " + to_0x_hex(predeploy.address) + " has no code");
    GenesisAccount& account = accounts[predeploy.address];
    if (account.code) return Status::Invalid("two predeploys at " + to_0x_hex(predeploy.address));
    account.code = predeploy.code;
  }

  json::object config;
  config["chainId"] = spec.chain_id;
  for (std::string_view fork : kBlockForks) config[fork] = 0;
  config["shanghaiTime"] = 0;
  // Total difficulty 0 at block 0: the chain is post-merge from genesis, so Geth takes blocks only
  // from the Engine API and never mines.
  config["terminalTotalDifficulty"] = 0;

  json::object alloc;
  for (const auto& [address, account] : accounts) {
    json::object entry;
    entry["balance"] = account.balance ? quantity(*account.balance) : "0x0";
    if (account.code) entry["code"] = to_0x_hex(*account.code);
    alloc[to_0x_hex(address)] = std::move(entry);
  }

  const std::string zero32 = to_0x_hex(Hash32{});
  json::object genesis;
  genesis["config"] = std::move(config);
  genesis["nonce"] = "0x0";
  genesis["timestamp"] = quantity(spec.timestamp_s);
  genesis["extraData"] = "0x";
  genesis["gasLimit"] = quantity(spec.gas_limit);
  genesis["difficulty"] = "0x0";
  genesis["mixHash"] = zero32;
  genesis["coinbase"] = to_0x_hex(EthAddress{});
  genesis["baseFeePerGas"] = wei_to_quantity(spec.base_fee);
  genesis["number"] = "0x0";
  genesis["gasUsed"] = "0x0";
  genesis["parentHash"] = zero32;
  genesis["alloc"] = std::move(alloc);
  return json::serialize(genesis) + "\n";
}

}  // namespace alys::engine
