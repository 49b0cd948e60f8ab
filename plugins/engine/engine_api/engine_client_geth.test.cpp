// The Engine API client against a real geth (packaging/geth.sh installs it): a fresh post-merge
// Shanghai chain, one block built, imported and made head through the authenticated port, and the
// failures a node must tell apart (a refused JWT, an unknown parent, an unknown payload id).
// Prints SKIP and passes when geth is not installed.
#include <signal.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>

#include "child_process.hpp"
#include "engine/engine_api/engine_client.hpp"
#include "engine/engine_api/engine_json.hpp"
#include "engine/engine_api/execution_block.hpp"
#include "logs_on_failure.hpp"
#include "loopback_http.hpp"
#include "temp_dir.hpp"

namespace ea = alys::engine::engine_api;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t kChainId = 263634;
constexpr std::uint64_t kGenesisTime = 1'700'000'000;

std::filesystem::path geth_binary() {
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : "/root") / ".cache/alys-peers/geth-v1.17.10/bin/geth";
}

// PEERS.md: terminalTotalDifficulty 0 makes every block post-merge; Shanghai at 0 needs every
// block fork before it at 0; no cancunTime keeps the V2 methods valid forever.
std::string genesis_json() {
  json::object config{{"chainId", kChainId},      {"homesteadBlock", 0},
                      {"eip150Block", 0},         {"eip155Block", 0},
                      {"eip158Block", 0},         {"byzantiumBlock", 0},
                      {"constantinopleBlock", 0}, {"petersburgBlock", 0},
                      {"istanbulBlock", 0},       {"muirGlacierBlock", 0},
                      {"berlinBlock", 0},         {"londonBlock", 0},
                      {"arrowGlacierBlock", 0},   {"grayGlacierBlock", 0},
                      {"mergeNetsplitBlock", 0},  {"terminalTotalDifficulty", 0},
                      {"shanghaiTime", 0}};
  json::object genesis{{"config", config},        {"difficulty", "0x0"},
                       {"gasLimit", "0x1c9c380"}, {"timestamp", ea::quantity_hex(kGenesisTime)},
                       {"extraData", "0x"},       {"alloc", json::object{}}};
  return json::serialize(genesis);
}

std::string random_secret_hex() {
  std::random_device random;
  std::string hex;
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 0; i < 64; ++i) hex.push_back(kDigits[random() % 16]);
  return hex;
}

// A geth on loopback ports chosen now, with its own datadir; stopped with SIGINT (a clean shutdown
// keeps its head) and killed by ChildProcess's destructor if that fails.
class GethProcess {
 public:
  GethProcess(const std::filesystem::path& dir, const std::filesystem::path& jwt_file) {
    auto genesis = dir / "genesis.json";
    std::ofstream(genesis) << genesis_json();
    auto datadir = (dir / "geth").string();
    alys::testing::ChildProcess init(
        {geth_binary().string(), "init", "--datadir", datadir, genesis.string()},
        dir / "geth-init.log");
    auto code = init.wait_exit(120s);
    if (code != 0) FAIL("geth init failed:\n" << init.output());
    auth_port_ = alys::testing::free_loopback_port();
    std::uint16_t p2p_port = alys::testing::free_loopback_port();
    process_ = std::make_unique<alys::testing::ChildProcess>(
        std::vector<std::string>{geth_binary().string(), "--datadir", datadir, "--syncmode", "full",
                                 "--nodiscover", "--maxpeers", "0", "--port",
                                 std::to_string(p2p_port), "--ipcdisable", "--authrpc.addr",
                                 "127.0.0.1", "--authrpc.port", std::to_string(auth_port_),
                                 "--authrpc.jwtsecret", jwt_file.string(), "--verbosity", "3"},
        dir / "geth.log");
  }
  ~GethProcess() {
    if (process_ && process_->running()) {
      process_->signal(SIGINT);
      process_->wait_exit(30s);
    }
  }
  std::uint16_t auth_port() const { return auth_port_; }
  alys::testing::ChildProcess& process() { return *process_; }

 private:
  std::uint16_t auth_port_ = 0;
  std::unique_ptr<alys::testing::ChildProcess> process_;
};

template <class T>
T must(ea::EngineResult<T> result) {
  if (!result.ok()) FAIL(result.error().message);
  return std::move(result).value();
}

template <class F>
auto timed(const char* what, F&& f) {
  auto started = std::chrono::steady_clock::now();
  auto result = f();
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  std::cout << "geth " << what << ": " << took.count() / 1000.0 << " ms\n";
  return result;
}

}  // namespace

TEST_CASE("geth: build, import and make head a block with a withdrawal") {
  if (!std::filesystem::exists(geth_binary())) {
    WARN("SKIP: no geth at " << geth_binary().string() << " (run packaging/geth.sh)");
    return;
  }
  alys::testing::TempDir dir("alys-geth");
  auto jwt_file = dir.write("jwt.hex", "0x" + random_secret_hex() + "\n");
  alys::testing::LogsOnFailure logs({dir.path() / "geth-init.log", dir.path() / "geth.log"});
  GethProcess geth(dir.path(), jwt_file);

  ea::EngineClientOptions options;
  options.port = geth.auth_port();
  options.jwt_secret_path = jwt_file;
  auto opened = ea::EngineClient::open(options);
  REQUIRE(opened.ok());
  ea::EngineClient client = std::move(opened).value();

  // Up when the authenticated port answers; transport errors until then.
  auto deadline = std::chrono::steady_clock::now() + 90s;
  ea::EngineResult<std::uint64_t> chain_id = client.chain_id();
  while (!chain_id.ok() && chain_id.error().retryable() &&
         std::chrono::steady_clock::now() < deadline && geth.process().running()) {
    std::this_thread::sleep_for(100ms);
    chain_id = client.chain_id();
  }
  REQUIRE(chain_id.ok());
  std::cout << "geth: first answer "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - (deadline - 90s))
                   .count()
            << " ms after start\n";
  CHECK(*chain_id == kChainId);

  auto capabilities = must(timed("exchangeCapabilities", [&] {
    return client.exchange_capabilities(ea::engine_methods_we_use());
  }));
  std::cout << "geth capabilities:";
  for (const auto& method : capabilities) std::cout << " " << method;
  std::cout << "\n";
  for (const auto& method : ea::engine_methods_we_use()) {
    INFO(method);
    CHECK(std::find(capabilities.begin(), capabilities.end(), method) != capabilities.end());
  }

  auto genesis = must(client.get_block_by_number("latest"));
  REQUIRE(genesis);
  CHECK(genesis->number == 0);
  CHECK(genesis->timestamp == kGenesisTime);
  const alys::Hash32 g = genesis->hash;

  ea::Withdrawal peg_in{
      0, 0, *alys::fixed_from_hex<20>("0x1111111111111111111111111111111111111111"), 10};
  ea::PayloadAttributesV2 attributes;
  attributes.timestamp = kGenesisTime + 2;
  attributes.suggested_fee_recipient =
      *alys::fixed_from_hex<20>("0x000000000000000000000000000000000000dEaD");
  attributes.withdrawals = std::vector<ea::Withdrawal>{peg_in};
  auto started = must(timed("forkchoiceUpdatedV2 with attributes", [&] {
    return client.forkchoice_updated_v2({g, g, g}, attributes);
  }));
  CHECK(started.payload_status.status == ea::PayloadValidity::kValid);
  REQUIRE(started.payload_id);

  auto built =
      must(timed("getPayloadV2", [&] { return client.get_payload_v2(*started.payload_id); }));
  ea::ExecutionPayloadV2 payload = built.execution_payload;
  CHECK(payload.parent_hash == g);
  CHECK(payload.block_number == 1);
  CHECK(payload.timestamp == kGenesisTime + 2);
  REQUIRE(payload.withdrawals);
  CHECK(*payload.withdrawals == std::vector<ea::Withdrawal>{peg_in});
  // Our header RLP and trie roots reproduce geth's hash of the block it built.
  CHECK(alys::to_0x_hex(ea::compute_block_hash(payload)) == alys::to_0x_hex(payload.block_hash));

  auto executed = must(timed("newPayloadV2", [&] { return client.new_payload_v2(payload); }));
  INFO(executed.validation_error.value_or(""));
  CHECK(executed.status == ea::PayloadValidity::kValid);
  REQUIRE(executed.latest_valid_hash);
  CHECK(*executed.latest_valid_hash == payload.block_hash);

  auto committed = must(timed("forkchoiceUpdatedV2 new head", [&] {
    return client.forkchoice_updated_v2({payload.block_hash, g, g}, std::nullopt);
  }));
  CHECK(committed.payload_status.status == ea::PayloadValidity::kValid);
  CHECK_FALSE(committed.payload_id);
  auto head = must(client.get_block_by_number("latest"));
  REQUIRE(head);
  CHECK(head->hash == payload.block_hash);

  auto balance = must(client.call(
      "eth_getBalance", json::array{json::string(alys::to_0x_hex(peg_in.address)), "latest"}, 5s));
  CHECK(balance == json::value("0x2540be400"));  // 10 gwei = 10 * 1e9 wei

  auto bodies = must(client.get_payload_bodies_by_hash_v1({payload.block_hash, alys::Hash32{}}));
  REQUIRE(bodies.size() == 2);
  REQUIRE(bodies[0]);
  CHECK(bodies[0]->withdrawals == payload.withdrawals);
  CHECK_FALSE(bodies[1]);

  {  // a wrong JWT secret is refused with a 401 that names our secret file
    auto wrong_file = dir.write("wrong.hex", random_secret_hex());
    options.jwt_secret_path = wrong_file;
    auto wrong = ea::EngineClient::open(options);
    REQUIRE(wrong.ok());
    auto refused = wrong->chain_id();
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ea::EngineErrorKind::kUnauthorized);
    CHECK_FALSE(refused.error().retryable());
    CHECK_THAT(refused.error().message, Catch::Contains(wrong_file.string()));
    std::cout << "geth 401 message: " << refused.error().message << "\n";
  }
  {  // a payload whose parent geth does not know answers SYNCING
    ea::ExecutionPayloadV2 orphan = payload;
    orphan.parent_hash[0] ^= 0x5a;
    orphan.block_number = 7;
    orphan.block_hash = ea::compute_block_hash(orphan);
    auto status = must(client.new_payload_v2(orphan));
    CHECK(status.status == ea::PayloadValidity::kSyncing);
    CHECK_FALSE(status.latest_valid_hash);
  }
  {  // a payload with a wrong blockHash is not VALID
    ea::ExecutionPayloadV2 forged = payload;
    forged.extra_data = {0x01};
    auto status = must(client.new_payload_v2(forged));
    std::cout << "geth on a wrong blockHash: " << ea::to_string(status.status) << " "
              << status.validation_error.value_or("") << "\n";
    CHECK(status.status != ea::PayloadValidity::kValid);
  }
  {  // an unknown payload id is -38001, not retryable
    auto unknown = client.get_payload_v2(ea::PayloadId{1, 2, 3, 4, 5, 6, 7, 8});
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().rpc_code == ea::kUnknownPayload);
    CHECK_FALSE(unknown.error().retryable());
  }
  {  // attributes whose timestamp is not after the head's are -38003
    ea::PayloadAttributesV2 stale = attributes;
    stale.timestamp = payload.timestamp;
    auto refused = client.forkchoice_updated_v2({payload.block_hash, g, g}, stale);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().rpc_code == ea::kInvalidPayloadAttributes);
  }
  {  // a finalized hash geth does not know is -38002
    alys::Hash32 unknown{};
    unknown[0] = 1;
    auto refused = client.forkchoice_updated_v2({payload.block_hash, g, unknown}, std::nullopt);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().rpc_code == ea::kInvalidForkchoiceState);
  }
  {  // a token issued 120 s ago: geth allows 60 s of drift
    ea::EngineClientOptions stale_clock = client.options();
    stale_clock.unix_time_s = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count() -
             120;
    };
    auto refused = ea::EngineClient(stale_clock).chain_id();
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ea::EngineErrorKind::kUnauthorized);
    std::cout << "geth on a stale iat: " << refused.error().message << "\n";
  }
  {  // a V3 method on a chain without Cancun is -38005
    auto refused = client.call("engine_getPayloadV3", json::array{"0x0102030405060708"}, 5s);
    REQUIRE_FALSE(refused.ok());
    std::cout << "geth engine_getPayloadV3 on Shanghai: " << refused.error().message << "\n";
    CHECK(refused.error().rpc_code == ea::kUnsupportedFork);
  }
  {  // what one round trip costs: a fresh connection and JWT each time
    auto loop_started = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; ++i) must(client.chain_id());
    auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - loop_started);
    std::cout << "geth eth_chainId: " << took.count() / 50 / 1000.0
              << " ms per call (mean of 50)\n";
  }
  {  // 130 withdrawals: two-byte trie keys (rlp(128) = 0x8180) and deeper trie nodes
    ea::PayloadAttributesV2 many = attributes;
    many.timestamp = payload.timestamp + 2;
    many.withdrawals->clear();
    for (std::uint64_t i = 0; i < 130; ++i)
      many.withdrawals->push_back({i, i * 7, peg_in.address, i + 1});
    auto next = must(client.forkchoice_updated_v2({payload.block_hash, g, g}, many));
    REQUIRE(next.payload_id);
    auto block2 = must(client.get_payload_v2(*next.payload_id)).execution_payload;
    CHECK(block2.withdrawals == many.withdrawals);
    CHECK(alys::to_0x_hex(ea::compute_block_hash(block2)) == alys::to_0x_hex(block2.block_hash));
    CHECK(must(client.new_payload_v2(block2)).status == ea::PayloadValidity::kValid);
  }
  logs.finished();
}
