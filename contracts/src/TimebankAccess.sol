// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "./Roles.sol";
import {ITimebankAccess} from "./interfaces/ITimebankAccess.sol";
import {
    AccessControlDefaultAdminRules
} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";

/// @title TimebankAccess: roles and branches
/// @notice Every other timebank contract asks this one who may call it.
/// @dev Invariant kept by every override: an account holds the operator role of at most one
/// branch, and `operatorBranch(account)` names that branch (or 0). The platform admin is a
/// single account changed through OpenZeppelin's two-step, delayed admin transfer.
contract TimebankAccess is ITimebankAccess, AccessControlDefaultAdminRules, ERC2771Context {
    Branch[] private _branches;
    mapping(address account => uint32 branchId) private _operatorBranch;
    /// @dev Reverse map from a derived operator role to its branch, so grants can be scoped.
    mapping(bytes32 role => uint32 branchId) private _roleBranch;

    /// @param adminDelay Delay of a platform admin transfer (OpenZeppelin DefaultAdminRules).
    /// @param admin The first platform admin.
    /// @param forwarder The trusted ERC-2771 forwarder.
    constructor(uint48 adminDelay, address admin, address forwarder)
        AccessControlDefaultAdminRules(adminDelay, admin)
        ERC2771Context(forwarder)
    {}

    /// @inheritdoc ITimebankAccess
    function addBranch(string calldata name, string calldata region, bytes calldata publicKey)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
        returns (uint32 branchId)
    {
        _checkBranchFields(name, publicKey);
        _branches.push(Branch({name: name, region: region, publicKey: publicKey, active: true}));
        branchId = uint32(_branches.length);
        bytes32 role = Roles.operator(branchId);
        _roleBranch[role] = branchId;
        emit BranchAdded(branchId, name, region, publicKey, _msgSender());
    }

    /// @inheritdoc ITimebankAccess
    function updateBranch(
        uint32 branchId,
        string calldata name,
        string calldata region,
        bytes calldata publicKey
    ) external {
        Branch storage b = _branch(branchId);
        address actor = _msgSender();
        if (!hasRole(DEFAULT_ADMIN_ROLE, actor) && !isOperator(actor, branchId)) {
            revert AccessControlUnauthorizedAccount(actor, Roles.operator(branchId));
        }
        _checkBranchFields(name, publicKey);
        b.name = name;
        b.region = region;
        b.publicKey = publicKey;
        emit BranchUpdated(branchId, name, region, publicKey, actor);
    }

    /// @inheritdoc ITimebankAccess
    function setBranchActive(uint32 branchId, bool active) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _branch(branchId).active = active;
        emit BranchActiveChanged(branchId, active, _msgSender());
    }

    /// @inheritdoc ITimebankAccess
    function branch(uint32 branchId) external view returns (Branch memory) {
        return _branch(branchId);
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

    function _checkBranchFields(string calldata name, bytes calldata publicKey) private pure {
        if (bytes(name).length == 0 || publicKey.length == 0) revert TimebankAccessInvalidBranch();
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
