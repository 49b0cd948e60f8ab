#include "block_rules.hpp"

#include <catch2/catch.hpp>

using namespace alys;
using namespace alys::chain;

namespace {

SecretKey key(std::uint8_t seed) {
  std::array<std::uint8_t, 32> bytes{};
  bytes[31] = seed;
  return *SecretKey::from_bytes(bytes);
}

struct Fixture {
  ChainSpec spec;
  HeadView head;
  Block block;
  std::uint64_t now_ms = 0;

  Fixture() {
    spec.chain_id = 263634;
    spec.members = {key(1).xonly_public_key(), key(2).xonly_public_key(),
                    key(3).xonly_public_key()};
    spec.threshold = 2;
    spec.slot_ms = 2000;
    spec.max_future_drift_ms = 1000;
    head.height = 10;
    head.hash.fill(0xaa);
    head.slot = 100;
    head.payload_hash.fill(0xbb);
    head.payload_timestamp_s = 200;

    block.height = 11;
    block.parent_hash = head.hash;
    block.slot = 101;
    block.timestamp_ms = 202'000;
    block.author_index = 101 % 3;
    block.payload.number = 11;
    block.payload.parent_hash = head.payload_hash;
    block.payload.timestamp_s = 202;
    block.payload.fee_recipient = kFeeBurnAddress;
    now_ms = 202'100;
  }

  std::string code() const {
    auto rejection = check_header(spec, head, block, block_hash(block), now_ms);
    return rejection ? rejection->code : "";
  }

  Approval approve(std::uint32_t member, std::uint32_t round = 0) const {
    return Approval{member,
                    key(static_cast<std::uint8_t>(member + 1))
                        .schnorr_sign(approval_message(spec.chain_id, block_hash(block), round))};
  }
};

}  // namespace

TEST_CASE("a block that extends the head passes the header rules", "[block_rules]") {
  Fixture f;
  CHECK(f.code() == "");
  // Within the allowed drift into the future.
  f.now_ms = 202'000 - 1000;
  CHECK(f.code() == "");
}

TEST_CASE("each header rule rejects with its own code", "[block_rules]") {
  Fixture f;
  SECTION("the head itself") {
    f.head.hash = block_hash(f.block);
    CHECK(f.code() == "already_imported");
  }
  SECTION("wrong height on the right parent") {
    f.block.height = 12;
    CHECK(f.code() == "wrong_height");
  }
  SECTION("an unknown parent") {
    f.block.parent_hash.fill(0x11);
    CHECK(f.code() == "wrong_parent");
  }
  SECTION("a competitor at a decided height") {
    f.block.parent_hash.fill(0x11);
    f.block.height = 10;
    CHECK(f.code() == "stale_height");
  }
  SECTION("slot not after the parent's") {
    f.block.slot = 100;
    CHECK(f.code() == "slot_not_after_parent");
  }
  SECTION("slot beyond the drift") {
    f.now_ms = 202'000 - 1001;
    CHECK(f.code() == "slot_in_future");
  }
  SECTION("a slot so large that its start in milliseconds wraps around to now") {
    // 2^64 / 2000 slots later the start wraps: (slot + k) * 2000 == slot * 2000 mod 2^64 needs
    // k * 2000 == 0 mod 2^64, i.e. k = 2^60 (2000 = 2^4 * 125).
    f.block.slot += std::uint64_t{1} << 60;
    f.block.author_index = static_cast<std::uint32_t>(f.block.slot % 3);
    REQUIRE(f.spec.slot_start_ms(f.block.slot) == f.block.timestamp_ms);
    CHECK(f.code() == "slot_in_future");
  }
  SECTION("timestamp not the slot start") {
    f.block.timestamp_ms = 202'001;
    CHECK(f.code() == "wrong_timestamp");
  }
  SECTION("wrong author") {
    f.block.author_index = (f.block.author_index + 1) % 3;
    CHECK(f.code() == "wrong_author");
  }
  SECTION("payload number, parent and time must match the block") {
    f.block.payload.number = 12;
    CHECK(f.code() == "payload_mismatch");
    f.block.payload.number = 11;
    f.block.payload.parent_hash.fill(0x01);
    CHECK(f.code() == "payload_mismatch");
    f.block.payload.parent_hash = f.head.payload_hash;
    f.block.payload.timestamp_s = 203;
    CHECK(f.code() == "payload_mismatch");
  }
  SECTION("the payload pays its fees to the burn address only") {
    CHECK(f.code().empty());
    f.block.payload.fee_recipient[19] = 0xae;
    CHECK(f.code() == "wrong_fee_recipient");
    f.block.payload.fee_recipient = EthAddress{};
    CHECK(f.code() == "wrong_fee_recipient");
  }
  SECTION("content this version does not take") {
    f.block.pegout_proposal.push_back(PegOutRequest{});
    CHECK(f.code() == "unsupported_content");
    f.block.pegout_proposal.clear();
    f.block.finalized_pegouts.push_back(Hash32{});
    CHECK(f.code() == "unsupported_content");
    f.block.finalized_pegouts.clear();
    // Peg-ins are taken; their own rules are check_pegins'.
    f.block.pegins.push_back(PegIn{});
    CHECK(f.code().empty());
    f.block.pegins.clear();
    f.block.auxpow.push_back(AuxPowHeader{});
    CHECK(f.code() == "unsupported_content");
  }
}

TEST_CASE("approvals are counted per member and must verify", "[block_rules]") {
  Fixture f;
  const Hash32 hash = block_hash(f.block);
  CHECK(check_approvals(f.spec, hash, {f.approve(0)}).valid == 1);
  auto two = check_approvals(f.spec, hash, {f.approve(0), f.approve(2)});
  CHECK_FALSE(two.rejection);
  CHECK(two.valid == 2);

  auto twice = check_approvals(f.spec, hash, {f.approve(1), f.approve(1)});
  REQUIRE(twice.rejection);
  CHECK(twice.rejection->code == "duplicate_approval");

  Approval forged = f.approve(0);
  forged.signature[10] ^= 1;
  auto bad = check_approvals(f.spec, hash, {forged});
  REQUIRE(bad.rejection);
  CHECK(bad.rejection->code == "bad_approval");

  // Member 0's signature presented as member 1's.
  Approval misattributed = f.approve(0);
  misattributed.member_index = 1;
  CHECK(check_approvals(f.spec, hash, {misattributed}).rejection->code == "bad_approval");

  Approval outsider = f.approve(0);
  outsider.member_index = 3;
  CHECK(check_approvals(f.spec, hash, {outsider}).rejection->code == "bad_approval");

  // An approval of another chain with the same keys does not count here.
  ChainSpec other = f.spec;
  other.chain_id = 1;
  CHECK(check_approvals(other, hash, {f.approve(0)}).rejection->code == "bad_approval");
}

TEST_CASE("approvals count only in the round they were given in", "[block_rules]") {
  Fixture f;
  const Hash32 hash = block_hash(f.block);
  CHECK(check_approvals(f.spec, hash, {f.approve(0, 1), f.approve(2, 1)}, 1).valid == 2);
  CHECK(check_approvals(f.spec, hash, {f.approve(0, 1)}, 0).rejection->code == "bad_approval");
  CHECK(check_approvals(f.spec, hash, {f.approve(0), f.approve(2, 1)}, 1).rejection->code ==
        "bad_approval");
  CHECK(check_approvals(f.spec, hash, {f.approve(0, 2)}, 1).rejection->code == "bad_approval");
}

TEST_CASE("an engine that does not answer in time is engine_timeout", "[block_rules]") {
  const Rejection rejection = engine_unanswered("timed out after 5000 ms");
  CHECK(rejection.code == "engine_timeout");
  CHECK(rejection.code != "payload_invalid");
  CHECK(rejection.message.find("timed out after 5000 ms") != std::string::npos);
}

namespace {

PegIn pegin(std::uint8_t txid_byte, std::uint32_t vout, std::uint64_t sats = 100'000) {
  PegIn out;
  out.bitcoin_txid.fill(txid_byte);
  out.vout = vout;
  out.to[19] = 0x42;
  out.amount_sats = sats;
  return out;
}

std::string pegin_code(const std::vector<PegIn>& pegins, const std::set<PegInId>& minted = {}) {
  auto rejection = check_pegins(pegins, minted);
  return rejection ? rejection->code : "";
}

}  // namespace

TEST_CASE("a block's peg-ins are each new, once, and not zero", "[block_rules]") {
  CHECK(pegin_code({}).empty());
  CHECK(pegin_code({pegin(1, 0), pegin(1, 1), pegin(2, 0)}).empty());
  CHECK(pegin_code({pegin(1, 0), pegin(2, 0), pegin(1, 0)}) == "pegin_duplicate");
  // The same output with another amount or address is the same peg-in.
  PegIn other_amount = pegin(1, 0, 5);
  other_amount.to[0] = 0x01;
  CHECK(pegin_code({pegin(1, 0), other_amount}) == "pegin_duplicate");
  CHECK(pegin_code({pegin(1, 0, 0)}) == "pegin_zero_amount");
  const std::set<PegInId> minted{pegin_id(pegin(7, 3))};
  CHECK(pegin_code({pegin(7, 2), pegin(7, 4)}, minted).empty());
  CHECK(pegin_code({pegin(1, 0), pegin(7, 3)}, minted) == "pegin_already_minted");
  auto rejection = check_pegins({pegin(7, 3)}, minted);
  REQUIRE(rejection);
  std::string txid;
  for (int i = 0; i < 32; ++i) txid += "07";
  CHECK(rejection->message.find(txid + ":3") != std::string::npos);
}

TEST_CASE("a block mints at most 16 peg-ins", "[block_rules]") {
  std::vector<PegIn> pegins;
  for (std::uint32_t i = 0; i < kMaxPegInsPerBlock; ++i) pegins.push_back(pegin(9, i));
  CHECK(pegin_code(pegins).empty());
  pegins.push_back(pegin(9, 99));
  CHECK(pegin_code(pegins) == "too_many_pegins");
}

TEST_CASE("a peg-in mints sats x 10^10 wei, keyed by its display txid", "[block_rules]") {
  PegIn in = pegin(0, 5, 123'456'789);
  in.bitcoin_txid[0] = 0xab;  // internal order: the display order ends with ab
  const Mint mint = mint_of(in);
  CHECK(mint.to == in.to);
  CHECK(wei_from_be(mint.amount_wei) == Wei{123'456'789} * Wei{10'000'000'000ULL});
  // The largest amount fits the 32 bytes and the engine's 2^128 cap.
  CHECK(wei_from_be(mint_of(pegin(1, 0, ~std::uint64_t{0})).amount_wei) ==
        Wei{~std::uint64_t{0}} * Wei{10'000'000'000ULL});
  CHECK(pegin_key(kPegInMintedPrefix, in) == "pegin/" + std::string(62, '0') + "ab/5");
  CHECK(pegin_key(kPegInQueuedPrefix, in) == "pegin_queue/" + std::string(62, '0') + "ab/5");
}
