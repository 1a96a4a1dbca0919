// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "../../src/Roles.sol";
import {MonitorAction, Purpose, RiskLevel} from "../../src/Types.sol";
import {ISupervisionDesk} from "../../src/interfaces/ISupervisionDesk.sol";
import {ITimeCoin} from "../../src/interfaces/ITimeCoin.sol";
import {ITimeCoinMonitor} from "../../src/interfaces/ITimeCoinMonitor.sol";
import {MonitorRules} from "../../src/monitor/MonitorRules.sol";
import {SupervisionDesk} from "../../src/monitor/SupervisionDesk.sol";
import {vm} from "../utils/Vm.sol";
import {MonitorBase} from "./MonitorBase.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @notice Cases from rule hits and agents, supervisors' decisions, holds released or returned,
/// and replacing the desk.
contract SupervisionDeskTest is MonitorBase {
    bytes32 internal constant NOTE = keccak256("reviewed: neighbours swapping favours");
    address internal agent = makeAddr("agent");

    function setUp() public override {
        super.setUp();
        vm.prank(admin);
        access.grantRole(Roles.MONITORING_AGENT, agent);
        // Large amounts held, round trips flagged.
        (MonitorRules.Config memory c,) = MonitorRules.defaults();
        c.enabled = uint8(_bit(MonitorRules.LARGE_AMOUNT) | _bit(MonitorRules.ROUND_TRIP));
        uint32 actions = uint32(uint8(MonitorAction.Hold)) | uint32(uint8(MonitorAction.Flag))
            << (2 * (MonitorRules.ROUND_TRIP - 1));
        _apply(c, actions);
    }

    function _roundTrip() internal returns (uint256 caseId) {
        _gift(alice, bob, HOUR);
        _gift(bob, alice, HOUR);
        caseId = desk.caseCount();
    }

    function _heldGift() internal returns (uint256 caseId, uint256 holdId) {
        _gift(alice, carol, 12 * HOUR);
        caseId = desk.caseCount();
        holdId = desk.supervisionCase(caseId).holdId;
    }

    function test_FlagOpensACase() public {
        _gift(alice, bob, HOUR);
        vm.expectEmit(address(desk));
        emit ISupervisionDesk.CaseOpened(
            1,
            bob,
            alice,
            _bit(MonitorRules.ROUND_TRIP),
            MonitorAction.Flag,
            HOUR,
            Purpose.Gift,
            bytes32(0),
            0,
            address(coin),
            bytes32(0)
        );
        _gift(bob, alice, HOUR);
        uint256 caseId = desk.caseCount();
        vm.assertEq(caseId, 1);
        ISupervisionDesk.Case memory c = desk.supervisionCase(1);
        vm.assertEq(c.account, bob);
        vm.assertEq(c.counterparty, alice);
        vm.assertTrue(c.status == ISupervisionDesk.CaseStatus.Open);
        vm.assertEq(uint256(c.openedAt), block.timestamp);
        vm.assertEq(desk.openCases(bob), 1);
        vm.assertEq(coin.balanceOf(alice), RICH, "a flagged movement goes through");
    }

    function test_ClearedCaseKeepsRisk() public {
        uint256 caseId = _roundTrip();
        vm.expectEmit(address(desk));
        emit ISupervisionDesk.CaseDecided(
            caseId, bob, ISupervisionDesk.CaseStatus.Cleared, RiskLevel.None, NOTE, supervisor
        );
        vm.prank(supervisor);
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Cleared, NOTE, RiskLevel.None);
        vm.assertTrue(desk.supervisionCase(caseId).status == ISupervisionDesk.CaseStatus.Cleared);
        vm.assertEq(desk.openCases(bob), 0);
        vm.assertTrue(identity.member(bob).risk == RiskLevel.None);
    }

    function test_ConfirmedCaseChangesRiskUpToBlocked() public {
        uint256 caseId = _roundTrip();
        vm.prank(supervisor);
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Confirmed, NOTE, RiskLevel.Blocked);
        vm.assertTrue(identity.member(bob).risk == RiskLevel.Blocked);
        (bool can,,) = coin.standingOf(bob);
        vm.assertFalse(can, "every branch's coin now refuses bob");
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinNotActiveMember.selector, bob));
        _gift(bob, carol, HOUR);
    }

    function test_RevertWhen_DecisionInvalid() public {
        uint256 caseId = _roundTrip();
        vm.startPrank(supervisor);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISupervisionDesk.SupervisionDeskInvalidOutcome.selector,
                ISupervisionDesk.CaseStatus.Cleared,
                RiskLevel.High
            )
        );
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Cleared, NOTE, RiskLevel.High);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISupervisionDesk.SupervisionDeskInvalidOutcome.selector,
                ISupervisionDesk.CaseStatus.Open,
                RiskLevel.None
            )
        );
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Open, NOTE, RiskLevel.None);
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Cleared, NOTE, RiskLevel.None);
        vm.expectRevert(
            abi.encodeWithSelector(ISupervisionDesk.SupervisionDeskInvalidCase.selector, caseId)
        );
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Confirmed, NOTE, RiskLevel.None);
        vm.expectRevert(
            abi.encodeWithSelector(ISupervisionDesk.SupervisionDeskInvalidCase.selector, 99)
        );
        desk.decideCase(99, ISupervisionDesk.CaseStatus.Cleared, NOTE, RiskLevel.None);
        vm.stopPrank();
        vm.expectRevert(
            abi.encodeWithSelector(ISupervisionDesk.SupervisionDeskInvalidCase.selector, 0)
        );
        desk.supervisionCase(0);
    }

    function test_OnlySupervisorsDecide() public {
        uint256 caseId = _roundTrip();
        address[4] memory others = [op1, admin, agent, bob];
        for (uint256 i; i < others.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IAccessControl.AccessControlUnauthorizedAccount.selector,
                    others[i],
                    Roles.SUPERVISOR
                )
            );
            vm.prank(others[i]);
            desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Cleared, NOTE, RiskLevel.None);
        }
    }

    function test_HoldIsReleasedWhenCleared() public {
        (uint256 caseId, uint256 holdId) = _heldGift();
        vm.assertEq(holdId, 1);
        vm.assertEq(coin.balanceOf(carol), RICH);
        vm.assertEq(coin.balanceOf(address(coin)), 12 * HOUR);
        ITimeCoin.Hold memory h = coin.hold(holdId);
        vm.assertEq(h.from, alice);
        vm.assertEq(h.to, carol);
        vm.assertEq(uint256(h.amount), 12 * HOUR);
        vm.assertTrue(h.status == ITimeCoin.HoldStatus.Held);

        vm.expectEmit(address(coin));
        emit ITimeCoin.HoldSettled(holdId, true, carol, 12 * HOUR);
        vm.prank(supervisor);
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Cleared, NOTE, RiskLevel.None);
        vm.assertEq(coin.balanceOf(carol), RICH + 12 * HOUR);
        vm.assertEq(coin.balanceOf(address(coin)), 0);
        vm.assertTrue(coin.hold(holdId).status == ITimeCoin.HoldStatus.Released);
    }

    function test_HoldIsReturnedWhenConfirmed() public {
        (uint256 caseId, uint256 holdId) = _heldGift();
        vm.prank(supervisor);
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Confirmed, NOTE, RiskLevel.High);
        vm.assertEq(coin.balanceOf(alice), RICH);
        vm.assertEq(coin.balanceOf(carol), RICH);
        vm.assertTrue(coin.hold(holdId).status == ITimeCoin.HoldStatus.Returned);
        vm.assertTrue(identity.member(alice).risk == RiskLevel.High);
    }

    function test_HoldCannotBeReleasedToABlockedRecipient() public {
        (uint256 caseId,) = _heldGift();
        vm.prank(supervisor);
        identity.setRiskLevel(carol, RiskLevel.Blocked, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinNotActiveMember.selector, carol));
        vm.prank(supervisor);
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Cleared, NOTE, RiskLevel.None);
        // Returning to the sender still works.
        vm.prank(supervisor);
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Confirmed, NOTE, RiskLevel.None);
        vm.assertEq(coin.balanceOf(alice), RICH);
    }

    function test_RevertWhen_HoldSettledOutsideTheDesk() public {
        (, uint256 holdId) = _heldGift();
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinOnlyMonitor.selector, supervisor));
        vm.prank(supervisor);
        coin.settleHold(holdId, true);
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinInvalidHold.selector, 7));
        vm.prank(address(desk));
        coin.settleHold(7, true);
    }

    function test_RevertWhen_RuleHitNotFromTheCoin() public {
        ITimeCoinMonitor.RuleHit memory hit;
        vm.expectRevert(
            abi.encodeWithSelector(ISupervisionDesk.SupervisionDeskOnlyCoin.selector, alice)
        );
        vm.prank(alice);
        desk.onRuleHit(hit);
    }

    function test_AgentOpensACaseForAnOffChainPattern() public {
        vm.expectEmit(address(desk));
        emit ISupervisionDesk.CaseOpened(
            1, alice, bob, 0, MonitorAction.Flag, 0, Purpose.Gift, bytes32(0), 0, agent, NOTE
        );
        vm.prank(agent);
        uint256 caseId = desk.openCase(alice, bob, NOTE);
        vm.assertEq(desk.openCases(alice), 1);
        vm.prank(supervisor);
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Confirmed, NOTE, RiskLevel.Medium);
        vm.assertTrue(identity.member(alice).risk == RiskLevel.Medium);

        vm.expectRevert(
            abi.encodeWithSelector(ISupervisionDesk.SupervisionDeskUnknownMember.selector, stranger)
        );
        vm.prank(agent);
        desk.openCase(stranger, address(0), NOTE);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                supervisor,
                Roles.MONITORING_AGENT
            )
        );
        vm.prank(supervisor);
        desk.openCase(alice, bob, NOTE);
    }

    function test_ReplacedDeskStillSettlesItsHolds() public {
        (uint256 caseId, uint256 holdId) = _heldGift();
        SupervisionDesk next = new SupervisionDesk(access, identity, coin, address(forwarder));
        vm.startPrank(governor);
        access.grantRole(Roles.MONITOR, address(next));
        coin.setMonitor(next);
        vm.stopPrank();

        // New hits go to the new desk...
        _gift(alice, bob, 12 * HOUR);
        vm.assertEq(next.caseCount(), 1);
        // ...and the old desk still decides its own case and settles its hold.
        vm.prank(supervisor);
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Cleared, NOTE, RiskLevel.None);
        vm.assertTrue(coin.hold(holdId).status == ITimeCoin.HoldStatus.Released);
        vm.assertEq(coin.balanceOf(address(coin)), 12 * HOUR, "the new desk's hold waits");
    }
}
