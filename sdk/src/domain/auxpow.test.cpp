#include "alys/domain/auxpow.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "alys/domain/compact.hpp"
#include "alys/domain/sha256.hpp"

using namespace alys;
namespace json = boost::json;

namespace {

Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  REQUIRE(bytes);
  return *bytes;
}

Hash32 display_hash(std::string_view text) {
  auto bytes = fixed_from_hex<32>(text);
  REQUIRE(bytes);
  return reversed(*bytes);
}

std::string str(const json::value& value, std::string_view key) {
  return std::string(value.at(key).as_string());
}

// One entry of tests/data/auxpow_vectors.json.
struct Vector {
  std::string name;
  std::uint32_t chain_id = 0;
  bool strict_chain_id = true;
  Hash32 child_hash{};  // internal order
  std::uint32_t child_bits = 0;
  Bytes auxpow;  // empty for the plain header
  Bytes child_header;
  json::value source;

  bool sha256d_parent() const {
    return str(source.at("expected"), "parent_pow_hash_fn") == "sha256d";
  }
};

std::vector<Vector> vectors() {
  std::ifstream file(ALYS_SOURCE_DIR "/tests/data/auxpow_vectors.json");
  REQUIRE(file);
  std::stringstream text;
  text << file.rdbuf();
  json::value all = json::parse(text.str());
  std::vector<Vector> out;
  for (const json::value& entry : all.as_array()) {
    const json::object& object = entry.as_object();
    Vector vector;
    vector.name = str(entry, "name");
    vector.chain_id = static_cast<std::uint32_t>(entry.at("chain_id").as_int64());
    vector.strict_chain_id = entry.at("strict_chain_id").as_bool();
    vector.child_hash = display_hash(str(entry, "child_hash"));
    vector.child_bits =
        static_cast<std::uint32_t>(std::stoul(str(entry, "child_nbits"), nullptr, 16));
    if (object.contains("auxpow_hex")) vector.auxpow = hex(str(entry, "auxpow_hex"));
    if (object.contains("child_header_hex"))
      vector.child_header = hex(str(entry, "child_header_hex"));
    vector.source = entry;
    out.push_back(std::move(vector));
  }
  REQUIRE(out.size() == 8);
  return out;
}

const Vector& named(const std::vector<Vector>& all, std::string_view prefix) {
  for (const Vector& vector : all)
    if (vector.name.starts_with(prefix)) return vector;
  FAIL("no vector " << prefix);
  return all.front();
}

std::optional<std::string> check(const AuxPow& auxpow, const Vector& vector,
                                 AuxPowCommitment commitment = AuxPowCommitment::coinbase_script) {
  return check_auxpow(auxpow, vector.child_hash, vector.chain_id, vector.strict_chain_id,
                      commitment);
}

// After a change to the coinbase, makes the parent's merkle root match it again, so that the
// rule under test is the one that fails rather than the merkle root.
void relink(AuxPow& auxpow) {
  auxpow.parent.merkle_root =
      btc::merkle_root_from_branch(auxpow.coinbase.txid(), auxpow.coinbase_branch, 0);
}

Bytes& script_of(AuxPow& auxpow) { return auxpow.coinbase.inputs.at(0).script_sig; }

constexpr std::uint32_t kEasyBits = 0x207fffff;
constexpr std::uint32_t kAlysChainId = 0x4a4c;

Hash32 some_hash(std::uint8_t seed) { return sha256d(Bytes{seed}); }

}  // namespace

// --- the real vectors -------------------------------------------------------------------------

TEST_CASE("Every AuxPoW vector parses into its recorded fields and serializes back") {
  int parsed = 0;
  for (const Vector& vector : vectors()) {
    if (vector.auxpow.empty()) continue;
    INFO(vector.name);
    const json::value& fields = vector.source.at("parsed");
    AuxPow auxpow = AuxPow::parse(vector.auxpow);
    CHECK(auxpow.serialize() == vector.auxpow);
    CHECK(to_hex(auxpow.coinbase.serialize(true)) == str(fields, "coinbase_tx_hex"));
    CHECK(to_hex(reversed(auxpow.coinbase.txid())) == str(fields, "coinbase_txid"));
    CHECK(to_hex(reversed(auxpow.parent_hash_field)) == str(fields, "hashBlock_field"));
    CHECK(auxpow.coinbase_index == fields.at("coinbase_merkle_index").as_int64());
    CHECK(auxpow.chain_index == fields.at("chain_merkle_index").as_int64());
    const json::array& coinbase_branch = fields.at("coinbase_merkle_branch_wire").as_array();
    REQUIRE(auxpow.coinbase_branch.size() == coinbase_branch.size());
    for (std::size_t i = 0; i < coinbase_branch.size(); ++i)
      CHECK(to_hex(auxpow.coinbase_branch[i]) == std::string(coinbase_branch[i].as_string()));
    const json::array& chain_branch = fields.at("chain_merkle_branch_wire").as_array();
    REQUIRE(auxpow.chain_branch.size() == chain_branch.size());
    for (std::size_t i = 0; i < chain_branch.size(); ++i)
      CHECK(to_hex(auxpow.chain_branch[i]) == std::string(chain_branch[i].as_string()));
    CHECK(to_hex(auxpow.parent.serialize()) == str(fields, "parent_header_hex"));
    CHECK(to_hex(reversed(auxpow.parent.hash())) == str(fields, "parent_hash"));
    // The committed root sits where the vector says, in display order.
    Hash32 root_display = reversed(chain_merkle_root(auxpow, vector.child_hash));
    CHECK(to_hex(root_display) == str(fields, "committed_root_in_scriptsig_hex"));
    const Bytes& script = auxpow.coinbase.inputs.at(0).script_sig;
    auto at = static_cast<std::size_t>(fields.at("root_offset_in_scriptsig").as_int64());
    REQUIRE(script.size() >= at + 40);
    CHECK(std::equal(root_display.begin(), root_display.end(), script.begin() + at));
    // The child header, where the vector has it, hashes to the child hash, and the block as the
    // chain stores it is that header followed by the AuxPoW.
    if (!vector.child_header.empty()) {
      CHECK(sha256d(vector.child_header) == vector.child_hash);
      Bytes block = vector.child_header;
      block.insert(block.end(), vector.auxpow.begin(), vector.auxpow.end());
      CHECK(to_hex(block) == str(vector.source, "header_with_auxpow_hex"));
    }
    ++parsed;
  }
  CHECK(parsed == 7);
}

TEST_CASE("Real Namecoin and Dogecoin AuxPoWs validate for their block hash and chain id") {
  for (const Vector& vector : vectors()) {
    if (vector.auxpow.empty()) continue;
    INFO(vector.name);
    AuxPow auxpow = AuxPow::parse(vector.auxpow);
    CHECK(check(auxpow, vector) == std::nullopt);
    CHECK(check_auxpow(auxpow, vector.child_hash, vector.chain_id, true,
                       AuxPowCommitment::coinbase_script) == std::nullopt);
    if (vector.sha256d_parent()) {
      // Namecoin's parents are Bitcoin blocks: their SHA256d meets the child's target.
      CHECK(parent_meets_bits(auxpow, vector.child_bits));
    } else {
      // Dogecoin's parents are Litecoin blocks, whose work is scrypt: SHA256d says nothing.
      CHECK_FALSE(parent_meets_bits(auxpow, vector.child_bits));
    }
    // The index fixes the slot of the chain id: with a tree of any height, another chain id (one
    // whose expected slot differs) is refused.
    if (!auxpow.chain_branch.empty()) {
      auto height = static_cast<unsigned>(auxpow.chain_branch.size());
      auto nonce = vector.source.at("parsed").at("merkle_nonce_le32").to_number<std::uint32_t>();
      REQUIRE(expected_chain_index(nonce, vector.chain_id, height) == auxpow.chain_index);
      std::uint32_t other = vector.chain_id + 1;
      while (expected_chain_index(nonce, other, height) == auxpow.chain_index) ++other;
      CHECK(check_auxpow(auxpow, vector.child_hash, other, true,
                         AuxPowCommitment::coinbase_script) == "wrong chain index");
    }
  }
}

TEST_CASE("expected_chain_index gives the real vectors' slots") {
  CHECK(expected_chain_index(0, 1, 4) == 11u);             // Namecoin 37174
  CHECK(expected_chain_index(0, 98, 6) == 56u);            // Dogecoin 403931
  CHECK(expected_chain_index(0, 98, 3) == 0u);             // Dogecoin 371337
  CHECK(expected_chain_index(67108864, 98, 6) == 56u);     // Dogecoin 748634
  CHECK(expected_chain_index(2677055472u, 98, 6) == 40u);  // Dogecoin 894863
  CHECK(expected_chain_index(12345, 7, 0) == 0u);
  // Above 31 levels the whole 32-bit value (no modulus to take).
  CHECK(expected_chain_index(0, 1, 32) ==
        ((0u * 1103515245u + 12345u + 1u) * 1103515245u + 12345u));
}

TEST_CASE("Namecoin header 19204 as a parent carrying the child's chain id is rejected") {
  auto all = vectors();
  const Vector& plain = named(all, "namecoin_mainnet_19204");
  const Vector& real = named(all, "namecoin_mainnet_37174");
  REQUIRE(plain.auxpow.empty());
  btc::BlockHeader header = btc::BlockHeader::parse(plain.child_header);
  CHECK(parent_chain_id(header) == 1);
  CHECK((header.version & kAuxPowVersionBit) == 0);
  AuxPow auxpow = AuxPow::parse(real.auxpow);
  auxpow.parent = header;
  CHECK(check(auxpow, real) == "parent has our chain id");
  // Without the strict rule it still is not the parent of this coinbase.
  CHECK(check_auxpow(auxpow, real.child_hash, real.chain_id, false,
                     AuxPowCommitment::coinbase_script) ==
        "coinbase merkle root is not the parent's");
}

TEST_CASE("Mutated real AuxPoWs are each rejected with their own reason") {
  auto all = vectors();
  const Vector& magic = named(all, "namecoin_mainnet_37174");     // magic, 4-level chain branch
  const Vector& legacy = named(all, "namecoin_mainnet_19414");    // no magic, root at 17
  const Vector& minimal = named(all, "namecoin_testnet_233281");  // root at 1, nothing after
  AuxPow with_magic = AuxPow::parse(magic.auxpow);
  AuxPow without_magic = AuxPow::parse(legacy.auxpow);
  REQUIRE(check(with_magic, magic) == std::nullopt);
  REQUIRE(check(without_magic, legacy) == std::nullopt);

  SECTION("index 1 in the coinbase branch") {
    with_magic.coinbase_index = 1;
    CHECK(check(with_magic, magic) == "coinbase branch index must be 0");
  }
  SECTION("a parent with the auxpow version bit") {
    with_magic.parent.version |= kAuxPowVersionBit;
    CHECK(check(with_magic, magic) == "parent has the auxpow version bit");
  }
  SECTION("a chain branch of 31 entries") {
    with_magic.chain_branch.resize(31, Hash32{});
    CHECK(check(with_magic, magic) == "chain branch longer than 30");
    with_magic.chain_branch.resize(30);  // 30 is allowed: it then fails on the root
    CHECK(check(with_magic, magic) == "merged-mining root not in the coinbase");
  }
  SECTION("a modified coinbase") {
    with_magic.coinbase.outputs.clear();  // as electrum-nmc's test does
    CHECK(check(with_magic, magic) == "coinbase merkle root is not the parent's");
  }
  SECTION("a coinbase with no inputs") {
    with_magic.coinbase.inputs.clear();
    relink(with_magic);
    CHECK(check(with_magic, magic) == "coinbase has no inputs");
  }
  SECTION("the root past byte 20 without magic") {
    Bytes& script = script_of(without_magic);
    REQUIRE(std::search(script.begin(), script.end(), kMergedMiningMagic.begin(),
                        kMergedMiningMagic.end()) == script.end());
    // electrum-nmc's padding: 24 zero bytes, then the script from byte 8 (the root moves to 33).
    Bytes padded(24, 0x00);
    padded.insert(padded.end(), script.begin() + 8, script.end());
    script = padded;
    relink(without_magic);
    CHECK(check(without_magic, legacy) ==
          "merged-mining root starts after byte 20 of the script (no magic)");
  }
  SECTION("the root at byte 20 exactly without magic is still accepted") {
    Bytes& script = script_of(without_magic);
    script.insert(script.begin(), 3, 0x00);  // 17 -> 20
    relink(without_magic);
    CHECK(check(without_magic, legacy) == std::nullopt);
    script.insert(script.begin(), 1, 0x00);  // 21
    relink(without_magic);
    CHECK(check(without_magic, legacy) ==
          "merged-mining root starts after byte 20 of the script (no magic)");
  }
  SECTION("a duplicated magic") {
    Bytes& script = script_of(with_magic);
    script.insert(script.end(), kMergedMiningMagic.begin(), kMergedMiningMagic.end());
    relink(with_magic);
    CHECK(check(with_magic, magic) == "multiple merged-mining headers");
  }
  SECTION("a magic that is not right before the root") {
    Bytes& script = script_of(with_magic);
    auto head = std::search(script.begin(), script.end(), kMergedMiningMagic.begin(),
                            kMergedMiningMagic.end());
    script.insert(head + 4, 0x00);
    relink(with_magic);
    CHECK(check(with_magic, magic) == "merged-mining header is not just before the root");
  }
  SECTION("a changed child hash") {
    Vector changed = legacy;
    changed.child_hash[0] ^= 0x01;
    CHECK(check(without_magic, changed) == "merged-mining root not in the coinbase");
    Vector changed_magic = magic;
    changed_magic.child_hash[31] ^= 0x80;
    CHECK(check(with_magic, changed_magic) == "merged-mining root not in the coinbase");
  }
  SECTION("a wrong merkle size") {
    Bytes& script = script_of(with_magic);
    // 37174 commits size 16 (a 4-level branch) at root offset 17 + 32.
    REQUIRE(script[17 + 32] == 16);
    script[17 + 32] = 8;
    relink(with_magic);
    CHECK(check(with_magic, magic) == "merkle size does not match the chain branch");
  }
  SECTION("a wrong nonce") {
    Bytes& script = script_of(with_magic);
    REQUIRE(script[17 + 36] == 0);
    script[17 + 36] = 1;  // nonce 1 puts chain 1 elsewhere than slot 11 in a 16-leaf tree
    REQUIRE(expected_chain_index(1, 1, 4) != 11u);
    relink(with_magic);
    CHECK(check(with_magic, magic) == "wrong chain index");
  }
  SECTION("a wrong chain index") {
    // With an empty chain branch the index does not change the root: only the index rule fails.
    without_magic.chain_index = 1;
    CHECK(check(without_magic, legacy) == "wrong chain index");
  }
  SECTION("no merkle size and nonce after the root") {
    AuxPow short_script = AuxPow::parse(minimal.auxpow);
    REQUIRE(check(short_script, minimal) == std::nullopt);
    Bytes& script = script_of(short_script);
    script.resize(script.size() - 1);
    relink(short_script);
    CHECK(check(short_script, minimal) == "no merkle size and nonce after the merged-mining root");
  }
}

TEST_CASE("AuxPow::parse takes exactly one AuxPoW and names what is wrong") {
  Bytes bytes = vectors().front().auxpow;
  Bytes trailing = bytes;
  trailing.push_back(0x00);
  CHECK_THROWS_WITH(AuxPow::parse(trailing), Catch::Contains("1 bytes after"));
  Bytes truncated(bytes.begin(), bytes.end() - 1);
  CHECK_THROWS_WITH(AuxPow::parse(truncated), Catch::Contains("truncated"));
  CHECK_THROWS_WITH(AuxPow::parse(Bytes{}), Catch::Contains("coinbase transaction: truncated"));
  CHECK_THROWS_AS(AuxPow::parse(Bytes(bytes.begin(), bytes.begin() + 100)), btc::ParseError);
}

// --- AuxPoWs made here ------------------------------------------------------------------------

TEST_CASE("make_auxpow + mine_auxpow give a valid AuxPoW in both commitment modes") {
  for (auto commitment : {AuxPowCommitment::coinbase_script, AuxPowCommitment::coinbase_output}) {
    INFO("commitment " << static_cast<int>(commitment));
    Hash32 child = some_hash(7);
    AuxPow auxpow = make_auxpow(child, kAlysChainId, commitment, 0x2001);
    CHECK(auxpow.parent.version == 0x20010000);
    CHECK(parent_chain_id(auxpow.parent) == 0x2001);
    CHECK(auxpow.coinbase_branch.empty());
    CHECK(auxpow.chain_branch.empty());
    CHECK(check_auxpow(auxpow, child, kAlysChainId, true, commitment) == std::nullopt);
    REQUIRE(mine_auxpow(auxpow, kEasyBits, 1000));
    CHECK(parent_meets_bits(auxpow, kEasyBits));
    CHECK(check_auxpow(auxpow, child, kAlysChainId, true, commitment) == std::nullopt);
    AuxPow back = AuxPow::parse(auxpow.serialize());
    CHECK(back.serialize() == auxpow.serialize());
    CHECK(check_auxpow(back, child, kAlysChainId, true, commitment) == std::nullopt);
    CHECK(parent_meets_bits(back, kEasyBits));
    // Committed to this child hash only.
    CHECK(check_auxpow(auxpow, some_hash(8), kAlysChainId, true, commitment) != std::nullopt);
  }
}

TEST_CASE("mine_auxpow grinds the nonce, then the time") {
  AuxPow auxpow = make_auxpow(some_hash(1), kAlysChainId, AuxPowCommitment::coinbase_script);
  // About one hash in 4096 meets 0x1f0fffff: this takes many nonces.
  REQUIRE(mine_auxpow(auxpow, 0x1f0fffff, 1'000'000));
  CHECK(parent_meets_bits(auxpow, 0x1f0fffff));
  CHECK(U256::from_le(auxpow.parent.hash()) <= decode_compact(0x1f0fffff).target);

  AuxPow wrapping = make_auxpow(some_hash(2), kAlysChainId, AuxPowCommitment::coinbase_script);
  wrapping.parent.nonce = 0xfffffffe;
  // Target 1: never met. Tried: nonce fffffffe, ffffffff (time 0), then 0 and 1 at time 1.
  CHECK_FALSE(mine_auxpow(wrapping, 0x03000001, 4));
  CHECK(wrapping.parent.nonce == 2u);
  CHECK(wrapping.parent.time == 1u);
  CHECK_FALSE(mine_auxpow(wrapping, kEasyBits, 0));
  // Unusable bits give up at once.
  CHECK_FALSE(mine_auxpow(wrapping, 0x04923456, 1'000'000));
  CHECK_FALSE(mine_auxpow(wrapping, 0, 1'000'000));
  CHECK(wrapping.parent.nonce == 2u);
}

TEST_CASE("make_auxpow refuses a parent chain id equal to ours or past 16 bits") {
  CHECK_THROWS_AS(make_auxpow(some_hash(1), 5, AuxPowCommitment::coinbase_script, 5),
                  std::invalid_argument);
  CHECK_THROWS_AS(make_auxpow(some_hash(1), 5, AuxPowCommitment::coinbase_script, 0x10000),
                  std::invalid_argument);
  // The default parent chain id 0 with chain id 0 is the same id.
  CHECK_THROWS_AS(make_auxpow(some_hash(1), 0, AuxPowCommitment::coinbase_script),
                  std::invalid_argument);
}

TEST_CASE("A chain tree of height 3 with the computed slot validates; another nonce does not") {
  Hash32 child = some_hash(3);
  AuxPow auxpow = make_auxpow(child, kAlysChainId, AuxPowCommitment::coinbase_script);
  const std::uint32_t nonce = 0xdeadbeef;
  auxpow.chain_branch = {some_hash(10), some_hash(11), some_hash(12)};
  auxpow.chain_index = expected_chain_index(nonce, kAlysChainId, 3);
  Bytes commitment = merged_mining_commitment(chain_merkle_root(auxpow, child), 8, nonce);
  Bytes& script = script_of(auxpow);
  script.assign(1, static_cast<std::uint8_t>(commitment.size()));
  script.insert(script.end(), commitment.begin(), commitment.end());
  relink(auxpow);
  CHECK(check_auxpow(auxpow, child, kAlysChainId, true, AuxPowCommitment::coinbase_script) ==
        std::nullopt);
  // The index is bound to the nonce: rewriting the nonce alone moves the slot.
  script[1 + 40] ^= 0x01;
  relink(auxpow);
  REQUIRE(expected_chain_index(nonce ^ 1, kAlysChainId, 3) != auxpow.chain_index);
  CHECK(check_auxpow(auxpow, child, kAlysChainId, true, AuxPowCommitment::coinbase_script) ==
        "wrong chain index");
}

TEST_CASE("A coinbase with a witness: the txid ignores it and the AuxPoW round-trips") {
  Hash32 child = some_hash(4);
  AuxPow auxpow = make_auxpow(child, kAlysChainId, AuxPowCommitment::coinbase_script);
  Hash32 txid_before = auxpow.coinbase.txid();
  auxpow.coinbase.inputs[0].witness = {Bytes(32, 0x00)};  // BIP141's witness reserved value
  CHECK(auxpow.coinbase.txid() == txid_before);
  CHECK(check_auxpow(auxpow, child, kAlysChainId, true, AuxPowCommitment::coinbase_script) ==
        std::nullopt);
  Bytes serialized = auxpow.serialize();
  CHECK(serialized[4] == 0x00);  // the BIP144 marker
  CHECK(serialized[5] == 0x01);
  AuxPow back = AuxPow::parse(serialized);
  CHECK(back.coinbase.inputs[0].witness == auxpow.coinbase.inputs[0].witness);
  CHECK(back.serialize() == serialized);
  CHECK(check_auxpow(back, child, kAlysChainId, true, AuxPowCommitment::coinbase_script) ==
        std::nullopt);
}

TEST_CASE("The coinbase_output commitment: output 2, or else 3, exactly 44 bytes") {
  Hash32 child = some_hash(5);
  const auto mode = AuxPowCommitment::coinbase_output;
  AuxPow auxpow = make_auxpow(child, kAlysChainId, mode);
  REQUIRE(auxpow.coinbase.outputs.size() == 3);
  Bytes ours = auxpow.coinbase.outputs[2].script_pubkey;
  REQUIRE(ours.size() == 44);
  CHECK(check_auxpow(auxpow, child, kAlysChainId, true, mode) == std::nullopt);
  auto verdict = [&] {
    relink(auxpow);
    return check_auxpow(auxpow, child, kAlysChainId, true, mode);
  };

  SECTION("in output 3 behind another chain's commitment in output 2") {
    auxpow.coinbase.outputs[2].script_pubkey = merged_mining_commitment(some_hash(99), 1, 0);
    auxpow.coinbase.outputs.push_back(btc::TxOut{0, ours});
    CHECK(verdict() == std::nullopt);
  }
  SECTION("no inputs are needed") {
    auxpow.coinbase.inputs.clear();
    CHECK(verdict() == std::nullopt);
  }
  SECTION("a script that is not 44 bytes") {
    auxpow.coinbase.outputs[2].script_pubkey.push_back(0x00);
    CHECK(verdict() == "coinbase output 2/3 script is not 44 bytes");
    auxpow.coinbase.outputs[2].script_pubkey.resize(43);
    CHECK(verdict() == "coinbase output 2/3 script is not 44 bytes");
    // An OP_RETURN push of the commitment is not the whole script either.
    Bytes pushed = {0x6a, 0x2c};
    pushed.insert(pushed.end(), ours.begin(), ours.end());
    auxpow.coinbase.outputs[2].script_pubkey = pushed;
    CHECK(verdict() == "coinbase output 2/3 script is not 44 bytes");
  }
  SECTION("44 bytes without the magic") {
    auxpow.coinbase.outputs[2].script_pubkey[0] = 0x00;
    CHECK(verdict() == "coinbase output 2/3 has no merged-mining magic");
  }
  SECTION("root mismatch in outputs 2 and 3") {
    auxpow.coinbase.outputs[2].script_pubkey = merged_mining_commitment(some_hash(98), 1, 0);
    auxpow.coinbase.outputs.push_back(btc::TxOut{0, merged_mining_commitment(some_hash(97), 1, 0)});
    CHECK(verdict() == "merged-mining root not in coinbase output 2 or 3");
  }
  SECTION("only in output 1, or in output 4") {
    auxpow.coinbase.outputs[1].script_pubkey = ours;
    auxpow.coinbase.outputs[2].script_pubkey = {0x6a};
    CHECK(verdict() == "coinbase output 2/3 script is not 44 bytes");
    auxpow.coinbase.outputs.push_back(btc::TxOut{0, {0x6a}});
    auxpow.coinbase.outputs.push_back(btc::TxOut{0, ours});
    CHECK(verdict() == "coinbase output 2/3 script is not 44 bytes");
  }
  SECTION("fewer than 3 outputs") {
    auxpow.coinbase.outputs.resize(2);
    CHECK(verdict() == "coinbase has no output 2 or 3");
  }
  SECTION("the size and index rules apply") {
    auxpow.coinbase.outputs[2].script_pubkey = merged_mining_commitment(child, 2, 0);
    CHECK(verdict() == "merkle size does not match the chain branch");
    auxpow.coinbase.outputs[2].script_pubkey = ours;
    auxpow.chain_index = 1;
    CHECK(verdict() == "wrong chain index");
  }
  SECTION("the modes do not stand in for each other") {
    CHECK(check_auxpow(auxpow, child, kAlysChainId, true, AuxPowCommitment::coinbase_script) ==
          "merged-mining root not in the coinbase");
    AuxPow scripted = make_auxpow(child, kAlysChainId, AuxPowCommitment::coinbase_script);
    CHECK(check_auxpow(scripted, child, kAlysChainId, true, mode) ==
          "coinbase has no output 2 or 3");
  }
  SECTION("the chain rules before the commitment apply too") {
    auxpow.parent.version = static_cast<std::int32_t>(kAlysChainId << 16);
    CHECK(verdict() == "parent has our chain id");
    CHECK(check_auxpow(auxpow, child, kAlysChainId, false, mode) == std::nullopt);
  }
}

TEST_CASE("parent_chain_id divides like Namecoin's signed GetChainId") {
  btc::BlockHeader header;
  header.version = 0x00620102;
  CHECK(parent_chain_id(header) == 0x62);
  header.version = 0x3fff0000;  // BIP320 version rolling
  CHECK(parent_chain_id(header) == 0x3fff);
  header.version = static_cast<std::int32_t>(0xffff0000u);
  CHECK(parent_chain_id(header) == -1);
  header.version = -1;  // truncation towards zero
  CHECK(parent_chain_id(header) == 0);
}
