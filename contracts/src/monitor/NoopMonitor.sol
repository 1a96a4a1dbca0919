// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Purpose} from "../Types.sol";
import {ITimeCoinMonitor} from "../interfaces/ITimeCoinMonitor.sol";

/// @title NoopMonitor: lets every movement through
/// @notice The hook TimeCoin starts with until the rule-based monitor is wired in.
contract NoopMonitor is ITimeCoinMonitor {
    /// @inheritdoc ITimeCoinMonitor
    function onMovement(address, address, uint256, Purpose, bytes32) external {}
}
