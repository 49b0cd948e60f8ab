#include "merged_mining.hpp"

#include <catch2/catch.hpp>

#include <variant>

#include "alys/domain/compact.hpp"
#include "alys/domain/sha256.hpp"

using namespace alys;
using namespace alys::chain;

namespace {

constexpr std::uint32_t kChainId = 0x7a1;
constexpr std::uint32_t kEasyBits = 0x207fffff;  // regtest's limit: about every other hash meets it

PowSpec easy_spec() {
  PowSpec spec;
  spec.chain_id = kChainId;
  spec.max_blocks_without_pow = 10;
  spec.retarget.interval_blocks = 2;
  spec.retarget.target_spacing_s = 10;
  spec.retarget.max_adjustment = 4;
  spec.retarget.pow_limit = decode_compact(kEasyBits).target;
  spec.initial_bits = kEasyBits;
  return spec;
}

Hash32 block(std::uint8_t n) {
  Hash32 hash{};
  hash.fill(n);
  return hash;
}

MergedMining with_blocks(std::uint8_t count) {
  MergedMining mining(easy_spec());
  mining.set_state(PowState{kEasyBits, 0, 1'000'000});
  for (std::uint8_t h = 1; h <= count; ++h) mining.block_added(h, block(h));
  return mining;
}

Work work_of(MergedMining& mining) {
  auto created = mining.create_work({});
  REQUIRE(std::holds_alternative<Work>(created));
  return std::get<Work>(created);
}

std::string display(const Hash32& hash) { return to_hex(reversed(hash)); }

std::string mined_hex(const Hash32& aux_hash, std::uint32_t chain_id = kChainId) {
  AuxPow auxpow = make_auxpow(aux_hash, chain_id, AuxPowCommitment::coinbase_script);
  REQUIRE(mine_auxpow(auxpow, kEasyBits, 1'000'000));
  return to_hex(auxpow.serialize());
}

}  // namespace

TEST_CASE("the work commits to every unfinalized block, oldest first", "[merged_mining]") {
  MergedMining none(easy_spec());
  auto nothing = none.create_work({});
  REQUIRE(std::holds_alternative<MiningError>(nothing));
  CHECK(std::get<MiningError>(nothing).message.find("nothing to finalize") != std::string::npos);

  MergedMining mining = with_blocks(3);
  Work work = work_of(mining);
  CHECK(work.range_start == 1);
  CHECK(work.range_end == 3);
  CHECK(work.bits == kEasyBits);
  Bytes concatenated;
  for (std::uint8_t h = 1; h <= 3; ++h) {
    Hash32 hash = block(h);
    concatenated.insert(concatenated.end(), hash.begin(), hash.end());
  }
  CHECK(work.aux_hash == sha256d(concatenated));
}

TEST_CASE("submitauxblock: each bad submission has its own error and queues nothing",
          "[merged_mining]") {
  MergedMining mining = with_blocks(3);
  const Work work = work_of(mining);

  auto error_of = [&](const std::string& hash, const std::string& hex) {
    auto error = mining.submit(hash, hex);
    REQUIRE(error);
    CHECK_FALSE(mining.has_queued());
    return *error;
  };
  const std::string good = mined_hex(work.aux_hash);

  MiningError unknown = error_of(display(block(9)), good);
  CHECK(unknown.code == -8);
  CHECK(unknown.message.find("unknown aux block hash") != std::string::npos);

  MiningError malformed = error_of(display(work.aux_hash), "zz" + good);
  CHECK(malformed.code == -22);
  MiningError truncated = error_of(display(work.aux_hash), good.substr(0, good.size() - 2));
  CHECK(truncated.code == -22);
  CHECK(truncated.message.find("malformed auxpow") != std::string::npos);

  // Committing to another hash (the work of another chain state).
  MiningError elsewhere = error_of(display(work.aux_hash), mined_hex(block(0x42)));
  CHECK(elsewhere.code == -25);

  // Insufficient work: a parent whose hash misses the target.
  AuxPow weak = make_auxpow(work.aux_hash, kChainId, AuxPowCommitment::coinbase_script);
  while (parent_meets_bits(weak, kEasyBits)) ++weak.parent.nonce;
  MiningError insufficient = error_of(display(work.aux_hash), to_hex(weak.serialize()));
  CHECK(insufficient.code == -25);
  CHECK(insufficient.message.find("insufficient work") != std::string::npos);

  // Valid for another chain id: a two-leaf chain tree with the slot of that chain id.
  constexpr std::uint32_t kOther = 0x7a2;
  std::uint32_t nonce = 0;
  while (expected_chain_index(nonce, kOther, 1) == expected_chain_index(nonce, kChainId, 1))
    ++nonce;
  AuxPow foreign = make_auxpow(work.aux_hash, kOther, AuxPowCommitment::coinbase_script);
  foreign.chain_branch = {block(0x77)};
  foreign.chain_index = expected_chain_index(nonce, kOther, 1);
  Bytes commitment = merged_mining_commitment(chain_merkle_root(foreign, work.aux_hash), 2, nonce);
  Bytes script(commitment.size() + 1);  // a push of the 44 bytes
  script[0] = static_cast<std::uint8_t>(commitment.size());
  std::copy(commitment.begin(), commitment.end(), script.begin() + 1);
  foreign.coinbase.inputs.at(0).script_sig = script;
  foreign.parent.merkle_root = foreign.coinbase.txid();
  REQUIRE(mine_auxpow(foreign, kEasyBits, 1'000'000));
  REQUIRE_FALSE(
      check_auxpow(foreign, work.aux_hash, kOther, true, AuxPowCommitment::coinbase_script));
  MiningError other_chain = error_of(display(work.aux_hash), to_hex(foreign.serialize()));
  CHECK(other_chain.code == -25);
  CHECK(other_chain.message.find("invalid auxpow") != std::string::npos);

  // A good one is queued for the next block.
  CHECK_FALSE(mining.submit(display(work.aux_hash), good));
  auto header = mining.queued_header(4);
  REQUIRE(header);
  CHECK(header->range_start == 1);
  CHECK(header->range_end == 3);
  CHECK(header->height == 1);
  CHECK_FALSE(mining.check_header(*header, 4));
  // It cannot go into a block that is part of its own range.
  CHECK_FALSE(mining.queued_header(3));
}

TEST_CASE("work goes stale once its range is finalized", "[merged_mining]") {
  MergedMining mining = with_blocks(2);
  const Work first = work_of(mining);
  const std::string first_auxpow = mined_hex(first.aux_hash);
  REQUIRE_FALSE(mining.submit(display(first.aux_hash), first_auxpow));
  AuxPowHeader header = *mining.queued_header(3);
  mining.block_added(3, block(3));
  mining.finalized(header, 1'010'000);
  CHECK(mining.first_unfinalized_height() == 3);
  CHECK(mining.state().auxpow_height == 1);
  // The old work is forgotten (unknown), and a block with the old header is refused.
  auto again = mining.submit(display(first.aux_hash), first_auxpow);
  REQUIRE(again);
  CHECK(again->code == -8);
  auto reason = mining.check_header(header, 4);
  REQUIRE(reason);
  CHECK(reason->find("range starts at 1") != std::string::npos);
}

TEST_CASE("a block's AuxPoW header is checked against the chain's state", "[merged_mining]") {
  MergedMining mining = with_blocks(3);
  const Work work = work_of(mining);
  REQUIRE_FALSE(mining.submit(display(work.aux_hash), mined_hex(work.aux_hash)));
  const AuxPowHeader good = *mining.queued_header(4);
  auto reason_with = [&](auto&& spoil) {
    AuxPowHeader header = good;
    spoil(header);
    auto reason = mining.check_header(header, 4);
    REQUIRE(reason);
    return *reason;
  };
  CHECK(reason_with([](AuxPowHeader& h) { h.range_start = 2; }).find("range starts") !=
        std::string::npos);
  CHECK(reason_with([](AuxPowHeader& h) { h.range_end = 4; }).find("range ends") !=
        std::string::npos);
  CHECK(reason_with([](AuxPowHeader& h) { h.bits = 0x1d00ffff; }).find("bits") !=
        std::string::npos);
  CHECK(reason_with([](AuxPowHeader& h) { h.chain_id = 1; }).find("chain id") != std::string::npos);
  CHECK(reason_with([](AuxPowHeader& h) { h.height = 2; }).find("AuxPoW height") !=
        std::string::npos);
  CHECK(reason_with([](AuxPowHeader& h) { h.auxpow.pop_back(); }).find("malformed") !=
        std::string::npos);
  // A range that stops short commits to other hashes than the AuxPoW did.
  CHECK(reason_with([](AuxPowHeader& h) { h.range_end = 2; }).find("invalid auxpow") !=
        std::string::npos);
}

TEST_CASE("the target retargets every interval of AuxPoWs, within the adjustment bounds",
          "[merged_mining]") {
  PowSpec spec = easy_spec();
  spec.retarget.pow_limit = U256::from_be_hex(std::string(64, 'f'));
  spec.retarget.interval_blocks = 2;
  spec.retarget.target_spacing_s = 10;
  const std::uint32_t start_bits = 0x1d00ffff;
  PowState state{start_bits, 0, 1'000'000};
  // The first AuxPoW of a window changes nothing.
  PowState one = advance(spec, state, 1'005'000);
  CHECK(one.bits == start_bits);
  CHECK(one.auxpow_height == 1);
  // Two AuxPoWs in 40 s where 20 s were wanted: the target doubles (easier).
  PowState two = advance(spec, one, 1'040'000);
  CHECK(two.auxpow_height == 2);
  CHECK(two.window_start_ms == 1'040'000);
  CHECK(two.bits == next_bits(spec.retarget, start_bits, 1000, 1040));
  U256 doubled = decode_compact(start_bits).target;
  doubled *= 2;
  CHECK(decode_compact(two.bits).target == decode_compact(encode_compact(doubled)).target);
  // Far too fast: clamped to a quarter.
  PowState fast = advance(spec, advance(spec, two, 1'040'100), 1'040'200);
  U256 quarter = decode_compact(two.bits).target;
  quarter /= 4;
  CHECK(decode_compact(fast.bits).target == decode_compact(encode_compact(quarter)).target);
}

TEST_CASE("save/load: work handed out before is accepted after, the queued AuxPoW kept",
          "[merged_mining]") {
  MergedMining old = with_blocks(3);
  const Work first = work_of(old);
  old.block_added(4, block(4));
  const Work second = work_of(old);  // over 1..4; `first`, over 1..3, is still good

  MergedMining fresh(easy_spec());
  fresh.load(old.save());
  CHECK(fresh.state().bits == kEasyBits);
  CHECK(fresh.first_unfinalized_height() == 1);
  CHECK(fresh.unfinalized_count() == 4);
  CHECK(fresh.hash_at(4) == block(4));
  CHECK_FALSE(fresh.has_queued());
  CHECK_FALSE(fresh.submit(display(first.aux_hash), mined_hex(first.aux_hash)).has_value());
  REQUIRE(fresh.queued_header(5).has_value());
  CHECK(fresh.queued_header(5)->range_end == 3);
  CHECK_FALSE(fresh.submit(display(second.aux_hash), mined_hex(second.aux_hash)).has_value());
  Hash32 unknown = second.aux_hash;
  unknown[0] ^= 1;
  CHECK(fresh.submit(display(unknown), mined_hex(unknown)).has_value());

  // The queued AuxPoW travels too.
  MergedMining again(easy_spec());
  again.load(fresh.save());
  REQUIRE(again.queued_header(5).has_value());
  CHECK(again.queued_header(5)->range_end == 4);
}
