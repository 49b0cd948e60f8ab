// SPDX-License-Identifier: MIT
// A minimal ERC-20 for the engine-api acceptance test (deployed and called with ethers on Geth):
// the whole supply is minted to the deployer by the constructor, and transfer emits Transfer.
pragma solidity 0.8.30;

contract TestToken {
    string public constant name = "Alys Test Token";
    string public constant symbol = "ATT";
    uint8 public constant decimals = 18;

    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;

    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor(uint256 supply) {
        totalSupply = supply;
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        uint256 balance = balanceOf[msg.sender];
        require(balance >= value, "TestToken: transfer amount exceeds balance");
        balanceOf[msg.sender] = balance - value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }
}
