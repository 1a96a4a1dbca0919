// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ActivityKind, Purpose, RiskLevel} from "../src/Types.sol";
import {IServiceLedger} from "../src/interfaces/IServiceLedger.sol";
import {ITimeCoin} from "../src/interfaces/ITimeCoin.sol";
import {Fixture} from "./utils/Fixture.sol";
import {vm} from "./utils/Vm.sol";

contract ServiceLedgerTest is Fixture {
    bytes32 internal constant DETAILS = keccak256("beach clean-up, 3 May");

    function _activity(ActivityKind kind, uint32 required) internal returns (uint256 id) {
        vm.prank(op1);
        id = ledger.createActivity(NORTH, kind, 4 * HOUR, required, DETAILS);
    }

    /// @dev alice joins, op1 records `amount`, alice confirms.
    function _confirmed(uint256 id, uint128 amount) internal {
        vm.prank(alice);
        ledger.joinActivity(id);
        vm.prank(op1);
        ledger.recordHours(id, alice, amount);
        vm.prank(alice);
        ledger.confirmHours(id, amount);
    }

    function _status(uint256 id, address volunteer)
        internal
        view
        returns (IServiceLedger.ParticipationStatus)
    {
        return ledger.participation(id, volunteer).status;
    }

    function test_ActivityLifecycleMintsActivityReward() public {
        vm.expectEmit(address(ledger));
        emit IServiceLedger.ActivityCreated(
            4, NORTH, ActivityKind.Activity, op1, 4 * HOUR, 0, DETAILS
        );
        uint256 id = _activity(ActivityKind.Activity, 0);
        vm.assertEq(id, 4);

        vm.expectEmit(address(ledger));
        emit IServiceLedger.ActivityJoined(id, alice);
        vm.prank(alice);
        ledger.joinActivity(id);
        vm.expectEmit(address(ledger));
        emit IServiceLedger.HoursRecorded(id, alice, 3 * HOUR, op1);
        vm.prank(op1);
        ledger.recordHours(id, alice, 3 * HOUR);
        vm.expectEmit(address(ledger));
        emit IServiceLedger.HoursConfirmed(id, alice, 3 * HOUR);
        vm.prank(alice);
        ledger.confirmHours(id, 3 * HOUR);

        uint128 mintedBefore = ledger.quota(NORTH).minted;
        vm.expectEmit(address(ledger));
        emit IServiceLedger.ActivitySettled(id, alice, NORTH, 3 * HOUR, op1b);
        vm.expectEmit(address(coin));
        emit ITimeCoin.CoinsMoved(address(0), alice, 3 * HOUR, Purpose.ActivityReward, bytes32(id));
        vm.prank(op1b);
        ledger.settle(id, alice);

        vm.assertEq(coin.balanceOf(alice), START_BALANCE + 3 * HOUR);
        vm.assertEq(ledger.quota(NORTH).minted, mintedBefore + 3 * HOUR);
        vm.assertTrue(_status(id, alice) == IServiceLedger.ParticipationStatus.Settled);

        vm.expectRevert(
            abi.encodeWithSelector(
                IServiceLedger.ServiceLedgerInvalidParticipation.selector,
                id,
                alice,
                IServiceLedger.ParticipationStatus.Settled
            )
        );
        vm.prank(op1);
        ledger.settle(id, alice);
    }

    function test_TrainingMintsTrainingReward() public {
        uint256 id = _activity(ActivityKind.Training, 0);
        _confirmed(id, HOUR);
        vm.expectEmit(address(coin));
        emit ITimeCoin.CoinsMoved(address(0), alice, HOUR, Purpose.TrainingReward, bytes32(id));
        vm.prank(op1);
        ledger.settle(id, alice);
    }

    function test_RevertWhen_RequiredCredentialMissingOrExpired() public {
        uint256 id = _activity(ActivityKind.Activity, licenceType);
        _confirmed(id, HOUR);
        vm.expectRevert(
            abi.encodeWithSelector(
                IServiceLedger.ServiceLedgerMissingCredential.selector, alice, licenceType
            )
        );
        vm.prank(op1);
        ledger.settle(id, alice);

        uint40 expiry = uint40(block.timestamp + 10 days);
        vm.prank(issuer);
        credentials.issueCredential(alice, licenceType, keccak256("licence"), expiry);
        // Valid before settlement... but it expires first.
        vm.warp(expiry);
        vm.expectRevert(
            abi.encodeWithSelector(
                IServiceLedger.ServiceLedgerMissingCredential.selector, alice, licenceType
            )
        );
        vm.prank(op1);
        ledger.settle(id, alice);

        vm.prank(issuer);
        credentials.renewCredential(alice, licenceType, keccak256("licence"), expiry + 365 days);
        vm.prank(op1);
        ledger.settle(id, alice);
        vm.assertEq(coin.balanceOf(alice), START_BALANCE + HOUR);
    }

    function test_RevertWhen_QuotaExceeded() public {
        uint128 limit = ledger.quota(NORTH).minted + HOUR;
        vm.prank(admin);
        ledger.setMintQuota(NORTH, limit);
        uint256 id = _activity(ActivityKind.Activity, 0);
        _confirmed(id, 2 * HOUR);
        vm.expectRevert(
            abi.encodeWithSelector(
                IServiceLedger.ServiceLedgerQuotaExceeded.selector, NORTH, 2 * HOUR, HOUR
            )
        );
        vm.prank(op1);
        ledger.settle(id, alice);
    }

    function test_RevertWhen_QuotaBelowMintedOrBranchInactive() public {
        uint128 minted = ledger.quota(NORTH).minted;
        vm.startPrank(admin);
        vm.expectRevert(
            abi.encodeWithSelector(
                IServiceLedger.ServiceLedgerQuotaBelowMinted.selector, NORTH, minted - 1, minted
            )
        );
        ledger.setMintQuota(NORTH, minted - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerInactiveBranch.selector, 9)
        );
        ledger.setMintQuota(9, HOUR);
        vm.expectEmit(address(ledger));
        emit IServiceLedger.MintQuotaSet(NORTH, minted, admin);
        ledger.setMintQuota(NORTH, minted);
        vm.stopPrank();
    }

    function test_RevertWhen_HoursZeroOrAboveCap() public {
        uint256 id = _activity(ActivityKind.Activity, 0);
        vm.prank(alice);
        ledger.joinActivity(id);
        vm.startPrank(op1);
        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerInvalidHours.selector, 0, 4 * HOUR)
        );
        ledger.recordHours(id, alice, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IServiceLedger.ServiceLedgerInvalidHours.selector, 4 * HOUR + 1, 4 * HOUR
            )
        );
        ledger.recordHours(id, alice, 4 * HOUR + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerInvalidHours.selector, 0, 0)
        );
        ledger.createActivity(NORTH, ActivityKind.Activity, 0, 0, DETAILS);
        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerUnknownCredentialType.selector, 42)
        );
        ledger.createActivity(NORTH, ActivityKind.Activity, HOUR, 42, DETAILS);
        vm.stopPrank();
    }

    function test_RecordedHoursCanBeCorrectedAndEachCorrectionIsConfirmedAgain() public {
        uint256 id = _activity(ActivityKind.Activity, 0);
        vm.prank(alice);
        ledger.joinActivity(id);
        vm.startPrank(op1);
        ledger.recordHours(id, alice, 3 * HOUR);
        ledger.recordHours(id, alice, 2 * HOUR);
        vm.stopPrank();
        vm.assertEq(ledger.participation(id, alice).amount, 2 * HOUR);
        vm.prank(alice);
        ledger.confirmHours(id, 2 * HOUR);

        // A correction after the confirmation takes the participation back to Recorded.
        vm.prank(op1);
        ledger.recordHours(id, alice, 4 * HOUR);
        vm.assertTrue(_status(id, alice) == IServiceLedger.ParticipationStatus.Recorded);
        vm.expectRevert(
            abi.encodeWithSelector(
                IServiceLedger.ServiceLedgerInvalidParticipation.selector,
                id,
                alice,
                IServiceLedger.ParticipationStatus.Recorded
            )
        );
        vm.prank(op1b);
        ledger.settle(id, alice);
        vm.prank(alice);
        ledger.confirmHours(id, 4 * HOUR);
        vm.prank(op1b);
        ledger.settle(id, alice);
        vm.assertEq(coin.balanceOf(alice), START_BALANCE + 4 * HOUR);
    }

    function test_RevertWhen_JoinTwiceOrNotMemberOrClosed() public {
        uint256 id = _activity(ActivityKind.Activity, 0);
        vm.prank(alice);
        ledger.joinActivity(id);
        vm.expectRevert(
            abi.encodeWithSelector(
                IServiceLedger.ServiceLedgerInvalidParticipation.selector,
                id,
                alice,
                IServiceLedger.ParticipationStatus.Joined
            )
        );
        vm.prank(alice);
        ledger.joinActivity(id);
        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerNotActiveMember.selector, stranger)
        );
        vm.prank(stranger);
        ledger.joinActivity(id);

        vm.expectEmit(address(ledger));
        emit IServiceLedger.ActivityClosed(id, op1);
        vm.prank(op1);
        ledger.closeActivity(id);
        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerActivityNotOpen.selector, id)
        );
        vm.prank(bob);
        ledger.joinActivity(id);
        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerUnknownActivity.selector, 99)
        );
        ledger.activity(99);
    }

    function test_ClosedActivityStillSettlesConfirmedHours() public {
        uint256 id = _activity(ActivityKind.Activity, 0);
        _confirmed(id, HOUR);
        vm.prank(op1);
        ledger.closeActivity(id);
        vm.prank(op1);
        ledger.settle(id, alice);
        vm.assertEq(coin.balanceOf(alice), START_BALANCE + HOUR);
    }

    function test_ServiceBetweenMembersPaysOnRequesterConfirmation() public {
        vm.expectEmit(address(ledger));
        emit IServiceLedger.ServiceProposed(1, alice, carol, 2 * HOUR, DETAILS);
        vm.prank(alice); // alice gave carol two hours of gardening
        uint256 id = ledger.proposeService(carol, 2 * HOUR, DETAILS);

        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerNotParty.selector, id, alice)
        );
        vm.prank(alice);
        ledger.confirmService(id);

        vm.expectEmit(address(ledger));
        emit IServiceLedger.ServiceCompleted(id, alice, carol, 2 * HOUR);
        vm.expectEmit(address(coin));
        emit ITimeCoin.CoinsMoved(carol, alice, 2 * HOUR, Purpose.ServicePayment, bytes32(id));
        vm.prank(carol);
        ledger.confirmService(id);
        vm.assertEq(coin.balanceOf(alice), START_BALANCE + 2 * HOUR);
        vm.assertEq(coin.balanceOf(carol), START_BALANCE - 2 * HOUR);
        vm.assertTrue(ledger.service(id).status == IServiceLedger.ServiceStatus.Completed);

        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerInvalidService.selector, id)
        );
        vm.prank(carol);
        ledger.confirmService(id);
    }

    function test_CancelService() public {
        vm.prank(alice);
        uint256 id = ledger.proposeService(bob, HOUR, DETAILS);
        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerNotParty.selector, id, carol)
        );
        vm.prank(carol);
        ledger.cancelService(id);
        vm.expectEmit(address(ledger));
        emit IServiceLedger.ServiceCancelled(id, bob);
        vm.prank(bob);
        ledger.cancelService(id);
        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerInvalidService.selector, id)
        );
        vm.prank(bob);
        ledger.confirmService(id);
    }

    function test_RevertWhen_ServiceInvalid() public {
        vm.startPrank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerSelfService.selector, alice)
        );
        ledger.proposeService(alice, HOUR, DETAILS);
        vm.expectRevert(
            abi.encodeWithSelector(
                IServiceLedger.ServiceLedgerInvalidHours.selector, 0, type(uint128).max
            )
        );
        ledger.proposeService(bob, 0, DETAILS);
        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerNotActiveMember.selector, stranger)
        );
        ledger.proposeService(stranger, HOUR, DETAILS);
        vm.stopPrank();
        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerInvalidService.selector, 5)
        );
        ledger.service(5);
    }

    function test_BlockedRequesterCannotPay() public {
        vm.prank(alice);
        uint256 id = ledger.proposeService(bob, HOUR, DETAILS);
        vm.prank(supervisor);
        identity.setRiskLevel(bob, RiskLevel.Blocked, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinNotActiveMember.selector, bob));
        vm.prank(bob);
        ledger.confirmService(id);
        vm.assertTrue(ledger.service(id).status == IServiceLedger.ServiceStatus.Proposed);
    }

    function testFuzz_SettlementRespectsCapAndQuota(uint128 amount, uint128 remaining) public {
        amount = uint128(bound(amount, 1, 4 * HOUR));
        remaining = uint128(bound(remaining, 0, 8 * HOUR));
        uint128 limit = ledger.quota(NORTH).minted + remaining;
        vm.prank(admin);
        ledger.setMintQuota(NORTH, limit);
        uint256 id = _activity(ActivityKind.Activity, 0);
        _confirmed(id, amount);
        uint256 supply = coin.totalSupply();
        if (amount > remaining) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IServiceLedger.ServiceLedgerQuotaExceeded.selector, NORTH, amount, remaining
                )
            );
        }
        vm.prank(op1);
        ledger.settle(id, alice);
        vm.assertEq(coin.totalSupply(), amount > remaining ? supply : supply + amount);
        vm.assertLe(ledger.quota(NORTH).minted, ledger.quota(NORTH).limit);
    }
}
