// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Purpose, RiskLevel} from "../src/Types.sol";
import {ITimeCoin} from "../src/interfaces/ITimeCoin.sol";
import {RecordingMonitor} from "./mocks/RecordingMonitor.sol";
import {Fixture} from "./utils/Fixture.sol";
import {Vm, vm} from "./utils/Vm.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

contract TimeCoinTest is Fixture {
    RecordingMonitor internal recorder;
    bytes32 internal constant REF = keccak256("invoice 17");

    function setUp() public override {
        super.setUp();
        recorder = new RecordingMonitor();
        vm.prank(governor);
        coin.setMonitor(recorder);
    }

    function test_Metadata() public view {
        vm.assertEq(coin.name(), "Time Coin");
        vm.assertEq(coin.symbol(), "TIME");
        vm.assertEq(uint256(coin.decimals()), 18);
        vm.assertEq(coin.totalSupply(), 3 * START_BALANCE);
    }

    function test_PayCarriesPurposeAndReachesMonitor() public {
        vm.expectEmit(address(coin));
        emit ITimeCoin.CoinsMoved(alice, bob, 2 * HOUR, Purpose.Gift, REF);
        vm.prank(alice);
        coin.pay(bob, 2 * HOUR, Purpose.Gift, REF);
        vm.assertEq(coin.balanceOf(alice), START_BALANCE - 2 * HOUR);
        vm.assertEq(coin.balanceOf(bob), START_BALANCE + 2 * HOUR);
        vm.assertEq(recorder.count(), 0, "no rule is on, so the monitor is not called");
    }

    /// @dev How many CoinsMoved logs the coin emitted since `vm.recordLogs()`.
    function _coinsMovedLogs() internal returns (uint256 n) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (
                logs[i].emitter == address(coin)
                    && logs[i].topics[0] == ITimeCoin.CoinsMoved.selector
            ) {
                ++n;
            }
        }
    }

    function test_PlainTransferIsAGiftWithoutASecondLog() public {
        vm.recordLogs();
        vm.expectEmit(address(coin));
        emit IERC20.Transfer(alice, carol, HOUR);
        vm.prank(alice);
        coin.transfer(carol, HOUR);
        vm.prank(alice);
        coin.approve(bob, HOUR);
        vm.prank(bob);
        coin.transferFrom(alice, carol, HOUR);
        vm.prank(alice);
        coin.pay(carol, HOUR, Purpose.Gift, bytes32(0));
        vm.assertEq(_coinsMovedLogs(), 0, "a gift with no reference is told by Transfer alone");

        vm.prank(alice);
        coin.pay(carol, HOUR, Purpose.Gift, REF);
        vm.assertEq(_coinsMovedLogs(), 1, "a gift with a reference carries it in CoinsMoved");
        vm.assertEq(coin.balanceOf(carol), START_BALANCE + 4 * HOUR);
    }

    function test_RevertWhen_MemberPaysAReward() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeCoin.TimeCoinInvalidPurpose.selector, Purpose.ActivityReward
            )
        );
        vm.prank(alice);
        coin.pay(bob, HOUR, Purpose.ActivityReward, REF);
        vm.expectRevert(
            abi.encodeWithSelector(ITimeCoin.TimeCoinInvalidPurpose.selector, Purpose.Recovery)
        );
        vm.prank(alice);
        coin.pay(bob, HOUR, Purpose.Recovery, REF);
    }

    function test_RevertWhen_RecipientNotAMember() public {
        vm.expectRevert(
            abi.encodeWithSelector(ITimeCoin.TimeCoinNotActiveMember.selector, stranger)
        );
        vm.prank(alice);
        coin.transfer(stranger, HOUR);
    }

    function test_RevertWhen_SenderOrRecipientSuspendedOrBlocked() public {
        vm.prank(op1);
        identity.suspendMember(bob, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinNotActiveMember.selector, bob));
        vm.prank(alice);
        coin.transfer(bob, HOUR);
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinNotActiveMember.selector, bob));
        vm.prank(bob);
        coin.transfer(alice, HOUR);

        vm.prank(supervisor);
        identity.setRiskLevel(carol, RiskLevel.Blocked, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinNotActiveMember.selector, carol));
        vm.prank(alice);
        coin.transfer(carol, HOUR);
    }

    function test_StandingFollowsTheRegistry() public {
        (bool can, RiskLevel risk, uint40 activatedAt) = coin.standingOf(alice);
        vm.assertTrue(can);
        vm.assertTrue(risk == RiskLevel.None);
        vm.assertEq(uint256(activatedAt), uint256(identity.member(alice).activatedAt));

        vm.expectEmit(address(coin));
        emit ITimeCoin.StandingSynced(alice, true, RiskLevel.High, activatedAt);
        vm.prank(supervisor);
        identity.setRiskLevel(alice, RiskLevel.High, bytes32(0));
        (, risk,) = coin.standingOf(alice);
        vm.assertTrue(risk == RiskLevel.High);

        vm.prank(supervisor);
        identity.closeMember(alice, bytes32(0));
        (can,,) = coin.standingOf(alice);
        vm.assertFalse(can);
    }

    function test_AnyoneMaySyncButOnlyCopiesTheRegistry() public {
        vm.prank(stranger);
        coin.syncMember(alice);
        (bool can,,) = coin.standingOf(alice);
        vm.assertTrue(can);
        vm.prank(stranger);
        coin.syncMember(stranger);
        (can,,) = coin.standingOf(stranger);
        vm.assertFalse(can);
    }

    function test_HighRiskMemberStillTransacts() public {
        vm.prank(supervisor);
        identity.setRiskLevel(bob, RiskLevel.High, bytes32(0));
        vm.prank(alice);
        coin.transfer(bob, HOUR);
        vm.assertEq(coin.balanceOf(bob), START_BALANCE + HOUR);
    }

    function test_RevertWhen_InsufficientBalance() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientBalance.selector,
                alice,
                START_BALANCE,
                START_BALANCE + 1
            )
        );
        vm.prank(alice);
        coin.pay(bob, START_BALANCE + 1, Purpose.Gift, REF);
    }

    function test_PayWithSignature() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signPay(aliceKey, bob, HOUR, Purpose.Gift, REF, deadline);
        vm.prank(stranger); // any relayer
        coin.payWithSignature(alice, bob, HOUR, Purpose.Gift, REF, deadline, sig);
        vm.assertEq(coin.balanceOf(bob), START_BALANCE + HOUR);
        vm.assertEq(coin.nonces(alice), 1);

        // Replaying the same signature fails: the nonce moved on.
        vm.expectRevert();
        coin.payWithSignature(alice, bob, HOUR, Purpose.Gift, REF, deadline, sig);
        vm.assertEq(coin.balanceOf(bob), START_BALANCE + HOUR);
    }

    function test_RevertWhen_PaySignatureExpiredOrForged() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signPay(aliceKey, bob, HOUR, Purpose.Gift, REF, deadline);
        vm.warp(deadline + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ITimeCoin.TimeCoinExpiredSignature.selector, deadline)
        );
        coin.payWithSignature(alice, bob, HOUR, Purpose.Gift, REF, deadline, sig);

        deadline = block.timestamp + 1 hours;
        // Bob signs Alice's payment message with his own key.
        bytes32 digest = coin.payDigest(alice, bob, HOUR, Purpose.Gift, REF, 0, deadline);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(bobKey, digest);
        bytes memory forged = abi.encodePacked(r, s, v);
        vm.expectRevert(
            abi.encodeWithSelector(ITimeCoin.TimeCoinInvalidSigner.selector, bob, alice)
        );
        coin.payWithSignature(alice, bob, HOUR, Purpose.Gift, REF, deadline, forged);

        // A signature over different terms recovers to someone else.
        sig = _signPay(aliceKey, bob, HOUR, Purpose.Gift, REF, deadline);
        vm.expectRevert();
        coin.payWithSignature(alice, bob, 2 * HOUR, Purpose.Gift, REF, deadline, sig);
        vm.expectRevert(ECDSA.ECDSAInvalidSignature.selector);
        coin.payWithSignature(alice, bob, HOUR, Purpose.Gift, REF, deadline, new bytes(65));
    }

    function test_Permit() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
                ),
                alice,
                bob,
                HOUR,
                coin.nonces(alice),
                deadline
            )
        );
        bytes32 digest =
            keccak256(abi.encodePacked("\x19\x01", coin.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(aliceKey, digest);
        coin.permit(alice, bob, HOUR, deadline, v, r, s);
        vm.assertEq(coin.allowance(alice, bob), HOUR);
    }

    function test_ForwardedPaymentRecordsTheSignerNotTheRelayer() public {
        ERC2771Forwarder.ForwardRequestData memory request = _forwardRequest(
            aliceKey, address(coin), abi.encodeCall(coin.pay, (bob, HOUR, Purpose.Gift, REF))
        );
        vm.expectEmit(address(coin));
        emit ITimeCoin.CoinsMoved(alice, bob, HOUR, Purpose.Gift, REF);
        vm.prank(stranger); // the gateway's relayer pays gas
        forwarder.execute(request);
        vm.assertEq(coin.balanceOf(bob), START_BALANCE + HOUR);
        vm.assertEq(coin.balanceOf(stranger), 0);

        // The same request can't be relayed twice.
        vm.expectRevert();
        forwarder.execute(request);
        vm.assertEq(coin.balanceOf(bob), START_BALANCE + HOUR);
    }

    function test_RedeemBurns() public {
        vm.expectEmit(address(coin));
        emit ITimeCoin.CoinsMoved(alice, address(0), HOUR, Purpose.Redemption, REF);
        vm.prank(alice);
        coin.redeem(HOUR, REF);
        vm.assertEq(coin.totalSupply(), 3 * START_BALANCE - HOUR);
    }

    function test_RevertWhen_SelfTransfer() public {
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinSelfTransfer.selector, alice));
        vm.prank(alice);
        coin.transfer(alice, HOUR);
    }

    function test_SetMonitor() public {
        RecordingMonitor next = new RecordingMonitor();
        vm.expectEmit(address(coin));
        emit ITimeCoin.MonitorChanged(address(recorder), address(next), governor);
        vm.prank(governor);
        coin.setMonitor(next);
        vm.assertEq(address(coin.monitor()), address(next));

        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinInvalidMonitor.selector, stranger));
        vm.prank(governor);
        coin.setMonitor(RecordingMonitor(stranger));
    }

    function test_RevertWhen_NotLedgerMints() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                op1,
                keccak256("timebank.role.ledger")
            )
        );
        vm.prank(op1);
        coin.mint(alice, HOUR, Purpose.ActivityReward, REF);
    }

    function test_RevertWhen_LedgerMintsWithNonRewardPurpose() public {
        vm.expectRevert(
            abi.encodeWithSelector(ITimeCoin.TimeCoinInvalidPurpose.selector, Purpose.Gift)
        );
        vm.prank(address(ledger));
        coin.mint(alice, HOUR, Purpose.Gift, REF);
    }

    function test_RevertWhen_RecoverBalanceNotFromRegistry() public {
        vm.expectRevert(
            abi.encodeWithSelector(ITimeCoin.TimeCoinOnlyIdentityRegistry.selector, admin)
        );
        vm.prank(admin);
        coin.recoverMember(alice, stranger);
    }

    function test_PurposeDoesNotLeakIntoTheNextMovement() public {
        // Two movements in one transaction: a forwarded batch of pay(Gift, REF) then a plain
        // transfer. The transfer must be a Gift with no reference, not inherit the earlier one.
        ERC2771Forwarder.ForwardRequestData[] memory batch =
            new ERC2771Forwarder.ForwardRequestData[](2);
        batch[0] = _forwardRequest(
            aliceKey, address(coin), abi.encodeCall(coin.pay, (bob, HOUR, Purpose.Gift, REF))
        );
        // The second request uses the next nonce.
        vm.prank(alice);
        forwarder.execute(batch[0]);
        batch[1] =
            _forwardRequest(aliceKey, address(coin), abi.encodeCall(coin.transfer, (bob, HOUR)));
        vm.recordLogs();
        vm.prank(stranger);
        forwarder.execute(batch[1]);
        vm.assertEq(_coinsMovedLogs(), 0, "the transfer inherited the earlier reference");
    }

    function testFuzz_PayConservesSupply(uint256 amount, bytes32 ref) public {
        amount = bound(amount, 1, START_BALANCE);
        uint256 supply = coin.totalSupply();
        vm.prank(alice);
        coin.pay(carol, amount, Purpose.Gift, ref);
        vm.assertEq(coin.totalSupply(), supply);
        vm.assertEq(coin.balanceOf(alice) + coin.balanceOf(carol), 2 * START_BALANCE);
    }
}
