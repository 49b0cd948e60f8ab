#include "chain_spec.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "alys/domain/wei.hpp"

using alys::chain::parse_chain_config;

namespace {

alys::XOnlyPublicKey member_key(std::uint8_t seed) {
  std::array<std::uint8_t, 32> bytes{};
  bytes[31] = seed;
  return alys::SecretKey::from_bytes(bytes)->xonly_public_key();
}

std::string members_json(int count) {
  std::string out = "[";
  for (int i = 0; i < count; ++i)
    out += (i ? ",\"" : "\"") + alys::to_hex(member_key(static_cast<std::uint8_t>(i + 1))) + "\"";
  return out + "]";
}

std::string table(const std::string& extra, int members = 3, int threshold = 2) {
  return R"({"chain_id": 263634, "threshold": )" + std::to_string(threshold) +
         R"(, "genesis_timestamp_ms": 1700000000000, "members": )" + members_json(members) +
         (extra.empty() ? "" : ", " + extra) + "}";
}

std::string error_of(const std::string& json) {
  try {
    parse_chain_config(json);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a minimal spec takes its defaults", "[chain_spec]") {
  auto config = parse_chain_config(table(""));
  CHECK(config.spec.chain_id == 263634);
  CHECK(config.spec.members.size() == 3);
  CHECK(config.spec.members[1] == member_key(2));
  CHECK(config.spec.threshold == 2);
  CHECK(config.spec.slot_ms == 2000);
  CHECK(config.spec.max_future_drift_ms == 1000);
  CHECK(config.spec.genesis_alloc.empty());
  CHECK(config.node.key_file.empty());
  CHECK(config.spec.author_of(7) == 1);
  CHECK(config.spec.slot_at(4001) == 2);
  CHECK(config.spec.slot_start_ms(2) == 4000);
  CHECK(config.spec.member_index(member_key(3)) == 2u);
  CHECK_FALSE(config.spec.member_index(member_key(9)).has_value());
}

TEST_CASE("genesis allocation and node settings are read", "[chain_spec]") {
  auto config = parse_chain_config(
      table(R"("genesis_alloc": [{"address": "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
                                   "balance_wei": "1000000000000000000000"}],
               "key_file": "member.key", "fee_recipient": "0x00000000000000000000000000000000000000fe",
               "slot_ms": 500, "max_transactions_per_block": 100, "host": {"data_dir": "/x"})"));
  REQUIRE(config.spec.genesis_alloc.size() == 1);
  CHECK(alys::to_hex(config.spec.genesis_alloc[0].to) ==
        "f39fd6e51aad88f6f4ce6ab8827279cfffb92266");
  CHECK(alys::wei_from_be(config.spec.genesis_alloc[0].amount_wei) ==
        alys::wei_parse("1000000000000000000000"));
  CHECK(config.node.key_file == "member.key");
  CHECK(config.node.fee_recipient[19] == 0xfe);
  CHECK(config.spec.slot_ms == 500);
  CHECK(config.node.max_transactions_per_block == 100);
}

TEST_CASE("threshold defaults to Alys's (2N+2)/3, a strict majority", "[chain_spec]") {
  const std::uint32_t expected[] = {1, 2, 2, 3, 4, 4, 5};  // N = 1..7
  for (int members = 1; members <= 7; ++members) {
    INFO("N = " << members);
    const std::string json = R"({"chain_id": 263634, "genesis_timestamp_ms": 1700000000000, )"
                             R"("members": )" +
                             members_json(members) + "}";
    const auto config = parse_chain_config(json);
    CHECK(config.spec.threshold == expected[members - 1]);
    CHECK(2 * config.spec.threshold > static_cast<std::uint32_t>(members));
  }
  // An explicit threshold still wins, and one below a majority is still refused.
  CHECK(parse_chain_config(table("", 4, 4)).spec.threshold == 4);
  CHECK(error_of(table("", 4, 2)) ==
        "chain.threshold: must be a majority of the 4 members (more than half), got 2");
}

TEST_CASE("bad specs name every key at fault", "[chain_spec]") {
  CHECK(error_of(R"({"threshold": 1, "genesis_timestamp_ms": 1})") ==
        "chain.chain_id: required (the EIP-155 chain id, >= 1)\n"
        "chain.members: required: the federation's x-only public keys (hex), in order");
  CHECK(error_of(table("", 3, 1)) ==
        "chain.threshold: must be a majority of the 3 members (more than half), got 1");
  CHECK(error_of(table("", 4, 2)) ==
        "chain.threshold: must be a majority of the 4 members (more than half), got 2");
  CHECK(error_of(table("", 3, 4)) == "chain.threshold: is 4 but there are only 3 members");
  CHECK(error_of(table(R"("slot_ms": 10)")) == "chain.slot_ms: must be >= 100");
  CHECK(error_of(table(R"("colour": "blue")")) == "chain.colour: unknown key");
  CHECK(error_of(table(R"("fee_recipient": "0x12")")) ==
        "chain.fee_recipient: must be a 20-byte hex address (\"0x\" + 40 hex digits)");
  CHECK(error_of(table(R"("genesis_alloc": [{"address": "0x00", "balance_wei": "1"}])")) ==
        "chain.genesis_alloc[0].address: must be a 20-byte hex address (\"0x\" + 40 hex digits)");
  CHECK(
      error_of(table(R"("genesis_alloc": [{"address": "0x00000000000000000000000000000000000000aa",
                                              "balance_wei": 5}])")) ==
      "chain.genesis_alloc[0].balance_wei: must be a string holding a decimal or 0x-hex amount "
      "in wei (below 2^128)");
  // Not the x coordinate of a curve point: BIP340 test vector 5's public key.
  std::string bad_point =
      R"({"chain_id": 1, "threshold": 1, "genesis_timestamp_ms": 1, "members": [)"
      R"("EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34"]})";
  CHECK(error_of(bad_point) == "chain.members[0]: is not a point on secp256k1");
  std::string twice =
      R"({"chain_id": 1, "threshold": 1, "genesis_timestamp_ms": 1, "members": [")" +
      alys::to_hex(member_key(1)) + R"(", ")" + alys::to_hex(member_key(1)) + R"("]})";
  CHECK(error_of(twice).find("chain.members[1]: appears twice") != std::string::npos);
}

TEST_CASE("the check reports each problem under its key path, with its kind", "[chain_spec]") {
  alys::ConfigProblems problems;
  (void)alys::chain::read_chain_config(
      table(R"("slot_ms": "fast", "max_future_drift_ms": -1, "colour": "blue",
               "auxpow": {"chain_id": 70000, "interval": 5}, "dev_mine": "yes")"),
      problems);
  const auto& list = problems.list();
  REQUIRE(list.size() == 6);
  CHECK(list[0].key == "colour");
  CHECK(list[0].code == ALYS_ERR_INVALID);
  CHECK(list[0].message == "unknown key");
  CHECK(list[1].key == "slot_ms");
  CHECK(list[1].code == ALYS_ERR_TYPE);
  CHECK(list[1].message == "must be an integer");
  CHECK(list[2].key == "max_future_drift_ms");
  CHECK(list[2].code == ALYS_ERR_INVALID);
  CHECK(list[3].key == "auxpow.interval");
  CHECK(list[3].message == "unknown key");
  CHECK(list[4].key == "auxpow.chain_id");
  CHECK(list[4].code == ALYS_ERR_INVALID);
  CHECK(list[4].message == "must fit 16 bits (it is compared with nVersion >> 16), got 70000");
  CHECK(list[5].key == "dev_mine");
  CHECK(list[5].code == ALYS_ERR_TYPE);

  alys::ConfigProblems missing;
  (void)alys::chain::read_chain_config(R"({"threshold": 1, "genesis_timestamp_ms": 1})", missing);
  REQUIRE(missing.size() == 2);
  CHECK(missing.list()[0].code == ALYS_ERR_NOT_FOUND);
  CHECK(missing.list()[0].key == "chain_id");

  alys::ConfigProblems garbage;
  (void)alys::chain::read_chain_config("not json", garbage);
  REQUIRE(garbage.size() == 1);
  CHECK(garbage.list()[0].key.empty());
}

TEST_CASE("the check accepts what the start accepts", "[chain_spec]") {
  alys::ConfigProblems problems;
  auto config = alys::chain::read_chain_config(
      table(R"("key_file": "member.key", "host": {"data_dir": "/x", "config_dir": "/y"})"),
      problems);
  CHECK(problems.empty());
  CHECK(config.node.key_file == "member.key");  // read at start, not by the check
}

TEST_CASE("the spec digest covers the chain's rules and nothing local", "[chain_spec]") {
  using alys::chain::spec_digest;
  const alys::Hash32 base = spec_digest(parse_chain_config(table("")).spec);
  CHECK(spec_digest(parse_chain_config(table("")).spec) == base);
  // Local: the clock drift this node tolerates, and its own settings.
  CHECK(spec_digest(parse_chain_config(table(R"("max_future_drift_ms": 5000)")).spec) == base);
  CHECK(spec_digest(parse_chain_config(table(R"("storage_timeout_ms": 9000)")).spec) == base);
  // Rules.
  CHECK(spec_digest(parse_chain_config(table("", 4, 3)).spec) != base);
  CHECK(spec_digest(parse_chain_config(table("", 3, 3)).spec) != base);
  CHECK(spec_digest(parse_chain_config(table(R"("slot_ms": 3000)")).spec) != base);
  // The federation's fee address decides every finalizing block's mints; the miner's is local.
  CHECK(
      spec_digest(
          parse_chain_config(
              table(R"("federation_fee_recipient": "0x00000000000000000000000000000000000000fe")"))
              .spec) != base);
  CHECK(spec_digest(parse_chain_config(
                        table(R"("fee_recipient": "0x00000000000000000000000000000000000000fe")"))
                        .spec) == base);
}

TEST_CASE("the federation's fee address defaults to the burn address", "[chain_spec]") {
  CHECK(alys::to_0x_hex(parse_chain_config(table("")).spec.federation_fee_recipient) ==
        "0x000000000000000000000000000000000000dead");
  auto config = parse_chain_config(
      table(R"("federation_fee_recipient": "0x00000000000000000000000000000000000000Fe")"));
  CHECK(config.spec.federation_fee_recipient[19] == 0xfe);
  CHECK(error_of(table(R"("federation_fee_recipient": "fed")")) ==
        "chain.federation_fee_recipient: must be a 20-byte hex address (\"0x\" + 40 hex digits)");
}
