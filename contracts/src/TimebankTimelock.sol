// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";

/// @title TimebankTimelock: the public queue and delay of the platform's dangerous changes
/// @notice OpenZeppelin's `TimelockController`, holding `Roles.GOVERNOR`. The platform admin
/// proposes (`schedule`), every branch sees the operation in `CallScheduled` for at least the
/// minimum delay, the guardian (or the admin) can `cancel` it, and anyone can `execute` it once
/// it is ready. The timelock administers itself: a new delay is itself a delayed operation.
/// @dev It trusts the platform's ERC-2771 forwarder like every timebank contract, so the admin
/// proposes with a signed request a branch gateway relays (the signer is the proposer). The
/// forwarder only appends a signer it verified by ECDSA, which the timelock (a contract) never
/// is: a relayed call can't pass the self-administration check `_msgSender() == address(this)`.
contract TimebankTimelock is TimelockController, ERC2771Context {
    /// @param minDelay Seconds between scheduling and execution.
    /// @param admin The platform admin: proposes and cancels.
    /// @param guardian Cancels scheduled operations (e.g. the supervisors' multisig).
    /// @param forwarder The trusted ERC-2771 forwarder.
    constructor(uint256 minDelay, address admin, address guardian, address forwarder)
        TimelockController(minDelay, _list(admin), _list(address(0)), address(0))
        ERC2771Context(forwarder)
    {
        _grantRole(CANCELLER_ROLE, guardian);
    }

    function _list(address account) private pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = account;
    }

    function _msgSender() internal view override(Context, ERC2771Context) returns (address) {
        return ERC2771Context._msgSender();
    }

    function _msgData() internal view override(Context, ERC2771Context) returns (bytes calldata) {
        return ERC2771Context._msgData();
    }

    function _contextSuffixLength()
        internal
        view
        override(Context, ERC2771Context)
        returns (uint256)
    {
        return ERC2771Context._contextSuffixLength();
    }
}
