// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "../src/Roles.sol";
import {MemberStatus, RiskLevel} from "../src/Types.sol";
import {IIdentityRegistry} from "../src/interfaces/IIdentityRegistry.sol";
import {ISupervisionDesk} from "../src/interfaces/ISupervisionDesk.sol";
import {Fixture} from "./utils/Fixture.sol";
import {vm} from "./utils/Vm.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

contract IdentityRegistryTest is Fixture {
    address internal dave = makeAddr("dave");
    bytes32 internal constant COMMIT = keccak256("dave's canonical profile");
    bytes32 internal constant REASON = keccak256("reason");

    function _submitDave() internal returns (uint48 id) {
        vm.prank(op1);
        id = identity.submitMember(dave, NORTH, COMMIT, hex"beef");
        vm.prank(northGateway);
        identity.bindUniquenessKey(dave, _person(dave));
    }

    function _status(address account) internal view returns (MemberStatus) {
        return identity.member(account).status;
    }

    function test_SubmitCreatesPendingMemberAndFirstProfile() public {
        vm.expectEmit(address(identity));
        emit IIdentityRegistry.MemberSubmitted(dave, 4, NORTH, op1);
        vm.expectEmit(address(identity));
        emit IIdentityRegistry.ProfileUpdated(dave, 4, NORTH, 1, COMMIT, hex"beef", op1);
        uint48 id = _submitDave();

        IIdentityRegistry.Member memory m = identity.member(dave);
        vm.assertEq(uint256(id), 4);
        vm.assertEq(uint256(m.memberId), 4);
        vm.assertEq(uint256(m.homeBranch), NORTH);
        vm.assertTrue(m.status == MemberStatus.Pending);
        vm.assertEq(uint256(m.profileVersion), 1);
        vm.assertEq(m.submittedBy, op1);
        vm.assertEq(m.profileCommitment, COMMIT);
        vm.assertEq(uint256(m.submittedAt), block.timestamp);
        vm.assertFalse(identity.canTransact(dave));
    }

    function test_ApproveNeedsASecondOperator() public {
        _submitDave();
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityRegistrySelfApproval.selector, op1)
        );
        vm.prank(op1);
        identity.approveMember(dave);

        vm.warp(block.timestamp + 1 days);
        vm.expectEmit(address(identity));
        emit IIdentityRegistry.MemberStatusChanged(
            dave, 4, NORTH, MemberStatus.Pending, MemberStatus.Active, op1b, bytes32(0)
        );
        vm.prank(op1b);
        identity.approveMember(dave);
        vm.assertTrue(_status(dave) == MemberStatus.Active);
        vm.assertEq(uint256(identity.member(dave).activatedAt), block.timestamp);
        vm.assertTrue(identity.canTransact(dave));
    }

    function test_RevertWhen_OtherBranchApproves() public {
        _submitDave();
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, op2, Roles.operator(NORTH)
            )
        );
        vm.prank(op2);
        identity.approveMember(dave);
    }

    function test_RevertWhen_SubmitTwiceOrZeroOrEmptyProfile() public {
        _submitDave();
        vm.startPrank(op1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryAlreadyRegistered.selector, dave
            )
        );
        identity.submitMember(dave, NORTH, COMMIT, hex"01");
        vm.expectRevert(IIdentityRegistry.IdentityRegistryZeroAddress.selector);
        identity.submitMember(address(0), NORTH, COMMIT, hex"01");
        vm.expectRevert(IIdentityRegistry.IdentityRegistryInvalidProfile.selector);
        identity.submitMember(stranger, NORTH, bytes32(0), hex"01");
        vm.expectRevert(IIdentityRegistry.IdentityRegistryInvalidProfile.selector);
        identity.submitMember(stranger, NORTH, COMMIT, "");
        vm.stopPrank();
    }

    function test_RevertWhen_UnknownMember() public {
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityRegistryUnknownMember.selector, dave)
        );
        vm.prank(op1);
        identity.approveMember(dave);
    }

    function test_RejectClosesPendingMember() public {
        _submitDave();
        vm.prank(op1);
        identity.rejectMember(dave, REASON);
        vm.assertTrue(_status(dave) == MemberStatus.Closed);
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryInvalidStatus.selector, dave, MemberStatus.Closed
            )
        );
        vm.prank(op1b);
        identity.approveMember(dave);
    }

    function test_SuspendAndReinstate() public {
        vm.prank(supervisor);
        identity.suspendMember(alice, REASON);
        vm.assertTrue(_status(alice) == MemberStatus.Suspended);
        vm.assertFalse(identity.canTransact(alice));
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryInvalidStatus.selector,
                alice,
                MemberStatus.Suspended
            )
        );
        vm.prank(op1);
        identity.suspendMember(alice, REASON);
        vm.prank(op1);
        identity.reinstateMember(alice, REASON);
        vm.assertTrue(identity.canTransact(alice));
    }

    function test_CloseIsFinal() public {
        vm.prank(alice);
        coin.redeem(START_BALANCE, bytes32(0));
        vm.startPrank(op1);
        identity.closeMember(alice, REASON);
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryInvalidStatus.selector, alice, MemberStatus.Closed
            )
        );
        identity.closeMember(alice, REASON);
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryInvalidStatus.selector, alice, MemberStatus.Closed
            )
        );
        identity.updateProfile(alice, COMMIT, hex"01");
        vm.stopPrank();
    }

    function test_UpdateProfileMakesNewVersionAndVerifies() public {
        vm.assertTrue(identity.verifyProfile(alice, _commitment(alice)));
        vm.expectEmit(address(identity));
        emit IIdentityRegistry.ProfileUpdated(alice, 1, NORTH, 2, COMMIT, hex"abcd", op1);
        vm.prank(op1);
        identity.updateProfile(alice, COMMIT, hex"abcd");
        vm.assertEq(uint256(identity.member(alice).profileVersion), 2);
        vm.assertTrue(identity.verifyProfile(alice, COMMIT));
        vm.assertFalse(identity.verifyProfile(alice, _commitment(alice)));
        vm.assertFalse(identity.verifyProfile(dave, bytes32(0)));
    }

    function test_MoveToAnotherBranchWithoutReRegistration() public {
        vm.prank(alice);
        identity.requestMove(alice, SOUTH);
        vm.assertEq(uint256(identity.member(alice).pendingMoveTo), SOUTH);
        vm.expectEmit(address(identity));
        emit IIdentityRegistry.MemberMoved(alice, 1, SOUTH, NORTH, op2);
        vm.prank(op2);
        identity.acceptMove(alice);
        IIdentityRegistry.Member memory m = identity.member(alice);
        vm.assertEq(uint256(m.homeBranch), SOUTH);
        vm.assertEq(uint256(m.pendingMoveTo), 0);
        vm.assertEq(uint256(m.memberId), 1);
        vm.assertTrue(m.status == MemberStatus.Active);
        vm.assertEq(coin.balanceOf(alice), START_BALANCE);
        // The new home branch now manages the member; the old one no longer can.
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, op1, Roles.operator(SOUTH)
            )
        );
        vm.prank(op1);
        identity.updateProfile(alice, COMMIT, hex"01");
    }

    function test_RevertWhen_MoveTargetInvalidOrNoPendingMove() public {
        vm.startPrank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryInvalidMoveTarget.selector, NORTH
            )
        );
        identity.requestMove(alice, NORTH);
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityRegistryInvalidMoveTarget.selector, 7)
        );
        identity.requestMove(alice, 7);
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityRegistryNoPendingMove.selector, alice)
        );
        identity.cancelMove(alice);
        vm.stopPrank();
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityRegistryNoPendingMove.selector, alice)
        );
        vm.prank(op2);
        identity.acceptMove(alice);
    }

    function test_CancelMove() public {
        vm.prank(op1);
        identity.requestMove(alice, SOUTH);
        vm.expectEmit(address(identity));
        emit IIdentityRegistry.MoveCancelled(alice, 1, NORTH, SOUTH, op2);
        vm.prank(op2);
        identity.cancelMove(alice);
        vm.assertEq(uint256(identity.member(alice).pendingMoveTo), 0);
    }

    function test_RiskLevels() public {
        vm.expectEmit(address(identity));
        emit IIdentityRegistry.RiskLevelChanged(
            alice, 1, NORTH, RiskLevel.None, RiskLevel.High, op1, REASON
        );
        vm.prank(op1);
        identity.setRiskLevel(alice, RiskLevel.High, REASON);
        vm.assertTrue(identity.canTransact(alice));

        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryBlockedNeedsSupervisor.selector, op1
            )
        );
        vm.prank(op1);
        identity.setRiskLevel(alice, RiskLevel.Blocked, REASON);

        vm.prank(supervisor);
        identity.setRiskLevel(alice, RiskLevel.Blocked, REASON);
        vm.assertFalse(identity.canTransact(alice));

        // Only a supervisor lifts Blocked.
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryBlockedNeedsSupervisor.selector, op1
            )
        );
        vm.prank(op1);
        identity.setRiskLevel(alice, RiskLevel.Low, REASON);

        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryUnchangedRisk.selector, alice, RiskLevel.Blocked
            )
        );
        vm.prank(supervisor);
        identity.setRiskLevel(alice, RiskLevel.Blocked, REASON);
    }

    function test_PartnerAlertIsAssessedBySupervisor() public {
        vm.expectEmit(address(identity));
        emit IIdentityRegistry.RiskAlertRaised(1, alice, partner, REASON);
        vm.prank(partner);
        uint256 alertId = identity.raiseRiskAlert(alice, REASON);
        vm.assertEq(alertId, 1);
        vm.assertFalse(identity.riskAlert(alertId).assessed);

        vm.expectEmit(address(identity));
        emit IIdentityRegistry.RiskAlertAssessed(1, alice, supervisor, RiskLevel.Medium, REASON);
        vm.prank(supervisor);
        identity.assessRiskAlert(alertId, RiskLevel.Medium, REASON);
        vm.assertTrue(identity.member(alice).risk == RiskLevel.Medium);
        vm.assertTrue(identity.riskAlert(alertId).assessed);

        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityRegistryInvalidAlert.selector, 1)
        );
        vm.prank(supervisor);
        identity.assessRiskAlert(alertId, RiskLevel.High, REASON);
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityRegistryInvalidAlert.selector, 2)
        );
        identity.riskAlert(2);
    }

    function test_RecoveryMovesIdentityCredentialsAndCoins() public {
        vm.prank(issuer);
        credentials.issueCredential(
            alice, licenceType, keccak256("doc"), uint40(block.timestamp + 365 days)
        );
        address fresh = makeAddr("alice-new-wallet");

        vm.prank(op1);
        uint256 caseId = desk.requestRecovery(alice, fresh, REASON);
        vm.assertTrue(identity.canTransact(alice), "nothing moves before the decision");
        vm.expectEmit(address(identity));
        emit IIdentityRegistry.MemberRecovered(alice, fresh, 1, NORTH, address(desk), REASON);
        vm.prank(supervisor);
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Cleared, REASON, RiskLevel.None);

        vm.assertEq(uint256(identity.memberIdOf(fresh)), 1);
        vm.assertEq(uint256(identity.memberIdOf(alice)), 0);
        vm.assertTrue(identity.canTransact(fresh));
        vm.assertFalse(identity.canTransact(alice));
        vm.assertEq(coin.balanceOf(fresh), START_BALANCE);
        vm.assertEq(coin.balanceOf(alice), 0);
        vm.assertTrue(credentials.hasValidCredential(fresh, licenceType));
        vm.assertFalse(credentials.hasValidCredential(alice, licenceType));
        // The person keeps their uniqueness key: one membership, on its new wallet.
        vm.assertEq(identity.uniquenessKeyOf(fresh), _person(alice));
        vm.assertEq(uint256(identity.memberOfKey(_person(alice))), 1);
        address third = makeAddr("alice's third wallet");
        vm.prank(op2);
        identity.submitMember(third, SOUTH, COMMIT, hex"01");
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryDuplicateMember.selector, uint48(1), NORTH
            )
        );
        vm.prank(southGateway);
        identity.bindUniquenessKey(third, _person(alice));

        // The lost wallet is retired for good.
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryAlreadyRegistered.selector, alice
            )
        );
        vm.prank(op1);
        identity.submitMember(alice, NORTH, COMMIT, hex"01");
    }

    function test_RevertWhen_RecoveryTargetTakenOrZero() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ISupervisionDesk.SupervisionDeskInvalidRecovery.selector, alice, bob
            )
        );
        vm.prank(op1);
        desk.requestRecovery(alice, bob, REASON);
        vm.startPrank(address(desk));
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryAlreadyRegistered.selector, bob
            )
        );
        identity.recoverMember(alice, bob, REASON);
        vm.expectRevert(IIdentityRegistry.IdentityRegistryZeroAddress.selector);
        identity.recoverMember(alice, address(0), REASON);
        vm.stopPrank();
    }

    function test_AMemberLetsAPartnerHearOfTheirMembership() public {
        vm.expectEmit(address(identity));
        emit IIdentityRegistry.PartnerConsentChanged(alice, 1, partner, true);
        vm.prank(alice);
        identity.setPartnerConsent(partner, true);
        vm.assertTrue(identity.partnerConsent(alice, partner));
        vm.assertFalse(identity.partnerConsent(bob, partner), "one member's consent only");

        // Only to partner institutions; only members; withdrawn at will.
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityRegistryNotPartner.selector, stranger)
        );
        vm.prank(alice);
        identity.setPartnerConsent(stranger, true);
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryUnknownMember.selector, stranger
            )
        );
        vm.prank(stranger);
        identity.setPartnerConsent(partner, true);

        // The consent follows the member to a recovered wallet.
        address fresh = makeAddr("alice-new-wallet");
        vm.prank(op1);
        uint256 caseId = desk.requestRecovery(alice, fresh, REASON);
        vm.prank(supervisor);
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Cleared, REASON, RiskLevel.None);
        vm.assertTrue(identity.partnerConsent(fresh, partner));
        vm.assertTrue(identity.partnerConsent(alice, partner), "asked by the old wallet");
        vm.prank(fresh);
        identity.setPartnerConsent(partner, false);
        vm.assertFalse(identity.partnerConsent(fresh, partner));
    }

    /// One person, one membership: the same identity document (its key) at another branch with
    /// another wallet is refused, naming the membership it already is; a rejection frees the
    /// key, a closure only when a supervisor releases it; the admin rekeys (a rotation).
    function test_OnePersonIsOneMembershipAtEveryBranch() public {
        bytes32 key = _person(dave);
        uint48 id = _submitDave();
        address second = makeAddr("dave's second wallet");
        vm.prank(op2);
        identity.submitMember(second, SOUTH, COMMIT, hex"01");
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryDuplicateMember.selector, id, NORTH
            )
        );
        vm.prank(southGateway);
        identity.bindUniquenessKey(second, key);
        vm.expectRevert(IIdentityRegistry.IdentityRegistryInvalidUniquenessKey.selector);
        vm.prank(southGateway);
        identity.bindUniquenessKey(second, bytes32(0));
        vm.assertEq(uint256(identity.memberOfKey(key)), uint256(id));
        vm.assertEq(identity.uniquenessKeyOf(dave), key);
        // Without its key, the second submission can't be approved.
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityRegistryKeyNotBound.selector, second)
        );
        vm.prank(op2b);
        identity.approveMember(second);

        // Rejected: the person may apply again.
        vm.prank(op1b);
        identity.rejectMember(dave, REASON);
        vm.assertEq(uint256(identity.memberOfKey(key)), 0);
        vm.prank(southGateway);
        identity.bindUniquenessKey(second, key);
        uint48 again = identity.memberIdOf(second);
        vm.prank(op2b);
        identity.approveMember(second);

        // Closed: the key stays taken until a supervisor releases it.
        vm.prank(op2);
        identity.closeMember(second, REASON);
        address third = makeAddr("dave's third wallet");
        vm.prank(op1);
        identity.submitMember(third, NORTH, COMMIT, hex"01");
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryDuplicateMember.selector, again, SOUTH
            )
        );
        vm.prank(northGateway);
        identity.bindUniquenessKey(third, key);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, op2, Roles.SUPERVISOR
            )
        );
        vm.prank(op2);
        identity.releaseUniquenessKey(second, REASON);
        vm.expectEmit(address(identity));
        emit IIdentityRegistry.UniquenessKeyReleased(again, key, supervisor, REASON);
        vm.prank(supervisor);
        identity.releaseUniquenessKey(second, REASON);
        vm.prank(northGateway);
        identity.bindUniquenessKey(third, key);
        uint48 thirdId = identity.memberIdOf(third);

        // A rotation: the admin gives the member a new key; the old one is free, another
        // member's is refused.
        bytes32 rotated = keccak256("dave under the new gateway key");
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, op1, Roles.ADMIN
            )
        );
        vm.prank(op1);
        identity.setUniquenessKey(third, rotated);
        vm.prank(admin);
        identity.setUniquenessKey(third, rotated);
        vm.assertEq(uint256(identity.memberOfKey(rotated)), uint256(thirdId));
        vm.assertEq(uint256(identity.memberOfKey(key)), 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryDuplicateMember.selector,
                identity.memberIdOf(alice),
                NORTH
            )
        );
        vm.prank(admin);
        identity.setUniquenessKey(third, _person(alice));
    }

    /// The key is the platform's: only the home branch's gateway binds it, directly, once, to a
    /// Pending member; an operator can't choose it (no argument of theirs carries it), another
    /// branch's gateway can't, and a forwarded request signed by the gateway's key can't either.
    function test_RevertWhen_TheKeyIsBoundByAnyoneButTheHomeGateway() public {
        vm.prank(op1);
        identity.submitMember(dave, NORTH, COMMIT, hex"01");
        bytes32 key = _person(dave);
        address[4] memory outsiders = [op1, op1b, southGateway, supervisor];
        for (uint256 i; i < outsiders.length; ++i) {
            bytes32 role = Roles.gateway(NORTH);
            vm.expectRevert(
                abi.encodeWithSelector(
                    IAccessControl.AccessControlUnauthorizedAccount.selector, outsiders[i], role
                )
            );
            vm.prank(outsiders[i]);
            identity.bindUniquenessKey(dave, key);
        }
        vm.expectEmit(address(identity));
        emit IIdentityRegistry.UniquenessKeySet(4, bytes32(0), key, northGateway);
        vm.prank(northGateway);
        identity.bindUniquenessKey(dave, key);
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityRegistryKeyAlreadyBound.selector, dave)
        );
        vm.prank(northGateway);
        identity.bindUniquenessKey(dave, keccak256("another document"));
        // Only while Pending.
        vm.prank(op1b);
        identity.approveMember(dave);
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryInvalidStatus.selector, dave, MemberStatus.Active
            )
        );
        vm.prank(northGateway);
        identity.bindUniquenessKey(dave, keccak256("dave again"));
    }

    /// Squatting: a submission holds the person's key for `KEY_HOLD` only. Past it, it can't be
    /// approved, and another branch's submission of the same person takes the key.
    function test_APendingSubmissionHoldsItsKeyForABoundedTime() public {
        uint48 id = _submitDave();
        bytes32 key = _person(dave);
        uint40 expiresAt = identity.member(dave).submittedAt + identity.KEY_HOLD();
        vm.assertEq(uint256(identity.KEY_HOLD()), 7 days);
        address second = makeAddr("dave at the south desk");
        vm.warp(block.timestamp + 1 days);
        vm.prank(op2);
        identity.submitMember(second, SOUTH, COMMIT, hex"01");

        // Within the hold: the key is dave's.
        vm.warp(expiresAt);
        vm.assertEq(uint256(identity.memberOfKey(key)), uint256(id));
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryDuplicateMember.selector, id, NORTH
            )
        );
        vm.prank(southGateway);
        identity.bindUniquenessKey(second, key);

        // Past it: nobody holds it, the late submission can't be approved, the other takes it.
        vm.warp(uint256(expiresAt) + 1);
        vm.assertEq(uint256(identity.memberOfKey(key)), 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistrySubmissionExpired.selector, dave, expiresAt
            )
        );
        vm.prank(op1b);
        identity.approveMember(dave);
        vm.expectEmit(address(identity));
        emit IIdentityRegistry.UniquenessKeyReleased(
            id, key, southGateway, keccak256("timebank.uniqueness.hold-expired")
        );
        vm.prank(southGateway);
        identity.bindUniquenessKey(second, key);
        vm.assertEq(uint256(identity.memberOfKey(key)), uint256(identity.memberIdOf(second)));
        vm.assertEq(identity.uniquenessKeyOf(dave), bytes32(0));
        vm.prank(op2b);
        identity.approveMember(second);
        // The stale submission is rejected as any other.
        vm.prank(op1b);
        identity.rejectMember(dave, REASON);
        vm.assertTrue(identity.member(dave).status == MemberStatus.Closed);
    }
}
