// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Purpose} from "../../src/Types.sol";
import {ITimeCoinMonitor} from "../../src/interfaces/ITimeCoinMonitor.sol";

/// @notice A monitor for tests: records each movement and can refuse movements at or above
/// a limit, the way a Block rule will.
contract RecordingMonitor is ITimeCoinMonitor {
    struct Movement {
        address from;
        address to;
        uint256 amount;
        Purpose purpose;
        bytes32 ref;
    }

    error RecordingMonitorRefused(uint256 amount);

    Movement[] public movements;
    uint256 public refuseAtOrAbove = type(uint256).max;

    function setRefuseAtOrAbove(uint256 limit) external {
        refuseAtOrAbove = limit;
    }

    function onMovement(address from, address to, uint256 amount, Purpose purpose, bytes32 ref)
        external
    {
        if (amount >= refuseAtOrAbove) revert RecordingMonitorRefused(amount);
        movements.push(Movement(from, to, amount, purpose, ref));
    }

    function count() external view returns (uint256) {
        return movements.length;
    }

    function last() external view returns (Movement memory) {
        return movements[movements.length - 1];
    }
}
