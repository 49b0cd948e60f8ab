#include "chain_rpc.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "alys/admin_rpc.hpp"

using namespace alys;
using namespace alys::chain;
namespace json = boost::json;

TEST_CASE("chain_status renders every field", "[chain_rpc]") {
  StatusView status;
  status.head_height = 5;
  status.head_hash.fill(0x01);
  status.head_slot = 77;
  status.current_slot = 78;
  status.member_index = 0;
  status.producing = true;
  json::object out = json::parse(render_status(status)).as_object();
  CHECK(out.at("head").at("height").as_int64() == 5);
  CHECK(out.at("head").at("hash").as_string() == to_0x_hex(status.head_hash));
  CHECK(out.at("finalized").is_null());
  CHECK(out.at("slot").as_int64() == 78);
  CHECK(out.at("peers").as_int64() == 0);
  CHECK(out.at("syncing").as_bool() == false);
  CHECK(out.at("member_index").as_int64() == 0);

  status.has_finalized = true;
  status.finalized_height = 3;
  status.member_index.reset();
  out = json::parse(render_status(status)).as_object();
  CHECK(out.at("finalized").at("height").as_int64() == 3);
  CHECK(out.at("member_index").is_null());
}

TEST_CASE("a block renders with its payload and approvals", "[chain_rpc]") {
  SignedBlock block;
  block.block.height = 9;
  block.block.slot = 12;
  block.block.payload.transactions = {Bytes{0x02, 0xab}};
  block.approvals = {Approval{1, {}}};
  const Hash32 hash = block_hash(block.block);
  json::object out = json::parse(render_block(block, hash)).as_object();
  CHECK(out.at("hash").as_string() == to_0x_hex(hash));
  CHECK(out.at("height").as_int64() == 9);
  CHECK(out.at("payload").at("transactions").as_array()[0].as_string() == "0x02ab");
  CHECK(out.at("approvals").as_array()[0].at("member").as_int64() == 1);
  CHECK(out.at("auxpow").is_null());
}

TEST_CASE("block query params: positional, named, quantity; bad ones are -32602", "[chain_rpc]") {
  CHECK(parse_height_param("[7]") == 7);
  CHECK(parse_height_param(R"({"height": 8})") == 8);
  CHECK(parse_height_param(R"(["0x10"])") == 16);
  Hash32 hash{};
  hash.fill(0xcd);
  CHECK(parse_hash_param("[\"" + to_0x_hex(hash) + "\"]") == hash);
  for (const char* bad : {"[]", "[-1]", "[\"ten\"]", "[1, 2]", "{}", "nope"}) {
    INFO(bad);
    try {
      parse_height_param(bad);
      FAIL("accepted");
    } catch (const RpcError& error) {
      CHECK(error.code() == -32602);
    }
  }
  CHECK_THROWS_AS(parse_hash_param("[\"0x1234\"]"), RpcError);
}

TEST_CASE("chain_queuePegIn params: display txid, vout, address, sats", "[chain_rpc]") {
  const std::string txid = "00000000000000000000000000000000000000000000000000000000000000ab";
  const std::string address = "0x00000000000000000000000000000000000000aa";
  PegIn pegin = parse_pegin_params("[\"" + txid + "\", 3, \"" + address + "\", 2500]");
  CHECK(pegin.bitcoin_txid[0] == 0xab);  // internal order is the display order reversed
  CHECK(pegin.bitcoin_txid[31] == 0x00);
  CHECK(pegin.vout == 3);
  CHECK(pegin.to[19] == 0xaa);
  CHECK(pegin.amount_sats == 2500);
  PegIn named = parse_pegin_params("{\"txid\": \"0x" + txid + "\", \"vout\": 3, \"address\": \"" +
                                   address + "\", \"amount_sats\": 2500}");
  CHECK(named.bitcoin_txid == pegin.bitcoin_txid);

  auto refused = [&](const std::string& params) {
    try {
      (void)parse_pegin_params(params);
    } catch (const RpcError& error) {
      CHECK(error.code() == -32602);
      return std::string(error.what());
    }
    return std::string("accepted");
  };
  CHECK(refused("[\"" + txid + "\", 3, \"" + address + "\", 0]").find("amount_sats is 0") !=
        std::string::npos);
  CHECK(refused("[\"" + txid + "\", 3, \"0x1234\", 5]").find("address") != std::string::npos);
  CHECK(refused("[\"" + txid + "\", 3, \"" + address.substr(2) + "\", 5]").find("address") !=
        std::string::npos);
  CHECK(refused("[\"abcd\", 3, \"" + address + "\", 5]").find("txid") != std::string::npos);
  CHECK(refused("[\"" + txid + "\", -1, \"" + address + "\", 5]").find("vout") !=
        std::string::npos);
  CHECK(refused("[\"" + txid + "\", 4294967296, \"" + address + "\", 5]").find("vout") !=
        std::string::npos);
  CHECK(refused("[\"" + txid + "\", 3, \"" + address + "\", -5]").find("amount_sats") !=
        std::string::npos);
  CHECK(refused("[\"" + txid + "\", 3]").find("expected params") != std::string::npos);
  CHECK(refused("{\"txid\": \"" + txid + "\"}").find("missing \"vout\"") != std::string::npos);
}
