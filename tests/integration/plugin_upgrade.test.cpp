// Upgrading the modules of a running dev node, as an operator does it (issue 12): `alys-ctl
// reload` of engine, chain and storage in turn, each v1 -> v2 -> v1 (the v2 test builds write and
// read state schema 2 and hand schema 1 back), 20 times each, while a wallet keeps sending
// transfers and a miner keeps finalizing. Afterwards:
// - every transaction the node accepted is mined (none lost: one sender, consecutive nonces, so a
//   lost one would also leave every later one stuck);
// - no block is missing: heights 0..head, each block's parent the previous one;
// - finality advanced in every round;
// - a createauxblock work unit handed out before each chain swap is accepted by submitauxblock
//   after it;
// - a SIGHUP that changes every role's table restarts each with its state;
// - a reload to a build whose restore fails rolls back, and the node goes on with its state.
#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "alys/domain/eth_transaction.hpp"
#include "alys/domain/secp256k1.hpp"
#include "alys/domain/wei.hpp"
#include "child_process.hpp"
#include "dev_files.hpp"
#include "host/tools/alys-miner/dev_miner.hpp"
#include "logs_on_failure.hpp"
#include "loopback_http.hpp"

using namespace alys;
using alys::testing::ChildProcess;
using alys::testing::copy_dev_member_key;
using alys::testing::free_loopback_port;
using alys::testing::http_request;
using alys::testing::LogsOnFailure;
using alys::testing::read_file;
using alys::testing::TempDir;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

const std::string kAlysd = ALYS_BINARY_DIR "/bin/alysd";
const std::string kCtl = ALYS_BINARY_DIR "/bin/alys-ctl";
const std::string kPluginDir = ALYS_BINARY_DIR "/plugins";
// The funded dev account of config/dev.toml (Hardhat/Anvil's first development key).
const std::string kDevKey = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
constexpr std::uint64_t kDevChainId = 263634;
constexpr int kRounds = 20;

// The README's dev chain with 200 ms slots, mined by this test alone (no dev_mine), a token for
// reloads and a short swap trial.
std::string upgrade_config(const fs::path& token_file) {
  std::istringstream dev(read_file(ALYS_SOURCE_DIR "/config/dev.toml"));
  std::string config;
  bool slot_replaced = false;
  for (std::string line; std::getline(dev, line);) {
    if (line.starts_with("dev_mine") || line.starts_with("swap_trial_ms") ||
        line.starts_with("# admin_token_file"))
      continue;
    if (line.starts_with("slot_ms = ")) {
      line = "slot_ms = 200";
      slot_replaced = true;
    }
    if (line.starts_with("max_blocks_without_pow")) line = "max_blocks_without_pow = 40";
    config += line + "\n";
    if (line == "[host]")
      config += "admin_token_file = \"" + token_file.string() + "\"\nswap_trial_ms = 100\n";
  }
  REQUIRE(slot_replaced);
  return config;
}

std::optional<json::value> call(std::uint16_t port, const std::string& method,
                                const std::string& params, std::string* error = nullptr) {
  const std::string body =
      R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":)" + params + "}";
  auto reply = http_request("127.0.0.1", port, "POST", "/", body, {});
  if (!reply) {
    if (error) *error = "no answer";
    return std::nullopt;
  }
  try {
    json::value parsed = json::parse(reply->body);
    if (const json::value* failure = parsed.as_object().if_contains("error")) {
      if (error) *error = json::serialize(*failure);
      return std::nullopt;
    }
    return parsed.as_object().at("result");
  } catch (const std::exception& bad) {
    if (error) *error = std::string("unparsable answer: ") + bad.what();
    return std::nullopt;
  }
}

struct Heights {
  std::uint64_t head = 0;
  std::uint64_t finalized = 0;
};

std::optional<Heights> heights(std::uint16_t port) {
  auto status = call(port, "chain_status", "[]");
  if (!status) return std::nullopt;
  Heights out;
  out.head = status->at("head").at("height").to_number<std::uint64_t>();
  if (!status->at("finalized").is_null())
    out.finalized = status->at("finalized").at("height").to_number<std::uint64_t>();
  return out;
}

std::optional<Heights> wait_for(std::uint16_t port, const std::function<bool(const Heights&)>& done,
                                std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto now = heights(port); now && done(*now)) return now;
    std::this_thread::sleep_for(50ms);
  }
  return std::nullopt;
}

// A work unit and its proof, ground before it is submitted.
struct MinedWork {
  miner::AuxBlockWork work;
  AuxPow proof;
};

MinedWork mine_one(std::uint16_t port) {
  std::string error;
  auto created =
      call(port, "createauxblock", "[\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\"]", &error);
  INFO("createauxblock: " << error);
  REQUIRE(created);
  MinedWork mined{miner::parse_aux_block(*created), {}};
  std::stop_source never;
  miner::MiningResult result =
      miner::mine_work(mined.work, AuxPowCommitment::coinbase_script, 1'000'000, never.get_token());
  REQUIRE(result.proof);
  mined.proof = *result.proof;
  return mined;
}

void submit(std::uint16_t port, const MinedWork& mined) {
  std::string error;
  auto accepted = call(port, "submitauxblock",
                       json::serialize(miner::submit_params(mined.work, mined.proof)), &error);
  INFO("submitauxblock: " << error);
  REQUIRE(accepted);
  REQUIRE(accepted->is_bool());
  REQUIRE(accepted->as_bool());
}

// The wallet: transfers from the dev account with consecutive nonces, as fast as the node takes
// them. A call that gets no answer is sent again with the same bytes ("already known" then means
// the first one was accepted).
class Wallet {
 public:
  explicit Wallet(std::uint16_t port)
      : port_(port), key_(*SecretKey::from_bytes(*fixed_from_hex<32>(kDevKey))) {
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  }

  void stop() {
    thread_.request_stop();
    thread_.join();
  }

  std::uint64_t next_nonce() const { return nonce_; }
  std::vector<std::string> accepted() const {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  std::vector<std::string> refusals() const {
    std::lock_guard lock(mutex_);
    return refusals_;
  }

 private:
  void run(const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      eth::Transaction tx;
      tx.type = eth::TxType::eip1559;
      tx.chain_id = kDevChainId;
      tx.nonce = nonce_;
      tx.max_fee_per_gas = 2'000'000'000;
      tx.max_priority_fee_per_gas = 1;
      tx.gas_limit = 21'000;
      EthAddress to{};
      to[19] = static_cast<std::uint8_t>(1 + nonce_ % 200);
      tx.to = to;
      tx.value = 1'000'000'000'000 + nonce_;
      const std::string raw = to_0x_hex(eth::sign_transaction(tx, key_));
      for (int attempt = 0; !stop.stop_requested(); ++attempt) {
        std::string error;
        auto hash = call(port_, "eth_sendRawTransaction", "[\"" + raw + "\"]", &error);
        std::lock_guard lock(mutex_);
        if (hash) {
          accepted_.push_back(std::string(hash->as_string()));
          ++nonce_;
          break;
        }
        if (error.find("already known") != std::string::npos && attempt > 0) {
          accepted_.push_back(
              to_0x_hex(eth::decode_signed_transaction(*from_hex(std::string_view(raw))).hash));
          ++nonce_;
          break;
        }
        // The pool is full of this sender's transactions, or the engine is loading: wait.
        refusals_.push_back(error);
        std::this_thread::sleep_for(50ms);
      }
      std::this_thread::sleep_for(15ms);
    }
  }

  std::uint16_t port_;
  SecretKey key_;
  std::atomic<std::uint64_t> nonce_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> accepted_;
  std::vector<std::string> refusals_;
  std::jthread thread_;
};

}  // namespace

TEST_CASE("upgrades of engine, chain and storage under load lose nothing",
          "[integration][upgrade]") {
  TempDir dir("alys-upgrade");
  const fs::path token = dir.write("token", "upgrade-token\n");
  fs::permissions(token, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  const fs::path config = dir.write("node.toml", upgrade_config(token));
  copy_dev_member_key(dir.path());
  const std::uint16_t port = free_loopback_port();
  const fs::path log = dir.path() / "alysd.log";
  LogsOnFailure logs({log});
  ChildProcess node(
      {kAlysd, "--config", config.string(), "--data-dir", (dir.path() / "data").string(),
       "--plugin-dir", kPluginDir, "--admin-listen", "127.0.0.1:" + std::to_string(port)},
      log);
  REQUIRE(wait_for(
      port, [](const Heights& h) { return h.head >= 1; }, 30s));

  // The three are swappable with their state (`alys-ctl plugins`).
  auto ctl = [&](std::vector<std::string> args) {
    // --admin and --token-file: the config names plugin files relative to a plugin_dir that only
    // the node's --plugin-dir override points at.
    args.insert(args.begin(), {kCtl, "--admin", "127.0.0.1:" + std::to_string(port), "--token-file",
                               token.string()});
    ChildProcess run(args, dir.path() / "ctl.log");
    auto code = run.wait_exit(120s);
    REQUIRE(code);
    return std::make_pair(*code, run.output());
  };
  auto [plugins_code, plugins] = ctl({"plugins"});
  REQUIRE(plugins_code == 0);
  INFO(plugins);
  for (const char* role : {"storage", "engine", "chain"}) {
    std::istringstream lines(plugins);
    bool found = false;
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line);
      std::vector<std::string> row{std::istream_iterator<std::string>(fields), {}};
      if (row.empty() || row[0] != role) continue;
      found = true;
      CHECK(std::find(row.begin(), row.end(), "yes") != row.end());
    }
    CHECK(found);
  }

  Wallet wallet(port);
  const std::string v1[] = {kPluginDir + "/engine/alys_engine.so",
                            kPluginDir + "/chain/alys_chain.so",
                            kPluginDir + "/storage/alys_storage.so"};
  const std::string v2[] = {kPluginDir + "/engine/alys_engine_v2.so",
                            kPluginDir + "/chain/alys_chain_v2.so",
                            kPluginDir + "/storage/alys_storage_v2.so"};
  const std::string roles[] = {"engine", "chain", "storage"};
  std::uint64_t finalized = heights(port)->finalized;
  std::vector<std::uint64_t> pauses_us;
  for (int round = 0; round < kRounds; ++round) {
    for (int r = 0; r < 3; ++r) {
      INFO("round " << round << ", role " << roles[r]);
      // Work handed out before the swap, submitted after it.
      MinedWork mined = mine_one(port);
      for (const std::string& file : {v2[r], v1[r]}) {
        auto [code, output] = ctl({"reload", roles[r], file});
        INFO(output);
        REQUIRE(code == 0);
        REQUIRE(output.find("state handed over") != std::string::npos);
        auto paused = output.find("paused ");
        if (paused != std::string::npos)
          pauses_us.push_back(std::stoull(output.substr(paused + 7)));
      }
      submit(port, mined);
      // The proof goes into the next block: finality advances.
      auto advanced = wait_for(
          port, [&](const Heights& h) { return h.finalized > finalized; }, 15s);
      REQUIRE(advanced);
      finalized = advanced->finalized;
    }
  }
  // A config change of every role's table (SIGHUP): each declines it and is restarted with it,
  // and keeps its state across that restart as across a swap.
  {
    std::string changed = read_file(config);
    auto add_under = [&changed](const std::string& header, const std::string& line) {
      const auto at = changed.find(header + "\n");
      REQUIRE(at != std::string::npos);
      changed.insert(at + header.size() + 1, line + "\n");
    };
    add_under("[storage]", "cache_mb = 16");
    add_under("[engine]", "mempool_limit = 6000");
    add_under("[chain]", "storage_timeout_ms = 9000");
    dir.write("node.toml", changed);
    REQUIRE(node.signal(SIGHUP));
    for (const char* role : {"storage", "engine", "chain"})
      REQUIRE(node.wait_for_output(std::string("[reload] role '") + role +
                                       "' restarted with its new config table (state handed over)",
                                   20s));
    const std::uint64_t head_after_reload = heights(port)->head;
    REQUIRE(wait_for(
        port, [&](const Heights& h) { return h.head > head_after_reload + 2; }, 10s));
  }

  // A version whose restore refuses the state: the reload fails at stage restore and rolls back,
  // the old version keeps serving with the same state (checked below: no transfer lost, no block
  // missing).
  for (const std::string& role : {std::string("engine"), std::string("chain")}) {
    auto [code, output] =
        ctl({"reload", role, kPluginDir + "/" + role + "/alys_" + role + "_bad_restore.so"});
    INFO(output);
    CHECK(code == 1);
    CHECK(output.find("failed at stage restore") != std::string::npos);
    CHECK(output.find("rolled back") != std::string::npos);
  }
  const std::uint64_t head_after_rollbacks = heights(port)->head;
  REQUIRE(wait_for(
      port, [&](const Heights& h) { return h.head > head_after_rollbacks + 2; }, 10s));
  wallet.stop();
  const std::vector<std::string> accepted = wallet.accepted();
  INFO(accepted.size() << " transfers accepted, " << wallet.refusals().size() << " refusals");
  REQUIRE(accepted.size() >= 100);

  // Every accepted transfer is mined: the account's nonce reaches the wallet's.
  const std::string dev_address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
  std::uint64_t mined_nonce = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto count = call(port, "eth_getTransactionCount", "[\"" + dev_address + "\",\"latest\"]"))
      mined_nonce = std::stoull(std::string(count->as_string()), nullptr, 16);
    if (mined_nonce >= wallet.next_nonce()) break;
    std::this_thread::sleep_for(200ms);
  }
  REQUIRE(mined_nonce == wallet.next_nonce());
  std::size_t missing_receipts = 0;
  for (const std::string& hash : accepted) {
    auto receipt = call(port, "eth_getTransactionReceipt", "[\"" + hash + "\"]");
    if (!receipt || receipt->is_null()) ++missing_receipts;
  }
  REQUIRE(missing_receipts == 0);

  // No block is missing: every height up to the head, each on its parent.
  const Heights end = *heights(port);
  std::string parent;
  for (std::uint64_t height = 0; height <= end.head; ++height) {
    auto block = call(port, "chain_getBlockByHeight", "[" + std::to_string(height) + "]");
    INFO("height " << height);
    REQUIRE(block);
    REQUIRE(block->is_object());
    if (height > 0) REQUIRE(std::string(block->at("parentHash").as_string()) == parent);
    parent = std::string(block->at("hash").as_string());
  }
  // The wallet's transfers went into blocks all through the swaps.
  CHECK(end.head > static_cast<std::uint64_t>(kRounds) * 3);
  CHECK(node.running());

  std::sort(pauses_us.begin(), pauses_us.end());
  REQUIRE(pauses_us.size() == static_cast<std::size_t>(kRounds) * 6);
  std::cout << "plugin_upgrade: " << pauses_us.size() << " swaps, pause p50 "
            << pauses_us[pauses_us.size() / 2] << " us, max " << pauses_us.back() << " us; "
            << accepted.size() << " transfers, head " << end.head << ", finalized " << end.finalized
            << "\n";
  logs.finished();
}
