// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ActivityKind} from "../Types.sol";

/// @title Activities, trainings and member-to-member services, settled in time coins
/// @notice Hours are TIME base units (18 decimals: 1e18 is one hour, 0.5e18 half an hour).
interface IServiceLedger {
    enum ActivityStatus {
        None,
        Open, // volunteers may join and hours may be recorded
        Closed // no more joining or recording; confirmed hours can still be settled
    }

    enum ParticipationStatus {
        None,
        Joined,
        Recorded, // an operator recorded hours; the volunteer has not confirmed this amount yet
        Confirmed, // the volunteer confirmed the recorded amount
        Settled // TIME minted to the volunteer
    }

    enum ServiceStatus {
        None,
        Proposed, // the provider recorded the hours; waiting for the requester
        Completed, // the requester confirmed and paid
        Cancelled
    }

    struct Activity {
        uint32 branchId;
        ActivityKind kind;
        ActivityStatus status;
        uint32 requiredCredentialType; // 0: none
        address organizer;
        uint128 hoursCap; // most hours one volunteer can be rewarded
        bytes32 detailsHash;
    }

    struct Participation {
        ParticipationStatus status;
        uint128 amount; // hours, in TIME base units
        /// The first operator's approval of a settlement above the branch's second-approval
        /// amount, or zero.
        address approvedBy;
    }

    struct Service {
        address provider;
        address requester;
        uint128 amount; // hours, in TIME base units
        ServiceStatus status;
        bytes32 detailsHash;
    }

    /// @notice A branch's minting quota: `minted` never exceeds `limit`.
    struct Quota {
        uint128 limit;
        uint128 minted;
    }

    event ActivityCreated(
        uint256 indexed activityId,
        uint32 indexed branchId,
        ActivityKind kind,
        address indexed organizer,
        uint128 hoursCap,
        uint32 requiredCredentialType,
        bytes32 detailsHash
    );
    event ActivityClosed(uint256 indexed activityId, address indexed operator);
    event ActivityJoined(uint256 indexed activityId, address indexed volunteer);
    event HoursRecorded(
        uint256 indexed activityId, address indexed volunteer, uint128 amount, address operator
    );
    event HoursConfirmed(uint256 indexed activityId, address indexed volunteer, uint128 amount);
    event ActivitySettled(
        uint256 indexed activityId,
        address indexed volunteer,
        uint32 indexed branchId,
        uint128 amount,
        address operator
    );
    /// @notice A first operator approved a settlement above the branch's second-approval
    /// amount; a second operator's `settle` mints it.
    event SettlementApproved(
        uint256 indexed activityId, address indexed volunteer, uint128 amount, address operator
    );
    event MintQuotaSet(uint32 indexed branchId, uint128 limit, address admin);
    /// @notice Settlements of a branch above `amount` need two operators (0: none do).
    event SecondApprovalSet(uint32 indexed branchId, uint128 amount, address actor);
    event ServiceProposed(
        uint256 indexed serviceId,
        address indexed provider,
        address indexed requester,
        uint128 amount,
        bytes32 detailsHash
    );
    event ServiceCompleted(
        uint256 indexed serviceId,
        address indexed provider,
        address indexed requester,
        uint128 amount
    );
    event ServiceCancelled(uint256 indexed serviceId, address indexed actor);

    /// @notice `activityId` does not exist.
    error ServiceLedgerUnknownActivity(uint256 activityId);
    /// @notice The activity is not open for joining or recording.
    error ServiceLedgerActivityNotOpen(uint256 activityId);
    /// @notice Hours (`amount`) must be above zero and at most `cap`.
    error ServiceLedgerInvalidHours(uint128 amount, uint128 cap);
    /// @notice `requiredCredentialType` is not a defined credential type.
    error ServiceLedgerUnknownCredentialType(uint32 typeId);
    /// @notice `account` is not an Active member below Blocked risk.
    error ServiceLedgerNotActiveMember(address account);
    /// @notice The volunteer's participation is `status`, which does not allow this step.
    error ServiceLedgerInvalidParticipation(
        uint256 activityId, address volunteer, ParticipationStatus status
    );
    /// @notice The volunteer lacks a valid credential of the type the activity requires.
    error ServiceLedgerMissingCredential(address volunteer, uint32 typeId);
    /// @notice Settling `amount` would take the branch past its quota.
    error ServiceLedgerQuotaExceeded(uint32 branchId, uint128 amount, uint128 remaining);
    /// @notice A quota can't be set below what the branch has already minted.
    error ServiceLedgerQuotaBelowMinted(uint32 branchId, uint128 limit, uint128 minted);
    /// @notice `branchId` is not an active branch.
    error ServiceLedgerInactiveBranch(uint32 branchId);
    /// @notice `serviceId` does not exist or is not awaiting confirmation.
    error ServiceLedgerInvalidService(uint256 serviceId);
    /// @notice A member can't provide a service to themselves.
    error ServiceLedgerSelfService(address account);
    /// @notice Only the service's requester (to confirm) or either party (to cancel) may act.
    error ServiceLedgerNotParty(uint256 serviceId, address account);
    /// @notice An operator can't record or settle their own hours.
    error ServiceLedgerSelfDealing(address operator);
    /// @notice The volunteer confirmed `confirmed`, but the recorded amount is `recorded`.
    error ServiceLedgerHoursChanged(
        uint256 activityId, address volunteer, uint128 recorded, uint128 confirmed
    );
    /// @notice A self-declared credential type can't be an activity's requirement.
    error ServiceLedgerUntrustedCredentialType(uint32 typeId);
    /// @notice The settlement needs a second operator; `operator` already approved it.
    error ServiceLedgerSecondOperatorNeeded(address operator);
    /// @notice Only the platform admin raises (or switches off) a second-approval amount; a
    /// branch's operators may only lower it.
    error ServiceLedgerSecondApprovalRaise(uint32 branchId, uint128 current, uint128 amount);

    /// @notice Creates an open activity or training. Operator of `branchId`.
    function createActivity(
        uint32 branchId,
        ActivityKind kind,
        uint128 hoursCap,
        uint32 requiredCredentialType,
        bytes32 detailsHash
    ) external returns (uint256 activityId);
    /// @notice Closes an activity to joining and recording. Operator of its branch.
    function closeActivity(uint256 activityId) external;
    /// @notice Joins an open activity. Active member (the volunteer).
    function joinActivity(uint256 activityId) external;
    /// @notice Records (or corrects, before settlement) a volunteer's amount; a correction
    /// needs the volunteer's confirmation again. Operator of the activity's branch, other than
    /// the volunteer.
    function recordHours(uint256 activityId, address volunteer, uint128 amount) external;
    /// @notice Confirms the recorded amount, which must be `amount`. The volunteer.
    function confirmHours(uint256 activityId, uint128 amount) external;
    /// @notice Mints the confirmed amount as ActivityReward or TrainingReward within the branch's
    /// quota, if the volunteer holds the required credential now. Operator of the branch, other
    /// than the volunteer; above the branch's second-approval amount, the first call records an
    /// approval and a second operator's call mints.
    function settle(uint256 activityId, address volunteer) external;
    /// @notice Sets a branch's minting quota. Platform admin.
    function setMintQuota(uint32 branchId, uint128 limit) external;
    /// @notice Settlements above `amount` need two operators (0: none do). The platform admin
    /// sets any amount; an operator of the branch may only lower it.
    function setSecondApproval(uint32 branchId, uint128 amount) external;
    /// @notice A provider records amount of service given to `requester`. Active member.
    function proposeService(address requester, uint128 amount, bytes32 detailsHash)
        external
        returns (uint256 serviceId);
    /// @notice The requester confirms the amount, which pays the provider as ServicePayment.
    function confirmService(uint256 serviceId) external;
    /// @notice Either party withdraws a proposed service.
    function cancelService(uint256 serviceId) external;

    function activity(uint256 activityId) external view returns (Activity memory);
    function participation(uint256 activityId, address volunteer)
        external
        view
        returns (Participation memory);
    function service(uint256 serviceId) external view returns (Service memory);
    function quota(uint32 branchId) external view returns (Quota memory);
    /// @notice The amount above which a branch's settlements need two operators (0: none).
    function secondApprovalAbove(uint32 branchId) external view returns (uint128);
}
