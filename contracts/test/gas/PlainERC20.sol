// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @notice A baseline of `make gas`: a plain OpenZeppelin ERC-20 with EIP-2612 permits,
/// compiled in the same run.
contract PlainERC20 is ERC20("Plain", "PLN"), ERC20Permit("Plain") {
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
