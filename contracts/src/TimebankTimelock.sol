// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title TimebankTimelock: the public queue and delay of the platform's dangerous changes
/// @notice OpenZeppelin's `TimelockController`, holding `Roles.GOVERNOR`. The platform admin
/// proposes (`schedule`), every branch sees the operation in `CallScheduled` for at least the
/// minimum delay, the guardian (or the admin) can `cancel` it, and anyone can `execute` it once
/// it is ready. The timelock administers itself: a new delay is itself a delayed operation.
contract TimebankTimelock is TimelockController {
    /// @param minDelay Seconds between scheduling and execution.
    /// @param admin The platform admin: proposes and cancels.
    /// @param guardian Cancels scheduled operations (e.g. the supervisors' multisig).
    constructor(uint256 minDelay, address admin, address guardian)
        TimelockController(minDelay, _list(admin), _list(address(0)), address(0))
    {
        _grantRole(CANCELLER_ROLE, guardian);
    }

    function _list(address account) private pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = account;
    }
}
