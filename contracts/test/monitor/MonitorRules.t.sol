// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MonitorAction, Purpose, RiskLevel} from "../../src/Types.sol";
import {ITimeCoin} from "../../src/interfaces/ITimeCoin.sol";
import {MonitorRules} from "../../src/monitor/MonitorRules.sol";
import {vm} from "../utils/Vm.sol";
import {MonitorBase} from "./MonitorBase.sol";

/// @notice Each rule just below and at its threshold, window expiry, per-purpose thresholds, and
/// fuzzed amounts and timings; `check` agrees with what a movement then does.
contract MonitorRulesTest is MonitorBase {
    // ---- 1. large amount, per purpose --------------------------------------------------------

    function test_LargeAmount_BelowAndAtThreshold() public {
        _applyOnly(MonitorRules.LARGE_AMOUNT, MonitorAction.Flag);
        vm.assertEq(_fires(alice, bob, 10 * HOUR - 1), 0);
        vm.assertEq(_fires(alice, bob, 10 * HOUR), _bit(MonitorRules.LARGE_AMOUNT));

        vm.recordLogs();
        _gift(alice, bob, 10 * HOUR - 1);
        vm.assertEq(desk.caseCount(), 0);
        vm.expectEmit(address(coin));
        emit ITimeCoin.RuleHit(
            alice, bob, 10 * HOUR, Purpose.Gift, bytes32(0), 1, MonitorAction.Flag, 0
        );
        _gift(alice, bob, 10 * HOUR);
        vm.assertEq(desk.caseCount(), 1);
    }

    function test_LargeAmount_ThresholdsArePerPurpose() public {
        _applyOnly(MonitorRules.LARGE_AMOUNT, MonitorAction.Flag);
        // 12 h is a large gift (>= 10) but not a large service payment (>= 24).
        (, uint16 asGift,) = coin.check(alice, bob, 12 * HOUR, Purpose.Gift);
        (, uint16 asService,) = coin.check(alice, bob, 12 * HOUR, Purpose.ServicePayment);
        vm.assertEq(asGift, _bit(MonitorRules.LARGE_AMOUNT));
        vm.assertEq(asService, 0);
        _service(bob, alice, 12 * HOUR);
        vm.assertEq(desk.caseCount(), 0);
        _service(bob, alice, 24 * HOUR);
        vm.assertEq(desk.caseCount(), 1);

        // Rewards: 39 h of activity is not large, 40 h is.
        (, uint16 reward39,) = coin.check(address(0), alice, 39 * HOUR, Purpose.ActivityReward);
        (, uint16 reward40,) = coin.check(address(0), alice, 40 * HOUR, Purpose.ActivityReward);
        vm.assertEq(reward39, 0);
        vm.assertEq(reward40, _bit(MonitorRules.LARGE_AMOUNT));
        _reward(alice, 40 * HOUR);
        vm.assertEq(desk.caseCount(), 2);
        vm.assertEq(desk.supervisionCase(2).account, alice, "a mint's case is the recipient's");
    }

    function testFuzz_LargeAmount(uint256 amount) public {
        amount = bound(amount, 1, RICH);
        _applyOnly(MonitorRules.LARGE_AMOUNT, MonitorAction.Flag);
        _gift(alice, bob, amount);
        vm.assertEq(desk.caseCount(), amount >= 10 * HOUR ? 1 : 0);
    }

    // ---- 2. velocity -------------------------------------------------------------------------

    function test_Velocity_CountAndWindowExpiry() public {
        (MonitorRules.Config memory c, uint32 actions) =
            _only(MonitorRules.VELOCITY, MonitorAction.Flag);
        c.velocityCount = 3;
        _apply(c, actions);
        _gift(alice, bob, HOUR);
        _gift(alice, carol, HOUR);
        vm.assertEq(desk.caseCount(), 0, "2 of 3 movements");
        vm.assertEq(_fires(alice, bob, HOUR), _bit(MonitorRules.VELOCITY));
        _gift(alice, bob, HOUR);
        vm.assertEq(desk.caseCount(), 1, "the 3rd movement in the window");

        vm.warp(block.timestamp + 1 days); // the window ends
        _gift(alice, bob, HOUR);
        _gift(alice, bob, HOUR);
        vm.assertEq(desk.caseCount(), 1, "counts restart with a new window");
    }

    function testFuzz_Velocity_WindowTiming(uint256 gap) public {
        gap = bound(gap, 0, 3 days);
        (MonitorRules.Config memory c, uint32 actions) =
            _only(MonitorRules.VELOCITY, MonitorAction.Flag);
        c.velocityCount = 2;
        _apply(c, actions);
        _gift(alice, bob, HOUR);
        vm.warp(block.timestamp + gap);
        _gift(alice, bob, HOUR);
        vm.assertEq(desk.caseCount(), gap < 1 days ? 1 : 0);
    }

    // ---- 3. volume, outgoing and incoming ----------------------------------------------------

    function test_Volume_Outgoing() public {
        (MonitorRules.Config memory c, uint32 actions) =
            _only(MonitorRules.VOLUME, MonitorAction.Flag);
        c.volumeOut = 5;
        c.volumeIn = 0;
        _apply(c, actions);
        _gift(alice, bob, 3 * HOUR);
        _gift(alice, carol, 2 * HOUR - 1e16); // 4.99 h in all
        vm.assertEq(desk.caseCount(), 0);
        _gift(alice, carol, 1e16); // 5.00 h
        vm.assertEq(desk.caseCount(), 1);
        vm.assertEq(desk.supervisionCase(1).account, alice);
        vm.warp(block.timestamp + 1 days);
        _gift(alice, bob, 4 * HOUR);
        vm.assertEq(desk.caseCount(), 1, "volume restarts with a new window");
    }

    function test_Volume_IncomingIsAboutTheRecipient() public {
        (MonitorRules.Config memory c, uint32 actions) =
            _only(MonitorRules.VOLUME, MonitorAction.Flag);
        c.volumeOut = 0;
        c.volumeIn = 5;
        _apply(c, actions);
        _gift(alice, carol, 3 * HOUR);
        _gift(bob, carol, 2 * HOUR - 1e16);
        vm.assertEq(desk.caseCount(), 0);
        vm.assertEq(_fires(bob, carol, 1e16), MonitorRules.VOLUME_IN_BIT);
        _gift(bob, carol, 1e16);
        vm.assertEq(desk.caseCount(), 1);
        vm.assertEq(desk.supervisionCase(1).account, carol);
        vm.assertEq(desk.supervisionCase(1).counterparty, bob);
    }

    // ---- 4. structuring ----------------------------------------------------------------------

    function test_Structuring_JustBelowTheLargeThreshold() public {
        (MonitorRules.Config memory c, uint32 actions) =
            _only(MonitorRules.STRUCTURING, MonitorAction.Flag);
        // Large gift 10 h, band 20 %: 8 h up to 10 h (excluded) counts; 3 in a window fire.
        _apply(c, actions);
        _gift(alice, bob, 8 * HOUR - 1); // below the band: not counted
        _gift(alice, bob, 8 * HOUR);
        _gift(alice, carol, 10 * HOUR - 1);
        vm.assertEq(desk.caseCount(), 0, "2 movements in the band");
        vm.assertEq(_fires(alice, bob, 9 * HOUR), _bit(MonitorRules.STRUCTURING));
        _gift(alice, bob, 9 * HOUR);
        vm.assertEq(desk.caseCount(), 1);
        vm.warp(block.timestamp + 1 days);
        _gift(alice, bob, 9 * HOUR);
        _gift(alice, bob, 9 * HOUR);
        vm.assertEq(desk.caseCount(), 1, "the count restarts with a new window");
    }

    // ---- 5. round trip -----------------------------------------------------------------------

    function test_RoundTrip_WithinAndAfterTheWindow() public {
        _applyOnly(MonitorRules.ROUND_TRIP, MonitorAction.Flag);
        _gift(alice, bob, 5 * HOUR);
        vm.assertEq(_fires(bob, carol, HOUR), 0, "paying someone else is no round trip");
        vm.assertEq(_fires(bob, alice, HOUR), _bit(MonitorRules.ROUND_TRIP));
        vm.warp(block.timestamp + 2 days);
        vm.assertEq(_fires(bob, alice, HOUR), _bit(MonitorRules.ROUND_TRIP), "at the window's end");
        vm.warp(block.timestamp + 1);
        vm.assertEq(_fires(bob, alice, HOUR), 0, "after the window");
        _gift(bob, alice, HOUR);
        vm.assertEq(desk.caseCount(), 0);
    }

    function testFuzz_RoundTripTiming(uint256 delay) public {
        delay = bound(delay, 0, 5 days);
        _applyOnly(MonitorRules.ROUND_TRIP, MonitorAction.Flag);
        _gift(alice, bob, HOUR);
        vm.warp(block.timestamp + delay);
        _gift(bob, alice, HOUR);
        vm.assertEq(desk.caseCount(), delay <= 2 days ? 1 : 0);
    }

    // ---- 6. new account ----------------------------------------------------------------------

    function test_NewAccount_ReceivesAtLeastAnAmount() public {
        address dave = makeAddr("dave");
        _register(dave, NORTH);
        _applyOnly(MonitorRules.NEW_ACCOUNT, MonitorAction.Flag);
        vm.assertEq(_fires(alice, dave, 20 * HOUR - 1), 0);
        vm.assertEq(_fires(alice, dave, 20 * HOUR), _bit(MonitorRules.NEW_ACCOUNT));
        vm.assertEq(_fires(alice, bob, 20 * HOUR), 0, "bob is not new");
        _gift(alice, dave, 20 * HOUR);
        vm.assertEq(desk.supervisionCase(1).account, dave);
        vm.warp(block.timestamp + 30 days);
        vm.assertEq(_fires(alice, dave, 20 * HOUR), 0, "30 days on, dave is not new");
    }

    // ---- 7. risky counterparty ---------------------------------------------------------------

    function test_RiskyCounterparty_EitherSide() public {
        _applyOnly(MonitorRules.RISKY_COUNTERPARTY, MonitorAction.Flag);
        vm.prank(supervisor);
        identity.setRiskLevel(bob, RiskLevel.Medium, bytes32(0));
        vm.assertEq(_fires(alice, bob, HOUR), 0, "Medium is below the High level");
        vm.prank(supervisor);
        identity.setRiskLevel(bob, RiskLevel.High, bytes32(0));
        vm.assertEq(_fires(alice, bob, HOUR), _bit(MonitorRules.RISKY_COUNTERPARTY));
        vm.assertEq(_fires(bob, alice, HOUR), _bit(MonitorRules.RISKY_COUNTERPARTY));
        _gift(bob, alice, HOUR);
        vm.assertEq(desk.caseCount(), 1);
    }

    // ---- 8. dormant reactivation -------------------------------------------------------------

    function test_Dormant_SendsAfterNDays() public {
        (MonitorRules.Config memory c, uint32 actions) =
            _only(MonitorRules.DORMANT_REACTIVATION, MonitorAction.Flag);
        c.dormantDays = 30;
        _apply(c, actions);
        _gift(alice, bob, HOUR); // alice's last outgoing movement
        vm.warp(block.timestamp + 30 days - 1);
        vm.assertEq(_fires(alice, bob, 10 * HOUR), 0, "a second short of 30 days");
        vm.warp(block.timestamp + 1);
        vm.assertEq(_fires(alice, bob, 10 * HOUR - 1), 0, "below the amount");
        vm.assertEq(_fires(alice, bob, 10 * HOUR), _bit(MonitorRules.DORMANT_REACTIVATION));
        _gift(alice, bob, 10 * HOUR);
        vm.assertEq(desk.caseCount(), 1);
        vm.assertEq(_fires(alice, bob, 10 * HOUR), 0, "active again");
    }

    function test_Dormant_CountsFromActivationForAnAccountThatNeverSent() public {
        address dave = makeAddr("dave");
        _register(dave, NORTH);
        _reward(dave, 20 * HOUR);
        (MonitorRules.Config memory c, uint32 actions) =
            _only(MonitorRules.DORMANT_REACTIVATION, MonitorAction.Flag);
        c.dormantDays = 30;
        _apply(c, actions);
        vm.warp(block.timestamp + 29 days);
        vm.assertEq(_fires(dave, bob, 10 * HOUR), 0);
        vm.warp(block.timestamp + 1 days);
        vm.assertEq(_fires(dave, bob, 10 * HOUR), _bit(MonitorRules.DORMANT_REACTIVATION));
    }

    // ---- actions -----------------------------------------------------------------------------

    function test_Block_RevertsWithTheRuleId() public {
        _applyOnly(MonitorRules.LARGE_AMOUNT, MonitorAction.Block);
        (MonitorAction action, uint16 rules, uint8 blocking) =
            coin.check(alice, bob, 10 * HOUR, Purpose.Gift);
        vm.assertTrue(action == MonitorAction.Block);
        vm.assertEq(rules, 1);
        vm.assertEq(uint256(blocking), MonitorRules.LARGE_AMOUNT);
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinBlockedByRule.selector, 1, 1));
        _gift(alice, bob, 10 * HOUR);
        vm.assertEq(coin.balanceOf(bob), RICH);
        vm.assertEq(desk.caseCount(), 0);
    }

    function test_StrongestActionWins() public {
        (MonitorRules.Config memory c,) = MonitorRules.defaults();
        c.enabled = uint8(_bit(MonitorRules.LARGE_AMOUNT) | _bit(MonitorRules.NEW_ACCOUNT));
        uint32 actions = uint32(uint8(MonitorAction.Flag)) // rule 1
            | uint32(uint8(MonitorAction.Hold)) << (2 * (MonitorRules.NEW_ACCOUNT - 1));
        _apply(c, actions);
        address dave = makeAddr("dave");
        _register(dave, NORTH);
        (MonitorAction action, uint16 rules,) = coin.check(alice, dave, 20 * HOUR, Purpose.Gift);
        vm.assertTrue(action == MonitorAction.Hold);
        vm.assertEq(rules, _bit(MonitorRules.LARGE_AMOUNT) | _bit(MonitorRules.NEW_ACCOUNT));
        _gift(alice, dave, 20 * HOUR);
        vm.assertEq(coin.balanceOf(dave), 0);
        vm.assertEq(coin.balanceOf(address(coin)), 20 * HOUR);
        vm.assertEq(desk.caseCount(), 1, "one case per hit, whatever the number of rules");
    }

    function test_HeldBurnIsOnlyFlagged() public {
        (MonitorRules.Config memory c, uint32 actions) =
            _only(MonitorRules.VOLUME, MonitorAction.Hold);
        c.volumeOut = 5;
        _apply(c, actions);
        vm.prank(alice);
        coin.redeem(5 * HOUR, bytes32(0));
        vm.assertEq(coin.balanceOf(address(coin)), 0);
        vm.assertTrue(desk.supervisionCase(1).action == MonitorAction.Flag);
    }

    function test_AllRulesOffIsFree() public view {
        (MonitorAction action, uint16 rules,) = coin.check(alice, bob, RICH, Purpose.Gift);
        vm.assertTrue(action == MonitorAction.None);
        vm.assertEq(rules, 0);
    }

    // ---- configuration -----------------------------------------------------------------------

    function test_SetRulesEmitsAndRoundTrips() public {
        (MonitorRules.Config memory c, uint32 actions) = MonitorRules.defaults();
        vm.expectEmit(address(coin));
        emit ITimeCoin.MonitorRulesChanged(c, actions, governor);
        _apply(c, actions);
        (MonitorRules.Config memory stored, uint32 storedActions) = coin.monitorRules();
        vm.assertEq(keccak256(abi.encode(stored)), keccak256(abi.encode(c)));
        vm.assertEq(uint256(storedActions), actions);

        vm.prank(governor);
        coin.setRuleEnabled(MonitorRules.ROUND_TRIP, false);
        (stored,) = coin.monitorRules();
        vm.assertEq(uint256(stored.enabled), 0xff & ~uint256(_bit(MonitorRules.ROUND_TRIP)));
    }

    function test_RevertWhen_RuleConfigInvalid() public {
        (MonitorRules.Config memory c, uint32 actions) = MonitorRules.defaults();
        c.velocityCount = 0;
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinInvalidRule.selector, 2));
        _apply(c, actions);

        (c, actions) = MonitorRules.defaults();
        c.structuringBand = 100;
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinInvalidRule.selector, 4));
        _apply(c, actions);

        (c, actions) = MonitorRules.defaults();
        actions &= ~uint32(3 << 2); // velocity on, with no action
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinInvalidRule.selector, 2));
        _apply(c, actions);

        (c, actions) = MonitorRules.defaults();
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinInvalidRule.selector, 0));
        _apply(c, actions | (1 << 20)); // an action for a rule that does not exist

        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinInvalidRule.selector, 9));
        vm.prank(governor);
        coin.setRuleEnabled(9, true);
    }

    function testFuzz_CheckAgreesWithTheMovement(uint256 amount, uint256 gap, bool back) public {
        amount = bound(amount, 1, 30 * HOUR);
        gap = bound(gap, 0, 3 days);
        (MonitorRules.Config memory c,) = MonitorRules.defaults();
        _apply(c, 0x5555); // every rule on, every action Flag
        _gift(alice, bob, HOUR);
        vm.warp(block.timestamp + gap);
        (address from, address to) = back ? (bob, alice) : (alice, carol);
        (, uint16 rules,) = coin.check(from, to, amount, Purpose.Gift);
        uint256 before = desk.caseCount();
        _gift(from, to, amount);
        vm.assertEq(desk.caseCount() - before, rules == 0 ? 0 : 1);
        if (rules != 0) vm.assertEq(desk.supervisionCase(desk.caseCount()).rules, rules);
    }
}
