// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "../Roles.sol";
import {TimebankManaged} from "../TimebankManaged.sol";
import {MonitorAction, Purpose, RiskLevel} from "../Types.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {ISupervisionDesk} from "../interfaces/ISupervisionDesk.sol";
import {ITimeCoin} from "../interfaces/ITimeCoin.sol";
import {ITimeCoinMonitor} from "../interfaces/ITimeCoinMonitor.sol";
import {ITimebankAccess} from "../interfaces/ITimebankAccess.sol";
import {MonitorRules} from "./MonitorRules.sol";

/// @title SupervisionDesk: the monitor TimeCoin reports rule hits to
/// @notice Opens one case per rule hit (and per monitoring agent's report), lets supervisors
/// decide them, releases or returns held coins, and raises an account's risk level when its
/// open cases reach a configured number. Holds the MONITOR role to set risk levels.
/// @dev Invariants: a case moves Open -> Cleared or Confirmed once; `openCases(account)` is the
/// number of Open cases about it; every external call comes after this contract's state
/// changes and events. The desk can be replaced (`TimeCoin.setMonitor`) without losing held
/// coins: they sit in TimeCoin's escrow, and the new desk settles them.
contract SupervisionDesk is ISupervisionDesk, ITimeCoinMonitor, TimebankManaged {
    /// @notice Reason hash of a risk level raised by the open-cases rule.
    bytes32 public constant AUTO_RISK_REASON = keccak256("timebank.monitor.open-cases");

    ITimeCoin public immutable coin;
    IIdentityRegistry public immutable identity;

    Case[] private _cases;
    mapping(address account => uint256) private _openCases;
    uint16 public autoRiskOpenCases;
    RiskLevel public autoRiskLevel;

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
        caseId = _open(account, counterparty, hit.rules, hit.action, hit.holdId);
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
        _raiseRiskOnOpenCases(account);
    }

    /// @inheritdoc ISupervisionDesk
    function openCase(address account, address counterparty, bytes32 reasonHash)
        external
        returns (uint256 caseId)
    {
        address agent = _requireRole(Roles.MONITORING_AGENT);
        if (identity.memberIdOf(account) == 0) revert SupervisionDeskUnknownMember(account);
        caseId = _open(account, counterparty, 0, MonitorAction.Flag, 0);
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
        _raiseRiskOnOpenCases(account);
    }

    /// @inheritdoc ISupervisionDesk
    function decideCase(uint256 caseId, CaseStatus outcome, bytes32 noteHash, RiskLevel riskLevel)
        external
    {
        address supervisor = _requireRole(Roles.SUPERVISOR);
        Case storage c = _openCase(caseId);
        address account = c.account;
        // `standing` reads the one slot that holds the risk level (`member` reads four).
        // slither-disable-next-line unused-return
        (, RiskLevel current,) = identity.standing(account);
        if (
            (outcome != CaseStatus.Cleared && outcome != CaseStatus.Confirmed)
                || (outcome == CaseStatus.Cleared && riskLevel != current)
        ) revert SupervisionDeskInvalidOutcome(outcome, riskLevel);

        c.status = outcome;
        c.decidedAt = uint40(block.timestamp);
        --_openCases[account];
        uint256 holdId = c.holdId;
        emit CaseDecided(caseId, account, outcome, riskLevel, noteHash, supervisor);

        // External calls last; both targets are trusted platform contracts.
        if (riskLevel != current) identity.setRiskLevel(account, riskLevel, noteHash);
        if (holdId != 0) coin.settleHold(holdId, outcome == CaseStatus.Cleared);
    }

    /// @inheritdoc ISupervisionDesk
    function setAutoRisk(uint16 threshold, RiskLevel level) external {
        address admin = _requireRole(Roles.ADMIN);
        if (threshold != 0 && level == RiskLevel.None) {
            revert SupervisionDeskInvalidAutoRisk(threshold, level);
        }
        autoRiskOpenCases = threshold;
        autoRiskLevel = level;
        emit AutoRiskConfigured(threshold, level, admin);
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
        uint256 holdId
    ) private returns (uint256 caseId) {
        _cases.push(
            Case({
                account: account,
                rules: rules,
                action: action,
                status: CaseStatus.Open,
                openedAt: uint40(block.timestamp),
                counterparty: counterparty,
                decidedAt: 0,
                holdId: holdId
            })
        );
        caseId = _cases.length;
        ++_openCases[account];
    }

    /// @dev Raises `account`'s risk when its open cases reach the configured number. Runs after
    /// the case is stored and announced.
    function _raiseRiskOnOpenCases(address account) private {
        uint16 threshold = autoRiskOpenCases;
        uint256 open = _openCases[account];
        if (threshold == 0 || open < threshold) return;
        RiskLevel level = autoRiskLevel;
        // slither-disable-next-line unused-return
        (, RiskLevel risk,) = identity.standing(account);
        if (risk >= level) return;
        emit RiskRaisedByOpenCases(account, open, level);
        identity.setRiskLevel(account, level, AUTO_RISK_REASON);
    }

    function _openCase(uint256 caseId) private view returns (Case storage c) {
        if (caseId == 0 || caseId > _cases.length) revert SupervisionDeskInvalidCase(caseId);
        c = _cases[caseId - 1];
        if (c.status != CaseStatus.Open) revert SupervisionDeskInvalidCase(caseId);
    }
}
