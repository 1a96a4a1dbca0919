// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "../src/Roles.sol";
import {CredentialKind} from "../src/Types.sol";
import {ICredentialRegistry} from "../src/interfaces/ICredentialRegistry.sol";
import {Fixture} from "./utils/Fixture.sol";
import {vm} from "./utils/Vm.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

contract CredentialRegistryTest is Fixture {
    bytes32 internal constant DOC = keccak256("licence scan");

    function _expiry(uint256 after_) internal view returns (uint40) {
        return uint40(block.timestamp + after_);
    }

    function test_DefineType() public {
        vm.expectEmit(address(credentials));
        emit ICredentialRegistry.CredentialTypeDefined(
            4, CredentialKind.TrainingCertificate, "first aid", admin
        );
        vm.prank(admin);
        uint32 id =
            credentials.defineCredentialType(CredentialKind.TrainingCertificate, "first aid");
        vm.assertEq(uint256(id), 4);
        vm.assertEq(uint256(credentials.credentialTypeCount()), 4);
        ICredentialRegistry.CredentialType memory t = credentials.credentialType(id);
        vm.assertTrue(t.kind == CredentialKind.TrainingCertificate);
        vm.assertTrue(t.active);
        vm.assertEq(t.name, "first aid");
    }

    function test_RevertWhen_TypeInvalidOrUnknown() public {
        vm.expectRevert(ICredentialRegistry.CredentialRegistryInvalidType.selector);
        vm.prank(admin);
        credentials.defineCredentialType(CredentialKind.IdentityCheck, "");
        vm.expectRevert(
            abi.encodeWithSelector(ICredentialRegistry.CredentialRegistryUnknownType.selector, 99)
        );
        credentials.credentialType(99);
    }

    function test_IssueRenewRevokeAndExpiry() public {
        uint40 expiry = _expiry(30 days);
        vm.expectEmit(address(credentials));
        emit ICredentialRegistry.CredentialIssued(
            alice, 1, licenceType, issuer, DOC, uint40(block.timestamp), expiry
        );
        vm.prank(issuer);
        credentials.issueCredential(alice, licenceType, DOC, expiry);
        vm.assertTrue(credentials.hasValidCredential(alice, licenceType));
        ICredentialRegistry.Credential memory c = credentials.credential(alice, licenceType);
        vm.assertEq(c.issuer, issuer);
        vm.assertEq(c.documentHash, DOC);
        vm.assertEq(uint256(c.expiresAt), expiry);

        // Valid up to, not at, the expiry second.
        vm.warp(expiry - 1);
        vm.assertTrue(credentials.hasValidCredential(alice, licenceType));
        vm.warp(expiry);
        vm.assertFalse(credentials.hasValidCredential(alice, licenceType));

        uint40 renewed = _expiry(365 days);
        vm.expectEmit(address(credentials));
        emit ICredentialRegistry.CredentialRenewed(alice, 1, licenceType, issuer, DOC, renewed);
        vm.prank(issuer);
        credentials.renewCredential(alice, licenceType, DOC, renewed);
        vm.assertTrue(credentials.hasValidCredential(alice, licenceType));

        vm.expectEmit(address(credentials));
        emit ICredentialRegistry.CredentialRevoked(alice, 1, licenceType, issuer, DOC);
        vm.prank(issuer);
        credentials.revokeCredential(alice, licenceType, DOC);
        vm.assertFalse(credentials.hasValidCredential(alice, licenceType));

        vm.expectRevert(
            abi.encodeWithSelector(
                ICredentialRegistry.CredentialRegistryNoCredential.selector, alice, licenceType
            )
        );
        vm.prank(issuer);
        credentials.renewCredential(alice, licenceType, DOC, renewed);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICredentialRegistry.CredentialRegistryNoCredential.selector, alice, licenceType
            )
        );
        vm.prank(issuer);
        credentials.revokeCredential(alice, licenceType, DOC);
    }

    function test_RevertWhen_IssuerNotTrustedForType() public {
        vm.prank(admin);
        uint32 other =
            credentials.defineCredentialType(CredentialKind.ProfessionalLicence, "driver");
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                issuer,
                Roles.issuer(other)
            )
        );
        vm.prank(issuer);
        credentials.issueCredential(alice, other, DOC, _expiry(1 days));
    }

    function test_RevertWhen_ExpiryNotInFuture() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ICredentialRegistry.CredentialRegistryInvalidExpiry.selector,
                uint40(block.timestamp)
            )
        );
        vm.prank(issuer);
        credentials.issueCredential(alice, licenceType, DOC, uint40(block.timestamp));
    }

    function test_RevertWhen_HolderNotAMember() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ICredentialRegistry.CredentialRegistryNotMember.selector, stranger
            )
        );
        vm.prank(issuer);
        credentials.issueCredential(stranger, licenceType, DOC, _expiry(1 days));
        vm.assertFalse(credentials.hasValidCredential(stranger, licenceType));
    }

    function test_PendingMemberMayReceiveIdentityCheck() public {
        address dave = makeAddr("dave");
        vm.prank(op1);
        identity.submitMember(dave, NORTH, keccak256("dave"), hex"01");
        vm.prank(issuer);
        credentials.issueCredential(dave, idCheckType, DOC, _expiry(1 days));
        vm.assertTrue(credentials.hasValidCredential(dave, idCheckType));
    }

    function test_InactiveTypeStopsIssuanceAndRecognition() public {
        vm.prank(issuer);
        credentials.issueCredential(alice, licenceType, DOC, _expiry(1 days));
        vm.prank(admin);
        credentials.setCredentialTypeActive(licenceType, false);
        vm.assertFalse(credentials.hasValidCredential(alice, licenceType));
        vm.expectRevert(
            abi.encodeWithSelector(
                ICredentialRegistry.CredentialRegistryTypeNotIssuable.selector, licenceType
            )
        );
        vm.prank(issuer);
        credentials.issueCredential(bob, licenceType, DOC, _expiry(1 days));
    }

    function test_SelfDeclaredDocuments() public {
        vm.expectEmit(address(credentials));
        emit ICredentialRegistry.CredentialIssued(
            alice, 1, uploadType, alice, DOC, uint40(block.timestamp), _expiry(10 days)
        );
        vm.prank(alice);
        credentials.declareCredential(uploadType, DOC, _expiry(10 days));
        vm.assertEq(credentials.credential(alice, uploadType).issuer, alice);

        // Trusted types can't be self-declared; self-declared types can't be issued.
        vm.expectRevert(
            abi.encodeWithSelector(
                ICredentialRegistry.CredentialRegistryTypeNotIssuable.selector, licenceType
            )
        );
        vm.prank(alice);
        credentials.declareCredential(licenceType, DOC, _expiry(10 days));
        vm.prank(admin);
        access.grantRole(Roles.issuer(uploadType), issuer);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICredentialRegistry.CredentialRegistryTypeNotIssuable.selector, uploadType
            )
        );
        vm.prank(issuer);
        credentials.issueCredential(bob, uploadType, DOC, _expiry(10 days));

        // The member withdraws their own upload.
        vm.prank(alice);
        credentials.revokeCredential(alice, uploadType, bytes32(0));
        vm.assertFalse(credentials.hasValidCredential(alice, uploadType));
    }

    function testFuzz_ValidityFollowsExpiry(uint256 lifetime, uint256 elapsed) public {
        lifetime = bound(lifetime, 1, 3650 days);
        elapsed = bound(elapsed, 0, 2 * 3650 days);
        uint40 expiry = _expiry(lifetime);
        vm.prank(issuer);
        credentials.issueCredential(alice, licenceType, DOC, expiry);
        vm.warp(block.timestamp + elapsed);
        vm.assertEq(credentials.hasValidCredential(alice, licenceType), elapsed < lifetime);
    }
}
