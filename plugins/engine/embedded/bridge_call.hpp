// The bridge contract as the embedded engine runs it: `requestPegOut(bytes bitcoinAddress)` on
// engine::kBridgeContractAddress (contracts/bridge/Bridge.sol) without an EVM.
//
// The embedded engine accepts exactly the calls the compiled contract accepts: calldata that
// Solidity's ABI decoder takes for `requestPegOut(bytes calldata)` (its bounds checks, trailing
// bytes allowed, padding unchecked) with a value above zero. Such a call burns the value as the
// contract does, by moving it to 0x…dEaD, and its block reports a RequestPegOut once committed.
// Anything else sent to the bridge address is refused, as the contract would revert it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"
#include "alys/domain/wei.hpp"
#include "alys/schemas/engine.hpp"
#include "engine/embedded/block_history.hpp"

namespace alys::engine::embedded {

// engine::kBridgeContractAddress as bytes (twenty 0xbb; the mixed case is its EIP-55 checksum).
// The embedded engine charges a bridge call 21,000 gas like a transfer, so its size is capped
// instead of priced: a Bitcoin address is at most 90 characters (bech32), and the calldata of such
// a call is 164 bytes. Without the cap a 128 KiB call would cost the same as a transfer, and a
// block of them would outgrow the network's frame limit.
inline constexpr std::size_t kMaxPegOutAddressBytes = 90;
inline constexpr std::size_t kMaxBridgeCalldataBytes = 256;

inline constexpr EthAddress kBridgeAddress = {0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb,
                                              0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb,
                                              0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb};

// Where the contract forwards the value of a peg-out: nobody holds this address's key.
inline constexpr EthAddress kBurnAddress = {0, 0, 0, 0, 0, 0, 0, 0, 0,    0,
                                            0, 0, 0, 0, 0, 0, 0, 0, 0xde, 0xad};

// keccak256("requestPegOut(bytes)")[0..4]: the function selector calldata starts with.
std::array<std::uint8_t, 4> request_peg_out_selector();

struct DecodedPegOut {
  std::string error;  // empty: `bitcoin_address` holds the argument
  Bytes bitcoin_address;
};

// Decodes `calldata` as the contract's dispatcher and ABI decoder do; the error says what is wrong.
DecodedPegOut decode_request_peg_out(ByteView calldata);

// keccak256("RequestPegOut(address,bytes,uint256)"): topic 0 of the contract's event.
Hash32 request_peg_out_topic();

struct DecodedPegOutLog {
  std::string error;  // empty: the fields hold the event's values
  EthAddress evm_address{};
  Bytes bitcoin_address;
  std::array<std::uint8_t, 32> value_wei{};  // big-endian, as the event carries it
};

// Decodes a RequestPegOut log (from a receipt of the real contract, e.g. on Geth): topics
// [signature, evmAddress], data (bytes bitcoinAddress, uint256 value). The caller checks that the
// log's address is the bridge's.
DecodedPegOutLog decode_request_peg_out_log(const std::vector<Hash32>& topics, ByteView data);

// The rules on a call's target and payload, for a transaction and for eth_estimateGas alike: a
// recipient is required; the bridge takes a well-formed requestPegOut with a value; any other
// address takes no data. Empty when the call is acceptable, otherwise the reason a wallet sees.
std::string check_call_target(const std::optional<EthAddress>& to, ByteView data, Wei value);

// Where a transaction's value goes: the burn address for a bridge call, otherwise `to`.
EthAddress value_recipient(const EthAddress& to);

// The RequestPegOut events of a block the embedded engine executed (its transactions all passed
// check_call_target), in block order; log_index counts them from 0 as no other call logs.
std::vector<PegOutRequested> peg_outs_of(const CommittedBlock& block);

// The committed runtime bytecode of the contract (contracts/bridge/Bridge.bin-runtime), which
// eth_getCode answers for the bridge address as Geth does for the predeployed contract.
const Bytes& bridge_runtime_code();

}  // namespace alys::engine::embedded
