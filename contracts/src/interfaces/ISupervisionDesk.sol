// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MonitorAction, Purpose, RiskLevel} from "../Types.sol";

/// @title Supervision cases: opened by rule hits and monitoring agents, decided by supervisors
/// @notice Every branch reads the same cases and decisions from the chain. A note's text stays
/// off chain (with the gateway); only its hash is recorded.
interface ISupervisionDesk {
    enum CaseStatus {
        None,
        Open,
        Cleared, // nothing wrong: held coins are released, a recovery goes ahead
        Confirmed // the concern is real: held coins go back, a recovery is refused; risk may change
    }

    /// @notice What opened a case.
    enum CaseKind {
        RuleHit, // a coin movement fired monitoring rules
        Agent, // a monitoring agent reported a pattern found off chain
        Recovery, // an operator asked to move a member to a new wallet
        AdoptedHold // coins held while no desk opened cases, taken over by this desk
    }

    /// @notice What the chain keeps of a case: enough to decide it. The movement's amount,
    /// purpose and reference, who opened it and the notes are in `CaseOpened` and
    /// `CaseDecided`, which every branch's indexer keeps.
    struct Case {
        address account; // the member the case is about
        uint16 rules; // MonitorRules bits; 0 for a case opened by an agent
        MonitorAction action;
        CaseStatus status;
        CaseKind kind;
        uint40 openedAt;
        address counterparty; // the other side of the movement; the new wallet of a recovery
        uint40 decidedAt;
        uint256 holdId; // non-zero when coins wait in escrow for the decision
    }

    /// @notice A supervision case opened.
    event CaseOpened(
        uint256 indexed caseId,
        address indexed account,
        address indexed counterparty,
        uint16 rules,
        MonitorAction action,
        uint256 amount,
        Purpose purpose,
        bytes32 ref,
        uint256 holdId,
        address openedBy,
        bytes32 reasonHash
    );
    /// @notice A supervisor decided a case. `riskLevel` is the account's level afterwards.
    event CaseDecided(
        uint256 indexed caseId,
        address indexed account,
        CaseStatus outcome,
        RiskLevel riskLevel,
        bytes32 noteHash,
        address indexed supervisor
    );
    /// @notice An operator asked to move a member to a new wallet; a supervisor decides case
    /// `caseId` (Cleared carries the recovery out, Confirmed refuses it).
    event RecoveryRequested(
        uint256 indexed caseId,
        address indexed previousAccount,
        address indexed newAccount,
        address operator
    );

    /// @notice Only TimeCoin reports rule hits.
    error SupervisionDeskOnlyCoin(address caller);
    /// @notice `caseId` does not exist or is not open.
    error SupervisionDeskInvalidCase(uint256 caseId);
    /// @notice A decision is Cleared or Confirmed; a Cleared case can't change the risk level.
    error SupervisionDeskInvalidOutcome(CaseStatus outcome, RiskLevel riskLevel);
    /// @notice `account` is not a registered member.
    error SupervisionDeskUnknownMember(address account);
    /// @notice `supervisor` is a party to the case (its member, the counterparty, or the
    /// operator who asked for the recovery) and can't decide it.
    error SupervisionDeskConflictOfInterest(address supervisor);
    /// @notice `account` can't be recovered to `newAccount` now (closed, already registered or
    /// retired, or a recovery of it is already waiting).
    error SupervisionDeskInvalidRecovery(address account, address newAccount);

    /// @notice Opens a case for a pattern found off chain. Monitoring agent only. Like a rule
    /// hit's case, it changes no risk level: only a supervisor's decision does.
    function openCase(address account, address counterparty, bytes32 reasonHash)
        external
        returns (uint256 caseId);
    /// @notice Asks to move `previousAccount`'s membership, credentials and coins to
    /// `newAccount` (a lost or stolen wallet). Operator of the member's home branch; a
    /// supervisor decides the case that opens.
    function requestRecovery(address previousAccount, address newAccount, bytes32 reasonHash)
        external
        returns (uint256 caseId);
    /// @notice Decides an open case. A supervisor who is not a party to it. Cleared releases
    /// held coins to the recipient, or carries out a recovery; Confirmed returns held coins to
    /// the sender, or refuses a recovery, and sets the account's risk level to `riskLevel` when
    /// it differs (up to Blocked).
    function decideCase(uint256 caseId, CaseStatus outcome, bytes32 noteHash, RiskLevel riskLevel)
        external;
    /// @notice Takes over coins held while no desk opened cases (`TimeCoin.adoptHold`) and
    /// opens a case for them. Supervisor only.
    function adoptHold(uint256 holdId) external returns (uint256 caseId);

    /// @notice A case. Reverts for an unknown id.
    function supervisionCase(uint256 caseId) external view returns (Case memory);
    /// @notice Number of cases; ids run from 1 to this.
    function caseCount() external view returns (uint256);
    /// @notice Open cases about `account`.
    function openCases(address account) external view returns (uint256);
}
