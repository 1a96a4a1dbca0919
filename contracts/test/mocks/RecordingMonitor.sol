// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITimeCoinMonitor} from "../../src/interfaces/ITimeCoinMonitor.sol";

/// @notice A monitor for tests: records every rule hit it is told about.
contract RecordingMonitor is ITimeCoinMonitor {
    RuleHit[] internal _hits;

    function onRuleHit(RuleHit calldata hit) external returns (uint256 caseId) {
        _hits.push(hit);
        return _hits.length;
    }

    function count() external view returns (uint256) {
        return _hits.length;
    }

    function last() external view returns (RuleHit memory) {
        return _hits[_hits.length - 1];
    }
}
