// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "../src/Roles.sol";
import {TimebankTimelock} from "../src/TimebankTimelock.sol";
import {MonitorRules} from "../src/monitor/MonitorRules.sol";
import {Fixture} from "./utils/Fixture.sol";
import {vm} from "./utils/Vm.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @notice The governor behind its timelock: a dangerous change is public for the whole delay,
/// the guardian can cancel it, and nobody can skip the wait.
contract GovernanceTest is Fixture {
    uint256 internal constant DELAY = 2 days;
    TimebankTimelock internal timelock;
    address internal guardian = makeAddr("guardian");

    function setUp() public override {
        super.setUp();
        _enableDefaultRules();
        timelock = new TimebankTimelock(DELAY, admin, guardian);
        vm.startPrank(governor);
        access.grantRole(Roles.GOVERNOR, address(timelock));
        access.renounceRole(Roles.GOVERNOR, governor);
        vm.stopPrank();
    }

    function _switchOff() internal view returns (address, uint256, bytes memory) {
        return
            (
                address(coin),
                0,
                abi.encodeCall(coin.setRuleEnabled, (MonitorRules.LARGE_AMOUNT, false))
            );
    }

    function test_ADangerousChangeWaitsTheDelayAndCanBeCancelled() public {
        (address target, uint256 value, bytes memory data) = _switchOff();
        bytes32 id = timelock.hashOperation(target, value, data, bytes32(0), bytes32(0));

        vm.prank(admin);
        timelock.schedule(target, value, data, bytes32(0), bytes32(0), DELAY);
        vm.assertTrue(timelock.isOperationPending(id));

        // Nobody executes early, not even the admin.
        vm.expectRevert();
        vm.prank(admin);
        timelock.execute(target, value, data, bytes32(0), bytes32(0));

        // The guardian sees it in the queue and cancels it.
        vm.prank(guardian);
        timelock.cancel(id);
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert();
        timelock.execute(target, value, data, bytes32(0), bytes32(0));
        (MonitorRules.Config memory c,) = coin.monitorRules();
        vm.assertEq(uint256(c.enabled), 0xff, "the cancelled change took effect");

        // Scheduled again and left alone, anyone carries it out after the delay.
        vm.prank(admin);
        timelock.schedule(target, value, data, bytes32(0), bytes32(uint256(1)), DELAY);
        vm.warp(block.timestamp + DELAY);
        vm.prank(stranger);
        timelock.execute(target, value, data, bytes32(0), bytes32(uint256(1)));
        (c,) = coin.monitorRules();
        vm.assertEq(uint256(c.enabled), 0xfe);
    }

    function test_OnlyTheAdminProposesAndTheDelayIsItselfGoverned() public {
        (address target, uint256 value, bytes memory data) = _switchOff();
        vm.expectRevert();
        vm.prank(guardian);
        timelock.schedule(target, value, data, bytes32(0), bytes32(0), DELAY);
        vm.expectRevert();
        vm.prank(admin);
        timelock.schedule(target, value, data, bytes32(0), bytes32(0), DELAY - 1);
        vm.expectRevert(
            abi.encodeWithSelector(TimelockController.TimelockUnauthorizedCaller.selector, admin)
        );
        vm.prank(admin);
        timelock.updateDelay(0);
    }
}
