// The dev chain as users run it: real alysd processes with the storage, engine and chain plugins.
// - A real Ethereum client (ethers, from npm) sends funds through the README's config/dev.toml.
// - Crash consistency: SIGKILL at 100 random moments while blocks with transactions are produced;
//   after each restart the chain is consistent and production resumes.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "alys/domain/eth_transaction.hpp"
#include "alys/domain/wei.hpp"
#include "child_process.hpp"
#include "dev_files.hpp"
#include "loopback_http.hpp"

using namespace alys;
using alys::testing::ChildProcess;
using alys::testing::copy_dev_member_key;
using alys::testing::free_loopback_port;
using alys::testing::http_request;
using alys::testing::read_file;
using alys::testing::TempDir;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string kAlysd = ALYS_BINARY_DIR "/bin/alysd";
const std::string kPluginDir = ALYS_BINARY_DIR "/plugins";
// The funded dev account of config/dev.toml (Hardhat/Anvil's first development key).
const std::string kDevKey = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
constexpr std::uint64_t kDevChainId = 263634;

class Rpc {
 public:
  explicit Rpc(std::uint16_t port) : port_(port) {}

  // The result, or nullopt when the node does not answer or answers with an error.
  std::optional<json::value> call(const std::string& method, const std::string& params = "[]",
                                  std::string* error = nullptr) {
    const std::string body =
        R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":)" + params + "}";
    auto reply = http_request("127.0.0.1", port_, "POST", "/", body, {});
    if (!reply) return std::nullopt;
    json::value parsed;
    try {
      parsed = json::parse(reply->body);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    if (!parsed.is_object()) return std::nullopt;
    if (auto* failure = parsed.as_object().if_contains("error")) {
      if (error) *error = json::serialize(*failure);
      return std::nullopt;
    }
    if (auto* result = parsed.as_object().if_contains("result")) return *result;
    return std::nullopt;
  }

  json::value must(const std::string& method, const std::string& params = "[]") {
    std::string error;
    auto result = call(method, params, &error);
    INFO(method << " " << params << " -> " << error);
    REQUIRE(result);
    return *result;
  }

 private:
  std::uint16_t port_;
};

std::string hex_quantity(std::uint64_t value) { return wei_to_quantity(value); }

std::uint64_t quantity(const json::value& value) {
  return std::stoull(std::string(value.as_string()).substr(2), nullptr, 16);
}

// ethers v6 from npm, installed once per build tree (npm's cache keeps later runs offline).
std::filesystem::path ethers_dir() {
  const std::filesystem::path dir = ALYS_BINARY_DIR "/tests/npm";
  if (!std::filesystem::exists(dir / "node_modules/ethers/package.json")) {
    std::filesystem::create_directories(dir);
    const std::string command = "npm install --prefix '" + dir.string() +
                                "' --no-audit --no-fund --loglevel=error ethers@6.17.0 > '" +
                                (dir / "npm-install.log").string() + "' 2>&1";
    INFO(command << "\n" << read_file(dir / "npm-install.log"));
    REQUIRE(std::system(command.c_str()) == 0);
  }
  return dir;
}

ChildProcess start_node(const std::filesystem::path& config, const std::filesystem::path& data,
                        std::uint16_t port, const std::filesystem::path& log) {
  return ChildProcess(
      {kAlysd, "--config", config.string(), "--data-dir", data.string(), "--plugin-dir", kPluginDir,
       "--admin-listen", "127.0.0.1:" + std::to_string(port)},
      log);
}

}  // namespace

TEST_CASE("a real Ethereum wallet (ethers) sends funds through the README's dev node",
          "[integration][chain][ethers]") {
  const std::filesystem::path npm = ethers_dir();
  TempDir dir("alysd-ethers");
  // The README's config and dev key, unchanged; only where it listens and keeps data differ.
  std::filesystem::copy_file(ALYS_SOURCE_DIR "/config/dev.toml", dir.path() / "dev.toml");
  copy_dev_member_key(dir.path());
  const std::uint16_t port = free_loopback_port();
  ChildProcess node =
      start_node(dir.path() / "dev.toml", dir.path() / "data", port, dir.path() / "alysd.log");
  INFO(node.output());
  REQUIRE(node.wait_for_output("produced block 1 ", 30s));

  std::filesystem::copy_file(ALYS_SOURCE_DIR "/tests/integration/ethers_wallet.mjs",
                             npm / "ethers_wallet.mjs",
                             std::filesystem::copy_options::overwrite_existing);
  const std::filesystem::path out = dir.path() / "ethers.log";
  const std::string command = "node '" + (npm / "ethers_wallet.mjs").string() +
                              "' http://127.0.0.1:" + std::to_string(port) + " " +
                              std::to_string(kDevChainId) + " " + kDevKey + " > '" + out.string() +
                              "' 2>&1";
  const int status = std::system(command.c_str());
  INFO("ethers:\n" << read_file(out) << "\nalysd:\n" << node.output());
  CHECK(status == 0);
  CHECK(read_file(out).find("all wallet checks passed") != std::string::npos);
  CHECK(node.running());
}

TEST_CASE("crash consistency: SIGKILL at 100 random moments while producing blocks with transfers",
          "[integration][chain][crash]") {
  TempDir dir("alysd-crash");
  const SecretKey dev = *SecretKey::from_bytes(*fixed_from_hex<32>(kDevKey));
  const EthAddress dev_address = eth_address(dev.uncompressed_public_key());
  const std::string dev_hex = to_0x_hex(dev_address);
  // The dev config with short slots, so that kills land in every phase of block production.
  std::string config = read_file(ALYS_SOURCE_DIR "/config/dev.toml");
  const auto slot = config.find("slot_ms = 2000");
  REQUIRE(slot != std::string::npos);
  config.replace(slot, std::string("slot_ms = 2000").size(), "slot_ms = 200");
  // Ten times faster slots would retarget dev mining harder and harder: keep the dev target.
  const auto interval = config.find("retarget_interval = 10");
  REQUIRE(interval != std::string::npos);
  config.replace(interval, std::string("retarget_interval = 10").size(),
                 "retarget_interval = 1000000");
  std::ofstream(dir.path() / "node.toml") << config;
  copy_dev_member_key(dir.path());

  std::mt19937_64 random(20261121);
  std::uint64_t durable_height = 0;
  for (int round = 0; round < 100; ++round) {
    INFO("round " << round);
    const std::uint16_t port = free_loopback_port();
    ChildProcess node =
        start_node(dir.path() / "node.toml", dir.path() / "data", port, dir.path() / "alysd.log");
    Rpc rpc(port);
    // Up and consistent: the chain's head, its block in storage, and the engine agree.
    std::optional<json::value> status;
    for (int i = 0; i < 500 && !status; ++i) {
      std::this_thread::sleep_for(10ms);
      status = rpc.call("chain_status");
    }
    INFO(node.output());
    REQUIRE(status);
    const std::uint64_t head = status->at("head").at("height").as_int64();
    // A block the node reported as imported was committed and synced: it survives the kill.
    CHECK(head >= durable_height);
    const json::value head_block =
        rpc.must("chain_getBlockByHeight", "[" + std::to_string(head) + "]");
    CHECK(head_block.at("hash") == status->at("head").at("hash"));
    const json::value eth_block =
        rpc.must("eth_getBlockByNumber", "[\"" + hex_quantity(head) + "\", false]");
    CHECK(eth_block.at("hash") == head_block.at("payload").at("blockHash"));
    // Recent ancestry: every parent link of the last blocks holds, in the chain and the payloads.
    const std::uint64_t from = head > 20 ? head - 20 : 0;
    json::value child = head_block;
    for (std::uint64_t h = head; h > from; --h) {
      json::value parent = rpc.must("chain_getBlockByHeight", "[" + std::to_string(h - 1) + "]");
      CHECK(child.at("parentHash") == parent.at("hash"));
      CHECK(child.at("payload").at("parentHash") == parent.at("payload").at("blockHash"));
      child = std::move(parent);
    }
    // Production resumes.
    bool advanced = false;
    for (int i = 0; i < 300 && !advanced; ++i) {
      std::this_thread::sleep_for(10ms);
      auto now = rpc.call("chain_status");
      const std::uint64_t height = now ? now->at("head").at("height").as_int64() : 0;
      advanced = height > head;
      durable_height = std::max(durable_height, height);
    }
    CHECK(advanced);

    // Transfers in flight, then the kill at a random moment.
    int accepted = 0;
    const std::uint64_t nonce =
        quantity(rpc.must("eth_getTransactionCount", "[\"" + dev_hex + "\", \"pending\"]"));
    for (std::uint64_t i = 0; i < 5; ++i) {
      eth::Transaction tx;
      tx.type = eth::TxType::eip1559;
      tx.chain_id = kDevChainId;
      tx.nonce = nonce + i;
      tx.max_fee_per_gas = 2'000'000'000;
      tx.max_priority_fee_per_gas = 1;
      tx.gas_limit = 21000;
      EthAddress to{};
      to[0] = 0xcc;
      to[19] = static_cast<std::uint8_t>(round);
      tx.to = to;
      tx.value = 1000 + i;
      if (rpc.call("eth_sendRawTransaction",
                   "[\"" + to_0x_hex(eth::sign_transaction(tx, dev)) + "\"]"))
        ++accepted;
    }
    CHECK(accepted == 5);
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 700));
    REQUIRE(node.signal(SIGKILL));
    REQUIRE(node.wait_exit(10s));
  }

  // After the last kill: the whole ancestry reaches genesis, and the engine's state is exactly what
  // the stored blocks say: the dev account paid each mined transfer's value and fees (base fee and
  // tip, to the burn address), got back as dev_mine's fee recipient 80% of the fees of every
  // finalized range in whole gwei (docs/mining.md, "Fees"), and its nonce counts them. The node
  // restarts as an observer (no key_file), so that the head holds still while it is checked.
  const auto key_line = config.find("key_file = ");
  REQUIRE(key_line != std::string::npos);
  config.insert(key_line, "# ");
  std::ofstream(dir.path() / "observer.toml") << config;
  const std::uint16_t port = free_loopback_port();
  ChildProcess node =
      start_node(dir.path() / "observer.toml", dir.path() / "data", port, dir.path() / "alysd.log");
  Rpc rpc(port);
  std::optional<json::value> status;
  for (int i = 0; i < 500 && !status; ++i) {
    std::this_thread::sleep_for(10ms);
    status = rpc.call("chain_status");
  }
  REQUIRE(status);
  CHECK(static_cast<std::uint64_t>(status->at("head").at("height").as_int64()) >= durable_height);
  const std::uint64_t head = status->at("head").at("height").as_int64();
  std::uint64_t mined = 0;
  Wei paid = 0;
  std::map<std::uint64_t, Wei> fees;  // by height
  std::vector<std::pair<std::uint64_t, std::uint64_t>> finalized_ranges;
  json::value child = rpc.must("chain_getBlockByHeight", "[" + std::to_string(head) + "]");
  for (std::uint64_t h = head;; --h) {
    for (const json::value& raw : child.at("payload").at("transactions").as_array()) {
      auto tx = eth::decode_signed_transaction(*from_hex(std::string_view(raw.as_string())));
      CHECK(tx.sender == dev_address);
      // 21000 gas at the 1 gwei base fee + the 1 wei tip.
      const Wei fee = Wei{21000} * Wei{1'000'000'001};
      paid += tx.tx.value + fee;
      fees[h] += fee;
      ++mined;
    }
    if (const json::value& auxpow = child.at("auxpow"); !auxpow.is_null()) {
      CHECK(auxpow.at("feeRecipient").as_string() == dev_hex);
      finalized_ranges.emplace_back(auxpow.at("rangeStart").to_number<std::uint64_t>(),
                                    auxpow.at("rangeEnd").to_number<std::uint64_t>());
    }
    if (h == 0) {
      CHECK(child.at("parentHash").as_string() == to_0x_hex(Hash32{}));
      break;
    }
    json::value parent = rpc.must("chain_getBlockByHeight", "[" + std::to_string(h - 1) + "]");
    REQUIRE(child.at("parentHash") == parent.at("hash"));
    child = std::move(parent);
  }
  CHECK(mined > 0);
  Wei refunded = 0;
  for (const auto& [start, end] : finalized_ranges) {
    Wei total = 0;
    for (std::uint64_t h = start; h <= end; ++h) total += fees[h];
    refunded += total * 8 / 10 / 1'000'000'000 * 1'000'000'000;
  }
  const std::string at = "\"latest\"";
  const Wei genesis = *wei_parse("10000000000000000000000");
  CHECK(quantity(rpc.must("eth_getTransactionCount", "[\"" + dev_hex + "\", " + at + "]")) ==
        mined);
  const std::string balance(
      rpc.must("eth_getBalance", "[\"" + dev_hex + "\", " + at + "]").as_string());
  CHECK(wei_parse(balance) == genesis - paid + refunded);
}
