// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "solady/tokens/ERC20.sol";

/// @notice A baseline of `make gas`: Solady's gas-optimized ERC-20 (EIP-2612 permits built in),
/// compiled in the same run.
contract PlainSolady is ERC20 {
    function name() public pure override returns (string memory) {
        return "Plain";
    }

    function symbol() public pure override returns (string memory) {
        return "PLN";
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
