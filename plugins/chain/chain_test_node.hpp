// What the chain's harness tests share: a node (chain + engine + storage plugins in the harness on
// a virtual clock), member keys, signed transfers and approvals. Test code only.
#pragma once
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alys/domain/auxpow.hpp"
#include "alys/domain/eth_transaction.hpp"
#include "alys/domain/wei.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/chain_events.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/schemas/storage.hpp"
#include "alys/testing.hpp"
#include "temp_dir.hpp"

namespace alys::chain_test {

using namespace alys;
using namespace std::chrono_literals;
using alys::testing::Harness;
using alys::testing::HarnessOptions;
using alys::testing::TempDir;

constexpr std::uint64_t kChainId = 263634;
constexpr std::uint64_t kGenesisMs = 1'700'000'000'000;
// Every block's payload pays its fees here (plugins/chain/fees.hpp, kFeeBurnAddress).
inline const EthAddress kBurnAddress =
    *fixed_from_hex<20>("0x000000000000000000000000000000000000dEaD");

inline SecretKey key(std::uint8_t seed) {
  std::array<std::uint8_t, 32> bytes{};
  bytes[0] = 0x5e;
  bytes[31] = seed;
  return *SecretKey::from_bytes(bytes);
}

// Member `member`'s approval of `hash` (member i holds key(i + 1), as members_toml lists them).
inline Approval approval_by(std::uint32_t member, const Hash32& hash) {
  return Approval{
      member,
      key(static_cast<std::uint8_t>(member + 1)).schnorr_sign(approval_message(kChainId, hash))};
}

// The same in round `round` of the block's height.
inline Approval approval_by(std::uint32_t member, const Hash32& hash, std::uint32_t round) {
  return Approval{member, key(static_cast<std::uint8_t>(member + 1))
                              .schnorr_sign(approval_message(kChainId, hash, round))};
}

// What a member sends: its approval of `block` in `round`, with the block's height.
inline chain::ApproveBlock approve_message(std::uint32_t member, const SignedBlock& block,
                                           std::uint32_t round = 0) {
  const Hash32 hash = block_hash(block.block);
  return chain::ApproveBlock{hash, approval_by(member, hash, round), round, block.block.height};
}

inline const SecretKey& funded_key() {
  static const SecretKey funded = key(0xf0);
  return funded;
}
inline EthAddress funded_address() { return eth_address(funded_key().uncompressed_public_key()); }

inline std::string members_toml(int count) {
  std::string out = "members = [";
  for (int i = 0; i < count; ++i)
    out += (i ? ", \"" : "\"") + to_hex(key(static_cast<std::uint8_t>(i + 1)).xonly_public_key()) +
           "\"";
  return out + "]\n";
}

struct NodeSetup {
  int members = 1;
  int threshold = 1;          // 0: none in the table (the default, (2N+2)/3)
  std::optional<int> member;  // this node's member index; nullopt: an observer
  std::string storage_toml = "backend = \"memory\"\n";
  std::uint64_t start_ms = kGenesisMs;
  std::string extra_chain_toml;  // more [chain] keys, e.g. an auxpow table
};

// The [chain] table of a node set up as `setup`; a member's key file goes to `dir`.
inline std::string chain_toml(const TempDir& dir, const NodeSetup& setup) {
  std::string chain =
      "chain_id = " + std::to_string(kChainId) + "\n" + members_toml(setup.members) +
      (setup.threshold ? "threshold = " + std::to_string(setup.threshold) + "\n" : std::string()) +
      "genesis_timestamp_ms = " + std::to_string(kGenesisMs) + "\n" +
      "genesis_alloc = [{ address = \"" + to_0x_hex(funded_address()) +
      "\", balance_wei = \"1000000000000000000000\" }]\n";
  if (setup.member) {
    const SecretKey member_key = key(static_cast<std::uint8_t>(*setup.member + 1));
    auto file =
        dir.write("member-" + std::to_string(*setup.member) + ".key", to_hex(member_key.bytes()));
    ::chmod(file.c_str(), 0600);
    chain += "key_file = \"" + file.string() + "\"\n";
  }
  return chain + setup.extra_chain_toml;
}

inline std::string engine_toml() {
  return "chain_id = " + std::to_string(kChainId) + "\nbase_fee_wei = 7\n";
}

// One node's roles in a harness. Its key file (if a member) lives in `dir`.
class TestNode {
 public:
  TestNode(const TempDir& dir, const NodeSetup& setup)
      : harness_(HarnessOptions{setup.start_ms, 0}) {
    const std::string chain = chain_toml(dir, setup);
    harness_.add("storage", ALYS_STORAGE_PLUGIN, setup.storage_toml);
    harness_.add("engine", ALYS_ENGINE_PLUGIN, engine_toml(), {"storage"});
    harness_.add("chain", ALYS_CHAIN_PLUGIN, chain, {"storage", "engine"});
    harness_.start();
    harness_.run();
  }

  Harness& harness() { return harness_; }

  template <class Reply, class Request>
  Reply ask(const std::string& role, const Request& request) {
    auto id = harness_.request(role, request, 60'000);
    harness_.run();
    auto reply = harness_.reply_as<Reply>(id);
    REQUIRE(reply);
    return *reply;
  }

  storage::Head head() { return ask<storage::Head>("storage", storage::GetHead{}); }
  engine::Info engine_info() { return ask<engine::Info>("engine", engine::GetInfo{}); }

  SignedBlock block_at(std::uint64_t height) {
    auto found = ask<storage::BlockFound>("storage", storage::GetBlockByHeight{height});
    REQUIRE(found.error.empty());
    REQUIRE(found.found);
    return decode<SignedBlock>(found.block.block);
  }

  chain::ImportResult import(const SignedBlock& block) {
    return ask<chain::ImportResult>("chain", chain::ImportBlock{block});
  }

  std::string rpc(const std::string& method, const std::string& params) {
    return harness_.call_rpc(method, params);
  }

 private:
  Harness harness_;
};

inline Bytes transfer(std::uint64_t nonce, std::uint8_t to_seed, std::uint64_t value) {
  eth::Transaction tx;
  tx.type = eth::TxType::eip1559;
  tx.chain_id = kChainId;
  tx.nonce = nonce;
  tx.max_priority_fee_per_gas = 1;
  tx.max_fee_per_gas = 100;
  tx.gas_limit = 21000;
  EthAddress to{};
  to[0] = 0xee;
  to[19] = to_seed;
  tx.to = to;
  tx.value = value;
  return eth::sign_transaction(tx, funded_key());
}

// A block on top of `node`'s head for `slot`, its payload built by the node's own engine with
// `mints`, naming `pegins`, signed by the given members.
inline SignedBlock make_block(TestNode& node, std::uint64_t slot,
                              std::vector<std::uint32_t> signers, std::uint32_t members,
                              const std::vector<PegIn>& pegins = {},
                              const std::vector<Mint>& mints = {}) {
  const storage::Head head = node.head();
  const SignedBlock parent = node.block_at(head.height);
  engine::BuildPayload build{parent.block.payload.block_hash, slot * 2000, kBurnAddress, mints,
                             1000};
  auto built = node.ask<engine::PayloadBuilt>("engine", build);
  REQUIRE(built.error.empty());
  SignedBlock block;
  block.block.height = head.height + 1;
  block.block.parent_hash = head.hash;
  block.block.slot = slot;
  block.block.timestamp_ms = slot * 2000;
  block.block.author_index = static_cast<std::uint32_t>(slot % members);
  block.block.payload = built.payload;
  block.block.pegins = pegins;
  for (std::uint32_t member : signers)
    block.approvals.push_back(approval_by(member, block_hash(block.block)));
  return block;
}

inline void resign(SignedBlock& block, std::vector<std::uint32_t> signers) {
  block.approvals.clear();
  for (std::uint32_t member : signers)
    block.approvals.push_back(approval_by(member, block_hash(block.block)));
}

// The chain spec's merged mining: chain id 1953 (0x7a1), the dev difficulty, production pausing
// after `max_blocks_without_pow`; with `dev_mine` the node mines for itself.
inline std::string auxpow_toml(std::uint64_t max_blocks_without_pow, bool dev_mine = false) {
  return std::string(dev_mine ? "dev_mine = true\n" : "") +
         "auxpow = { chain_id = 1953, max_blocks_without_pow = " +
         std::to_string(max_blocks_without_pow) +
         ", initial_bits = \"207fffff\", retarget_interval = 1000, target_spacing_s = 2 }\n";
}

}  // namespace alys::chain_test
