// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "../Roles.sol";
import {TimebankManaged} from "../TimebankManaged.sol";
import {MemberStatus, MonitorAction, Purpose, RiskLevel} from "../Types.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {ISupervisionDesk} from "../interfaces/ISupervisionDesk.sol";
import {ITimeCoin} from "../interfaces/ITimeCoin.sol";
import {ITimeCoinMonitor} from "../interfaces/ITimeCoinMonitor.sol";
import {ITimebankAccess} from "../interfaces/ITimebankAccess.sol";
import {MonitorRules} from "./MonitorRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title SupervisionDesk: the monitor TimeCoin reports rule hits to
/// @notice Opens one case per rule hit (and per monitoring agent's report, recovery request or
/// adopted hold), lets supervisors decide them, releases or returns held coins, and carries out
/// approved wallet recoveries. Holds the MONITOR role to set risk levels (a supervisor's
/// decision) and recover members.
/// @dev Invariants: a case moves Open -> Cleared or Confirmed once, decided by a supervisor who
/// is not a party to it; only that decision changes a risk level here, never a case opening:
/// others' payments and an agent's findings can open cases about anyone (docs/contracts.md);
/// `openCases(account)` is the number of Open cases of suspicion about it (recoveries are not
/// suspicion); every external call comes after this contract's state changes and events. The desk can be replaced (`TimeCoin.setMonitor`) without losing held
/// coins: they sit in TimeCoin's escrow, and each desk settles the holds of its own cases.
contract SupervisionDesk is ISupervisionDesk, ITimeCoinMonitor, TimebankManaged {
    ITimeCoin public immutable coin;
    IIdentityRegistry public immutable identity;

    Case[] private _cases;
    mapping(address account => uint256) private _openCases;
    /// @dev The operator who asked for each recovery case.
    mapping(uint256 caseId => address operator) private _recoveryRequester;
    /// @dev The open recovery case of an account, if any.
    mapping(address account => uint256 caseId) private _openRecovery;

    constructor(
        ITimebankAccess access_,
        IIdentityRegistry identity_,
        ITimeCoin coin_,
        address forwarder
    ) TimebankManaged(access_, forwarder) {
        identity = identity_;
        coin = coin_;
    }

    /// @inheritdoc ITimeCoinMonitor
    function onRuleHit(RuleHit calldata hit) external returns (uint256 caseId) {
        if (msg.sender != address(coin)) revert SupervisionDeskOnlyCoin(msg.sender);
        // The case is about the sender, unless only recipient-side rules fired (or it's a mint).
        bool aboutRecipient =
            hit.from == address(0) || hit.rules & ~MonitorRules.RECIPIENT_BITS == 0;
        (address account, address counterparty) =
            aboutRecipient ? (hit.to, hit.from) : (hit.from, hit.to);
        caseId = _open(account, counterparty, hit.rules, hit.action, CaseKind.RuleHit, hit.holdId);
        emit CaseOpened(
            caseId,
            account,
            counterparty,
            hit.rules,
            hit.action,
            hit.amount,
            hit.purpose,
            hit.ref,
            hit.holdId,
            msg.sender,
            bytes32(0)
        );
    }

    /// @inheritdoc ISupervisionDesk
    function openCase(address account, address counterparty, bytes32 reasonHash)
        external
        returns (uint256 caseId)
    {
        address agent = _requireRole(Roles.MONITORING_AGENT);
        if (identity.memberIdOf(account) == 0) revert SupervisionDeskUnknownMember(account);
        caseId = _open(account, counterparty, 0, MonitorAction.Flag, CaseKind.Agent, 0);
        emit CaseOpened(
            caseId,
            account,
            counterparty,
            0,
            MonitorAction.Flag,
            0,
            Purpose.Gift,
            bytes32(0),
            0,
            agent,
            reasonHash
        );
    }

    /// @inheritdoc ISupervisionDesk
    function requestRecovery(address previousAccount, address newAccount, bytes32 reasonHash)
        external
        returns (uint256 caseId)
    {
        IIdentityRegistry.Member memory m = identity.member(previousAccount);
        if (m.memberId == 0) revert SupervisionDeskUnknownMember(previousAccount);
        address operator = _requireOperator(m.homeBranch);
        if (operator == previousAccount || operator == newAccount) {
            revert SupervisionDeskConflictOfInterest(operator);
        }
        if (
            m.status == MemberStatus.Closed || newAccount == address(0)
                || identity.memberIdOf(newAccount) != 0 || identity.retired(newAccount)
                || _openRecovery[previousAccount] != 0
        ) revert SupervisionDeskInvalidRecovery(previousAccount, newAccount);

        caseId = _cases.length + 1;
        _cases.push(
            Case({
                account: previousAccount,
                rules: 0,
                action: MonitorAction.None,
                status: CaseStatus.Open,
                kind: CaseKind.Recovery,
                openedAt: uint40(block.timestamp),
                counterparty: newAccount,
                decidedAt: 0,
                holdId: 0
            })
        );
        _recoveryRequester[caseId] = operator;
        _openRecovery[previousAccount] = caseId;
        emit CaseOpened(
            caseId,
            previousAccount,
            newAccount,
            0,
            MonitorAction.None,
            IERC20(address(coin)).balanceOf(previousAccount),
            Purpose.Recovery,
            bytes32(0),
            0,
            operator,
            reasonHash
        );
        emit RecoveryRequested(caseId, previousAccount, newAccount, operator);
    }

    /// @inheritdoc ISupervisionDesk
    function decideCase(uint256 caseId, CaseStatus outcome, bytes32 noteHash, RiskLevel riskLevel)
        external
    {
        address supervisor = _requireRole(Roles.SUPERVISOR);
        Case storage c = _openCase(caseId);
        CaseKind kind = c.kind;
        address party = c.account;
        address counterparty = c.counterparty;
        // The member may have recovered their wallet since the case opened.
        address account = identity.currentAccount(party);
        if (
            supervisor == party || supervisor == account || supervisor == counterparty
                || supervisor == _recoveryRequester[caseId]
        ) revert SupervisionDeskConflictOfInterest(supervisor);
        // `standing` reads the one slot that holds the risk level (`member` reads four).
        // slither-disable-next-line unused-return
        (, RiskLevel current,) = identity.standing(account);
        if (
            (outcome != CaseStatus.Cleared && outcome != CaseStatus.Confirmed)
                || (outcome == CaseStatus.Cleared && riskLevel != current)
        ) revert SupervisionDeskInvalidOutcome(outcome, riskLevel);

        c.status = outcome;
        c.decidedAt = uint40(block.timestamp);
        if (kind == CaseKind.Recovery) delete _openRecovery[party];
        else --_openCases[party];
        uint256 holdId = c.holdId;
        emit CaseDecided(caseId, party, outcome, riskLevel, noteHash, supervisor);

        // External calls last; both targets are trusted platform contracts.
        if (riskLevel != current) identity.setRiskLevel(account, riskLevel, noteHash);
        if (holdId != 0) coin.settleHold(holdId, outcome == CaseStatus.Cleared);
        if (kind == CaseKind.Recovery && outcome == CaseStatus.Cleared) {
            identity.recoverMember(party, counterparty, noteHash);
        }
    }

    /// @inheritdoc ISupervisionDesk
    function adoptHold(uint256 holdId) external returns (uint256 caseId) {
        address supervisor = _requireRole(Roles.SUPERVISOR);
        ITimeCoin.Hold memory h = coin.hold(holdId);
        caseId = _open(h.from, h.to, 0, MonitorAction.Hold, CaseKind.AdoptedHold, holdId);
        emit CaseOpened(
            caseId,
            h.from,
            h.to,
            0,
            MonitorAction.Hold,
            h.amount,
            h.purpose,
            h.ref,
            holdId,
            supervisor,
            bytes32(0)
        );
        // Reverts unless the hold is still held and no desk owns it.
        coin.adoptHold(holdId);
    }

    /// @inheritdoc ISupervisionDesk
    function supervisionCase(uint256 caseId) external view returns (Case memory) {
        if (caseId == 0 || caseId > _cases.length) revert SupervisionDeskInvalidCase(caseId);
        return _cases[caseId - 1];
    }

    /// @inheritdoc ISupervisionDesk
    function caseCount() external view returns (uint256) {
        return _cases.length;
    }

    /// @inheritdoc ISupervisionDesk
    function openCases(address account) external view returns (uint256) {
        return _openCases[account];
    }

    function _open(
        address account,
        address counterparty,
        uint16 rules,
        MonitorAction action,
        CaseKind kind,
        uint256 holdId
    ) private returns (uint256 caseId) {
        _cases.push(
            Case({
                account: account,
                rules: rules,
                action: action,
                status: CaseStatus.Open,
                kind: kind,
                openedAt: uint40(block.timestamp),
                counterparty: counterparty,
                decidedAt: 0,
                holdId: holdId
            })
        );
        caseId = _cases.length;
        ++_openCases[account];
    }

    function _openCase(uint256 caseId) private view returns (Case storage c) {
        if (caseId == 0 || caseId > _cases.length) revert SupervisionDeskInvalidCase(caseId);
        c = _cases[caseId - 1];
        if (c.status != CaseStatus.Open) revert SupervisionDeskInvalidCase(caseId);
    }
}
