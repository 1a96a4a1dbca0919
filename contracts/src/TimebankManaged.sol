// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "./Roles.sol";
import {ITimebankAccess} from "./interfaces/ITimebankAccess.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";

/// @title TimebankManaged: access checks against TimebankAccess, callable through the forwarder
/// @notice Base of every timebank contract but TimebankAccess itself. Each check uses
/// `_msgSender()`: the signer of an ERC-2771 forward request when the trusted forwarder relays
/// it, the direct caller otherwise. Failed checks revert with OpenZeppelin's
/// `AccessControlUnauthorizedAccount(account, neededRole)`.
abstract contract TimebankManaged is ERC2771Context {
    /// @notice The roles and branches this contract trusts.
    ITimebankAccess public immutable access;

    constructor(ITimebankAccess access_, address forwarder) ERC2771Context(forwarder) {
        access = access_;
    }

    /// @dev Reverts unless the caller holds `role`; returns the caller.
    function _requireRole(bytes32 role) internal view returns (address caller) {
        caller = _msgSender();
        if (!access.hasRole(role, caller)) {
            revert IAccessControl.AccessControlUnauthorizedAccount(caller, role);
        }
    }

    /// @dev Reverts unless the caller operates `branchId` (and it is active); returns the caller.
    function _requireOperator(uint32 branchId) internal view returns (address caller) {
        caller = _msgSender();
        if (!access.isOperator(caller, branchId)) {
            revert IAccessControl.AccessControlUnauthorizedAccount(caller, Roles.operator(branchId));
        }
    }

    function _isSupervisor(address account) internal view returns (bool) {
        return access.hasRole(Roles.SUPERVISOR, account);
    }
}
