#include "alys/domain/block.hpp"

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "alys/domain/keccak.hpp"
#include "alys/domain/sha256.hpp"
#include "consensus_vectors.hpp"

using namespace alys;

namespace {

template <std::size_t N>
std::array<std::uint8_t, N> filled(std::uint8_t byte) {
  std::array<std::uint8_t, N> out{};
  out.fill(byte);
  return out;
}

// A block with every field set to something non-default.
Block sample_block() {
  Block block;
  block.height = 7;
  block.parent_hash = filled<32>(0x11);
  block.slot = 123456;
  block.timestamp_ms = 1'700'000'000'000;
  block.author_index = 2;
  ExecutionPayload& p = block.payload;
  p.parent_hash = filled<32>(0x22);
  p.number = 7;
  p.timestamp_s = 1'700'000'000;
  p.fee_recipient = filled<20>(0x33);
  p.state_root = filled<32>(0x44);
  p.transactions_root = filled<32>(0x55);
  p.gas_limit = 30'000'000;
  p.gas_used = 21'000;
  p.base_fee_per_gas = filled<32>(0x00);
  p.base_fee_per_gas[31] = 7;
  p.transactions = {Bytes{0x02, 0xc0}, Bytes(100, 0xab)};
  p.block_hash = filled<32>(0x66);
  p.receipts_root = filled<32>(0x67);
  p.logs_bloom[0] = 0x80;
  p.logs_bloom[255] = 0x01;
  p.prev_randao = filled<32>(0x68);
  p.extra_data = Bytes{'a', 'l', 'y', 's', '2'};
  p.withdrawals = {{17, 3, filled<20>(0xcc), 1'500'000'000}, {18, 5, filled<20>(0xdd), 250}};
  block.pegins.push_back({filled<32>(0x77), 1, filled<20>(0x88), 50'000});
  block.pegout_proposal.push_back({filled<32>(0x99), "0014" + std::string(40, 'a'), 10'000});
  block.finalized_pegouts.push_back(filled<32>(0xaa));
  block.auxpow.push_back({1, 7, 0x207fffff, 0x4a4a, 7, Bytes{1, 2, 3}, filled<20>(0xbb)});
  return block;
}

using FieldEdits = std::vector<std::pair<std::string, std::function<void(Block&)>>>;

// One edit per field that format 2 (alys.domain.Block/2) appended to the payload, each changing
// exactly one byte of the field's value (a high byte of the integers, so that a field encoded
// narrower shows too).
FieldEdits format2_byte_edits() {
  return {
      {"payload.receipts_root", [](Block& b) { b.payload.receipts_root[31] ^= 0x01; }},
      {"payload.logs_bloom", [](Block& b) { b.payload.logs_bloom[128] ^= 0x20; }},
      {"payload.prev_randao", [](Block& b) { b.payload.prev_randao[0] ^= 0x80; }},
      {"payload.extra_data", [](Block& b) { b.payload.extra_data[4] ^= 0x01; }},
      {"payload.withdrawals.index", [](Block& b) { b.payload.withdrawals[0].index ^= 1ULL << 56; }},
      {"payload.withdrawals.validator_index",
       [](Block& b) { b.payload.withdrawals[1].validator_index ^= 1ULL << 40; }},
      {"payload.withdrawals.address", [](Block& b) { b.payload.withdrawals[0].address[19] ^= 1; }},
      {"payload.withdrawals.amount_gwei",
       [](Block& b) { b.payload.withdrawals[1].amount_gwei ^= 1ULL << 32; }},
  };
}

// One edit per field of Block, its payload and its nested records.
FieldEdits field_edits() {
  FieldEdits edits{
      {"height", [](Block& b) { b.height += 1; }},
      {"parent_hash", [](Block& b) { b.parent_hash[31] ^= 1; }},
      {"slot", [](Block& b) { b.slot += 1; }},
      {"timestamp_ms", [](Block& b) { b.timestamp_ms += 1; }},
      {"author_index", [](Block& b) { b.author_index += 1; }},
      {"payload.parent_hash", [](Block& b) { b.payload.parent_hash[0] ^= 1; }},
      {"payload.number", [](Block& b) { b.payload.number += 1; }},
      {"payload.timestamp_s", [](Block& b) { b.payload.timestamp_s += 1; }},
      {"payload.fee_recipient", [](Block& b) { b.payload.fee_recipient[0] ^= 1; }},
      {"payload.state_root", [](Block& b) { b.payload.state_root[0] ^= 1; }},
      {"payload.transactions_root", [](Block& b) { b.payload.transactions_root[0] ^= 1; }},
      {"payload.gas_limit", [](Block& b) { b.payload.gas_limit += 1; }},
      {"payload.gas_used", [](Block& b) { b.payload.gas_used += 1; }},
      {"payload.base_fee_per_gas", [](Block& b) { b.payload.base_fee_per_gas[31] += 1; }},
      {"payload.transactions (content)", [](Block& b) { b.payload.transactions[1][5] ^= 1; }},
      {"payload.transactions (count)", [](Block& b) { b.payload.transactions.pop_back(); }},
      {"payload.block_hash", [](Block& b) { b.payload.block_hash[0] ^= 1; }},
      {"pegins.bitcoin_txid", [](Block& b) { b.pegins[0].bitcoin_txid[0] ^= 1; }},
      {"pegins.vout", [](Block& b) { b.pegins[0].vout += 1; }},
      {"pegins.to", [](Block& b) { b.pegins[0].to[0] ^= 1; }},
      {"pegins.amount_sats", [](Block& b) { b.pegins[0].amount_sats += 1; }},
      {"pegout_proposal.burn_tx_hash", [](Block& b) { b.pegout_proposal[0].burn_tx_hash[0] ^= 1; }},
      {"pegout_proposal.script",
       [](Block& b) { b.pegout_proposal[0].bitcoin_script_pubkey_hex += "00"; }},
      {"pegout_proposal.amount_sats", [](Block& b) { b.pegout_proposal[0].amount_sats += 1; }},
      {"finalized_pegouts", [](Block& b) { b.finalized_pegouts[0][0] ^= 1; }},
      {"auxpow.range_start", [](Block& b) { b.auxpow[0].range_start += 1; }},
      {"auxpow.range_end", [](Block& b) { b.auxpow[0].range_end += 1; }},
      {"auxpow.bits", [](Block& b) { b.auxpow[0].bits += 1; }},
      {"auxpow.chain_id", [](Block& b) { b.auxpow[0].chain_id += 1; }},
      {"auxpow.height", [](Block& b) { b.auxpow[0].height += 1; }},
      {"auxpow.auxpow", [](Block& b) { b.auxpow[0].auxpow.push_back(4); }},
      {"auxpow.fee_recipient", [](Block& b) { b.auxpow[0].fee_recipient[0] ^= 1; }},
      {"auxpow (absent)", [](Block& b) { b.auxpow.clear(); }},
      {"payload.extra_data (length)", [](Block& b) { b.payload.extra_data.push_back(0); }},
      {"payload.withdrawals (count)", [](Block& b) { b.payload.withdrawals.pop_back(); }},
      {"payload.withdrawals (order)",
       [](Block& b) { std::swap(b.payload.withdrawals[0], b.payload.withdrawals[1]); }},
  };
  for (auto& edit : format2_byte_edits()) edits.push_back(std::move(edit));
  return edits;
}

}  // namespace

TEST_CASE("block_hash is SHA-256 of the codec encoding", "[block]") {
  const Block block = sample_block();
  CHECK(block_hash(block) == sha256(encode(block)));
  CHECK(block_hash(block) != block_hash(Block{}));
  CHECK(block_hash(Block{}) == sha256(encode(Block{})));
}

TEST_CASE("block_hash changes when any field changes", "[block]") {
  const Hash32 original = block_hash(sample_block());
  for (const auto& [name, edit] : field_edits()) {
    INFO(name);
    Block changed = sample_block();
    edit(changed);
    CHECK(block_hash(changed) != original);
  }
}

// A field left out of ALYS_FIELDS would leave the encoding unchanged (nothing differs); one encoded
// twice or through a hash would change more than one byte.
TEST_CASE("a one-byte change in each format-2 field changes one encoding byte", "[block]") {
  const Block original = sample_block();
  const Bytes encoded = encode(original);
  for (const auto& [name, edit] : format2_byte_edits()) {
    INFO(name);
    Block changed = original;
    edit(changed);
    const Bytes changed_encoding = encode(changed);
    REQUIRE(changed_encoding.size() == encoded.size());
    std::size_t differing = 0;
    for (std::size_t i = 0; i < encoded.size(); ++i) differing += encoded[i] != changed_encoding[i];
    CHECK(differing == 1);
    // Decoding reads the field back where encoding put it.
    CHECK(encode(decode<Block>(changed_encoding)) == changed_encoding);
  }
}

TEST_CASE("approvals are not part of the block hash", "[block]") {
  SignedBlock signed_block{sample_block(), {}};
  const Hash32 before = block_hash(signed_block.block);
  signed_block.approvals.push_back({0, filled<64>(0x01)});
  signed_block.approvals.push_back({2, filled<64>(0x02)});
  const SignedBlock decoded = decode<SignedBlock>(encode(signed_block));
  REQUIRE(decoded.approvals.size() == 2);
  CHECK(block_hash(decoded.block) == before);
  CHECK(encode(decoded) != encode(SignedBlock{sample_block(), {}}));
}

TEST_CASE("a SignedBlock round-trips through the codec", "[block]") {
  SignedBlock signed_block{sample_block(), {{1, filled<64>(0x5a)}, {4, filled<64>(0xa5)}}};
  const Bytes encoded = encode(signed_block);
  const SignedBlock decoded = decode<SignedBlock>(encoded);
  CHECK(encode(decoded) == encoded);
  CHECK(block_hash(decoded.block) == block_hash(signed_block.block));
  CHECK(decoded.block.height == 7);
  CHECK(decoded.block.payload.transactions == signed_block.block.payload.transactions);
  REQUIRE(decoded.block.pegout_proposal.size() == 1);
  CHECK(decoded.block.pegout_proposal[0].bitcoin_script_pubkey_hex ==
        signed_block.block.pegout_proposal[0].bitcoin_script_pubkey_hex);
  REQUIRE(decoded.block.auxpow.size() == 1);
  CHECK(decoded.block.auxpow[0].auxpow == Bytes{1, 2, 3});
  REQUIRE(decoded.approvals.size() == 2);
  CHECK(decoded.approvals[1].member_index == 4);
  CHECK(decoded.approvals[1].signature == filled<64>(0xa5));
}

TEST_CASE("approval_message is tagged_hash(\"alys/approval\", chain id LE64 || hash)", "[block]") {
  const Hash32 hash = block_hash(sample_block());
  Bytes expected_input{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};  // 0x0807060504030201
  expected_input.insert(expected_input.end(), hash.begin(), hash.end());
  CHECK(approval_message(0x0807060504030201ULL, hash) ==
        tagged_hash("alys/approval", expected_input));
  CHECK(approval_message(1, hash) != approval_message(2, hash));
  CHECK(approval_message(1, hash) != approval_message(1ULL << 56, hash));
  Hash32 other = hash;
  other[31] ^= 1;
  CHECK(approval_message(1, hash) != approval_message(1, other));
}

TEST_CASE("a Schnorr approval verifies over approval_message only", "[block]") {
  const SecretKey member = SecretKey::generate();
  const Block block = sample_block();
  const Hash32 message = approval_message(263634, block_hash(block));
  const Approval approval{0, member.schnorr_sign(message)};
  CHECK(schnorr_verify(member.xonly_public_key(), message, approval.signature));
  // Not on another chain, not for another block, not as a bare block hash.
  CHECK_FALSE(schnorr_verify(member.xonly_public_key(), approval_message(263635, block_hash(block)),
                             approval.signature));
  Block other = block;
  other.slot += 1;
  CHECK_FALSE(schnorr_verify(member.xonly_public_key(), approval_message(263634, block_hash(other)),
                             approval.signature));
  CHECK_FALSE(schnorr_verify(member.xonly_public_key(), block_hash(block), approval.signature));
}

TEST_CASE("payload_hash covers every field but block_hash, which it ignores", "[block]") {
  const ExecutionPayload payload = sample_block().payload;
  ExecutionPayload zeroed = payload;
  zeroed.block_hash = Hash32{};
  CHECK(payload_hash(payload) == keccak256(encode(zeroed)));
  // Filling in the hash does not change it: an engine can set block_hash = payload_hash(payload).
  ExecutionPayload with_own_hash = payload;
  with_own_hash.block_hash = payload_hash(payload);
  CHECK(payload_hash(with_own_hash) == payload_hash(payload));

  const Hash32 original = payload_hash(payload);
  for (const auto& [name, edit] : field_edits()) {
    if (name.rfind("payload.", 0) != 0 || name == "payload.block_hash") continue;
    INFO(name);
    Block changed = sample_block();
    edit(changed);
    CHECK(payload_hash(changed.payload) != original);
  }
}

// Pinned vectors of block format 2 (tests/data/consensus_vectors_format2.json), generated once:
// unlike the tests above, these fail when the code changes an encoding consistently everywhere,
// which would fork the chain. Never regenerate them to make this pass. The format-1 block vectors
// in tests/data/consensus_vectors.json are history, checked by no test: the code cannot produce
// format 1 any more.
TEST_CASE("the block encoding and block_hash match the pinned consensus vectors", "[block]") {
  namespace vectors = alys::testing::vectors;
  const auto file = vectors::load_consensus_vectors_format2();
  const auto& pinned = vectors::object_field(file, "block");
  const Block block = vectors::block_from_json(vectors::object_field(pinned, "fields"));
  // Every repeated part is present and every format-2 field set, so its encoding is pinned too.
  REQUIRE(block.payload.transactions.size() == 2);
  REQUIRE(block.payload.withdrawals.size() == 2);
  REQUIRE(block.payload.extra_data.size() == 5);
  REQUIRE(block.payload.receipts_root != Hash32{});
  REQUIRE(block.payload.logs_bloom != std::array<std::uint8_t, 256>{});
  REQUIRE(block.payload.prev_randao != Hash32{});
  REQUIRE(block.pegins.size() == 1);
  REQUIRE(block.pegout_proposal.size() == 1);
  REQUIRE(block.finalized_pegouts.size() == 1);
  REQUIRE(block.auxpow.size() == 1);

  CHECK(to_hex(encode(block)) == vectors::string_field(pinned, "encoding"));
  CHECK(to_hex(block_hash(block)) == vectors::string_field(pinned, "block_hash"));
  // The pinned bytes also decode to the same block.
  const Block decoded = decode<Block>(vectors::bytes_field(pinned, "encoding"));
  CHECK(to_hex(block_hash(decoded)) == vectors::string_field(pinned, "block_hash"));
}

TEST_CASE("approval_message and the signed block encoding match the pinned consensus vectors",
          "[block]") {
  namespace vectors = alys::testing::vectors;
  const auto file = vectors::load_consensus_vectors_format2();
  const auto& pinned = vectors::object_field(file, "approval");
  const auto block_hash = vectors::fixed_field<32>(pinned, "block_hash");
  CHECK(vectors::string_field(vectors::object_field(file, "block"), "block_hash") ==
        to_hex(block_hash));
  const std::uint32_t round = vectors::u32_field(pinned, "round");
  REQUIRE(round != 0);  // the round's message, with the round appended, is pinned
  const Hash32 message =
      approval_message(vectors::u64_field(pinned, "chain_id"), block_hash, round);
  CHECK(to_hex(message) == vectors::string_field(pinned, "message"));

  SignedBlock signed_block{vectors::block_from_json(vectors::object_field(
                               vectors::object_field(file, "block"), "fields")),
                           {},
                           round};
  const auto& approvals = vectors::array_field(pinned, "approvals");
  REQUIRE(approvals.size() == 2);
  for (const auto& value : approvals) {
    const auto& approval = value.as_object();
    signed_block.approvals.push_back(vectors::approval_from_json(approval));
    // The members signed the pinned message: the signatures tie it to the keys.
    CHECK(schnorr_verify(vectors::fixed_field<32>(approval, "public_key"), message,
                         signed_block.approvals.back().signature));
  }
  const auto& pinned_signed = vectors::object_field(file, "signed_block");
  CHECK(to_hex(encode(signed_block)) == vectors::string_field(pinned_signed, "encoding"));
}

TEST_CASE("payload_hash matches the pinned consensus vector", "[block]") {
  namespace vectors = alys::testing::vectors;
  const auto file = vectors::load_consensus_vectors_format2();
  const auto& pinned = vectors::object_field(file, "payload_hash");
  const ExecutionPayload payload =
      vectors::block_from_json(
          vectors::object_field(vectors::object_field(file, "block"), "fields"))
          .payload;
  ExecutionPayload zeroed = payload;
  zeroed.block_hash = Hash32{};
  CHECK(to_hex(encode(zeroed)) == vectors::string_field(pinned, "encoding"));
  CHECK(to_hex(payload_hash(payload)) == vectors::string_field(pinned, "payload_hash"));
  // The pinned payload carries its own hash, as engines fill it in.
  CHECK(to_hex(payload.block_hash) == vectors::string_field(pinned, "payload_hash"));
}

TEST_CASE("a round's approval message appends the round; round 0 is the old one", "[block]") {
  const Hash32 hash = block_hash(sample_block());
  CHECK(approval_message(7, hash, 0) == approval_message(7, hash));
  Bytes round_input{0x07, 0, 0, 0, 0, 0, 0, 0};
  round_input.insert(round_input.end(), hash.begin(), hash.end());
  round_input.insert(round_input.end(), {0x02, 0x01, 0x00, 0x00});  // round 0x0102, LE32
  CHECK(approval_message(7, hash, 0x0102) == tagged_hash("alys/approval", round_input));
  CHECK(approval_message(7, hash, 1) != approval_message(7, hash, 2));
  CHECK(approval_message(7, hash, 1) != approval_message(7, hash));
}
