// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "../src/Roles.sol";
import {ActivityKind, MonitorAction, Purpose, RiskLevel} from "../src/Types.sol";
import {IIdentityRegistry} from "../src/interfaces/IIdentityRegistry.sol";
import {IServiceLedger} from "../src/interfaces/IServiceLedger.sol";
import {ISupervisionDesk} from "../src/interfaces/ISupervisionDesk.sol";
import {ITimeCoin} from "../src/interfaces/ITimeCoin.sol";
import {ITimebankAccess} from "../src/interfaces/ITimebankAccess.sol";
import {MonitorRules} from "../src/monitor/MonitorRules.sol";
import {SupervisionDesk} from "../src/monitor/SupervisionDesk.sol";
import {MonitorBase} from "./monitor/MonitorBase.sol";
import {Vm, vm} from "./utils/Vm.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";
import {Errors} from "@openzeppelin/contracts/utils/Errors.sol";

/// @notice Each attack a dishonest insider, a careless admin or a patient evader could make
/// on the contracts, as one test that the attack fails. docs/contracts.md's threat table names
/// these tests. Rules: large amounts held, round trips flagged (as `_hostileRules` sets).
contract AttacksTest is MonitorBase {
    bytes32 internal constant REASON = keccak256("reason");
    /// sam is a member of the south branch and a supervisor.
    address internal sam = makeAddr("sam");

    function setUp() public override {
        super.setUp();
        _register(sam, SOUTH);
        _reward(sam, RICH);
        vm.prank(governor);
        access.grantRole(Roles.SUPERVISOR, sam);
        (MonitorRules.Config memory c,) = MonitorRules.defaults();
        c.enabled = uint8(_bit(MonitorRules.LARGE_AMOUNT) | _bit(MonitorRules.ROUND_TRIP));
        _apply(
            c,
            uint32(uint8(MonitorAction.Hold)) | uint32(uint8(MonitorAction.Flag))
                << (2 * (MonitorRules.ROUND_TRIP - 1))
        );
    }

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(
            IAccessControl.AccessControlUnauthorizedAccount.selector, account, role
        );
    }

    // ---- risk and standing ----------------------------------------------------------------

    /// Framing: colluders give an innocent member small gifts until the incoming-volume rule
    /// opens case after case about her, and a monitoring agent reports her too. However many
    /// cases are open, her risk level doesn't move (no RiskLevelChanged, so no partner hears of
    /// one) until a supervisor decides. The desk once had a governor's switch (`setAutoRisk`)
    /// that raised the risk of an account with enough open cases; it is gone.
    function test_Attack_CasesAboutAVictimRaiseHerRisk() public {
        vm.prank(governor);
        (bool switched,) = address(desk)
            .call(
                abi.encodeWithSignature(
                    "setAutoRisk(uint16,uint8)", uint16(1), uint8(RiskLevel.Blocked)
                )
            );
        address agent = makeAddr("agent");
        vm.prank(admin);
        access.grantRole(Roles.MONITORING_AGENT, agent);
        address[] memory colluders = new address[](8);
        for (uint256 i = 0; i < colluders.length; ++i) {
            colluders[i] = makeAddr(string.concat("colluder ", vm.toString(i)));
            _register(colluders[i], NORTH);
            _reward(colluders[i], 2 * HOUR);
        }
        (MonitorRules.Config memory c,) = MonitorRules.defaults();
        c.enabled = uint8(_bit(MonitorRules.VOLUME));
        c.volumeOut = 0;
        c.volumeIn = 2;
        _apply(c, uint32(uint8(MonitorAction.Flag)) << (2 * (MonitorRules.VOLUME - 1)));

        vm.recordLogs();
        for (uint256 i = 0; i < colluders.length; ++i) {
            _gift(colluders[i], carol, HOUR);
            vm.prank(agent);
            desk.openCase(carol, colluders[i], REASON);
        }
        vm.assertEq(desk.openCases(carol), 15, "7 incoming-volume hits and 8 agent reports");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = 0; i < logs.length; ++i) {
            vm.assertTrue(
                logs[i].topics[0] != IIdentityRegistry.RiskLevelChanged.selector,
                "a case opening changed a risk level"
            );
        }
        vm.assertTrue(identity.member(carol).risk == RiskLevel.None);
        (bool canTransact, RiskLevel risk,) = coin.standingOf(carol);
        vm.assertTrue(canTransact && risk == RiskLevel.None);
        _gift(carol, alice, HOUR); // she still pays
        vm.assertFalse(switched, "the desk still has a switch that raises risk by itself");

        // A supervisor's decision is what changes it.
        vm.prank(supervisor);
        desk.decideCase(1, ISupervisionDesk.CaseStatus.Confirmed, REASON, RiskLevel.Low);
        vm.assertTrue(identity.member(carol).risk == RiskLevel.Low);
    }

    /// A partner's alert assessed as Blocked stops the member's coins at once.
    function test_Attack_BlockedByAPartnerAlertStillPays() public {
        vm.prank(partner);
        uint256 alertId = identity.raiseRiskAlert(alice, REASON);
        vm.prank(supervisor);
        identity.assessRiskAlert(alertId, RiskLevel.Blocked, REASON);

        (bool canTransact, RiskLevel risk,) = coin.standingOf(alice);
        vm.assertFalse(canTransact, "the coin still lets a Blocked member move coins");
        vm.assertTrue(risk == RiskLevel.Blocked);
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinNotActiveMember.selector, alice));
        _gift(alice, bob, HOUR);
    }

    /// A supervisor who is a member can't clear their own case, nor release held coins to
    /// themselves as the counterparty.
    function test_Attack_SupervisorDecidesTheirOwnCase() public {
        _gift(sam, carol, 12 * HOUR); // held: a case about sam
        uint256 own = desk.caseCount();
        vm.expectRevert(
            abi.encodeWithSelector(ISupervisionDesk.SupervisionDeskConflictOfInterest.selector, sam)
        );
        vm.prank(sam);
        desk.decideCase(own, ISupervisionDesk.CaseStatus.Cleared, REASON, RiskLevel.None);

        _gift(alice, sam, 12 * HOUR); // held: a case about alice, with sam as the counterparty
        uint256 counterparty = desk.caseCount();
        vm.expectRevert(
            abi.encodeWithSelector(ISupervisionDesk.SupervisionDeskConflictOfInterest.selector, sam)
        );
        vm.prank(sam);
        desk.decideCase(counterparty, ISupervisionDesk.CaseStatus.Cleared, REASON, RiskLevel.None);

        // Another supervisor decides both.
        vm.startPrank(supervisor);
        desk.decideCase(own, ISupervisionDesk.CaseStatus.Confirmed, REASON, RiskLevel.High);
        desk.decideCase(counterparty, ISupervisionDesk.CaseStatus.Cleared, REASON, RiskLevel.None);
        vm.stopPrank();
    }

    /// A supervisor can't set their own risk level back to None, nor assess an alert about
    /// themselves.
    function test_Attack_SupervisorLowersTheirOwnRisk() public {
        vm.prank(supervisor);
        identity.setRiskLevel(sam, RiskLevel.High, REASON);
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityRegistrySelfAction.selector, sam)
        );
        vm.prank(sam);
        identity.setRiskLevel(sam, RiskLevel.None, REASON);

        vm.prank(partner);
        uint256 alertId = identity.raiseRiskAlert(sam, REASON);
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityRegistrySelfAction.selector, sam)
        );
        vm.prank(sam);
        identity.assessRiskAlert(alertId, RiskLevel.None, REASON);
    }

    /// An operator can raise a level but not lower one a supervisor or the monitor set.
    function test_Attack_OperatorLowersASupervisorsRiskLevel() public {
        vm.prank(supervisor);
        identity.setRiskLevel(alice, RiskLevel.High, REASON);
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryRiskSetBySupervision.selector,
                alice,
                RiskLevel.High
            )
        );
        vm.prank(op1);
        identity.setRiskLevel(alice, RiskLevel.None, REASON);

        // A level the desk set on a supervisor's decision is supervision's too.
        _gift(carol, bob, HOUR);
        _gift(bob, carol, HOUR); // a round trip: a case about bob
        uint256 caseId = desk.caseCount();
        vm.prank(supervisor);
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Confirmed, REASON, RiskLevel.Medium);
        vm.assertTrue(identity.member(bob).risk == RiskLevel.Medium);
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryRiskSetBySupervision.selector,
                bob,
                RiskLevel.Medium
            )
        );
        vm.prank(op1);
        identity.setRiskLevel(bob, RiskLevel.Low, REASON);
        // Raising is fine; another supervisor may lower.
        vm.prank(op1);
        identity.setRiskLevel(bob, RiskLevel.High, REASON);
        vm.prank(supervisor);
        identity.setRiskLevel(bob, RiskLevel.None, REASON);
    }

    /// An operator who is a member can't approve their own membership, even when another
    /// operator submitted it.
    function test_Attack_OperatorApprovesTheirOwnMembership() public {
        vm.prank(op1);
        identity.submitMember(op1b, NORTH, keccak256("op1b"), hex"01");
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityRegistrySelfAction.selector, op1b)
        );
        vm.prank(op1b);
        identity.approveMember(op1b);
    }

    /// An operator who volunteers can't record or settle their own hours.
    function test_Attack_OperatorRewardsThemselves() public {
        _register(op1, SOUTH); // op1 operates north and volunteers as a south member...
        vm.prank(op2);
        identity.requestMove(op1, NORTH); // ...and moves to north, where op1b accepts
        vm.prank(op1b);
        identity.acceptMove(op1);
        vm.prank(op1b);
        uint256 id = ledger.createActivity(NORTH, ActivityKind.Activity, 8 * HOUR, 0, bytes32(0));
        vm.prank(op1);
        ledger.joinActivity(id);
        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerSelfDealing.selector, op1)
        );
        vm.prank(op1);
        ledger.recordHours(id, op1, 8 * HOUR);
        vm.prank(op1b);
        ledger.recordHours(id, op1, 8 * HOUR);
        vm.prank(op1);
        ledger.confirmHours(id, 8 * HOUR);
        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerSelfDealing.selector, op1)
        );
        vm.prank(op1);
        ledger.settle(id, op1);
    }

    /// Above the branch's second-approval amount, one operator alone can't mint.
    function test_Attack_OneOperatorSettlesALargeReward() public {
        vm.prank(admin);
        ledger.setSecondApproval(NORTH, 5 * HOUR);
        vm.prank(op1);
        uint256 id = ledger.createActivity(NORTH, ActivityKind.Activity, 8 * HOUR, 0, bytes32(0));
        vm.prank(alice);
        ledger.joinActivity(id);
        vm.prank(op1);
        ledger.recordHours(id, alice, 8 * HOUR);
        vm.prank(alice);
        ledger.confirmHours(id, 8 * HOUR);

        uint256 before = coin.balanceOf(alice);
        vm.expectEmit(address(ledger));
        emit IServiceLedger.SettlementApproved(id, alice, 8 * HOUR, op1);
        vm.prank(op1);
        ledger.settle(id, alice);
        vm.assertEq(coin.balanceOf(alice), before, "one operator minted a large reward");
        vm.expectRevert(
            abi.encodeWithSelector(IServiceLedger.ServiceLedgerSecondOperatorNeeded.selector, op1)
        );
        vm.prank(op1);
        ledger.settle(id, alice);
        vm.prank(op1b);
        ledger.settle(id, alice);
        vm.assertEq(coin.balanceOf(alice), before + 8 * HOUR);

        // Operators may tighten the amount, never loosen it.
        vm.expectRevert(
            abi.encodeWithSelector(
                IServiceLedger.ServiceLedgerSecondApprovalRaise.selector, NORTH, 5 * HOUR, 0
            )
        );
        vm.prank(op1);
        ledger.setSecondApproval(NORTH, 0);
        vm.prank(op1);
        ledger.setSecondApproval(NORTH, 2 * HOUR);
    }

    // ---- branch keys ------------------------------------------------------------------------

    /// One operator can't put a key of their own in force: a proposal waits for the delay and a
    /// second party.
    function test_Attack_OperatorReplacesTheBranchKeyAlone() public {
        bytes32 mine = keccak256("op1's own key");
        vm.prank(op1);
        access.proposeBranchKey(NORTH, mine);
        vm.assertEq(access.branch(NORTH).publicKey, NORTH_KEY, "the key changed at once");
        vm.warp(block.timestamp + KEY_DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(ITimebankAccess.TimebankAccessSelfConfirmation.selector, op1)
        );
        vm.prank(op1);
        access.confirmBranchKey(NORTH);
        // Anyone of the branch, or the admin, can withdraw it.
        vm.prank(admin);
        access.cancelBranchKey(NORTH);
        vm.assertEq(access.branch(NORTH).publicKey, NORTH_KEY);
    }

    /// A low-order X25519 key would make sealing fail for every branch.
    function test_Attack_LowOrderBranchKey() public {
        bytes32 low = 0xe0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800;
        vm.expectRevert(
            abi.encodeWithSelector(ITimebankAccess.TimebankAccessInvalidKey.selector, low)
        );
        vm.prank(op1);
        access.proposeBranchKey(NORTH, low);
        vm.expectRevert(
            abi.encodeWithSelector(ITimebankAccess.TimebankAccessInvalidKey.selector, low)
        );
        vm.prank(admin);
        access.addBranch("east", "East", low);
    }

    // ---- admin power --------------------------------------------------------------------------

    /// The admin alone can't move a member's coins to a wallet of theirs.
    function test_Attack_AdminRecoversAMemberToTheirWallet() public {
        address mine = makeAddr("admin's wallet");
        vm.expectRevert(_unauthorized(admin, Roles.MONITOR));
        vm.prank(admin);
        identity.recoverMember(alice, mine, REASON);
        vm.expectRevert(_unauthorized(admin, Roles.operator(NORTH)));
        vm.prank(admin);
        desk.requestRecovery(alice, mine, REASON);
    }

    /// A recovery is an operator's request that a supervisor, not a party, approves; the
    /// requesting operator can't approve it, and a refused one moves nothing.
    function test_Attack_OperatorAndAccomplicesRecoverAMember() public {
        vm.prank(governor);
        access.grantRole(Roles.SUPERVISOR, op1); // an operator who is also a supervisor
        address accomplice = makeAddr("accomplice");
        vm.prank(op1);
        uint256 caseId = desk.requestRecovery(alice, accomplice, REASON);
        vm.expectRevert(
            abi.encodeWithSelector(ISupervisionDesk.SupervisionDeskConflictOfInterest.selector, op1)
        );
        vm.prank(op1);
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Cleared, REASON, RiskLevel.None);
        vm.prank(supervisor);
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Confirmed, REASON, RiskLevel.None);
        vm.assertEq(coin.balanceOf(accomplice), 0);
        vm.assertEq(coin.balanceOf(alice), RICH);
    }

    /// The admin can't give themselves the ledger role (unlimited mint, anyone's coins), swap
    /// the monitor, or switch the rules off: those belong to the timelocked governor.
    function test_Attack_AdminTakesTheLedgerOrTheMonitor() public {
        vm.startPrank(admin);
        vm.expectRevert(_unauthorized(admin, Roles.GOVERNOR));
        access.grantRole(Roles.LEDGER, admin);
        vm.expectRevert(_unauthorized(admin, Roles.GOVERNOR));
        access.grantRole(Roles.SUPERVISOR, admin);
        vm.expectRevert(_unauthorized(admin, Roles.GOVERNOR));
        coin.setMonitor(monitor);
        vm.expectRevert(_unauthorized(admin, Roles.GOVERNOR));
        coin.setRuleEnabled(MonitorRules.LARGE_AMOUNT, false);
        (MonitorRules.Config memory c, uint32 actions) = MonitorRules.defaults();
        vm.expectRevert(_unauthorized(admin, Roles.GOVERNOR));
        coin.setMonitorRules(c, actions);
        vm.stopPrank();
    }

    /// `setTimeCoin` is set once.
    function test_Attack_AdminRepointsTheCoin() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryTimeCoinAlreadySet.selector, address(coin)
            )
        );
        vm.prank(admin);
        identity.setTimeCoin(ITimeCoin(stranger));
    }

    // ---- holds and monitors ------------------------------------------------------------------

    /// A replaced desk settles only the holds of its own cases.
    function test_Attack_PastMonitorSettlesAnotherDesksHold() public {
        _gift(alice, carol, 12 * HOUR);
        uint256 oldHold = desk.supervisionCase(desk.caseCount()).holdId;
        SupervisionDesk next = new SupervisionDesk(access, identity, coin, address(forwarder));
        vm.startPrank(governor);
        access.grantRole(Roles.MONITOR, address(next));
        coin.setMonitor(next);
        vm.stopPrank();
        _gift(bob, carol, 12 * HOUR);
        uint256 newHold = next.supervisionCase(next.caseCount()).holdId;

        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinOnlyMonitor.selector, desk));
        vm.prank(address(desk));
        coin.settleHold(newHold, true);
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinOnlyMonitor.selector, next));
        vm.prank(address(next));
        coin.settleHold(oldHold, true);
        // Each settles its own.
        vm.prank(supervisor);
        desk.decideCase(1, ISupervisionDesk.CaseStatus.Cleared, REASON, RiskLevel.None);
        vm.prank(supervisor);
        next.decideCase(1, ISupervisionDesk.CaseStatus.Confirmed, REASON, RiskLevel.None);
        vm.assertEq(coin.balanceOf(address(coin)), 0);
    }

    /// Coins held while the no-op monitor was in force are adopted by a desk and decided.
    function test_HoldWithNoCaseIsAdoptedByTheDesk() public {
        vm.prank(governor);
        coin.setMonitor(monitor);
        _gift(alice, carol, 12 * HOUR);
        vm.prank(governor);
        coin.setMonitor(desk);
        vm.assertEq(uint256(coin.hold(1).monitorId), 0, "no desk owns it");
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinOnlyMonitor.selector, desk));
        vm.prank(address(desk));
        coin.settleHold(1, true);

        vm.prank(supervisor);
        uint256 caseId = desk.adoptHold(1);
        vm.assertTrue(desk.supervisionCase(caseId).kind == ISupervisionDesk.CaseKind.AdoptedHold);
        vm.prank(supervisor);
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Cleared, REASON, RiskLevel.None);
        vm.assertEq(coin.balanceOf(carol), RICH + 12 * HOUR);
        // Adopted once.
        vm.expectRevert(abi.encodeWithSelector(ITimeCoin.TimeCoinInvalidHold.selector, 1));
        vm.prank(supervisor);
        desk.adoptHold(1);
    }

    /// Closing a member never strands coins: an operator can't close a member holding coins,
    /// a supervisor's closure redeems them, and held coins returned later are burned too.
    function test_Attack_ClosingFreezesCoinsForever() public {
        _gift(alice, carol, 12 * HOUR); // held, from alice
        uint256 caseId = desk.caseCount();
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityRegistryBalanceNeedsSupervisor.selector,
                alice,
                RICH - 12 * HOUR
            )
        );
        vm.prank(op1);
        identity.closeMember(alice, REASON);

        uint256 supply = coin.totalSupply();
        vm.prank(supervisor);
        identity.closeMember(alice, REASON);
        vm.assertEq(coin.balanceOf(alice), 0);
        vm.assertEq(coin.totalSupply(), supply - (RICH - 12 * HOUR), "the balance is redeemed");

        vm.prank(supervisor);
        desk.decideCase(caseId, ISupervisionDesk.CaseStatus.Confirmed, REASON, RiskLevel.None);
        vm.assertEq(coin.balanceOf(alice), 0, "coins returned to a closed member");
        vm.assertEq(coin.balanceOf(address(coin)), 0);
        vm.assertEq(coin.totalSupply(), supply - RICH);
    }

    /// Held coins follow a member who recovered their wallet.
    function test_HeldCoinsFollowARecoveredWallet() public {
        _gift(alice, carol, 12 * HOUR);
        uint256 holdCase = desk.caseCount();
        address fresh = makeAddr("alice's new wallet");
        vm.prank(op1);
        uint256 recovery = desk.requestRecovery(alice, fresh, REASON);
        vm.startPrank(supervisor);
        desk.decideCase(recovery, ISupervisionDesk.CaseStatus.Cleared, REASON, RiskLevel.None);
        desk.decideCase(holdCase, ISupervisionDesk.CaseStatus.Confirmed, REASON, RiskLevel.Low);
        vm.stopPrank();
        vm.assertEq(coin.balanceOf(fresh), RICH);
        vm.assertEq(coin.balanceOf(alice), 0);
        vm.assertTrue(identity.member(fresh).risk == RiskLevel.Low);
    }

    // ---- evasion --------------------------------------------------------------------------

    /// A zero movement would reset the sender's memory and open cases about the recipient.
    function test_Attack_ZeroValuePaymentResetsTheRules() public {
        vm.expectRevert(ITimeCoin.TimeCoinZeroAmount.selector);
        _gift(alice, carol, 0);
        vm.expectRevert(ITimeCoin.TimeCoinZeroAmount.selector);
        vm.prank(alice);
        coin.pay(carol, 0, Purpose.Gift, REASON);
    }

    /// Relabelling: a gift labelled a service payment would be judged against the service's
    /// thresholds (2.4x a gift's by default) and pass the gift detectors. A member's own
    /// payment can't carry that label, signed directly, relayed or forwarded; only a service
    /// its provider proposed and its requester confirmed pays one.
    function test_Attack_GiftLabelledAServicePayment() public {
        _enableDefaultRules();
        (MonitorRules.Config memory c,) = MonitorRules.defaults();
        uint256 amount = uint256(c.largeGift) * HOUR; // held as a gift, not as a service
        bytes memory refused = abi.encodeWithSelector(
            ITimeCoin.TimeCoinUnrecordedServicePayment.selector, alice, carol, amount
        );
        vm.expectRevert(refused);
        vm.prank(alice);
        coin.pay(carol, amount, Purpose.ServicePayment, REASON);

        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig =
            _signPay(aliceKey, carol, amount, Purpose.ServicePayment, REASON, deadline);
        vm.expectRevert(refused);
        vm.prank(stranger);
        coin.payWithSignature(alice, carol, amount, Purpose.ServicePayment, REASON, deadline, sig);

        ERC2771Forwarder.ForwardRequestData memory request = _forwardRequest(
            aliceKey,
            address(coin),
            abi.encodeCall(coin.pay, (carol, amount, Purpose.ServicePayment, REASON))
        );
        // The forwarder reports any failed call as FailedCall.
        vm.expectRevert(Errors.FailedCall.selector);
        vm.prank(stranger);
        forwarder.execute(request);
        vm.assertEq(coin.balanceOf(carol), RICH, "nothing moved");

        // The same amount for a service both recorded is a service payment, under its own
        // (higher) threshold: it goes through.
        vm.prank(carol);
        uint256 serviceId = ledger.proposeService(alice, uint128(amount), REASON);
        vm.expectEmit(address(coin));
        emit ITimeCoin.CoinsMoved(alice, carol, amount, Purpose.ServicePayment, bytes32(serviceId));
        vm.prank(alice);
        ledger.confirmService(serviceId);
        vm.assertEq(coin.balanceOf(carol), RICH + amount, "paid, not held");
    }

    /// A dust payment to a third account doesn't make the rules forget a round trip.
    function test_Attack_DustPaymentHidesARoundTrip() public {
        _gift(alice, bob, 5 * HOUR);
        _gift(alice, carol, HOUR / 10); // dust: alice's remembered payee stays bob
        uint256 cases = desk.caseCount();
        _gift(bob, alice, 5 * HOUR);
        vm.assertEq(desk.caseCount(), cases + 1, "the round trip went unnoticed");
        vm.assertEq(desk.supervisionCase(desk.caseCount()).rules, _bit(MonitorRules.ROUND_TRIP));
    }

    /// A dust payment doesn't end an account's dormancy.
    function test_Attack_DustPaymentWakesADormantAccount() public {
        _applyOnly(MonitorRules.DORMANT_REACTIVATION, MonitorAction.Flag);
        _gift(alice, bob, HOUR);
        vm.warp(block.timestamp + 181 days);
        _gift(alice, bob, HOUR / 10); // dust
        vm.assertEq(_fires(alice, bob, 20 * HOUR), _bit(MonitorRules.DORMANT_REACTIVATION));
    }

    /// The volunteer confirms the amount they saw; an operator's change before the
    /// confirmation lands makes it fail instead of confirming the new amount.
    function test_Attack_HoursChangedUnderTheVolunteersConfirmation() public {
        vm.prank(op1);
        uint256 id = ledger.createActivity(NORTH, ActivityKind.Activity, 40 * HOUR, 0, bytes32(0));
        vm.prank(alice);
        ledger.joinActivity(id);
        vm.prank(op1);
        ledger.recordHours(id, alice, 2 * HOUR);
        vm.prank(op1b);
        ledger.recordHours(id, alice, 40 * HOUR); // slipped in before alice's confirmation
        vm.expectRevert(
            abi.encodeWithSelector(
                IServiceLedger.ServiceLedgerHoursChanged.selector, id, alice, 40 * HOUR, 2 * HOUR
            )
        );
        vm.prank(alice);
        ledger.confirmHours(id, 2 * HOUR);
    }

    /// A credential is worth nothing once its issuer lost the role or its type was withdrawn.
    function test_Attack_CredentialFromARevokedIssuer() public {
        vm.prank(issuer);
        credentials.issueCredential(alice, licenceType, REASON, uint40(block.timestamp + 365 days));
        vm.prank(op1);
        uint256 id =
            ledger.createActivity(NORTH, ActivityKind.Activity, HOUR, licenceType, bytes32(0));
        vm.prank(alice);
        ledger.joinActivity(id);
        vm.prank(op1);
        ledger.recordHours(id, alice, HOUR);
        vm.prank(alice);
        ledger.confirmHours(id, HOUR);

        vm.prank(admin);
        access.revokeRole(Roles.issuer(licenceType), issuer);
        vm.assertFalse(credentials.hasValidCredential(alice, licenceType));
        vm.expectRevert(
            abi.encodeWithSelector(
                IServiceLedger.ServiceLedgerMissingCredential.selector, alice, licenceType
            )
        );
        vm.prank(op1b);
        ledger.settle(id, alice);

        vm.prank(admin);
        access.grantRole(Roles.issuer(licenceType), issuer);
        vm.assertTrue(credentials.hasValidCredential(alice, licenceType));
        vm.prank(admin);
        credentials.setCredentialTypeActive(licenceType, false);
        vm.assertFalse(credentials.hasValidCredential(alice, licenceType));
    }

    /// A self-declared upload can't stand in for a trusted credential.
    function test_Attack_ActivityRequiresASelfDeclaredUpload() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IServiceLedger.ServiceLedgerUntrustedCredentialType.selector, uploadType
            )
        );
        vm.prank(op1);
        ledger.createActivity(NORTH, ActivityKind.Activity, HOUR, uploadType, bytes32(0));
    }
}
