// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RiskLevel} from "../../src/Types.sol";
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
        initialSupply = coin.totalSupply();
        initialMintedNorth = ledger.quota(NORTH).minted;
        initialMintedSouth = ledger.quota(SOUTH).minted;
        targetContract(address(handler));
    }

    function invariant_TotalSupplyEqualsSumOfBalances() public view {
        uint256 sum;
        uint256 n = handler.holderCount();
        for (uint256 i; i < n; ++i) {
            sum += coin.balanceOf(handler.holders(i));
        }
        vm.assertEq(coin.totalSupply(), sum, "total supply != sum of balances");
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
