// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "./Roles.sol";
import {TimebankManaged} from "./TimebankManaged.sol";
import {ActivityKind, CredentialKind, Purpose} from "./Types.sol";
import {ICredentialRegistry} from "./interfaces/ICredentialRegistry.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {IServiceLedger} from "./interfaces/IServiceLedger.sol";
import {ITimeCoin} from "./interfaces/ITimeCoin.sol";
import {ITimebankAccess} from "./interfaces/ITimebankAccess.sol";

/// @title ServiceLedger: from hours of service to time coins
/// @notice Activities and trainings: a branch creates one, members join, the organizer records
/// hours, each volunteer confirms, and settlement mints TIME within the branch's quota.
/// Member-to-member services: the provider records hours, the requester confirms, and that
/// confirmation pays the provider. Both parties' own signatures are needed either way.
/// @dev Invariants: for every branch, `quota.minted <= quota.limit`, and `minted` is the sum of
/// all rewards settled by that branch; every settled amount is the one its volunteer
/// confirmed, recorded and settled by operators other than the volunteer (two of them above
/// the branch's second-approval amount). Coin movements happen last in each function.
contract ServiceLedger is IServiceLedger, TimebankManaged {
    IIdentityRegistry public immutable identity;
    ICredentialRegistry public immutable credentials;
    ITimeCoin public immutable timeCoin;

    Activity[] private _activities;
    Service[] private _services;
    mapping(uint256 activityId => mapping(address volunteer => Participation)) private
        _participations;
    mapping(uint32 branchId => Quota) private _quotas;
    mapping(uint32 branchId => uint128 amount) private _secondApprovalAbove;

    constructor(
        ITimebankAccess access_,
        IIdentityRegistry identity_,
        ICredentialRegistry credentials_,
        ITimeCoin timeCoin_,
        address forwarder
    ) TimebankManaged(access_, forwarder) {
        identity = identity_;
        credentials = credentials_;
        timeCoin = timeCoin_;
    }

    /// @inheritdoc IServiceLedger
    function createActivity(
        uint32 branchId,
        ActivityKind kind,
        uint128 hoursCap,
        uint32 requiredCredentialType,
        bytes32 detailsHash
    ) external returns (uint256 activityId) {
        address operator = _requireOperator(branchId);
        if (hoursCap == 0) revert ServiceLedgerInvalidHours(hoursCap, hoursCap);
        if (requiredCredentialType != 0) {
            if (requiredCredentialType > credentials.credentialTypeCount()) {
                revert ServiceLedgerUnknownCredentialType(requiredCredentialType);
            }
            if (
                credentials.credentialType(requiredCredentialType).kind
                    == CredentialKind.SelfDeclared
            ) revert ServiceLedgerUntrustedCredentialType(requiredCredentialType);
        }
        _activities.push(
            Activity({
                branchId: branchId,
                kind: kind,
                status: ActivityStatus.Open,
                requiredCredentialType: requiredCredentialType,
                organizer: operator,
                hoursCap: hoursCap,
                detailsHash: detailsHash
            })
        );
        activityId = _activities.length;
        emit ActivityCreated(
            activityId, branchId, kind, operator, hoursCap, requiredCredentialType, detailsHash
        );
    }

    /// @inheritdoc IServiceLedger
    function closeActivity(uint256 activityId) external {
        Activity storage a = _openActivity(activityId);
        address operator = _requireOperator(a.branchId);
        a.status = ActivityStatus.Closed;
        emit ActivityClosed(activityId, operator);
    }

    /// @inheritdoc IServiceLedger
    function joinActivity(uint256 activityId) external {
        _openActivity(activityId);
        address volunteer = _msgSender();
        _requireActiveMember(volunteer);
        Participation storage p = _participations[activityId][volunteer];
        if (p.status != ParticipationStatus.None) {
            revert ServiceLedgerInvalidParticipation(activityId, volunteer, p.status);
        }
        p.status = ParticipationStatus.Joined;
        emit ActivityJoined(activityId, volunteer);
    }

    /// @inheritdoc IServiceLedger
    function recordHours(uint256 activityId, address volunteer, uint128 amount) external {
        Activity storage a = _openActivity(activityId);
        address operator = _requireOperator(a.branchId);
        if (operator == volunteer) revert ServiceLedgerSelfDealing(operator);
        if (amount == 0 || amount > a.hoursCap) {
            revert ServiceLedgerInvalidHours(amount, a.hoursCap);
        }
        Participation storage p = _participations[activityId][volunteer];
        ParticipationStatus status = p.status;
        if (
            status != ParticipationStatus.Joined && status != ParticipationStatus.Recorded
                && status != ParticipationStatus.Confirmed
        ) revert ServiceLedgerInvalidParticipation(activityId, volunteer, status);
        // A correction, even after confirmation, waits for the volunteer's confirmation again.
        p.status = ParticipationStatus.Recorded;
        p.amount = amount;
        if (p.approvedBy != address(0)) p.approvedBy = address(0);
        emit HoursRecorded(activityId, volunteer, amount, operator);
    }

    /// @inheritdoc IServiceLedger
    function confirmHours(uint256 activityId, uint128 amount) external {
        _activity(activityId);
        address volunteer = _msgSender();
        Participation storage p = _participations[activityId][volunteer];
        if (p.status != ParticipationStatus.Recorded) {
            revert ServiceLedgerInvalidParticipation(activityId, volunteer, p.status);
        }
        if (p.amount != amount) {
            revert ServiceLedgerHoursChanged(activityId, volunteer, p.amount, amount);
        }
        p.status = ParticipationStatus.Confirmed;
        emit HoursConfirmed(activityId, volunteer, amount);
    }

    /// @inheritdoc IServiceLedger
    function settle(uint256 activityId, address volunteer) external {
        Activity storage a = _activity(activityId);
        uint32 branchId = a.branchId;
        address operator = _requireOperator(branchId);
        if (operator == volunteer) revert ServiceLedgerSelfDealing(operator);
        Participation storage p = _participations[activityId][volunteer];
        if (p.status != ParticipationStatus.Confirmed) {
            revert ServiceLedgerInvalidParticipation(activityId, volunteer, p.status);
        }
        uint32 required = a.requiredCredentialType;
        if (required != 0 && !credentials.hasValidCredential(volunteer, required)) {
            revert ServiceLedgerMissingCredential(volunteer, required);
        }
        uint128 amount = p.amount;
        if (_awaitsSecondOperator(activityId, volunteer, branchId, operator, p)) return;
        Quota storage q = _quotas[branchId];
        // Cannot underflow: minted <= limit is the contract's invariant.
        uint128 remaining = q.limit - q.minted;
        if (amount > remaining) revert ServiceLedgerQuotaExceeded(branchId, amount, remaining);
        q.minted += amount;
        p.status = ParticipationStatus.Settled;
        emit ActivitySettled(activityId, volunteer, branchId, amount, operator);

        Purpose purpose =
            a.kind == ActivityKind.Training ? Purpose.TrainingReward : Purpose.ActivityReward;
        timeCoin.mint(volunteer, amount, purpose, bytes32(activityId));
    }

    /// @inheritdoc IServiceLedger
    function setMintQuota(uint32 branchId, uint128 limit) external {
        address admin = _requireRole(Roles.ADMIN);
        if (!access.isActiveBranch(branchId)) revert ServiceLedgerInactiveBranch(branchId);
        Quota storage q = _quotas[branchId];
        if (limit < q.minted) revert ServiceLedgerQuotaBelowMinted(branchId, limit, q.minted);
        q.limit = limit;
        emit MintQuotaSet(branchId, limit, admin);
    }

    /// @inheritdoc IServiceLedger
    function setSecondApproval(uint32 branchId, uint128 amount) external {
        address actor = _msgSender();
        if (!access.hasRole(Roles.ADMIN, actor)) {
            _requireOperator(branchId);
            uint128 current = _secondApprovalAbove[branchId];
            // Lowering (or switching on) only tightens the rule.
            if (amount == 0 || (current != 0 && amount >= current)) {
                revert ServiceLedgerSecondApprovalRaise(branchId, current, amount);
            }
        }
        if (!access.isActiveBranch(branchId)) revert ServiceLedgerInactiveBranch(branchId);
        _secondApprovalAbove[branchId] = amount;
        emit SecondApprovalSet(branchId, amount, actor);
    }

    /// @inheritdoc IServiceLedger
    function proposeService(address requester, uint128 amount, bytes32 detailsHash)
        external
        returns (uint256 serviceId)
    {
        address provider = _msgSender();
        if (requester == provider) revert ServiceLedgerSelfService(provider);
        if (amount == 0) revert ServiceLedgerInvalidHours(amount, type(uint128).max);
        _requireActiveMember(provider);
        _requireActiveMember(requester);
        _services.push(
            Service({
                provider: provider,
                requester: requester,
                amount: amount,
                status: ServiceStatus.Proposed,
                detailsHash: detailsHash
            })
        );
        serviceId = _services.length;
        emit ServiceProposed(serviceId, provider, requester, amount, detailsHash);
    }

    /// @inheritdoc IServiceLedger
    function confirmService(uint256 serviceId) external {
        Service storage s = _proposedService(serviceId);
        address requester = _msgSender();
        if (requester != s.requester) revert ServiceLedgerNotParty(serviceId, requester);
        s.status = ServiceStatus.Completed;
        emit ServiceCompleted(serviceId, s.provider, requester, s.amount);

        timeCoin.payService(requester, s.provider, s.amount, bytes32(serviceId));
    }

    /// @inheritdoc IServiceLedger
    function cancelService(uint256 serviceId) external {
        Service storage s = _proposedService(serviceId);
        address actor = _msgSender();
        if (actor != s.requester && actor != s.provider) {
            revert ServiceLedgerNotParty(serviceId, actor);
        }
        s.status = ServiceStatus.Cancelled;
        emit ServiceCancelled(serviceId, actor);
    }

    /// @inheritdoc IServiceLedger
    function activity(uint256 activityId) external view returns (Activity memory) {
        return _activity(activityId);
    }

    /// @inheritdoc IServiceLedger
    function participation(uint256 activityId, address volunteer)
        external
        view
        returns (Participation memory)
    {
        return _participations[activityId][volunteer];
    }

    /// @inheritdoc IServiceLedger
    function service(uint256 serviceId) external view returns (Service memory) {
        if (serviceId == 0 || serviceId > _services.length) {
            revert ServiceLedgerInvalidService(serviceId);
        }
        return _services[serviceId - 1];
    }

    /// @inheritdoc IServiceLedger
    function quota(uint32 branchId) external view returns (Quota memory) {
        return _quotas[branchId];
    }

    /// @inheritdoc IServiceLedger
    function secondApprovalAbove(uint32 branchId) external view returns (uint128) {
        return _secondApprovalAbove[branchId];
    }

    /// @dev Above the branch's second-approval amount, records the first operator's approval
    /// and returns true; refuses the same operator twice.
    function _awaitsSecondOperator(
        uint256 activityId,
        address volunteer,
        uint32 branchId,
        address operator,
        Participation storage p
    ) private returns (bool) {
        uint128 amount = p.amount;
        uint128 secondAbove = _secondApprovalAbove[branchId];
        if (secondAbove == 0 || amount <= secondAbove) return false;
        address first = p.approvedBy;
        if (first == operator) revert ServiceLedgerSecondOperatorNeeded(operator);
        if (first != address(0)) return false;
        p.approvedBy = operator;
        emit SettlementApproved(activityId, volunteer, amount, operator);
        return true;
    }

    function _activity(uint256 activityId) private view returns (Activity storage) {
        if (activityId == 0 || activityId > _activities.length) {
            revert ServiceLedgerUnknownActivity(activityId);
        }
        return _activities[activityId - 1];
    }

    function _openActivity(uint256 activityId) private view returns (Activity storage a) {
        a = _activity(activityId);
        if (a.status != ActivityStatus.Open) revert ServiceLedgerActivityNotOpen(activityId);
    }

    function _proposedService(uint256 serviceId) private view returns (Service storage s) {
        if (serviceId == 0 || serviceId > _services.length) {
            revert ServiceLedgerInvalidService(serviceId);
        }
        s = _services[serviceId - 1];
        if (s.status != ServiceStatus.Proposed) revert ServiceLedgerInvalidService(serviceId);
    }

    function _requireActiveMember(address account) private view {
        if (!identity.canTransact(account)) revert ServiceLedgerNotActiveMember(account);
    }
}
