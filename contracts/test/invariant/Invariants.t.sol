// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MonitorAction, RiskLevel} from "../../src/Types.sol";
import {ITimeCoin} from "../../src/interfaces/ITimeCoin.sol";
import {MonitorRules} from "../../src/monitor/MonitorRules.sol";
import {Fixture} from "../utils/Fixture.sol";
import {InvariantTest} from "../utils/Test.sol";
import {vm} from "../utils/Vm.sol";
import {TimebankHandler} from "./TimebankHandler.sol";

/// @notice Properties that hold after any sequence of member, operator, supervisor and admin
/// actions.
contract InvariantsTest is Fixture, InvariantTest {
    TimebankHandler internal handler;
    uint256 internal initialSupply;
    uint128 internal initialMintedNorth;
    uint128 internal initialMintedSouth;

    function setUp() public override {
        super.setUp();
        address[] memory members = new address[](4);
        members[0] = alice;
        members[1] = bob;
        members[2] = carol;
        members[3] = makeAddr("dora");
        _register(members[3], SOUTH);

        handler = new TimebankHandler(identity, coin, ledger, admin, supervisor, members, op1, op2);
        address[] memory deciders = new address[](4);
        deciders[0] = supervisor;
        deciders[1] = supervisor;
        deciders[2] = op1;
        deciders[3] = alice;
        handler.setDesk(desk, deciders);

        // Every rule on and firing often: large amounts held, velocity blocked, the rest flagged.
        (MonitorRules.Config memory c,) = MonitorRules.defaults();
        c.largeGift = 6;
        c.largeServicePayment = 6;
        c.velocityCount = 3;
        c.volumeOut = 12;
        c.volumeIn = 12;
        c.riskyLevel = uint8(RiskLevel.Medium);
        c.dormantDays = 2;
        c.dormantAmount = 1;
        uint32 actions = 0x5555 & ~uint32(3) | uint32(uint8(MonitorAction.Hold));
        actions = actions & ~(uint32(3) << 2) | uint32(uint8(MonitorAction.Block)) << 2;
        vm.prank(admin);
        coin.setMonitorRules(c, actions);
        initialSupply = coin.totalSupply();
        initialMintedNorth = ledger.quota(NORTH).minted;
        initialMintedSouth = ledger.quota(SOUTH).minted;
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](10);
        selectors[0] = TimebankHandler.pay.selector;
        selectors[1] = TimebankHandler.reward.selector;
        selectors[2] = TimebankHandler.service.selector;
        selectors[3] = TimebankHandler.redeem.selector;
        selectors[4] = TimebankHandler.toggleSuspension.selector;
        selectors[5] = TimebankHandler.setRisk.selector;
        selectors[6] = TimebankHandler.setQuota.selector;
        selectors[7] = TimebankHandler.recover.selector;
        selectors[8] = TimebankHandler.decide.selector;
        selectors[9] = TimebankHandler.warp.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    function invariant_TotalSupplyEqualsSumOfBalances() public view {
        uint256 sum;
        uint256 n = handler.holderCount();
        for (uint256 i; i < n; ++i) {
            sum += coin.balanceOf(handler.holders(i));
        }
        sum += coin.balanceOf(address(coin)); // escrow
        vm.assertEq(coin.totalSupply(), sum, "total supply != balances + escrow");
        vm.assertEq(
            coin.totalSupply(),
            initialSupply + handler.ghostMinted(NORTH) + handler.ghostMinted(SOUTH)
                - handler.ghostBurned(),
            "total supply != minted - burned"
        );
    }

    function invariant_IneligibleAccountsNeverMoveCoins() public view {
        vm.assertEq(
            handler.ghostFrozenMoved(), 0, "a non-Active or Blocked account sent or received"
        );
        vm.assertEq(handler.ghostIneligibleMoved(), 0, "a payment with an ineligible side landed");
        vm.assertEq(handler.ghostEligibleRefused(), 0, "an eligible payment was refused");
    }

    function invariant_EscrowHoldsExactlyTheHeldCoins() public view {
        uint256 held;
        uint256 n = desk.caseCount();
        for (uint256 i = 1; i <= n; ++i) {
            uint256 holdId = desk.supervisionCase(i).holdId;
            if (holdId == 0) continue;
            ITimeCoin.Hold memory h = coin.hold(holdId);
            if (h.status == ITimeCoin.HoldStatus.Held) held += h.amount;
        }
        vm.assertEq(coin.balanceOf(address(coin)), held, "escrow != coins held for open cases");
    }

    function invariant_MonitorOutcomesFollowTheRules() public view {
        vm.assertEq(handler.ghostBlockedLanded(), 0, "a movement matching a Block rule landed");
        vm.assertEq(handler.ghostCaseMismatch(), 0, "a Flag or Hold hit did not open one case");
        vm.assertEq(handler.ghostNonSupervisorDecided(), 0, "a non-supervisor decided a case");
    }

    function invariant_CoinStandingMatchesRegistry() public view {
        uint256 n = handler.holderCount();
        for (uint256 i; i < n; ++i) {
            address account = handler.holders(i);
            (bool canA, RiskLevel riskA, uint40 activatedA) = identity.standing(account);
            (bool canB, RiskLevel riskB, uint40 activatedB) = coin.standingOf(account);
            vm.assertEq(canA, canB, "coin and registry disagree on who may transact");
            vm.assertTrue(riskA == riskB, "coin and registry disagree on a risk level");
            vm.assertEq(uint256(activatedA), uint256(activatedB));
        }
    }

    function invariant_MintingNeverExceedsBranchQuotas() public view {
        vm.assertLe(ledger.quota(NORTH).minted, ledger.quota(NORTH).limit);
        vm.assertLe(ledger.quota(SOUTH).minted, ledger.quota(SOUTH).limit);
        vm.assertEq(ledger.quota(NORTH).minted, initialMintedNorth + handler.ghostMinted(NORTH));
        vm.assertEq(ledger.quota(SOUTH).minted, initialMintedSouth + handler.ghostMinted(SOUTH));
    }
}
