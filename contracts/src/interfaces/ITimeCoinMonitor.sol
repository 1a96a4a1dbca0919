// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Purpose} from "../Types.sol";

/// @title The monitoring hook every time-coin movement passes through
/// @notice TimeCoin calls `onMovement` after each mint, transfer and burn has updated the
/// balances, within the same transaction. A monitor may revert to refuse the movement. It is
/// set by the platform admin (`TimeCoin.setMonitor`) and is trusted platform code.
interface ITimeCoinMonitor {
    /// @param from The sender, or the zero address for a mint.
    /// @param to The recipient, or the zero address for a burn.
    /// @param amount The amount moved, in TIME base units (18 decimals; 1e18 = one hour).
    /// @param purpose Why the coins moved.
    /// @param ref The caller's reference (activity id, service id, invoice hash, or zero).
    function onMovement(address from, address to, uint256 amount, Purpose purpose, bytes32 ref)
        external;
}
