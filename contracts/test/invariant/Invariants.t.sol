// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MemberStatus, MonitorAction, RiskLevel} from "../../src/Types.sol";
import {ITimeCoin} from "../../src/interfaces/ITimeCoin.sol";
import {MonitorRules} from "../../src/monitor/MonitorRules.sol";
import {Fixture} from "../utils/Fixture.sol";
import {InvariantTest} from "../utils/Test.sol";
import {vm} from "../utils/Vm.sol";
import {TimebankHandler} from "./TimebankHandler.sol";

/// @notice Properties that hold after any sequence of member, operator, supervisor, partner,
/// admin and governor actions, honest or not.
contract InvariantsTest is Fixture, InvariantTest {
    TimebankHandler internal handler;
    uint256 internal initialSupply;
    uint128 internal initialMintedNorth;
    uint128 internal initialMintedSouth;

    function setUp() public override {
        super.setUp();
        // sam is a member who is also a supervisor.
        address sam = makeAddr("sam");
        _register(sam, SOUTH);
        vm.prank(governor);
        access.grantRole(keccak256("timebank.role.supervisor"), sam);
        address[] memory members = new address[](5);
        members[0] = alice;
        members[1] = bob;
        members[2] = carol;
        members[3] = makeAddr("dora");
        members[4] = sam;
        _register(members[3], SOUTH);

        address[] memory deciders = new address[](4);
        deciders[0] = sam;
        deciders[1] = supervisor;
        deciders[2] = op1;
        deciders[3] = alice;
        handler = new TimebankHandler(
            identity,
            coin,
            ledger,
            desk,
            monitor,
            TimebankHandler.Actors({
                admin: admin,
                governor: governor,
                supervisor: supervisor,
                partner: partner,
                members: members,
                northOperators: [op1, op1b],
                southOperators: [op2, op2b],
                deciders: deciders
            })
        );

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
        vm.startPrank(governor);
        coin.setMonitorRules(c, actions);
        vm.stopPrank();
        vm.prank(admin);
        ledger.setSecondApproval(NORTH, 10e18);
        initialSupply = coin.totalSupply();
        initialMintedNorth = ledger.quota(NORTH).minted;
        initialMintedSouth = ledger.quota(SOUTH).minted;
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](19);
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
        selectors[10] = TimebankHandler.operatorSetsRisk.selector;
        selectors[11] = TimebankHandler.raiseAlert.selector;
        selectors[12] = TimebankHandler.assessAlert.selector;
        selectors[13] = TimebankHandler.move.selector;
        selectors[14] = TimebankHandler.close.selector;
        selectors[15] = TimebankHandler.swapMonitor.selector;
        selectors[16] = TimebankHandler.adopt.selector;
        // Payments and decisions twice as often: they are where coins move.
        selectors[17] = TimebankHandler.pay.selector;
        selectors[18] = TimebankHandler.decide.selector;
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
        vm.assertEq(handler.ghostBurnMismatch(), 0, "a closure burned other than the balance");
    }

    function invariant_IneligibleAccountsNeverMoveCoins() public view {
        vm.assertEq(
            handler.ghostFrozenMoved(), 0, "a non-Active or Blocked account sent or received"
        );
        vm.assertEq(handler.ghostIneligibleMoved(), 0, "a payment with an ineligible side landed");
        vm.assertEq(handler.ghostEligibleRefused(), 0, "an eligible payment was refused");
    }

    function invariant_NoCoinsStranded() public view {
        uint256 n = handler.holderCount();
        for (uint256 i; i < n; ++i) {
            address account = handler.holders(i);
            if (identity.retired(account)) {
                vm.assertEq(coin.balanceOf(account), 0, "a retired wallet holds coins");
            } else if (identity.member(account).status == MemberStatus.Closed) {
                vm.assertEq(coin.balanceOf(account), 0, "a closed member holds coins");
            }
        }
    }

    function invariant_EscrowHoldsExactlyTheHeldCoins() public view {
        uint256 held;
        for (uint256 holdId = 1;; ++holdId) {
            ITimeCoin.Hold memory h = coin.hold(holdId);
            if (h.status == ITimeCoin.HoldStatus.None) break;
            if (h.status == ITimeCoin.HoldStatus.Held) held += h.amount;
        }
        vm.assertEq(coin.balanceOf(address(coin)), held, "escrow != coins held");
        vm.assertEq(handler.ghostForeignHoldSettled(), 0, "a desk settled another's hold");
    }

    function invariant_MonitorOutcomesFollowTheRules() public view {
        vm.assertEq(handler.ghostBlockedLanded(), 0, "a movement matching a Block rule landed");
        vm.assertEq(handler.ghostCaseMismatch(), 0, "a Flag or Hold hit did not open one case");
        vm.assertEq(handler.ghostNonSupervisorDecided(), 0, "a non-supervisor decided a case");
    }

    function invariant_OnlyAPersonChangesARiskLevel() public view {
        vm.assertEq(handler.ghostRiskChangedByPayment(), 0, "a payment's case changed a risk");
    }

    function invariant_NobodyDecidesTheirOwnCase() public view {
        vm.assertEq(handler.ghostConflictDecided(), 0, "a party decided its own case or alert");
        vm.assertEq(
            handler.ghostOperatorLoweredSupervisedRisk(),
            0,
            "an operator lowered a level supervision set"
        );
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
