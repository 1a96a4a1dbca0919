// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MemberStatus, RiskLevel} from "../Types.sol";

/// @title Members of the time bank, registered once and valid at every branch
/// @notice Private data never touches the chain: a member record holds a commitment (hash) to
/// the canonical profile, and each profile version publishes the encrypted data package in
/// `ProfileUpdated`, readable only through the gateways of roles that may decrypt it.
interface IIdentityRegistry {
    /// @notice A member record. Packed: the first nine fields share one storage slot, which is
    /// all a coin movement reads.
    struct Member {
        uint48 memberId; // stable across wallet recovery; credentials are keyed by it
        uint32 homeBranch;
        MemberStatus status;
        RiskLevel risk;
        uint32 profileVersion;
        uint40 submittedAt;
        uint40 activatedAt;
        uint40 updatedAt;
        /// The level a supervisor (or the supervision monitor) last set: operators may raise the
        /// risk but never lower it below this.
        RiskLevel supervisedRisk;
        address submittedBy; // the operator whose submission needs a second operator's review
        uint32 pendingMoveTo; // branch asked to accept the member, or 0
        bytes32 profileCommitment;
    }

    /// @notice A partner institution's risk warning on a member.
    struct RiskAlert {
        address account;
        address partner;
        bool assessed;
        bytes32 reasonHash;
    }

    /// @notice An operator submitted a new member for review.
    event MemberSubmitted(
        address indexed account, uint48 indexed memberId, uint32 indexed branchId, address operator
    );
    /// @notice A new profile version: its commitment and encrypted data package.
    event ProfileUpdated(
        address indexed account,
        uint48 indexed memberId,
        uint32 indexed branchId,
        uint32 version,
        bytes32 commitment,
        bytes encryptedData,
        address operator
    );
    /// @notice A member's status changed (approval, rejection, suspension, reinstatement,
    /// closure). `actor` is the operator or supervisor who made the change.
    event MemberStatusChanged(
        address indexed account,
        uint48 indexed memberId,
        uint32 indexed branchId,
        MemberStatus previous,
        MemberStatus current,
        address actor,
        bytes32 reasonHash
    );
    /// @notice A move to `toBranch` was requested; that branch's operators may accept it.
    event MoveRequested(
        address indexed account,
        uint48 indexed memberId,
        uint32 fromBranch,
        uint32 toBranch,
        address actor
    );
    /// @notice A pending move was withdrawn or declined.
    event MoveCancelled(
        address indexed account,
        uint48 indexed memberId,
        uint32 fromBranch,
        uint32 toBranch,
        address actor
    );
    /// @notice The receiving branch accepted the member; it is now their home branch.
    event MemberMoved(
        address indexed account,
        uint48 indexed memberId,
        uint32 indexed toBranch,
        uint32 fromBranch,
        address operator
    );
    /// @notice A member's risk level changed.
    event RiskLevelChanged(
        address indexed account,
        uint48 indexed memberId,
        uint32 indexed branchId,
        RiskLevel previous,
        RiskLevel current,
        address actor,
        bytes32 reasonHash
    );
    /// @notice A partner institution raised a risk alert on a member.
    event RiskAlertRaised(
        uint256 indexed alertId,
        address indexed account,
        address indexed partner,
        bytes32 reasonHash
    );
    /// @notice A supervisor assessed a partner's risk alert and set the resulting level.
    event RiskAlertAssessed(
        uint256 indexed alertId,
        address indexed account,
        address indexed supervisor,
        RiskLevel level,
        bytes32 reasonHash
    );
    /// @notice A member's identity, credentials and coins moved to a new wallet, as a
    /// supervisor approved (`actor` is the supervision desk that carried it out).
    event MemberRecovered(
        address indexed previousAccount,
        address indexed newAccount,
        uint48 indexed memberId,
        uint32 branchId,
        address actor,
        bytes32 reasonHash
    );
    /// @notice A member let a partner institution hear of changes to their membership (risk
    /// level, status, decided cases), or withdrew it.
    event PartnerConsentChanged(
        address indexed account, uint48 indexed memberId, address indexed partner, bool granted
    );
    /// @notice The TimeCoin contract whose balances follow a recovery was set.
    event TimeCoinSet(address indexed timeCoin, address indexed admin);
    /// @notice `memberId` now holds `key`, the blind index of its identity document (a keyed
    /// hash the branch gateways compute; never the number). `previousKey` is 0 at submission.
    event UniquenessKeySet(
        uint48 indexed memberId, bytes32 previousKey, bytes32 key, address indexed actor
    );
    /// @notice `memberId` no longer holds a key: rejected, or a Closed member released by a
    /// supervisor, so the person may register again.
    event UniquenessKeyReleased(
        uint48 indexed memberId, bytes32 key, address indexed actor, bytes32 reasonHash
    );

    /// @notice `partner` holds no partner role (consent goes to partner institutions only).
    error IdentityRegistryNotPartner(address partner);
    /// @notice `account` has no member record.
    error IdentityRegistryUnknownMember(address account);
    /// @notice `account` is already registered, or was retired by a recovery.
    error IdentityRegistryAlreadyRegistered(address account);
    /// @notice The member's status is `status`, which does not allow this change.
    error IdentityRegistryInvalidStatus(address account, MemberStatus status);
    /// @notice The operator who submitted a member cannot also approve it.
    error IdentityRegistrySelfApproval(address operator);
    /// @notice A profile needs a non-zero commitment and a non-empty encrypted package.
    error IdentityRegistryInvalidProfile();
    /// @notice `account` is the zero address.
    error IdentityRegistryZeroAddress();
    /// @notice `branchId` is not an active branch other than the member's home branch.
    error IdentityRegistryInvalidMoveTarget(uint32 branchId);
    /// @notice The member has no pending move.
    error IdentityRegistryNoPendingMove(address account);
    /// @notice Only a supervisor may set or lift the Blocked level.
    error IdentityRegistryBlockedNeedsSupervisor(address actor);
    /// @notice The level is already `level`.
    error IdentityRegistryUnchangedRisk(address account, RiskLevel level);
    /// @notice `alertId` does not exist or was already assessed.
    error IdentityRegistryInvalidAlert(uint256 alertId);
    /// @notice Staff can't act on their own member record (`actor` is that member).
    error IdentityRegistrySelfAction(address actor);
    /// @notice A supervisor set the risk to at least `supervisedRisk`; only a supervisor lowers
    /// it below that.
    error IdentityRegistryRiskSetBySupervision(address account, RiskLevel supervisedRisk);
    /// @notice The member still holds `balance`; only a supervisor closes such a membership
    /// (the balance is then redeemed).
    error IdentityRegistryBalanceNeedsSupervisor(address account, uint256 balance);
    /// @notice The TimeCoin contract is set once, at deployment.
    error IdentityRegistryTimeCoinAlreadySet(address timeCoin);
    /// @notice The person is already member `memberId` of branch `branchId` (the same identity
    /// document's key), Pending, Active, Suspended or Closed and not released.
    error IdentityRegistryDuplicateMember(uint48 memberId, uint32 branchId);
    /// @notice A uniqueness key is required and is never 0.
    error IdentityRegistryInvalidUniquenessKey();
    /// @notice The Pending member of `account` has no uniqueness key yet: its branch's gateway
    /// binds it (`bindUniquenessKey`) before it can be approved.
    error IdentityRegistryKeyNotBound(address account);
    /// @notice The Pending member of `account` has a uniqueness key already.
    error IdentityRegistryKeyAlreadyBound(address account);
    /// @notice The submission of `account` held its key until `expiredAt` and can no longer be
    /// approved: reject it, or submit the person again.
    error IdentityRegistrySubmissionExpired(address account, uint40 expiredAt);

    /// @notice Submits `account` for review at `branchId`. Operator of `branchId` only. The
    /// person's uniqueness key is not the operator's to give: the branch's gateway computes it
    /// from the sealed profile and binds it (`bindUniquenessKey`).
    function submitMember(
        address account,
        uint32 branchId,
        bytes32 commitment,
        bytes calldata encryptedData
    ) external returns (uint48 memberId);
    /// @notice Binds `key`, the blind index of the identity document in the Pending member's
    /// sealed profile, to the member. Only the gateway of the member's home branch
    /// (`gatewayRole`), called directly, not forwarded; once per submission, within its hold
    /// (`KEY_HOLD`); refused while another membership holds the key
    /// (`IdentityRegistryDuplicateMember`).
    function bindUniquenessKey(address account, bytes32 key) external;
    /// @notice Gives the member of `account` a new uniqueness key (a rotation of the gateways'
    /// key, or a member registered before keys). The admin only; refused if another holds it.
    function setUniquenessKey(address account, bytes32 key) external;
    /// @notice Frees a Closed member's key so the person may register again. Supervisor only.
    function releaseUniquenessKey(address account, bytes32 reasonHash) external;
    /// @notice The member holding `key`, or 0 (also when a Pending submission's hold ran out).
    function memberOfKey(bytes32 key) external view returns (uint48 memberId);
    /// @notice The key the member of `account` holds, or 0.
    function uniquenessKeyOf(address account) external view returns (bytes32 key);
    /// @notice Activates a Pending member. An operator of the home branch other than the
    /// submitter, once the member's uniqueness key is bound and while the submission holds it.
    function approveMember(address account) external;
    /// @notice Rejects a Pending member (Closed). Operator of the home branch.
    function rejectMember(address account, bytes32 reasonHash) external;
    /// @notice Active to Suspended. Operator of the home branch or supervisor.
    function suspendMember(address account, bytes32 reasonHash) external;
    /// @notice Suspended to Active. Operator of the home branch or supervisor.
    function reinstateMember(address account, bytes32 reasonHash) external;
    /// @notice Closes a member for good. Operator of the home branch when the member holds no
    /// coins; a supervisor otherwise, and the balance is redeemed (burned, purpose Redemption).
    function closeMember(address account, bytes32 reasonHash) external;
    /// @notice Publishes a new profile version. Operator of the home branch.
    function updateProfile(address account, bytes32 commitment, bytes calldata encryptedData)
        external;
    /// @notice Asks `toBranch` to take the member over. The member or an operator of the home
    /// branch.
    function requestMove(address account, uint32 toBranch) external;
    /// @notice Accepts a pending move. Operator of the receiving branch.
    function acceptMove(address account) external;
    /// @notice Withdraws or declines a pending move. The member or an operator of either branch.
    function cancelMove(address account) external;
    /// @notice Sets the risk level. Supervisor or the supervision monitor (any level), or
    /// operator of the home branch (below Blocked, and not below a supervisor's level). Nobody
    /// sets their own.
    function setRiskLevel(address account, RiskLevel level, bytes32 reasonHash) external;
    /// @notice Raises a risk alert on a member. Partner institution only.
    function raiseRiskAlert(address account, bytes32 reasonHash) external returns (uint256 alertId);
    /// @notice Assesses a partner's alert and sets the member's level. Supervisor only.
    function assessRiskAlert(uint256 alertId, RiskLevel level, bytes32 reasonHash) external;
    /// @notice The caller, a member, lets `partner` (a partner institution) hear of changes to
    /// their membership, or withdraws it. Kept by member id: it follows a recovered wallet.
    function setPartnerConsent(address partner, bool granted) external;
    /// @notice Whether the member at `account` lets `partner` hear of changes to it.
    function partnerConsent(address account, address partner) external view returns (bool);
    /// @notice Moves a member's identity, credentials and coins to `newAccount`. The supervision
    /// monitor only, carrying out a recovery an operator requested and a supervisor approved
    /// (`SupervisionDesk.requestRecovery`).
    function recoverMember(address previousAccount, address newAccount, bytes32 reasonHash) external;

    /// @notice The member record of `account` (all zero when none).
    function member(address account) external view returns (Member memory);
    /// @notice The stable member id of `account`, or 0.
    function memberIdOf(address account) external view returns (uint48);
    /// @notice Whether `commitment` matches the member's current profile commitment.
    function verifyProfile(address account, bytes32 commitment) external view returns (bool);
    /// @notice Whether `account` may send and receive coins: Active and below Blocked risk.
    function canTransact(address account) external view returns (bool);
    /// @notice What a coin movement needs to know of `account`, from one storage slot.
    function standing(address account)
        external
        view
        returns (bool eligible, RiskLevel risk, uint40 activatedAt);
    /// @notice A partner risk alert.
    function riskAlert(uint256 alertId) external view returns (RiskAlert memory);
    /// @notice The wallet a member holds now: `account`, or where recoveries moved it.
    function currentAccount(address account) external view returns (address);
    /// @notice Whether `account` was recovered away from (it can never be registered again).
    function retired(address account) external view returns (bool);
}
