// SPDX-License-Identifier: MIT
// The peg-out entry point of the sidechain, predeployed by every genesis at
// 0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB (Alys's address; engine::kBridgeContractAddress).
//
// requestPegOut burns the value sent, as Alys's bridge does, by forwarding it to
// 0x000000000000000000000000000000000000dEaD (nobody holds its key, so the funds never move again),
// and emits RequestPegOut, which the engine reads from receipts and reports to the federation.
//
// Predeployed code runs no constructor: the contract keeps no storage and no immutables.
// Recompiled and compared byte for byte by tests/contracts (bash packaging/solc.sh compile).
pragma solidity 0.8.30;

contract Bridge {
    address payable internal constant BURN_ADDRESS =
        payable(0x000000000000000000000000000000000000dEaD);

    event RequestPegOut(address indexed evmAddress, bytes bitcoinAddress, uint256 value);

    function requestPegOut(bytes calldata bitcoinAddress) external payable {
        require(msg.value > 0, "Bridge: a peg-out needs a value");
        (bool burned, ) = BURN_ADDRESS.call{value: msg.value}("");
        require(burned, "Bridge: the burn failed");
        emit RequestPegOut(msg.sender, bitcoinAddress, msg.value);
    }
}
