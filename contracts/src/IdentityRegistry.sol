// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "./Roles.sol";
import {TimebankManaged} from "./TimebankManaged.sol";
import {MemberStatus, RiskLevel} from "./Types.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {ITimeCoin} from "./interfaces/ITimeCoin.sol";
import {ITimebankAccess} from "./interfaces/ITimebankAccess.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IdentityRegistry: members registered once, after review, valid at every branch
/// @notice A member is submitted by an operator of the home branch and goes live only when a
/// different operator of that branch approves. Every change emits an event naming the branch
/// and the acting operator, supervisor or admin.
/// @dev Invariants: a record's `memberId` is non-zero exactly when it exists; an address that
/// was recovered away from is retired, names its successor and can never be registered again;
/// `Closed` is final and a Closed member holds no coins; every change of status or risk reaches
/// TimeCoin's copy of the standing in the same transaction (`_setStatus`, `_setRisk`); staff
/// never act on their own record.
contract IdentityRegistry is IIdentityRegistry, TimebankManaged {
    mapping(address account => Member) private _members;
    /// @dev A retired address's successor (non-zero exactly for retired addresses).
    mapping(address account => address successor) private _successors;
    mapping(uint48 memberId => mapping(address partner => bool)) private _partnerConsent;
    mapping(bytes32 key => uint48 memberId) private _keyHolder;
    mapping(uint48 memberId => bytes32 key) private _keyOf;
    mapping(uint48 memberId => address account) private _accountOf;
    RiskAlert[] private _alerts;
    uint48 private _lastMemberId;

    /// @notice How long a Pending submission holds its uniqueness key: past it, the submission
    /// can't be approved (an operator rejects it, or submits the person again) and another
    /// submission of the same person takes the key. One operator can't lock a person out of
    /// every branch for longer.
    uint40 public constant KEY_HOLD = 7 days;
    /// @dev The reason of a key released because its submission's hold ran out.
    bytes32 private constant EXPIRED_HOLD = keccak256("timebank.uniqueness.hold-expired");

    /// @notice The coin whose balances follow a wallet recovery; set once wired.
    ITimeCoin public timeCoin;

    constructor(ITimebankAccess access_, address forwarder) TimebankManaged(access_, forwarder) {}

    /// @notice Sets the TimeCoin contract that follows members' standing, once. Platform admin
    /// only.
    function setTimeCoin(ITimeCoin timeCoin_) external {
        address admin = _requireRole(Roles.ADMIN);
        if (address(timeCoin) != address(0)) {
            revert IdentityRegistryTimeCoinAlreadySet(address(timeCoin));
        }
        timeCoin = timeCoin_;
        emit TimeCoinSet(address(timeCoin_), admin);
    }

    /// @inheritdoc IIdentityRegistry
    function submitMember(
        address account,
        uint32 branchId,
        bytes32 commitment,
        bytes calldata encryptedData
    ) external returns (uint48 memberId) {
        address operator = _requireOperator(branchId);
        if (account == address(0)) revert IdentityRegistryZeroAddress();
        if (operator == account) revert IdentityRegistrySelfAction(operator);
        _requireUnregistered(account);
        _checkProfile(commitment, encryptedData);

        memberId = ++_lastMemberId;
        _accountOf[memberId] = account;
        Member storage m = _members[account];
        m.memberId = memberId;
        m.homeBranch = branchId;
        m.status = MemberStatus.Pending;
        m.profileVersion = 1;
        m.submittedAt = uint40(block.timestamp);
        m.updatedAt = uint40(block.timestamp);
        m.submittedBy = operator;
        m.profileCommitment = commitment;

        emit MemberSubmitted(account, memberId, branchId, operator);
        emit ProfileUpdated(account, memberId, branchId, 1, commitment, encryptedData, operator);
    }

    /// @inheritdoc IIdentityRegistry
    function bindUniquenessKey(address account, bytes32 key) external {
        Member storage m = _member(account);
        // The gateway's own key, never a forwarded request: the key is the platform's
        // computation from the sealed profile, not anything an operator or member supplies.
        bytes32 gateway = Roles.gateway(m.homeBranch);
        if (!access.hasRole(gateway, msg.sender)) {
            revert IAccessControl.AccessControlUnauthorizedAccount(msg.sender, gateway);
        }
        _requireStatus(account, m, MemberStatus.Pending);
        if (_keyOf[m.memberId] != bytes32(0)) revert IdentityRegistryKeyAlreadyBound(account);
        _requireUnexpired(account, m);
        _holdKey(m.memberId, key, msg.sender);
    }

    /// @inheritdoc IIdentityRegistry
    function approveMember(address account) external {
        Member storage m = _member(account);
        address operator = _requireStaff(account, _requireOperator(m.homeBranch));
        if (operator == m.submittedBy) revert IdentityRegistrySelfApproval(operator);
        _requireStatus(account, m, MemberStatus.Pending);
        // The person's key, bound by the branch's gateway, and still held: one person, one
        // membership is decided here, at the second operator's approval.
        _requireUnexpired(account, m);
        if (_keyOf[m.memberId] == bytes32(0)) revert IdentityRegistryKeyNotBound(account);
        m.activatedAt = uint40(block.timestamp);
        _setStatus(account, m, MemberStatus.Active, operator, bytes32(0));
    }

    /// @inheritdoc IIdentityRegistry
    function rejectMember(address account, bytes32 reasonHash) external {
        Member storage m = _member(account);
        address operator = _requireStaff(account, _requireOperator(m.homeBranch));
        _requireStatus(account, m, MemberStatus.Pending);
        // A rejected application never was a membership: the person may apply again.
        _releaseKey(m.memberId, operator, reasonHash);
        _setStatus(account, m, MemberStatus.Closed, operator, reasonHash);
    }

    /// @inheritdoc IIdentityRegistry
    function setUniquenessKey(address account, bytes32 key) external {
        address admin = _requireRole(Roles.ADMIN);
        _holdKey(_member(account).memberId, key, admin);
    }

    /// @inheritdoc IIdentityRegistry
    function releaseUniquenessKey(address account, bytes32 reasonHash) external {
        address supervisor = _requireRole(Roles.SUPERVISOR);
        Member storage m = _member(account);
        _requireStatus(account, m, MemberStatus.Closed);
        _releaseKey(m.memberId, supervisor, reasonHash);
    }

    /// @inheritdoc IIdentityRegistry
    function memberOfKey(bytes32 key) external view returns (uint48) {
        uint48 holder = _keyHolder[key];
        return _holds(holder) ? holder : 0;
    }

    /// @inheritdoc IIdentityRegistry
    function uniquenessKeyOf(address account) external view returns (bytes32) {
        return _keyOf[_members[currentAccount(account)].memberId];
    }

    /// @inheritdoc IIdentityRegistry
    function suspendMember(address account, bytes32 reasonHash) external {
        Member storage m = _member(account);
        address actor = _requireStaff(account, _requireOperatorOrSupervisor(m.homeBranch));
        _requireStatus(account, m, MemberStatus.Active);
        _setStatus(account, m, MemberStatus.Suspended, actor, reasonHash);
    }

    /// @inheritdoc IIdentityRegistry
    function reinstateMember(address account, bytes32 reasonHash) external {
        Member storage m = _member(account);
        address actor = _requireStaff(account, _requireOperatorOrSupervisor(m.homeBranch));
        _requireStatus(account, m, MemberStatus.Suspended);
        _setStatus(account, m, MemberStatus.Active, actor, reasonHash);
    }

    /// @inheritdoc IIdentityRegistry
    function closeMember(address account, bytes32 reasonHash) external {
        Member storage m = _member(account);
        address actor = _requireStaff(account, _requireOperatorOrSupervisor(m.homeBranch));
        if (m.status == MemberStatus.Closed) {
            revert IdentityRegistryInvalidStatus(account, m.status);
        }
        ITimeCoin coin = timeCoin;
        uint256 balance = address(coin) == address(0) ? 0 : IERC20(address(coin)).balanceOf(account);
        if (balance != 0 && !_isSupervisor(actor)) {
            revert IdentityRegistryBalanceNeedsSupervisor(account, balance);
        }
        m.pendingMoveTo = 0;
        _setStatus(account, m, MemberStatus.Closed, actor, reasonHash);
        // The coins go back to the bank rather than stay frozen forever. State is final
        // before the call; the coin is a trusted platform contract.
        if (balance != 0) coin.redeemClosed(account, reasonHash);
    }

    /// @inheritdoc IIdentityRegistry
    function updateProfile(address account, bytes32 commitment, bytes calldata encryptedData)
        external
    {
        Member storage m = _member(account);
        address operator = _requireStaff(account, _requireOperator(m.homeBranch));
        if (m.status == MemberStatus.Closed) {
            revert IdentityRegistryInvalidStatus(account, m.status);
        }
        _checkProfile(commitment, encryptedData);
        uint32 version = ++m.profileVersion;
        m.profileCommitment = commitment;
        m.updatedAt = uint40(block.timestamp);
        emit ProfileUpdated(
            account, m.memberId, m.homeBranch, version, commitment, encryptedData, operator
        );
    }

    /// @inheritdoc IIdentityRegistry
    function requestMove(address account, uint32 toBranch) external {
        Member storage m = _member(account);
        address actor = _msgSender();
        if (actor != account) _requireOperator(m.homeBranch);
        _requireStatus(account, m, MemberStatus.Active);
        if (toBranch == m.homeBranch || !access.isActiveBranch(toBranch)) {
            revert IdentityRegistryInvalidMoveTarget(toBranch);
        }
        m.pendingMoveTo = toBranch;
        m.updatedAt = uint40(block.timestamp);
        emit MoveRequested(account, m.memberId, m.homeBranch, toBranch, actor);
    }

    /// @inheritdoc IIdentityRegistry
    function acceptMove(address account) external {
        Member storage m = _member(account);
        uint32 toBranch = m.pendingMoveTo;
        if (toBranch == 0) revert IdentityRegistryNoPendingMove(account);
        address operator = _requireStaff(account, _requireOperator(toBranch));
        _requireStatus(account, m, MemberStatus.Active);
        uint32 fromBranch = m.homeBranch;
        m.homeBranch = toBranch;
        m.pendingMoveTo = 0;
        m.updatedAt = uint40(block.timestamp);
        emit MemberMoved(account, m.memberId, toBranch, fromBranch, operator);
    }

    /// @inheritdoc IIdentityRegistry
    function cancelMove(address account) external {
        Member storage m = _member(account);
        uint32 toBranch = m.pendingMoveTo;
        if (toBranch == 0) revert IdentityRegistryNoPendingMove(account);
        address actor = _msgSender();
        if (
            actor != account && !access.isOperator(actor, m.homeBranch)
                && !access.isOperator(actor, toBranch)
        ) {
            revert IAccessControl.AccessControlUnauthorizedAccount(actor, Roles.operator(toBranch));
        }
        m.pendingMoveTo = 0;
        m.updatedAt = uint40(block.timestamp);
        emit MoveCancelled(account, m.memberId, m.homeBranch, toBranch, actor);
    }

    /// @inheritdoc IIdentityRegistry
    function setRiskLevel(address account, RiskLevel level, bytes32 reasonHash) external {
        Member storage m = _member(account);
        address actor = _msgSender();
        // Supervisors and the supervision monitor may set any level; the home branch's
        // operators anything below Blocked, never lift a Blocked member, and never go below
        // the level supervision set.
        bool supervising = _isSupervisor(actor) || access.hasRole(Roles.MONITOR, actor);
        if (supervising) {
            m.supervisedRisk = level;
        } else {
            if (!access.isOperator(actor, m.homeBranch)) {
                revert IAccessControl.AccessControlUnauthorizedAccount(
                    actor, Roles.operator(m.homeBranch)
                );
            }
            if (level == RiskLevel.Blocked || m.risk == RiskLevel.Blocked) {
                revert IdentityRegistryBlockedNeedsSupervisor(actor);
            }
            if (level < m.supervisedRisk) {
                revert IdentityRegistryRiskSetBySupervision(account, m.supervisedRisk);
            }
        }
        _requireStaff(account, actor);
        _setRisk(account, m, level, actor, reasonHash);
    }

    /// @inheritdoc IIdentityRegistry
    function raiseRiskAlert(address account, bytes32 reasonHash)
        external
        returns (uint256 alertId)
    {
        address partner = _requireRole(Roles.PARTNER);
        _member(account);
        _alerts.push(
            RiskAlert({account: account, partner: partner, assessed: false, reasonHash: reasonHash})
        );
        alertId = _alerts.length;
        emit RiskAlertRaised(alertId, account, partner, reasonHash);
    }

    /// @inheritdoc IIdentityRegistry
    function setPartnerConsent(address partner, bool granted) external {
        address account = _msgSender();
        Member storage m = _member(account);
        if (m.status == MemberStatus.Closed) {
            revert IdentityRegistryInvalidStatus(account, m.status);
        }
        if (granted && !access.hasRole(Roles.PARTNER, partner)) {
            revert IdentityRegistryNotPartner(partner);
        }
        _partnerConsent[m.memberId][partner] = granted;
        emit PartnerConsentChanged(account, m.memberId, partner, granted);
    }

    /// @inheritdoc IIdentityRegistry
    function partnerConsent(address account, address partner) external view returns (bool) {
        return _partnerConsent[_members[currentAccount(account)].memberId][partner];
    }

    /// @inheritdoc IIdentityRegistry
    function assessRiskAlert(uint256 alertId, RiskLevel level, bytes32 reasonHash) external {
        address supervisor = _requireRole(Roles.SUPERVISOR);
        if (alertId == 0 || alertId > _alerts.length || _alerts[alertId - 1].assessed) {
            revert IdentityRegistryInvalidAlert(alertId);
        }
        RiskAlert storage alert = _alerts[alertId - 1];
        // The member may have been recovered to a new wallet since the alert was raised.
        address account = currentAccount(alert.account);
        _requireStaff(account, supervisor);
        alert.assessed = true;
        Member storage m = _members[account];
        m.supervisedRisk = level;
        emit RiskAlertAssessed(alertId, account, supervisor, level, reasonHash);
        if (m.risk != level) _setRisk(account, m, level, supervisor, reasonHash);
    }

    /// @inheritdoc IIdentityRegistry
    function recoverMember(address previousAccount, address newAccount, bytes32 reasonHash)
        external
    {
        address desk = _requireRole(Roles.MONITOR);
        Member memory m = _member(previousAccount);
        if (m.status == MemberStatus.Closed) {
            revert IdentityRegistryInvalidStatus(previousAccount, m.status);
        }
        _requireUnregistered(newAccount);
        m.updatedAt = uint40(block.timestamp);
        _members[newAccount] = m;
        delete _members[previousAccount];
        _successors[previousAccount] = newAccount;
        _accountOf[m.memberId] = newAccount;
        emit MemberRecovered(
            previousAccount, newAccount, m.memberId, m.homeBranch, desk, reasonHash
        );

        // State is final before the call; the coin is a trusted platform contract.
        ITimeCoin coin = timeCoin;
        if (address(coin) != address(0)) coin.recoverMember(previousAccount, newAccount);
    }

    /// @inheritdoc IIdentityRegistry
    function member(address account) external view returns (Member memory) {
        return _members[account];
    }

    /// @inheritdoc IIdentityRegistry
    function memberIdOf(address account) external view returns (uint48) {
        return _members[account].memberId;
    }

    /// @inheritdoc IIdentityRegistry
    function verifyProfile(address account, bytes32 commitment) external view returns (bool) {
        Member storage m = _members[account];
        return m.memberId != 0 && commitment != bytes32(0) && m.profileCommitment == commitment;
    }

    /// @inheritdoc IIdentityRegistry
    function canTransact(address account) external view returns (bool) {
        Member storage m = _members[account];
        return m.status == MemberStatus.Active && m.risk != RiskLevel.Blocked;
    }

    /// @inheritdoc IIdentityRegistry
    function standing(address account)
        external
        view
        returns (bool eligible, RiskLevel risk, uint40 activatedAt)
    {
        Member storage m = _members[account];
        return
            (m.status == MemberStatus.Active && m.risk != RiskLevel.Blocked, m.risk, m.activatedAt);
    }

    /// @inheritdoc IIdentityRegistry
    function riskAlert(uint256 alertId) external view returns (RiskAlert memory) {
        if (alertId == 0 || alertId > _alerts.length) revert IdentityRegistryInvalidAlert(alertId);
        return _alerts[alertId - 1];
    }

    /// @inheritdoc IIdentityRegistry
    function currentAccount(address account) public view returns (address) {
        // Each recovery adds one link and needs an operator's request and a supervisor's
        // approval, so the chain stays as short as a member's history of lost wallets.
        address next = _successors[account];
        while (next != address(0)) {
            account = next;
            next = _successors[account];
        }
        return account;
    }

    /// @inheritdoc IIdentityRegistry
    function retired(address account) external view returns (bool) {
        return _successors[account] != address(0);
    }

    /// @dev Tells the coin that `account`'s standing changed; it reads the new standing back
    /// from this registry. Called after the state change and its event.
    function _syncCoin(address account) private {
        ITimeCoin coin = timeCoin;
        if (address(coin) != address(0)) coin.syncMember(account);
    }

    /// @dev Returns `actor` after checking it is not the member `account` itself.
    function _requireStaff(address account, address actor) private pure returns (address) {
        if (actor == account) revert IdentityRegistrySelfAction(actor);
        return actor;
    }

    function _requireUnregistered(address account) private view {
        if (account == address(0)) revert IdentityRegistryZeroAddress();
        if (_members[account].memberId != 0 || _successors[account] != address(0)) {
            revert IdentityRegistryAlreadyRegistered(account);
        }
    }

    /// @dev `memberId` holds `key` (replacing its previous one); refused if another holds it.
    /// A Pending submission past its hold loses the key to the one that needs it.
    function _holdKey(uint48 memberId, bytes32 key, address actor) private {
        if (key == bytes32(0)) revert IdentityRegistryInvalidUniquenessKey();
        uint48 holder = _keyHolder[key];
        if (holder != 0 && holder != memberId) {
            if (_holds(holder)) {
                revert IdentityRegistryDuplicateMember(
                    holder, _members[_accountOf[holder]].homeBranch
                );
            }
            _releaseKey(holder, actor, EXPIRED_HOLD);
        }
        bytes32 previous = _keyOf[memberId];
        if (previous != bytes32(0)) delete _keyHolder[previous];
        _keyHolder[key] = memberId;
        _keyOf[memberId] = key;
        emit UniquenessKeySet(memberId, previous, key, actor);
    }

    /// @dev Whether `memberId` still holds its key: any membership does but a Pending
    /// submission older than `KEY_HOLD`.
    function _holds(uint48 memberId) private view returns (bool) {
        if (memberId == 0) return false;
        Member storage m = _members[_accountOf[memberId]];
        return m.status != MemberStatus.Pending || block.timestamp <= m.submittedAt + KEY_HOLD;
    }

    function _requireUnexpired(address account, Member storage m) private view {
        uint40 expiresAt = m.submittedAt + KEY_HOLD;
        if (block.timestamp > expiresAt) {
            revert IdentityRegistrySubmissionExpired(account, expiresAt);
        }
    }

    function _releaseKey(uint48 memberId, address actor, bytes32 reasonHash) private {
        bytes32 key = _keyOf[memberId];
        if (key == bytes32(0)) return;
        delete _keyHolder[key];
        delete _keyOf[memberId];
        emit UniquenessKeyReleased(memberId, key, actor, reasonHash);
    }

    function _member(address account) private view returns (Member storage m) {
        m = _members[account];
        if (m.memberId == 0) revert IdentityRegistryUnknownMember(account);
    }

    function _requireOperatorOrSupervisor(uint32 branchId) private view returns (address actor) {
        actor = _msgSender();
        if (!access.isOperator(actor, branchId) && !_isSupervisor(actor)) {
            revert IAccessControl.AccessControlUnauthorizedAccount(actor, Roles.operator(branchId));
        }
    }

    function _requireStatus(address account, Member storage m, MemberStatus expected) private view {
        if (m.status != expected) revert IdentityRegistryInvalidStatus(account, m.status);
    }

    function _setStatus(
        address account,
        Member storage m,
        MemberStatus status,
        address actor,
        bytes32 reasonHash
    ) private {
        MemberStatus previous = m.status;
        m.status = status;
        m.updatedAt = uint40(block.timestamp);
        emit MemberStatusChanged(
            account, m.memberId, m.homeBranch, previous, status, actor, reasonHash
        );
        _syncCoin(account);
    }

    function _setRisk(
        address account,
        Member storage m,
        RiskLevel level,
        address actor,
        bytes32 reasonHash
    ) private {
        RiskLevel previous = m.risk;
        if (previous == level) revert IdentityRegistryUnchangedRisk(account, level);
        m.risk = level;
        m.updatedAt = uint40(block.timestamp);
        emit RiskLevelChanged(account, m.memberId, m.homeBranch, previous, level, actor, reasonHash);
        _syncCoin(account);
    }

    function _checkProfile(bytes32 commitment, bytes calldata encryptedData) private pure {
        if (commitment == bytes32(0) || encryptedData.length == 0) {
            revert IdentityRegistryInvalidProfile();
        }
    }
}
