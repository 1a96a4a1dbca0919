// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MonitorAction, Purpose} from "../../src/Types.sol";
import {MonitorRules} from "../../src/monitor/MonitorRules.sol";
import {Fixture} from "../utils/Fixture.sol";
import {vm} from "../utils/Vm.sol";

/// @notice Fixture for the monitoring tests: alice, bob and carol hold 100 h each (minted before
/// any rule is on), the clock is well past their activation, and `_only` switches on a single
/// rule with a chosen action on top of the default parameters.
abstract contract MonitorBase is Fixture {
    uint128 internal constant RICH = 100 * HOUR;

    function setUp() public virtual override {
        super.setUp();
        _reward(alice, RICH - START_BALANCE);
        _reward(bob, RICH - START_BALANCE);
        _reward(carol, RICH - START_BALANCE);
        vm.warp(block.timestamp + 60 days); // past the new-account age
    }

    /// @dev Default parameters with only `rule` on, acting with `action`.
    function _only(uint8 rule, MonitorAction action)
        internal
        pure
        returns (MonitorRules.Config memory c, uint32 actions)
    {
        (c,) = MonitorRules.defaults();
        c.enabled = uint8(1 << (rule - 1));
        actions = uint32(uint8(action)) << (2 * (rule - 1));
    }

    function _applyOnly(uint8 rule, MonitorAction action) internal {
        (MonitorRules.Config memory c, uint32 actions) = _only(rule, action);
        _apply(c, actions);
    }

    function _apply(MonitorRules.Config memory c, uint32 actions) internal {
        vm.prank(governor);
        coin.setMonitorRules(c, actions);
    }

    function _gift(address from, address to, uint256 amount) internal {
        vm.prank(from);
        coin.transfer(to, amount);
    }

    /// @dev A service `provider` proposes and `requester` confirms, which pays `provider`.
    function _service(address provider, address requester, uint256 amount)
        internal
        returns (uint256 serviceId)
    {
        vm.prank(provider);
        serviceId = ledger.proposeService(requester, uint128(amount), bytes32(0));
        vm.prank(requester);
        ledger.confirmService(serviceId);
    }

    /// @dev The rules `check` reports for a gift right now.
    function _fires(address from, address to, uint256 amount) internal view returns (uint16 rules) {
        (, rules,) = coin.check(from, to, amount, Purpose.Gift);
    }

    function _bit(uint8 rule) internal pure returns (uint16) {
        return uint16(1 << (rule - 1));
    }
}
