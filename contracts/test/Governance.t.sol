// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "../src/Roles.sol";
import {TimebankTimelock} from "../src/TimebankTimelock.sol";
import {MonitorRules} from "../src/monitor/MonitorRules.sol";
import {Fixture} from "./utils/Fixture.sol";
import {vm} from "./utils/Vm.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";

/// @notice The governor behind its timelock: a dangerous change is public for the whole delay,
/// the guardian can cancel it, and nobody can skip the wait.
contract GovernanceTest is Fixture {
    uint256 internal constant DELAY = 2 days;
    TimebankTimelock internal timelock;
    address internal guardian = makeAddr("guardian");

    function setUp() public override {
        super.setUp();
        _enableDefaultRules();
        timelock = new TimebankTimelock(DELAY, admin, guardian, address(forwarder));
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

    /// The admin proposes with a signed request a gateway relays, as for every other write; a
    /// relayed proposal by anyone else, or a relayed call posing as the timelock, is refused.
    function test_TheAdminProposesThroughTheForwarder() public {
        (address keyed, uint256 key) = makeAddrAndKey("admin with a wallet");
        TimebankTimelock relayed = new TimebankTimelock(DELAY, keyed, guardian, address(forwarder));
        vm.prank(address(timelock)); // the governor
        access.grantRole(Roles.GOVERNOR, address(relayed));
        (address target, uint256 value, bytes memory data) = _switchOff();
        bytes memory schedule =
            abi.encodeCall(relayed.schedule, (target, value, data, bytes32(0), bytes32(0), DELAY));

        ERC2771Forwarder.ForwardRequestData memory request =
            _forwardRequest(aliceKey, address(relayed), schedule);
        vm.expectRevert();
        forwarder.execute(request);
        forwarder.execute(_forwardRequest(key, address(relayed), schedule));
        bytes32 id = relayed.hashOperation(target, value, data, bytes32(0), bytes32(0));
        vm.assertTrue(relayed.isOperationPending(id));

        // Self-administration stays the timelock's own: the admin's relayed call is the admin's.
        request = _forwardRequest(key, address(relayed), abi.encodeCall(relayed.updateDelay, (0)));
        vm.expectRevert();
        forwarder.execute(request);

        vm.warp(block.timestamp + DELAY);
        forwarder.execute(
            _forwardRequest(
                bobKey,
                address(relayed),
                abi.encodeCall(relayed.execute, (target, value, data, bytes32(0), bytes32(0)))
            )
        );
        (MonitorRules.Config memory c,) = coin.monitorRules();
        vm.assertEq(uint256(c.enabled), 0xfe, "the relayed change took effect");
    }
}
