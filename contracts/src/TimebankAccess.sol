// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "./Roles.sol";
import {ITimebankAccess} from "./interfaces/ITimebankAccess.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {
    AccessControlDefaultAdminRules
} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";

/// @title TimebankAccess: roles and branches
/// @notice Every other timebank contract asks this one who may call it.
/// @dev Invariants kept by every override: an account holds the operator role of at most one
/// branch, and `operatorBranch(account)` names that branch (or 0); the ledger, monitor,
/// supervisor and governor roles are granted only by a governor; a branch's key is a valid
/// X25519 public key and changes only after `branchKeyDelay` with two parties' consent. The
/// platform admin is a single account changed through OpenZeppelin's two-step, delayed admin
/// transfer.
contract TimebankAccess is ITimebankAccess, AccessControlDefaultAdminRules, ERC2771Context {
    /// @inheritdoc ITimebankAccess
    uint48 public immutable branchKeyDelay;

    // The X25519 u-coordinates of small order besides 0, as libsodium lists them (encoded
    // little-endian, as keys are): 1, two points of order 8, p - 1, and p and p + 1
    // (non-canonical 0 and 1). A Diffie-Hellman result with any of them is known in advance.
    bytes32 private constant _U_ONE = bytes32(uint256(1) << 248);
    bytes32 private constant _U_ORDER8_A =
        0xe0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800;
    bytes32 private constant _U_ORDER8_B =
        0x5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157;
    bytes32 private constant _U_P_MINUS_1 =
        0xecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f;
    bytes32 private constant _U_P =
        0xedffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f;
    bytes32 private constant _U_P_PLUS_1 =
        0xeeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f;

    Branch[] private _branches;
    mapping(uint32 branchId => KeyProposal) private _keyProposals;
    mapping(uint32 branchId => AccessLogAnchor) private _anchors;
    mapping(address account => uint32 branchId) private _operatorBranch;
    /// @dev Reverse map from a derived operator role to its branch, so grants can be scoped.
    mapping(bytes32 role => uint32 branchId) private _roleBranch;

    /// @param adminDelay Delay of a platform admin transfer (OpenZeppelin DefaultAdminRules).
    /// @param admin The first platform admin.
    /// @param governor The first holder of `Roles.GOVERNOR` (the deployer while it wires the
    /// contracts, then the timelock).
    /// @param keyDelay Seconds between a branch key proposal and its earliest confirmation.
    /// @param forwarder The trusted ERC-2771 forwarder.
    constructor(
        uint48 adminDelay,
        address admin,
        address governor,
        uint48 keyDelay,
        address forwarder
    ) AccessControlDefaultAdminRules(adminDelay, admin) ERC2771Context(forwarder) {
        branchKeyDelay = keyDelay;
        _setRoleAdmin(Roles.LEDGER, Roles.GOVERNOR);
        _setRoleAdmin(Roles.MONITOR, Roles.GOVERNOR);
        _setRoleAdmin(Roles.SUPERVISOR, Roles.GOVERNOR);
        _setRoleAdmin(Roles.GOVERNOR, Roles.GOVERNOR);
        _grantRole(Roles.GOVERNOR, governor);
    }

    /// @inheritdoc ITimebankAccess
    function addBranch(string calldata name, string calldata region, bytes32 publicKey)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
        returns (uint32 branchId)
    {
        if (bytes(name).length == 0) revert TimebankAccessInvalidBranch();
        _requireValidKey(publicKey);
        _branches.push(Branch({name: name, region: region, publicKey: publicKey, active: true}));
        branchId = uint32(_branches.length);
        _roleBranch[Roles.operator(branchId)] = branchId;
        emit BranchAdded(branchId, name, region, publicKey, _msgSender());
    }

    /// @inheritdoc ITimebankAccess
    function updateBranch(uint32 branchId, string calldata name, string calldata region) external {
        Branch storage b = _branch(branchId);
        address actor = _requireAdminOrOperator(branchId);
        if (bytes(name).length == 0) revert TimebankAccessInvalidBranch();
        b.name = name;
        b.region = region;
        emit BranchUpdated(branchId, name, region, actor);
    }

    /// @inheritdoc ITimebankAccess
    function setBranchActive(uint32 branchId, bool active) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _branch(branchId).active = active;
        emit BranchActiveChanged(branchId, active, _msgSender());
    }

    /// @inheritdoc ITimebankAccess
    function proposeBranchKey(uint32 branchId, bytes32 publicKey) external {
        Branch storage b = _branch(branchId);
        address proposer = _requireAdminOrOperator(branchId);
        _requireValidKey(publicKey);
        uint48 effectiveAt = uint48(block.timestamp) + branchKeyDelay;
        _keyProposals[branchId] =
            KeyProposal({publicKey: publicKey, proposer: proposer, effectiveAt: effectiveAt});
        emit BranchKeyProposed(branchId, b.publicKey, publicKey, proposer, effectiveAt);
    }

    /// @inheritdoc ITimebankAccess
    function confirmBranchKey(uint32 branchId) external {
        Branch storage b = _branch(branchId);
        address confirmer = _requireAdminOrOperator(branchId);
        KeyProposal memory p = _keyProposals[branchId];
        if (p.proposer == address(0)) revert TimebankAccessNoKeyProposal(branchId);
        if (confirmer == p.proposer) revert TimebankAccessSelfConfirmation(confirmer);
        if (block.timestamp < p.effectiveAt) {
            revert TimebankAccessKeyNotReady(branchId, p.effectiveAt);
        }
        delete _keyProposals[branchId];
        bytes32 previous = b.publicKey;
        b.publicKey = p.publicKey;
        emit BranchKeyChanged(branchId, previous, p.publicKey, p.proposer, confirmer);
    }

    /// @inheritdoc ITimebankAccess
    function cancelBranchKey(uint32 branchId) external {
        _branch(branchId);
        address actor = _requireAdminOrOperator(branchId);
        bytes32 proposed = _keyProposals[branchId].publicKey;
        if (proposed == bytes32(0)) revert TimebankAccessNoKeyProposal(branchId);
        delete _keyProposals[branchId];
        emit BranchKeyProposalCancelled(branchId, proposed, actor);
    }

    /// @inheritdoc ITimebankAccess
    function anchorAccessLog(uint32 branchId, uint64 entries, bytes32 head) external {
        _branch(branchId);
        // The gateway's own key, never a forwarded request: a member's signature can't anchor.
        _checkRole(Roles.gateway(branchId), msg.sender);
        uint64 anchored = _anchors[branchId].entries;
        if (entries <= anchored) revert TimebankAccessStaleAnchor(branchId, entries, anchored);
        _anchors[branchId] =
            AccessLogAnchor({entries: entries, head: head, at: uint48(block.timestamp)});
        emit AccessLogAnchored(branchId, entries, head, msg.sender);
    }

    /// @notice Revokes `role` from `account`. The role's admin may, as in AccessControl, and the
    /// platform admin may revoke every role the governor grants (but the governor's own) at
    /// once: taking power away is never delayed, granting it is.
    function revokeRole(bytes32 role, address account)
        public
        override(AccessControlDefaultAdminRules, IAccessControl)
    {
        if (
            (role == Roles.LEDGER || role == Roles.MONITOR || role == Roles.SUPERVISOR)
                && hasRole(DEFAULT_ADMIN_ROLE, _msgSender())
        ) {
            _revokeRole(role, account);
            return;
        }
        super.revokeRole(role, account);
    }

    /// @inheritdoc ITimebankAccess
    function branch(uint32 branchId) external view returns (Branch memory) {
        return _branch(branchId);
    }

    /// @inheritdoc ITimebankAccess
    function accessLogAnchor(uint32 branchId) external view returns (AccessLogAnchor memory) {
        return _anchors[branchId];
    }

    /// @inheritdoc ITimebankAccess
    function keyProposal(uint32 branchId) external view returns (KeyProposal memory) {
        return _keyProposals[branchId];
    }

    /// @inheritdoc ITimebankAccess
    function branchCount() external view returns (uint32) {
        return uint32(_branches.length);
    }

    /// @inheritdoc ITimebankAccess
    function isActiveBranch(uint32 branchId) public view returns (bool) {
        return branchId != 0 && branchId <= _branches.length && _branches[branchId - 1].active;
    }

    /// @inheritdoc ITimebankAccess
    function operatorBranch(address account) external view returns (uint32) {
        return _operatorBranch[account];
    }

    /// @inheritdoc ITimebankAccess
    function isOperator(address account, uint32 branchId) public view returns (bool) {
        return branchId != 0 && _operatorBranch[account] == branchId && isActiveBranch(branchId);
    }

    /// @inheritdoc ITimebankAccess
    function isIssuer(address account, uint32 typeId) external view returns (bool) {
        return hasRole(Roles.issuer(typeId), account);
    }

    /// @inheritdoc ITimebankAccess
    function operatorRole(uint32 branchId) external pure returns (bytes32) {
        return Roles.operator(branchId);
    }

    /// @inheritdoc ITimebankAccess
    function issuerRole(uint32 typeId) external pure returns (bytes32) {
        return Roles.issuer(typeId);
    }

    /// @inheritdoc ITimebankAccess
    function gatewayRole(uint32 branchId) external pure returns (bytes32) {
        return Roles.gateway(branchId);
    }

    /// @inheritdoc ITimebankAccess
    function isValidBranchKey(bytes32 publicKey) public pure returns (bool) {
        // X25519 ignores the top bit of the last byte (RFC 7748, 5): compare without it.
        bytes32 k = publicKey & ~bytes32(uint256(0x80));
        return k != bytes32(0) && k != _U_ONE && k != _U_ORDER8_A && k != _U_ORDER8_B
            && k != _U_P_MINUS_1 && k != _U_P && k != _U_P_PLUS_1;
    }

    /// @dev Scopes operator roles to one branch per account and records which.
    function _grantRole(bytes32 role, address account) internal override returns (bool granted) {
        uint32 branchId = _roleBranch[role];
        if (branchId != 0) {
            uint32 current = _operatorBranch[account];
            if (current != 0 && current != branchId) {
                revert TimebankAccessOperatorOfOtherBranch(account, current);
            }
        }
        granted = super._grantRole(role, account);
        if (granted && branchId != 0) {
            _operatorBranch[account] = branchId;
            emit OperatorChanged(account, branchId, true, _msgSender());
        }
    }

    function _revokeRole(bytes32 role, address account) internal override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        uint32 branchId = _roleBranch[role];
        if (revoked && branchId != 0) {
            delete _operatorBranch[account];
            emit OperatorChanged(account, branchId, false, _msgSender());
        }
    }

    function _branch(uint32 branchId) private view returns (Branch storage) {
        if (branchId == 0 || branchId > _branches.length) {
            revert TimebankAccessUnknownBranch(branchId);
        }
        return _branches[branchId - 1];
    }

    function _requireAdminOrOperator(uint32 branchId) private view returns (address actor) {
        actor = _msgSender();
        if (!hasRole(DEFAULT_ADMIN_ROLE, actor) && !isOperator(actor, branchId)) {
            revert AccessControlUnauthorizedAccount(actor, Roles.operator(branchId));
        }
    }

    function _requireValidKey(bytes32 publicKey) private pure {
        if (!isValidBranchKey(publicKey)) revert TimebankAccessInvalidKey(publicKey);
    }

    // ---- ERC-2771: the signer of a forwarded request is the caller -------------------------

    function _msgSender() internal view override(Context, ERC2771Context) returns (address) {
        return ERC2771Context._msgSender();
    }

    function _msgData() internal view override(Context, ERC2771Context) returns (bytes calldata) {
        return ERC2771Context._msgData();
    }

    function _contextSuffixLength()
        internal
        view
        override(Context, ERC2771Context)
        returns (uint256)
    {
        return ERC2771Context._contextSuffixLength();
    }
}
