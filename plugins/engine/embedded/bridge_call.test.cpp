#include "engine/embedded/bridge_call.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>

#include "engine/embedded/transfer_rules.hpp"
#include "engine/testing/signed_transfers.hpp"

using namespace alys;
using namespace alys::engine;
using namespace alys::engine::embedded;
using namespace alys::engine::testing;
using Catch::Matchers::Contains;

namespace {

constexpr std::uint64_t kChainId = 263634;

Bytes word(std::uint64_t value) {
  Bytes out(32, 0);
  for (int i = 0; i < 8; ++i) out[31 - i] = static_cast<std::uint8_t>(value >> (8 * i));
  return out;
}

Bytes text_bytes(const std::string& text) { return Bytes(text.begin(), text.end()); }

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

Bytes selector() {
  auto s = request_peg_out_selector();
  return Bytes(s.begin(), s.end());
}

// The standard ABI encoding of requestPegOut(bytes): offset 32, length, data zero-padded to 32.
Bytes request_peg_out(const Bytes& argument) {
  Bytes padded = argument;
  padded.resize((argument.size() + 31) / 32 * 32, 0);
  return concat({selector(), word(32), word(argument.size()), padded});
}

const Bytes kBitcoinAddress = text_bytes("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080");

}  // namespace

TEST_CASE("the selector is keccak256 of the signature and sits in the contract") {
  CHECK(to_0x_hex(request_peg_out_selector()) == "0x9911dc74");
  // The compiled contract's dispatcher compares with this selector (PUSH4 0x9911dc74).
  const Bytes& code = bridge_runtime_code();
  const Bytes push4 = concat({Bytes{0x63}, selector()});
  CHECK(std::search(code.begin(), code.end(), push4.begin(), push4.end()) != code.end());
}

TEST_CASE("the compiled-in runtime code is the committed Bridge.bin-runtime") {
  std::ifstream file(ALYS_SOURCE_DIR "/contracts/bridge/Bridge.bin-runtime");
  REQUIRE(file);
  std::string hex((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  CHECK(to_hex(bridge_runtime_code()) == hex);
  CHECK(kBridgeAddress == fixed_from_hex<20>(kBridgeContractAddress));
}

TEST_CASE("a well-formed requestPegOut call decodes") {
  DecodedPegOut decoded = decode_request_peg_out(request_peg_out(kBitcoinAddress));
  CHECK(decoded.error.empty());
  CHECK(decoded.bitcoin_address == kBitcoinAddress);

  // What Solidity's decoder also takes: an empty argument, an offset past a gap, trailing bytes,
  // padding that is not zero.
  CHECK(decode_request_peg_out(request_peg_out({})).bitcoin_address.empty());
  CHECK(decode_request_peg_out(request_peg_out({})).error.empty());
  Bytes gap = concat({selector(), word(64), Bytes(32, 0xee), word(3), text_bytes("abc")});
  CHECK(decode_request_peg_out(gap).error.empty());
  CHECK(decode_request_peg_out(gap).bitcoin_address == text_bytes("abc"));
  Bytes trailing = concat({request_peg_out(kBitcoinAddress), Bytes(7, 0x42)});
  CHECK(decode_request_peg_out(trailing).bitcoin_address == kBitcoinAddress);
  Bytes dirty_padding = request_peg_out(text_bytes("x"));
  dirty_padding.back() = 0xff;
  CHECK(decode_request_peg_out(dirty_padding).bitcoin_address == text_bytes("x"));
}

TEST_CASE("truncated calldata is refused") {
  const Bytes full = request_peg_out(kBitcoinAddress);
  CHECK_THAT(decode_request_peg_out(Bytes{}).error, Contains("0 bytes, shorter than a function"));
  CHECK_THAT(decode_request_peg_out(Bytes(full.begin(), full.begin() + 3)).error,
             Contains("3 bytes, shorter than a function selector"));
  CHECK_THAT(
      decode_request_peg_out(selector()).error,
      Contains("the arguments are 0 bytes, shorter than the bytes argument's 32-byte offset"));
  CHECK_THAT(decode_request_peg_out(concat({selector(), word(32)})).error,
             Contains("offset 32 leaves no room for its length word in 32 bytes of arguments"));
  // Every cut into the argument's bytes (cutting only padding is fine, as for Solidity).
  const std::size_t data_end = 4 + 64 + kBitcoinAddress.size();
  for (std::size_t size = 4 + 64; size < data_end; ++size) {
    INFO("size " << size);
    CHECK_THAT(decode_request_peg_out(
                   Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(size)))
                   .error,
               Contains("length " + std::to_string(kBitcoinAddress.size()) +
                        " at offset 32 runs past the " + std::to_string(size - 4) + " bytes"));
  }
  CHECK(decode_request_peg_out(
            Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(data_end)))
            .error.empty());
}

TEST_CASE("a call of another function is refused") {
  Bytes call = request_peg_out(kBitcoinAddress);
  call[0] ^= 0x01;
  CHECK_THAT(decode_request_peg_out(call).error,
             Contains("function selector 0x9811dc74 is not requestPegOut(bytes)'s 0x9911dc74"));
  // transfer(address,uint256), the ERC-20 call a wallet might send to the wrong address
  Bytes transfer = concat({Bytes{0xa9, 0x05, 0x9c, 0xbb}, word(1), word(2)});
  CHECK_THAT(decode_request_peg_out(transfer).error, Contains("0xa9059cbb"));
}

TEST_CASE("offsets out of range are refused") {
  const Bytes tail = concat({word(3), text_bytes("abc")});
  // Past the end of the arguments.
  CHECK_THAT(decode_request_peg_out(concat({selector(), word(96), tail})).error,
             Contains("offset 96 leaves no room for its length word in 67 bytes"));
  // 2^64 - 1: wraps to a small number in 64-bit arithmetic; in range nowhere.
  CHECK_THAT(decode_request_peg_out(concat({selector(), word(~0ULL), tail})).error,
             Contains("offset 18446744073709551615 leaves no room"));
  // Above 2^64 (a high byte set): Solidity's decoder reverts before looking further.
  Bytes high = word(32);
  high[0] = 0x01;
  CHECK_THAT(decode_request_peg_out(concat({selector(), high, tail})).error,
             Contains("the bytes argument's offset is above 2^64"));
}

TEST_CASE("huge lengths are refused") {
  CHECK_THAT(
      decode_request_peg_out(concat({selector(), word(32), word(~0ULL), Bytes(64, 1)})).error,
      Contains("length 18446744073709551615 at offset 32 runs past the 128 bytes"));
  // offset + 32 + length overflows 64 bits: still refused.
  CHECK_THAT(
      decode_request_peg_out(concat({selector(), word(32), word(~0ULL - 40), Bytes(9, 1)})).error,
      Contains("runs past the 73 bytes of arguments"));
  CHECK_THAT(decode_request_peg_out(concat({selector(), word(32), Bytes(32, 0xff)})).error,
             Contains("the bytes argument's length is above 2^64"));
}

TEST_CASE("call targets: the bridge takes requestPegOut with value, others no data") {
  const Bytes call = request_peg_out(kBitcoinAddress);
  CHECK(check_call_target(kBridgeAddress, call, 1).empty());
  CHECK(check_call_target(kBridgeAddress, call, 0) ==
        "execution reverted: Bridge: a peg-out needs a value");
  CHECK_THAT(check_call_target(kBridgeAddress, {}, kEther),
             Contains("takes only requestPegOut(bytes) calls, not plain transfers"));
  CHECK_THAT(check_call_target(kBridgeAddress, selector(), kEther),
             Contains("calldata is not a requestPegOut(bytes) call"));
  CHECK(check_call_target(address_of(2), {}, 0).empty());
  CHECK_THAT(check_call_target(address_of(2), call, kEther),
             Contains("transaction data is not supported by the embedded engine"));
  CHECK_THAT(check_call_target(std::nullopt, {}, 0),
             Contains("contract creation is not supported"));
  CHECK(value_recipient(kBridgeAddress) == kBurnAddress);
  CHECK(value_recipient(address_of(2)) == address_of(2));
  CHECK(to_0x_hex(kBurnAddress) == "0x000000000000000000000000000000000000dead");
}

TEST_CASE("a signed bridge call passes the transfer rules; a malformed one does not") {
  const ChainRules rules{kChainId};
  eth::Transaction tx = eip1559_transfer(kChainId, 0, kBridgeAddress, kEther);
  tx.data = request_peg_out(kBitcoinAddress);
  CHECK(check_transfer_shape(signed_tx(tx, 1), rules).empty());
  tx.data.resize(tx.data.size() - 40);
  CHECK_THAT(check_transfer_shape(signed_tx(tx, 1), rules), Contains("runs past the"));
}

TEST_CASE("peg_outs_of reports the block's bridge calls in order") {
  eth::Transaction plain = legacy_transfer(kChainId, 0, address_of(3), kEther);
  eth::Transaction first = legacy_transfer(kChainId, 1, kBridgeAddress, 2 * kEther);
  first.data = request_peg_out(kBitcoinAddress);
  eth::Transaction second = eip1559_transfer(kChainId, 0, kBridgeAddress, 5);
  second.data = request_peg_out(text_bytes("tb1p"));
  CommittedBlock block;
  std::uint32_t index = 0;
  for (const auto& [tx, seed] : {std::pair{plain, 1}, std::pair{first, 1}, std::pair{second, 2}}) {
    eth::SignedTransaction signed_one = signed_tx(tx, static_cast<std::uint8_t>(seed));
    block.summary.transaction_hashes.push_back(signed_one.hash);
    block.transactions.push_back(
        IncludedTransaction{7, index++, signed_one.sender, {}, signed_one.raw});
  }
  std::vector<PegOutRequested> requests = peg_outs_of(block);
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].transaction_hash == block.summary.transaction_hashes[1]);
  CHECK(requests[0].log_index == 0);
  CHECK(requests[0].evm_address == address_of(1));
  CHECK(requests[0].bitcoin_address == kBitcoinAddress);
  CHECK(requests[0].value_wei == wei_to_be32(2 * kEther));
  CHECK(requests[1].transaction_hash == block.summary.transaction_hashes[2]);
  CHECK(requests[1].log_index == 1);
  CHECK(requests[1].evm_address == address_of(2));
  CHECK(requests[1].bitcoin_address == text_bytes("tb1p"));
  CHECK(requests[1].value_wei == wei_to_be32(5));
}

// ethers 6.17.0 (Interface over the committed Bridge.abi.json) encoded these: the call
// requestPegOut(utf8 "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"), and the RequestPegOut log of
// 0x2c7536e3605d9c16a7a3d7b1898e529396a65c23 sending 3 ether with that address.
TEST_CASE("ethers' encodings of the call and the event decode") {
  const Bytes call = *from_hex(
      "0x9911dc74000000000000000000000000000000000000000000000000000000000000002000000000000000000"
      "0000000000000000000000000000000000000000000002c62637274317177353038643671656a78746467347935"
      "72337a6172766172793063357877376b7967743038300000000000000000000000000000000000000000");
  CHECK(call == request_peg_out(kBitcoinAddress));
  CHECK(decode_request_peg_out(call).bitcoin_address == kBitcoinAddress);

  const Bytes data = *from_hex(
      "0x000000000000000000000000000000000000000000000000000000000000004000000000000000000000000000"
      "000000000000000000000029a2241af62c0000000000000000000000000000000000000000000000000000000000"
      "000000002c62637274317177353038643671656a7874646734793572337a6172766172793063357877376b7967"
      "743038300000000000000000000000000000000000000000");
  std::vector<Hash32> topics{
      *fixed_from_hex<32>("0xaa1c6070bc915de33c0fbc36ecf77b1e4fc1ebce832b2da62b6fe25f5a7dd5b0"),
      *fixed_from_hex<32>("0x0000000000000000000000002c7536e3605d9c16a7a3d7b1898e529396a65c23")};
  CHECK(request_peg_out_topic() == topics[0]);
  DecodedPegOutLog log = decode_request_peg_out_log(topics, data);
  REQUIRE(log.error.empty());
  CHECK(to_0x_hex(log.evm_address) == "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23");
  CHECK(log.bitcoin_address == kBitcoinAddress);
  CHECK(log.value_wei == wei_to_be32(3 * kEther));
  // The compiled contract emits this very topic (PUSH32 in its runtime code).
  const Bytes& code = bridge_runtime_code();
  CHECK(std::search(code.begin(), code.end(), topics[0].begin(), topics[0].end()) != code.end());

  // Malformed logs are refused.
  CHECK_THAT(decode_request_peg_out_log({topics[0]}, data).error, Contains("1 topics, expected 2"));
  std::vector<Hash32> other = topics;
  other[0][0] ^= 1;
  CHECK_THAT(decode_request_peg_out_log(other, data).error, Contains("is not RequestPegOut's"));
  other = topics;
  other[1][0] = 1;
  CHECK_THAT(decode_request_peg_out_log(other, data).error, Contains("is not an address"));
  CHECK_THAT(decode_request_peg_out_log(topics, ByteView(data).first(63)).error,
             Contains("shorter than its two words"));
  CHECK_THAT(decode_request_peg_out_log(topics, ByteView(data).first(data.size() - 33)).error,
             Contains("length 44 at offset 64 runs past the"));
}

// The embedded engine charges a bridge call like a transfer: its size is bounded instead.
TEST_CASE("bridge calls are bounded: a 90-byte address passes, more is refused") {
  CHECK(check_call_target(kBridgeAddress, request_peg_out(Bytes(90, 'q')), 1).empty());
  CHECK_THAT(check_call_target(kBridgeAddress, request_peg_out(Bytes(91, 'q')), 1),
             Contains("a Bitcoin address of 91 bytes: at most 90"));
  Bytes padded = request_peg_out(kBitcoinAddress);
  padded.resize(kMaxBridgeCalldataBytes + 1, 0);  // Solidity tolerates trailing bytes; we cap them
  CHECK_THAT(check_call_target(kBridgeAddress, padded, 1),
             Contains("257 bytes: the embedded engine takes at most 256"));
  // A 128 KiB call, the pool's transaction limit, is refused by the same rule.
  CHECK_FALSE(check_call_target(kBridgeAddress, request_peg_out(Bytes(128 << 10, 'q')), 1).empty());
}
