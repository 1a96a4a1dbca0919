// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CredentialKind} from "../Types.sol";

/// @title Credentials of members, from trusted issuers, with expiry and revocation
/// @notice Credentials are keyed by the member id, so they follow a member through a wallet
/// recovery. A member holds at most one credential of each type; issuing again replaces it.
interface ICredentialRegistry {
    /// @notice A kind of credential the platform recognizes, e.g. "nursing licence".
    struct CredentialType {
        CredentialKind kind;
        bool active; // new credentials may be issued
        string name;
    }

    /// @notice A credential; `issuedAt == 0` means none.
    struct Credential {
        address issuer; // the trusted issuer, or the member for a SelfDeclared type
        uint40 issuedAt;
        uint40 expiresAt;
        bool revoked;
        bytes32 documentHash;
    }

    /// @notice The platform admin defined a credential type.
    event CredentialTypeDefined(
        uint32 indexed typeId, CredentialKind kind, string name, address admin
    );
    /// @notice A credential type was opened or closed for new issuance.
    event CredentialTypeActiveChanged(uint32 indexed typeId, bool active, address admin);
    /// @notice A credential was issued (or self-declared, where `issuer` is the member).
    event CredentialIssued(
        address indexed account,
        uint48 indexed memberId,
        uint32 indexed typeId,
        address issuer,
        bytes32 documentHash,
        uint40 issuedAt,
        uint40 expiresAt
    );
    /// @notice A credential got a new expiry and document.
    event CredentialRenewed(
        address indexed account,
        uint48 indexed memberId,
        uint32 indexed typeId,
        address issuer,
        bytes32 documentHash,
        uint40 expiresAt
    );
    /// @notice A credential was revoked.
    event CredentialRevoked(
        address indexed account,
        uint48 indexed memberId,
        uint32 indexed typeId,
        address actor,
        bytes32 reasonHash
    );

    /// @notice `typeId` is not a defined credential type.
    error CredentialRegistryUnknownType(uint32 typeId);
    /// @notice The type does not accept new credentials (inactive, or the wrong kind for this
    /// path).
    error CredentialRegistryTypeNotIssuable(uint32 typeId);
    /// @notice A credential type needs a name.
    error CredentialRegistryInvalidType();
    /// @notice `account` is not a member that can hold credentials (unknown or Closed).
    error CredentialRegistryNotMember(address account);
    /// @notice The expiry `expiresAt` is not in the future.
    error CredentialRegistryInvalidExpiry(uint40 expiresAt);
    /// @notice The member has no unrevoked credential of `typeId`.
    error CredentialRegistryNoCredential(address account, uint32 typeId);

    /// @notice Defines a credential type. Platform admin only.
    function defineCredentialType(CredentialKind kind, string calldata name)
        external
        returns (uint32 typeId);
    /// @notice Opens or closes a type. A closed type takes no new credentials and its existing
    /// ones are no longer valid. Platform admin only.
    function setCredentialTypeActive(uint32 typeId, bool active) external;
    /// @notice Issues (or replaces) a credential. Trusted issuer of `typeId` only.
    function issueCredential(address account, uint32 typeId, bytes32 documentHash, uint40 expiresAt)
        external;
    /// @notice Sets a new expiry and document. Trusted issuer of `typeId` only.
    function renewCredential(address account, uint32 typeId, bytes32 documentHash, uint40 expiresAt)
        external;
    /// @notice Revokes a credential. Trusted issuer of `typeId`, or the member for a
    /// SelfDeclared type.
    function revokeCredential(address account, uint32 typeId, bytes32 reasonHash) external;
    /// @notice Records a document the caller (a member) uploaded, under a SelfDeclared type.
    function declareCredential(uint32 typeId, bytes32 documentHash, uint40 expiresAt) external;

    /// @notice Whether `account` holds an unrevoked, unexpired credential of `typeId` now, of an
    /// active type, from an issuer still trusted for it (or self-declared, for such types).
    function hasValidCredential(address account, uint32 typeId) external view returns (bool);
    /// @notice The member's credential of `typeId` (all zero when none).
    function credential(address account, uint32 typeId) external view returns (Credential memory);
    /// @notice A credential type. Reverts for an unknown type.
    function credentialType(uint32 typeId) external view returns (CredentialType memory);
    /// @notice Number of defined types; ids run from 1 to this.
    function credentialTypeCount() external view returns (uint32);
}
