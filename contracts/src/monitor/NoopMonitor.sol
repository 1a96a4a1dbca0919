// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITimeCoinMonitor} from "../interfaces/ITimeCoinMonitor.sol";

/// @title NoopMonitor: records nothing
/// @notice A monitor that opens no cases, for chains where supervision is not wired yet. Rules
/// still fire and TimeCoin still emits `RuleHit`, but nobody is asked to decide: held coins stay
/// in escrow until a real monitor (SupervisionDesk) is set.
contract NoopMonitor is ITimeCoinMonitor {
    /// @inheritdoc ITimeCoinMonitor
    function onRuleHit(RuleHit calldata) external pure returns (uint256) {
        return 0;
    }
}
