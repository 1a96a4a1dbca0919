// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title Roles and branches of the time bank
/// @notice The platform's single source of truth for who may do what. Flat roles
/// (supervisor, partner, auditor, ledger, monitor, governor) are OpenZeppelin AccessControl
/// roles; operators hold the role of exactly one branch (`operatorRole(branchId)`), issuers the
/// role of each credential type they are trusted for (`issuerRole(typeId)`). The ledger,
/// monitor, supervisor and governor roles are granted only by the governor (the timelock);
/// the platform admin may revoke them at once.
interface ITimebankAccess is IAccessControl {
    /// @notice A regional branch. Every branch runs a node, an indexer and a gateway.
    struct Branch {
        string name;
        string region;
        /// X25519 public key the branch's gateway opens member data packages with.
        bytes32 publicKey;
        bool active;
    }

    /// @notice A proposed change of a branch's data-package key, waiting for its delay and a
    /// second party's confirmation.
    struct KeyProposal {
        bytes32 publicKey;
        address proposer;
        uint48 effectiveAt; // the earliest time it can be confirmed
    }

    /// @notice The last anchored state of a branch's access log: how many entries it had and
    /// the hash chaining them, when it was anchored.
    struct AccessLogAnchor {
        uint64 entries;
        bytes32 head;
        uint48 at;
    }

    /// @notice A branch was created.
    event BranchAdded(
        uint32 indexed branchId,
        string name,
        string region,
        bytes32 publicKey,
        address indexed admin
    );
    /// @notice A branch's name or region changed.
    event BranchUpdated(uint32 indexed branchId, string name, string region, address indexed actor);
    /// @notice A branch was activated or deactivated. Operators of an inactive branch can't act.
    event BranchActiveChanged(uint32 indexed branchId, bool active, address indexed admin);
    /// @notice An account became (or stopped being) the operator of a branch.
    event OperatorChanged(
        address indexed account, uint32 indexed branchId, bool isOperator, address indexed admin
    );
    /// @notice A new data-package key was proposed for a branch; it can be confirmed by a
    /// second party from `effectiveAt`.
    event BranchKeyProposed(
        uint32 indexed branchId,
        bytes32 currentKey,
        bytes32 proposedKey,
        address indexed proposer,
        uint48 effectiveAt
    );
    /// @notice A branch's data-package key changed.
    event BranchKeyChanged(
        uint32 indexed branchId,
        bytes32 previousKey,
        bytes32 newKey,
        address proposer,
        address indexed confirmer
    );
    /// @notice A proposed key change was withdrawn.
    event BranchKeyProposalCancelled(
        uint32 indexed branchId, bytes32 proposedKey, address indexed actor
    );

    /// @notice A branch's gateway anchored its access log: `entries` entries, chained to `head`.
    event AccessLogAnchored(
        uint32 indexed branchId, uint64 entries, bytes32 head, address indexed gateway
    );

    /// @notice `branchId` does not exist.
    error TimebankAccessUnknownBranch(uint32 branchId);
    /// @notice An operator can serve one branch only; `account` already serves `branchId`.
    error TimebankAccessOperatorOfOtherBranch(address account, uint32 branchId);
    /// @notice A branch needs a non-empty name.
    error TimebankAccessInvalidBranch();
    /// @notice `publicKey` is not a usable X25519 public key (zero or of low order).
    error TimebankAccessInvalidKey(bytes32 publicKey);
    /// @notice The branch has no proposed key change.
    error TimebankAccessNoKeyProposal(uint32 branchId);
    /// @notice The proposed key can be confirmed from `effectiveAt`, not before.
    error TimebankAccessKeyNotReady(uint32 branchId, uint48 effectiveAt);
    /// @notice The proposer of a key change can't also confirm it.
    error TimebankAccessSelfConfirmation(address account);
    /// @notice An anchor must cover more entries than the last one (`anchored`).
    error TimebankAccessStaleAnchor(uint32 branchId, uint64 entries, uint64 anchored);

    /// @notice Anchors the branch's access log: its first `entries` entries chain to `head`.
    /// Only the branch's gateway (`gatewayRole(branchId)`), called directly, not forwarded;
    /// each anchor covers more entries than the last.
    function anchorAccessLog(uint32 branchId, uint64 entries, bytes32 head) external;
    /// @notice The branch's last access-log anchor (zero before the first).
    function accessLogAnchor(uint32 branchId) external view returns (AccessLogAnchor memory);
    /// @notice The role of branch `branchId`'s gateway key.
    function gatewayRole(uint32 branchId) external pure returns (bytes32);

    /// @notice Creates an active branch. Platform admin only.
    function addBranch(string calldata name, string calldata region, bytes32 publicKey)
        external
        returns (uint32 branchId);
    /// @notice Changes a branch's name and region. Platform admin, or an operator of that
    /// branch.
    function updateBranch(uint32 branchId, string calldata name, string calldata region) external;
    /// @notice Activates or deactivates a branch. Platform admin only.
    function setBranchActive(uint32 branchId, bool active) external;
    /// @notice Proposes a new data-package key for a branch (replacing any earlier proposal).
    /// Platform admin, or an operator of that branch.
    function proposeBranchKey(uint32 branchId, bytes32 publicKey) external;
    /// @notice Puts the proposed key in force, once its delay has passed. The platform admin or
    /// an operator of that branch, other than the proposer.
    function confirmBranchKey(uint32 branchId) external;
    /// @notice Withdraws a proposed key. Platform admin, or an operator of that branch.
    function cancelBranchKey(uint32 branchId) external;

    /// @notice The branch record. Reverts for an unknown branch.
    function branch(uint32 branchId) external view returns (Branch memory);
    /// @notice The branch's pending key proposal (all zero when none).
    function keyProposal(uint32 branchId) external view returns (KeyProposal memory);
    /// @notice Seconds between a key proposal and its earliest confirmation.
    function branchKeyDelay() external view returns (uint48);
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
    /// @notice Whether `publicKey` can be a branch's key: not zero and not one of the X25519
    /// points of small order (in either encoding of the top bit), for which every Diffie-Hellman
    /// result is known.
    function isValidBranchKey(bytes32 publicKey) external pure returns (bool);
}
