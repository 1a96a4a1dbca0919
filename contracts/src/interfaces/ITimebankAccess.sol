// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title Roles and branches of the time bank
/// @notice The platform's single source of truth for who may do what. Flat roles
/// (supervisor, partner, auditor, ledger) are OpenZeppelin AccessControl roles; operators hold
/// the role of exactly one branch (`operatorRole(branchId)`), issuers the role of each
/// credential type they are trusted for (`issuerRole(typeId)`).
interface ITimebankAccess is IAccessControl {
    /// @notice A regional branch. Every branch runs a node, an indexer and a gateway.
    struct Branch {
        string name;
        string region;
        /// Public key the branch's gateway receives encrypted member data packages with.
        bytes publicKey;
        bool active;
    }

    /// @notice A branch was created.
    event BranchAdded(
        uint32 indexed branchId, string name, string region, bytes publicKey, address indexed admin
    );
    /// @notice A branch's name, region or public key changed.
    event BranchUpdated(
        uint32 indexed branchId, string name, string region, bytes publicKey, address indexed actor
    );
    /// @notice A branch was activated or deactivated. Operators of an inactive branch can't act.
    event BranchActiveChanged(uint32 indexed branchId, bool active, address indexed admin);
    /// @notice An account became (or stopped being) the operator of a branch.
    event OperatorChanged(
        address indexed account, uint32 indexed branchId, bool isOperator, address indexed admin
    );

    /// @notice `branchId` does not exist.
    error TimebankAccessUnknownBranch(uint32 branchId);
    /// @notice An operator can serve one branch only; `account` already serves `branchId`.
    error TimebankAccessOperatorOfOtherBranch(address account, uint32 branchId);
    /// @notice A branch needs a non-empty name and public key.
    error TimebankAccessInvalidBranch();

    /// @notice Creates an active branch. Platform admin only.
    function addBranch(string calldata name, string calldata region, bytes calldata publicKey)
        external
        returns (uint32 branchId);
    /// @notice Changes a branch's name, region and public key. Platform admin, or an operator of
    /// that branch (to rotate the gateway's key).
    function updateBranch(
        uint32 branchId,
        string calldata name,
        string calldata region,
        bytes calldata publicKey
    ) external;
    /// @notice Activates or deactivates a branch. Platform admin only.
    function setBranchActive(uint32 branchId, bool active) external;

    /// @notice The branch record. Reverts for an unknown branch.
    function branch(uint32 branchId) external view returns (Branch memory);
    /// @notice Number of branches; ids run from 1 to this.
    function branchCount() external view returns (uint32);
    /// @notice Whether `branchId` exists and is active.
    function isActiveBranch(uint32 branchId) external view returns (bool);
    /// @notice The branch `account` operates for, or 0.
    function operatorBranch(address account) external view returns (uint32);
    /// @notice Whether `account` is an operator of `branchId` and that branch is active.
    function isOperator(address account, uint32 branchId) external view returns (bool);
    /// @notice Whether `account` is a trusted issuer of credential type `typeId`.
    function isIssuer(address account, uint32 typeId) external view returns (bool);
    /// @notice The AccessControl role of `branchId`'s operators.
    function operatorRole(uint32 branchId) external pure returns (bytes32);
    /// @notice The AccessControl role of credential type `typeId`'s trusted issuers.
    function issuerRole(uint32 typeId) external pure returns (bytes32);
}
