// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MonitorAction, Purpose} from "../Types.sol";

/// @title The supervision hook TimeCoin calls when a movement fires a monitoring rule
/// @notice TimeCoin evaluates the rules itself (see `MonitorRules`), for every mint, transfer
/// and burn, at a constant cost. When rules fire with a Flag or Hold action, it calls the
/// monitor set by the platform admin (`TimeCoin.setMonitor`) in the same transaction, after
/// every coin state change, so that a supervision case opens. The monitor is trusted platform
/// code; if it reverts, the movement reverts.
interface ITimeCoinMonitor {
    /// @notice A movement that fired rules.
    struct RuleHit {
        address from; // zero for a mint
        address to; // the intended recipient (held coins sit in TimeCoin's escrow)
        uint256 amount;
        Purpose purpose;
        bytes32 ref;
        uint16 rules; // MonitorRules `fired` bits
        MonitorAction action; // Flag or Hold
        uint256 holdId; // non-zero when the coins are held
    }

    /// @notice Records the hit; returns the case opened for it (0 if the monitor opens none).
    function onRuleHit(RuleHit calldata hit) external returns (uint256 caseId);
}
