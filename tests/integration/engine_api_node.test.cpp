// alysd with the engine-api backend driving a real Geth (tests/support/geth_node.hpp): a one-member
// dev chain produces a block every slot on Geth, Geth's latest/safe/finalized follow alysd's head
// and merged-mining finality, a peg-in is credited exactly once (also across a restart), a start
// with a wrong or missing JWT secret or a Geth of another chain is refused before anything is
// written, and a Geth that crashes or loses its data dir gets the chain back from alysd.
// Prints SKIP and passes when Geth is not installed (bash packaging/geth.sh install).
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "alys/domain/eth_transaction.hpp"
#include "alys/domain/secp256k1.hpp"
#include "alys/domain/wei.hpp"
#include "geth_node.hpp"

using namespace alys::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string kPegInAddress = "0x00000000000000000000000000000000000a11ce";
constexpr std::uint64_t kPegInSats = 12'345;

std::string pegin_params() {
  return R"([")" + std::string(64, '7') + R"(", 1, ")" + kPegInAddress + R"(", )" +
         std::to_string(kPegInSats) + "]";
}

std::string balance_of(GethFederation& net, std::size_t i, const std::string& address) {
  auto balance = net.geth(i).rpc("eth_getBalance", json::array{address.c_str(), "latest"});
  return balance && balance->is_string() ? std::string(balance->as_string()) : std::string("?");
}

// Geth's block at `tag` is alysd's payload at the same height (both read now).
bool geth_matches(GethFederation& net, std::size_t i, const std::string& tag,
                  std::uint64_t height) {
  auto block = net.geth_block(i, tag);
  auto payload = net.payload_hash(i, height);
  return block && payload && block->number == height && block->hash == *payload;
}

// Geth's latest equals alysd's head.
bool head_in_step(GethFederation& net, std::size_t i) {
  auto head = net.federation().head(i);
  return head && geth_matches(net, i, "latest", head->height);
}

// Hardhat's first development account, funded by the federation's genesis_alloc.
const std::string kDevKey = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

// A type-2 transfer of `value` wei from the dev account, signed.
std::string signed_transfer(std::uint64_t nonce, std::uint64_t value) {
  const alys::SecretKey dev = *alys::SecretKey::from_bytes(*alys::fixed_from_hex<32>(kDevKey));
  alys::eth::Transaction tx;
  tx.type = alys::eth::TxType::eip1559;
  tx.chain_id = 263634;
  tx.nonce = nonce;
  tx.max_fee_per_gas = 3'000'000'000;
  tx.max_priority_fee_per_gas = 1'000'000'000;
  tx.gas_limit = 21000;
  alys::EthAddress to{};
  to[0] = 0xcc;
  tx.to = to;
  tx.value = value;
  return alys::to_0x_hex(alys::eth::sign_transaction(tx, dev));
}

std::uint64_t quantity_of(const json::value& value) {
  return std::stoull(std::string(value.as_string()).substr(2), nullptr, 16);
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++count;
  return count;
}

}  // namespace

TEST_CASE("engine-api: a dev chain on Geth, finality and a peg-in") {
  if (auto skip = GethFederation::skip_reason()) {
    WARN("SKIP: " << *skip);
    return;
  }
  const char* wait = std::getenv("ALYS_TEST_BUILD_WAIT_MS");  // to measure what Geth needs
  GethFederation net(geth_federation_of(1),
                     wait ? "build_wait_ms = " + std::string(wait) + "\n" : std::string());
  Federation& fed = net.federation();
  net.start_all();

  // A block every slot, each one Geth's canonical block at its height.
  REQUIRE(fed.wait_heights({0}, 4, 30s));
  for (std::uint64_t h = 0; h <= 4; ++h) {
    INFO("height " << h);
    CHECK(geth_matches(
        net, 0,
        "0x" +
            [&] {
              std::ostringstream hex;
              hex << std::hex << h;
              return hex.str();
            }(),
        h));
  }
  CHECK(Federation::wait_until([&] { return head_in_step(net, 0); }, 10s));

  // Merged-mining finality becomes Geth's safe and finalized block.
  const bool finalized_in_step = Federation::wait_until(
      [&] {
        auto head = fed.head(0);
        if (!head || !head->finalized || *head->finalized == 0) return false;
        return geth_matches(net, 0, "finalized", *head->finalized) &&
               geth_matches(net, 0, "safe", *head->finalized);
      },
      40s);
  CHECK(finalized_in_step);

  // Transfers sent through alysd's admin endpoint reach Geth's pool and the next payloads.
  std::string last_hash;
  const auto sent_at = std::chrono::steady_clock::now();
  for (std::uint64_t nonce = 0; nonce < 3; ++nonce) {
    auto hash = fed.must(0, "eth_sendRawTransaction", "[\"" + signed_transfer(nonce, 1000) + "\"]");
    last_hash = std::string(hash.as_string());
  }
  std::optional<json::value> receipt;
  CHECK(Federation::wait_until(
      [&] {
        receipt = net.geth(0).rpc("eth_getTransactionReceipt", json::array{last_hash.c_str()});
        return receipt && receipt->is_object();
      },
      20s));
  if (receipt && receipt->is_object()) {
    const std::uint64_t included = quantity_of(receipt->as_object().at("blockNumber"));
    std::cout << "engine-api: 3 transfers included in block " << included << " "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - sent_at)
                     .count()
              << " ms after sending\n";
    REQUIRE(fed.wait_heights({0}, included, 10s));
    auto block = fed.block(0, included);
    REQUIRE(block);
    CHECK(block->transactions >= 1);
    std::cout << "engine-api: block " << included << " holds " << block->transactions
              << " of the 3 transfers\n";
    CHECK(net.payload_hash(0, included) ==
          std::string(receipt->as_object().at("blockHash").as_string()));
  }

  // A peg-in of 12,345 sats is 12,345 x 10^10 wei on Geth, once.
  const std::string expected = alys::wei_to_quantity(alys::Wei{kPegInSats} * alys::kWeiPerSatoshi);
  fed.must(0, "chain_queuePegIn", pegin_params());
  CHECK(Federation::wait_until([&] { return balance_of(net, 0, kPegInAddress) == expected; }, 20s));
  const std::uint64_t minted_by = fed.height(0);
  REQUIRE(fed.wait_heights({0}, minted_by + 2, 20s));
  CHECK(balance_of(net, 0, kPegInAddress) == expected);

  // A restarted alysd finds Geth at its head, produces on, and mints nothing twice.
  fed.restart(0);
  REQUIRE(fed.wait_heights({0}, minted_by + 5, 30s));
  CHECK(Federation::wait_until([&] { return head_in_step(net, 0); }, 10s));
  CHECK(balance_of(net, 0, kPegInAddress) == expected);
  std::string error;
  CHECK_FALSE(fed.rpc(0, "chain_queuePegIn", pegin_params(), &error));
  CHECK_THAT(error, Catch::Contains("already minted"));
  net.finished();
}

TEST_CASE("engine-api: a wrong or missing secret and another chain refuse the start") {
  if (auto skip = GethFederation::skip_reason()) {
    WARN("SKIP: " << *skip);
    return;
  }
  GethFederation net(geth_federation_of(1));
  Federation& fed = net.federation();
  net.start_geth(0);
  const std::string secret = read_file(net.jwt_file(0));

  // Starts alysd and waits for its exit; its log.
  auto refused_start = [&](const char* what) {
    fed.start(0);
    const bool exited = Federation::wait_until([&] { return !fed.running(0); }, 30s);
    INFO(what);
    REQUIRE(exited);
    fed.stop(0);
    return read_file(fed.node(0).logs.back());
  };

  // Geth read its secret at start; alysd now reads another one.
  write_jwt_secret(net.jwt_file(0));
  std::string log = refused_start("wrong secret");
  CHECK_THAT(log, Catch::Contains("401") && Catch::Contains(net.jwt_file(0).string()));

  std::filesystem::remove(net.jwt_file(0));
  log = refused_start("missing secret");
  CHECK_THAT(log, Catch::Contains("jwt_secret_file") && Catch::Contains(net.jwt_file(0).string()));
  std::ofstream(net.jwt_file(0)) << secret;
  std::filesystem::permissions(
      net.jwt_file(0), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  // A Geth initialised for another chain id.
  net.stop_geth(0);
  {
    json::value genesis = json::parse(read_file(net.genesis_file(0)));
    genesis.as_object()["config"].as_object()["chainId"] = 777;
    std::ofstream(net.genesis_file(0)) << json::serialize(genesis);
  }
  net.init_geth(0);
  net.start_geth(0);
  log = refused_start("another chain");
  CHECK_THAT(log, Catch::Contains("chain id 777") && Catch::Contains("chain_id is 263634"));

  // None of the refused starts wrote a block: the first good start builds the genesis.
  net.stop_geth(0);
  net.write_genesis(0);
  net.init_geth(0);
  net.start_geth(0);
  fed.start(0);
  fed.wait_ready(0);
  CHECK(fed.wait_heights({0}, 1, 30s));
  const std::string good = read_file(fed.node(0).logs.back());
  CHECK_THAT(good, Catch::Contains("] genesis "));
  net.finished();
}

TEST_CASE("engine-api: Geth killed, restarted, and reset to an empty data dir") {
  if (auto skip = GethFederation::skip_reason()) {
    WARN("SKIP: " << *skip);
    return;
  }
  GethFederation net(geth_federation_of(1), "replay_log_every = 2\n");
  Federation& fed = net.federation();
  net.start_all();
  REQUIRE(fed.wait_heights({0}, 3, 30s));
  // A peg-in minted before the crash: neither the crash nor the replay mints it again or loses it.
  const std::string minted = alys::wei_to_quantity(alys::Wei{kPegInSats} * alys::kWeiPerSatoshi);
  fed.must(0, "chain_queuePegIn", pegin_params());
  REQUIRE(Federation::wait_until([&] { return balance_of(net, 0, kPegInAddress) == minted; }, 20s));

  // A crash: production pauses and the engine says why.
  net.kill_geth(0);
  const std::string unreachable = "execution client unreachable: block production paused";
  REQUIRE(Federation::wait_until(
      [&] { return fed.log_text(0).find(unreachable) != std::string::npos; }, 10s));
  std::this_thread::sleep_for(1500ms);  // a block in flight when Geth died may still land
  const std::uint64_t paused_at = fed.height(0);
  std::this_thread::sleep_for(4s);
  CHECK(fed.height(0) == paused_at);
  CHECK(fed.plugin_metric(0, "engine_execution_client_up") == 0);
  CHECK(count_of(fed.log_text(0), unreachable) == 1);  // once, not once per slot

  // Back on the same data dir: whatever Geth lost is replayed, production resumes, no height lost.
  net.start_geth(0);
  CHECK(Federation::wait_until(
      [&] { return fed.log_text(0).find("execution client back") != std::string::npos; }, 15s));
  REQUIRE(fed.wait_heights({0}, paused_at + 3, 30s));
  CHECK(Federation::wait_until([&] { return head_in_step(net, 0); }, 10s));
  CHECK(fed.plugin_metric(0, "engine_execution_client_up") == 1);
  CHECK(balance_of(net, 0, kPegInAddress) == minted);

  // An empty data dir: alysd replays the whole chain into it.
  net.reset_geth(0);
  const std::uint64_t before = fed.height(0);
  REQUIRE(fed.wait_heights({0}, before + 2, 40s));
  CHECK(Federation::wait_until([&] { return head_in_step(net, 0); }, 10s));
  auto head = fed.head(0);
  REQUIRE(head);
  auto block = fed.rpc(0, "chain_getBlockByHeight", "[" + std::to_string(head->height) + "]");
  auto latest = net.geth_block(
      0, "0x" + [&] {
        std::ostringstream hex;
        hex << std::hex << head->height;
        return hex.str();
      }());
  REQUIRE(block);
  REQUIRE(latest);
  CHECK(latest->state_root ==
        std::string(block->as_object().at("payload").as_object().at("stateRoot").as_string()));
  CHECK_THAT(fed.log_text(0), Catch::Contains("blocks replayed") &&
                                  Catch::Contains("replaying into the execution client: block"));
  CHECK(balance_of(net, 0, kPegInAddress) == minted);  // replayed once: minted exactly once
  std::string error;
  CHECK_FALSE(fed.rpc(0, "chain_queuePegIn", pegin_params(), &error));
  CHECK_THAT(error, Catch::Contains("already minted"));
  net.finished();
}

TEST_CASE("engine-api: hot swaps of the engine keep the chain on Geth") {
  if (auto skip = GethFederation::skip_reason()) {
    WARN("SKIP: " << *skip);
    return;
  }
  GethFederation net(geth_federation_of(1));
  Federation& fed = net.federation();
  net.start_all();
  REQUIRE(fed.wait_heights({0}, 2, 30s));
  const std::string files[] = {ALYS_BINARY_DIR "/plugins/engine/alys_engine_v2.so",
                               ALYS_BINARY_DIR "/plugins/engine/alys_engine.so"};
  for (int swap = 0; swap < 4; ++swap) {
    ChildProcess reload({ALYS_BINARY_DIR "/bin/alys-ctl", "--config", fed.node(0).config.string(),
                         "reload", "engine", files[swap % 2]},
                        net.node_dir(0) / ("reload-" + std::to_string(swap) + ".log"));
    auto code = reload.wait_exit(60s);
    INFO("reload " << swap << ": " << reload.output());
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(reload.output().find("reloaded engine") != std::string::npos);
    const std::uint64_t now = fed.height(0);
    REQUIRE(fed.wait_heights({0}, now + 2, 15s));
  }
  CHECK(Federation::wait_until([&] { return head_in_step(net, 0); }, 10s));
  // Served from the image: no re-sync after the first start.
  CHECK(count_of(fed.log_text(0), "syncing the execution client") == 1);
  CHECK(count_of(fed.log_text(0), "engine state handed over: head block") == 4);
  net.finished();
}
