// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "./Roles.sol";
import {TimebankManaged} from "./TimebankManaged.sol";
import {CredentialKind, MemberStatus} from "./Types.sol";
import {ICredentialRegistry} from "./interfaces/ICredentialRegistry.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {ITimebankAccess} from "./interfaces/ITimebankAccess.sol";

/// @title CredentialRegistry: identity checks, licences and certificates from trusted issuers
/// @notice Issuers are trusted per credential type (`TimebankAccess.issuerRole(typeId)`).
/// Documents members upload themselves are recorded under SelfDeclared types: visible, but
/// never issued by a trusted party, so no activity can require them.
/// @dev Invariant: only an issuer of the type (or, for SelfDeclared types, the member) ever
/// writes a credential of that type; validity is decided at the current block, from the
/// credential, its type's activity and its issuer's role.
contract CredentialRegistry is ICredentialRegistry, TimebankManaged {
    IIdentityRegistry public immutable identity;

    CredentialType[] private _types;
    mapping(uint48 memberId => mapping(uint32 typeId => Credential)) private _credentials;

    constructor(ITimebankAccess access_, IIdentityRegistry identity_, address forwarder)
        TimebankManaged(access_, forwarder)
    {
        identity = identity_;
    }

    /// @inheritdoc ICredentialRegistry
    function defineCredentialType(CredentialKind kind, string calldata name)
        external
        returns (uint32 typeId)
    {
        address admin = _requireRole(Roles.ADMIN);
        if (bytes(name).length == 0) revert CredentialRegistryInvalidType();
        _types.push(CredentialType({kind: kind, active: true, name: name}));
        typeId = uint32(_types.length);
        emit CredentialTypeDefined(typeId, kind, name, admin);
    }

    /// @inheritdoc ICredentialRegistry
    function setCredentialTypeActive(uint32 typeId, bool active) external {
        address admin = _requireRole(Roles.ADMIN);
        _type(typeId).active = active;
        emit CredentialTypeActiveChanged(typeId, active, admin);
    }

    /// @inheritdoc ICredentialRegistry
    function issueCredential(address account, uint32 typeId, bytes32 documentHash, uint40 expiresAt)
        external
    {
        CredentialType storage t = _type(typeId);
        address issuer = _requireRole(Roles.issuer(typeId));
        if (!t.active || t.kind == CredentialKind.SelfDeclared) {
            revert CredentialRegistryTypeNotIssuable(typeId);
        }
        _record(account, typeId, issuer, documentHash, expiresAt);
    }

    /// @inheritdoc ICredentialRegistry
    function declareCredential(uint32 typeId, bytes32 documentHash, uint40 expiresAt) external {
        CredentialType storage t = _type(typeId);
        if (!t.active || t.kind != CredentialKind.SelfDeclared) {
            revert CredentialRegistryTypeNotIssuable(typeId);
        }
        address account = _msgSender();
        _record(account, typeId, account, documentHash, expiresAt);
    }

    /// @inheritdoc ICredentialRegistry
    function renewCredential(address account, uint32 typeId, bytes32 documentHash, uint40 expiresAt)
        external
    {
        _type(typeId);
        address issuer = _requireRole(Roles.issuer(typeId));
        uint48 memberId = _memberId(account);
        Credential storage c = _credentials[memberId][typeId];
        if (c.issuedAt == 0 || c.revoked) revert CredentialRegistryNoCredential(account, typeId);
        _checkExpiry(expiresAt);
        c.issuer = issuer;
        c.expiresAt = expiresAt;
        c.documentHash = documentHash;
        emit CredentialRenewed(account, memberId, typeId, issuer, documentHash, expiresAt);
    }

    /// @inheritdoc ICredentialRegistry
    function revokeCredential(address account, uint32 typeId, bytes32 reasonHash) external {
        CredentialType storage t = _type(typeId);
        address actor = _msgSender();
        if (!(t.kind == CredentialKind.SelfDeclared && actor == account)) {
            _requireRole(Roles.issuer(typeId));
        }
        uint48 memberId = identity.memberIdOf(account);
        Credential storage c = _credentials[memberId][typeId];
        if (memberId == 0 || c.issuedAt == 0 || c.revoked) {
            revert CredentialRegistryNoCredential(account, typeId);
        }
        c.revoked = true;
        emit CredentialRevoked(account, memberId, typeId, actor, reasonHash);
    }

    /// @inheritdoc ICredentialRegistry
    function hasValidCredential(address account, uint32 typeId) external view returns (bool) {
        uint48 memberId = identity.memberIdOf(account);
        if (memberId == 0 || typeId == 0 || typeId > _types.length) return false;
        Credential storage c = _credentials[memberId][typeId];
        if (c.issuedAt == 0 || c.revoked || block.timestamp >= c.expiresAt) return false;
        // Recognition ends with the type's, and with the trust in its issuer: a credential is
        // only as good as the issuer that still holds the role for its type.
        CredentialType storage t = _types[typeId - 1];
        return
            t.active && (t.kind == CredentialKind.SelfDeclared || access.isIssuer(c.issuer, typeId));
    }

    /// @inheritdoc ICredentialRegistry
    function credential(address account, uint32 typeId) external view returns (Credential memory) {
        return _credentials[identity.memberIdOf(account)][typeId];
    }

    /// @inheritdoc ICredentialRegistry
    function credentialType(uint32 typeId) external view returns (CredentialType memory) {
        return _type(typeId);
    }

    /// @inheritdoc ICredentialRegistry
    function credentialTypeCount() external view returns (uint32) {
        return uint32(_types.length);
    }

    function _record(
        address account,
        uint32 typeId,
        address issuer,
        bytes32 documentHash,
        uint40 expiresAt
    ) private {
        uint48 memberId = _memberId(account);
        _checkExpiry(expiresAt);
        _credentials[memberId][typeId] = Credential({
            issuer: issuer,
            issuedAt: uint40(block.timestamp),
            expiresAt: expiresAt,
            revoked: false,
            documentHash: documentHash
        });
        emit CredentialIssued(
            account, memberId, typeId, issuer, documentHash, uint40(block.timestamp), expiresAt
        );
    }

    /// @dev Members under review may already receive credentials (the identity check is part
    /// of the review); closed members may not.
    function _memberId(address account) private view returns (uint48 memberId) {
        IIdentityRegistry.Member memory m = identity.member(account);
        if (m.memberId == 0 || m.status == MemberStatus.Closed) {
            revert CredentialRegistryNotMember(account);
        }
        return m.memberId;
    }

    function _checkExpiry(uint40 expiresAt) private view {
        if (expiresAt <= block.timestamp) revert CredentialRegistryInvalidExpiry(expiresAt);
    }

    function _type(uint32 typeId) private view returns (CredentialType storage) {
        if (typeId == 0 || typeId > _types.length) revert CredentialRegistryUnknownType(typeId);
        return _types[typeId - 1];
    }
}
