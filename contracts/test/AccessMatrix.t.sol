// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "../src/Roles.sol";
import {ActivityKind, CredentialKind, MonitorAction, Purpose, RiskLevel} from "../src/Types.sol";
import {ICredentialRegistry} from "../src/interfaces/ICredentialRegistry.sol";
import {IIdentityRegistry} from "../src/interfaces/IIdentityRegistry.sol";
import {IServiceLedger} from "../src/interfaces/IServiceLedger.sol";
import {ISupervisionDesk} from "../src/interfaces/ISupervisionDesk.sol";
import {ITimeCoin} from "../src/interfaces/ITimeCoin.sol";
import {ITimeCoinMonitor} from "../src/interfaces/ITimeCoinMonitor.sol";
import {MonitorRules} from "../src/monitor/MonitorRules.sol";
import {Fixture} from "./utils/Fixture.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Who may call what: every restricted function against every role, from one table.
/// For each (function, actor) pair the call runs from a fresh copy of the same state; an
/// allowed actor's call must succeed, a denied actor's must revert with the function's
/// authorization error.
contract AccessMatrixTest is Fixture {
    // Actors, as bit positions in `Call.allowed`.
    uint256 internal constant ADMIN = 1 << 0;
    uint256 internal constant HOME_OPERATOR = 1 << 1; // operator of branch NORTH, alice's home
    uint256 internal constant OTHER_OPERATOR = 1 << 2; // operator of branch SOUTH
    uint256 internal constant SUPERVISOR = 1 << 3;
    uint256 internal constant PARTNER = 1 << 4;
    uint256 internal constant AUDITOR = 1 << 5;
    uint256 internal constant ISSUER = 1 << 6;
    uint256 internal constant MEMBER = 1 << 7; // alice
    uint256 internal constant STRANGER = 1 << 8;
    uint256 internal constant LEDGER_CONTRACT = 1 << 9;
    uint256 internal constant AGENT = 1 << 10; // monitoring agent
    uint256 internal constant DESK_CONTRACT = 1 << 11; // the SupervisionDesk (MONITOR role)
    uint256 internal constant GOVERNOR = 1 << 12; // the timelock (GOVERNOR role)
    uint256 internal constant GATEWAY = 1 << 13; // branch NORTH's gateway key
    uint256 internal constant ACTOR_COUNT = 14;

    struct Call {
        string name;
        address target;
        bytes data;
        uint256 allowed;
        /// Selectors a denied call may revert with (the generic role error and/or the
        /// function's own refusal).
        bytes4 deny;
        bytes4 denyAlt;
    }

    address internal dave = makeAddr("dave"); // pending, submitted by op1b
    address internal erin = makeAddr("erin"); // suspended
    address internal frank = makeAddr("frank"); // asked to move from NORTH to SOUTH
    address internal gina = makeAddr("gina"); // closed, her key still held
    address internal fresh = makeAddr("fresh-wallet");
    address internal agent = makeAddr("agent");
    address internal hal = makeAddr("hal"); // pending, his key not yet bound
    uint256 internal openCaseId;
    uint256 internal holdId;
    uint256 internal alertId;
    uint256 internal openActivity; // alice joined
    uint256 internal recordedActivity; // alice's hours recorded
    uint256 internal confirmedActivity; // alice confirmed
    uint256 internal serviceForAlice; // bob provided, alice requested
    uint256 internal orphanHoldId; // held while the NoopMonitor was in force

    bytes4 internal constant UNAUTHORIZED =
        bytes4(keccak256("AccessControlUnauthorizedAccount(address,bytes32)"));

    function setUp() public override {
        super.setUp();
        _submit(op1b, dave, NORTH, _person(dave));
        vm.prank(op1b);
        identity.submitMember(hal, NORTH, keccak256("hal"), hex"01");
        _register(erin, NORTH);
        vm.prank(op1);
        identity.suspendMember(erin, bytes32(0));
        _register(frank, NORTH);
        vm.prank(frank);
        identity.requestMove(frank, SOUTH);
        _register(gina, NORTH);
        vm.prank(op1);
        identity.closeMember(gina, bytes32(0));
        vm.prank(partner);
        alertId = identity.raiseRiskAlert(bob, bytes32(0));
        vm.prank(issuer);
        credentials.issueCredential(bob, licenceType, bytes32(0), uint40(block.timestamp + 1 days));

        vm.startPrank(op1);
        openActivity = ledger.createActivity(NORTH, ActivityKind.Activity, 5e18, 0, bytes32(0));
        recordedActivity = ledger.createActivity(NORTH, ActivityKind.Activity, 5e18, 0, bytes32(0));
        confirmedActivity = ledger.createActivity(NORTH, ActivityKind.Activity, 5e18, 0, bytes32(0));
        vm.stopPrank();
        vm.startPrank(alice);
        ledger.joinActivity(openActivity);
        ledger.joinActivity(recordedActivity);
        ledger.joinActivity(confirmedActivity);
        vm.stopPrank();
        vm.startPrank(op1);
        ledger.recordHours(recordedActivity, alice, 1e18);
        ledger.recordHours(confirmedActivity, alice, 1e18);
        vm.stopPrank();
        vm.prank(alice);
        ledger.confirmHours(confirmedActivity, 1e18);
        vm.prank(bob);
        serviceForAlice = ledger.proposeService(alice, 1e18, bytes32(0));

        // A held gift with its open case (large gifts held).
        vm.startPrank(admin);
        access.grantRole(Roles.MONITORING_AGENT, agent);
        vm.stopPrank();
        _enableDefaultRules();
        vm.prank(carol);
        coin.transfer(bob, 10e18);
        openCaseId = desk.caseCount();
        holdId = desk.supervisionCase(openCaseId).holdId;

        // A hold no desk has a case for.
        vm.prank(governor);
        coin.setMonitor(monitor);
        vm.prank(bob);
        coin.transfer(carol, 10e18);
        orphanHoldId = holdId + 1;
        vm.prank(governor);
        coin.setMonitor(desk);

        // A key change proposed by the other north operator, past its delay.
        vm.prank(op1b);
        access.proposeBranchKey(NORTH, keccak256("next north key"));
        vm.warp(block.timestamp + KEY_DELAY);
    }

    function _actors() internal view returns (address[ACTOR_COUNT] memory) {
        return [
            admin,
            op1,
            op2,
            supervisor,
            partner,
            auditor,
            issuer,
            alice,
            stranger,
            address(ledger),
            agent,
            address(desk),
            governor,
            northGateway
        ];
    }

    function _actorName(uint256 i) internal pure returns (string memory) {
        return [
            "admin",
            "home-operator",
            "other-operator",
            "supervisor",
            "partner",
            "auditor",
            "issuer",
            "member",
            "stranger",
            "ledger-contract",
            "monitoring-agent",
            "desk-contract",
            "governor",
            "gateway"
        ][i];
    }

    function _calls() internal view returns (Call[] memory calls) {
        calls = new Call[](67);
        uint256 n;
        bytes4 notMember = ITimeCoin.TimeCoinNotActiveMember.selector;
        bytes4 notLedgerMember = IServiceLedger.ServiceLedgerNotActiveMember.selector;
        bytes4 badParticipation = IServiceLedger.ServiceLedgerInvalidParticipation.selector;
        bytes4 notParty = IServiceLedger.ServiceLedgerNotParty.selector;

        // ---- TimebankAccess ----
        calls[n++] = Call(
            "addBranch",
            address(access),
            abi.encodeCall(access.addBranch, ("east", "East", keccak256("east key"))),
            ADMIN,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "anchorAccessLog",
            address(access),
            abi.encodeCall(access.anchorAccessLog, (NORTH, 1, keccak256("log"))),
            GATEWAY,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "updateBranch",
            address(access),
            abi.encodeCall(access.updateBranch, (NORTH, "north", "North")),
            ADMIN | HOME_OPERATOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "proposeBranchKey",
            address(access),
            abi.encodeCall(access.proposeBranchKey, (NORTH, keccak256("another key"))),
            ADMIN | HOME_OPERATOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "confirmBranchKey",
            address(access),
            abi.encodeCall(access.confirmBranchKey, (NORTH)),
            ADMIN | HOME_OPERATOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "cancelBranchKey",
            address(access),
            abi.encodeCall(access.cancelBranchKey, (NORTH)),
            ADMIN | HOME_OPERATOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "setBranchActive",
            address(access),
            abi.encodeCall(access.setBranchActive, (SOUTH, false)),
            ADMIN,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "grantRole(supervisor)",
            address(access),
            abi.encodeCall(access.grantRole, (Roles.SUPERVISOR, stranger)),
            GOVERNOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "grantRole(ledger)",
            address(access),
            abi.encodeCall(access.grantRole, (Roles.LEDGER, stranger)),
            GOVERNOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "revokeRole(supervisor)",
            address(access),
            abi.encodeCall(access.revokeRole, (Roles.SUPERVISOR, supervisor)),
            ADMIN | GOVERNOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "grantRole(partner)",
            address(access),
            abi.encodeCall(access.grantRole, (Roles.PARTNER, stranger)),
            ADMIN,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "grantOperator",
            address(access),
            abi.encodeCall(access.grantRole, (Roles.operator(NORTH), stranger)),
            ADMIN,
            UNAUTHORIZED,
            UNAUTHORIZED
        );

        // ---- IdentityRegistry ----
        calls[n++] = Call(
            "submitMember",
            address(identity),
            abi.encodeCall(identity.submitMember, (fresh, NORTH, keccak256("f"), hex"01")),
            HOME_OPERATOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "bindUniquenessKey",
            address(identity),
            abi.encodeCall(identity.bindUniquenessKey, (hal, keccak256("hal's document"))),
            GATEWAY,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "approveMember",
            address(identity),
            abi.encodeCall(identity.approveMember, (dave)),
            HOME_OPERATOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "rejectMember",
            address(identity),
            abi.encodeCall(identity.rejectMember, (dave, bytes32(0))),
            HOME_OPERATOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "suspendMember",
            address(identity),
            abi.encodeCall(identity.suspendMember, (alice, bytes32(0))),
            HOME_OPERATOR | SUPERVISOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "reinstateMember",
            address(identity),
            abi.encodeCall(identity.reinstateMember, (erin, bytes32(0))),
            HOME_OPERATOR | SUPERVISOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "closeMember(no coins)",
            address(identity),
            abi.encodeCall(identity.closeMember, (dave, bytes32(0))),
            HOME_OPERATOR | SUPERVISOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "closeMember(coins)",
            address(identity),
            abi.encodeCall(identity.closeMember, (alice, bytes32(0))),
            SUPERVISOR,
            UNAUTHORIZED,
            IIdentityRegistry.IdentityRegistryBalanceNeedsSupervisor.selector
        );
        calls[n++] = Call(
            "updateProfile",
            address(identity),
            abi.encodeCall(identity.updateProfile, (alice, keccak256("v2"), hex"02")),
            HOME_OPERATOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "requestMove",
            address(identity),
            abi.encodeCall(identity.requestMove, (alice, SOUTH)),
            HOME_OPERATOR | MEMBER,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "acceptMove",
            address(identity),
            abi.encodeCall(identity.acceptMove, (frank)),
            OTHER_OPERATOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "cancelMove",
            address(identity),
            abi.encodeCall(identity.cancelMove, (frank)),
            HOME_OPERATOR | OTHER_OPERATOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "setRiskLevel(High)",
            address(identity),
            abi.encodeCall(identity.setRiskLevel, (alice, RiskLevel.High, bytes32(0))),
            HOME_OPERATOR | SUPERVISOR | DESK_CONTRACT,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "setRiskLevel(Blocked)",
            address(identity),
            abi.encodeCall(identity.setRiskLevel, (alice, RiskLevel.Blocked, bytes32(0))),
            SUPERVISOR | DESK_CONTRACT,
            UNAUTHORIZED,
            bytes4(keccak256("IdentityRegistryBlockedNeedsSupervisor(address)"))
        );
        calls[n++] = Call(
            "setUniquenessKey",
            address(identity),
            abi.encodeCall(identity.setUniquenessKey, (alice, keccak256("rotated"))),
            ADMIN,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "releaseUniquenessKey",
            address(identity),
            abi.encodeCall(identity.releaseUniquenessKey, (gina, bytes32(0))),
            SUPERVISOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "setPartnerConsent",
            address(identity),
            abi.encodeCall(identity.setPartnerConsent, (partner, true)),
            MEMBER,
            IIdentityRegistry.IdentityRegistryUnknownMember.selector,
            IIdentityRegistry.IdentityRegistryUnknownMember.selector
        );
        calls[n++] = Call(
            "raiseRiskAlert",
            address(identity),
            abi.encodeCall(identity.raiseRiskAlert, (alice, bytes32(0))),
            PARTNER,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "assessRiskAlert",
            address(identity),
            abi.encodeCall(identity.assessRiskAlert, (alertId, RiskLevel.Medium, bytes32(0))),
            SUPERVISOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "recoverMember",
            address(identity),
            abi.encodeCall(identity.recoverMember, (alice, fresh, bytes32(0))),
            DESK_CONTRACT,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "setTimeCoin",
            address(identity),
            abi.encodeCall(identity.setTimeCoin, (coin)),
            0, // set once, at deployment
            UNAUTHORIZED,
            IIdentityRegistry.IdentityRegistryTimeCoinAlreadySet.selector
        );

        // ---- CredentialRegistry ----
        calls[n++] = Call(
            "defineCredentialType",
            address(credentials),
            abi.encodeCall(
                credentials.defineCredentialType, (CredentialKind.TrainingCertificate, "x")
            ),
            ADMIN,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "setCredentialTypeActive",
            address(credentials),
            abi.encodeCall(credentials.setCredentialTypeActive, (licenceType, false)),
            ADMIN,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "issueCredential",
            address(credentials),
            abi.encodeCall(
                credentials.issueCredential,
                (alice, licenceType, bytes32(0), uint40(block.timestamp + 1 days))
            ),
            ISSUER,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "renewCredential",
            address(credentials),
            abi.encodeCall(
                credentials.renewCredential,
                (bob, licenceType, bytes32(0), uint40(block.timestamp + 2 days))
            ),
            ISSUER,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "revokeCredential",
            address(credentials),
            abi.encodeCall(credentials.revokeCredential, (bob, licenceType, bytes32(0))),
            ISSUER,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "declareCredential",
            address(credentials),
            abi.encodeCall(
                credentials.declareCredential,
                (uploadType, bytes32(0), uint40(block.timestamp + 1 days))
            ),
            MEMBER,
            ICredentialRegistry.CredentialRegistryNotMember.selector,
            ICredentialRegistry.CredentialRegistryNotMember.selector
        );

        // ---- TimeCoin ----
        calls[n++] = Call(
            "mint",
            address(coin),
            abi.encodeCall(coin.mint, (alice, 1e18, Purpose.ActivityReward, bytes32(0))),
            LEDGER_CONTRACT,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "payService",
            address(coin),
            abi.encodeCall(coin.payService, (alice, bob, 1e18, bytes32(0))),
            LEDGER_CONTRACT,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "recoverMember",
            address(coin),
            abi.encodeCall(coin.recoverMember, (alice, fresh)),
            0, // the identity registry only, which is no actor here
            ITimeCoin.TimeCoinOnlyIdentityRegistry.selector,
            ITimeCoin.TimeCoinOnlyIdentityRegistry.selector
        );
        calls[n++] = Call(
            "redeemClosed",
            address(coin),
            abi.encodeCall(coin.redeemClosed, (alice, bytes32(0))),
            0, // the identity registry only, which is no actor here
            ITimeCoin.TimeCoinOnlyIdentityRegistry.selector,
            ITimeCoin.TimeCoinOnlyIdentityRegistry.selector
        );
        calls[n++] = Call(
            "setMonitor",
            address(coin),
            abi.encodeCall(coin.setMonitor, (monitor)),
            GOVERNOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "adoptHold(coin)",
            address(coin),
            abi.encodeCall(coin.adoptHold, (orphanHoldId)),
            DESK_CONTRACT,
            ITimeCoin.TimeCoinOnlyMonitor.selector,
            ITimeCoin.TimeCoinOnlyMonitor.selector
        );
        calls[n++] = Call(
            "pay",
            address(coin),
            abi.encodeCall(coin.pay, (bob, 1e18, Purpose.Gift, bytes32(0))),
            MEMBER,
            notMember,
            notMember
        );

        // ---- ServiceLedger ----
        calls[n++] = Call(
            "createActivity",
            address(ledger),
            abi.encodeCall(
                ledger.createActivity, (NORTH, ActivityKind.Training, 1e18, 0, bytes32(0))
            ),
            HOME_OPERATOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "closeActivity",
            address(ledger),
            abi.encodeCall(ledger.closeActivity, (openActivity)),
            HOME_OPERATOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "recordHours",
            address(ledger),
            abi.encodeCall(ledger.recordHours, (openActivity, alice, 1e18)),
            HOME_OPERATOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "confirmHours",
            address(ledger),
            abi.encodeCall(ledger.confirmHours, (recordedActivity, 1e18)),
            MEMBER,
            badParticipation,
            badParticipation
        );
        calls[n++] = Call(
            "settle",
            address(ledger),
            abi.encodeCall(ledger.settle, (confirmedActivity, alice)),
            HOME_OPERATOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "setMintQuota",
            address(ledger),
            abi.encodeCall(ledger.setMintQuota, (NORTH, 5000e18)),
            ADMIN,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "setSecondApproval",
            address(ledger),
            abi.encodeCall(ledger.setSecondApproval, (NORTH, 5e18)),
            ADMIN | HOME_OPERATOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "proposeService",
            address(ledger),
            abi.encodeCall(ledger.proposeService, (bob, 1e18, bytes32(0))),
            MEMBER,
            notLedgerMember,
            notLedgerMember
        );
        calls[n++] = Call(
            "confirmService",
            address(ledger),
            abi.encodeCall(ledger.confirmService, (serviceForAlice)),
            MEMBER,
            notParty,
            notParty
        );
        // ---- monitoring ----
        (MonitorRules.Config memory rules, uint32 actions) = MonitorRules.defaults();
        calls[n++] = Call(
            "setMonitorRules",
            address(coin),
            abi.encodeCall(coin.setMonitorRules, (rules, actions)),
            GOVERNOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "setRuleEnabled",
            address(coin),
            abi.encodeCall(coin.setRuleEnabled, (MonitorRules.VELOCITY, false)),
            GOVERNOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "settleHold",
            address(coin),
            abi.encodeCall(coin.settleHold, (holdId, true)),
            DESK_CONTRACT,
            ITimeCoin.TimeCoinOnlyMonitor.selector,
            ITimeCoin.TimeCoinOnlyMonitor.selector
        );
        calls[n++] = Call(
            "openCase",
            address(desk),
            abi.encodeCall(desk.openCase, (alice, bob, bytes32(0))),
            AGENT,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "decideCase",
            address(desk),
            abi.encodeCall(
                desk.decideCase,
                (openCaseId, ISupervisionDesk.CaseStatus.Cleared, bytes32(0), RiskLevel.None)
            ),
            SUPERVISOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "requestRecovery",
            address(desk),
            abi.encodeCall(desk.requestRecovery, (bob, fresh, bytes32(0))),
            HOME_OPERATOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "adoptHold(desk)",
            address(desk),
            abi.encodeCall(desk.adoptHold, (orphanHoldId)),
            SUPERVISOR,
            UNAUTHORIZED,
            UNAUTHORIZED
        );
        calls[n++] = Call(
            "onRuleHit",
            address(desk),
            abi.encodeCall(desk.onRuleHit, (_hit())),
            0, // TimeCoin only, which is no actor here
            ISupervisionDesk.SupervisionDeskOnlyCoin.selector,
            ISupervisionDesk.SupervisionDeskOnlyCoin.selector
        );
        calls[n++] = Call(
            "syncMember",
            address(coin),
            abi.encodeCall(coin.syncMember, (alice)),
            type(uint256).max, // anyone: it only copies the registry's truth
            bytes4(0),
            bytes4(0)
        );
        assembly ("memory-safe") {
            mstore(calls, n)
        }
    }

    function test_EveryRestrictedFunctionAgainstEveryRole() public {
        Call[] memory calls = _calls();
        address[ACTOR_COUNT] memory actors = _actors();
        uint256 checked;
        for (uint256 c; c < calls.length; ++c) {
            for (uint256 a; a < ACTOR_COUNT; ++a) {
                _check(calls[c], actors[a], a);
                ++checked;
            }
        }
        vm.assertEq(checked, calls.length * ACTOR_COUNT);
        vm.assertEq(calls.length, 64, "every restricted function is in the table");
    }

    function _hit() internal view returns (ITimeCoinMonitor.RuleHit memory hit) {
        hit.from = alice;
        hit.to = bob;
        hit.amount = 1e18;
        hit.rules = 1;
        hit.action = MonitorAction.Flag;
    }

    function _check(Call memory call, address actor, uint256 actorIndex) internal {
        uint256 snapshot = vm.snapshotState();
        vm.prank(actor);
        (bool ok, bytes memory ret) = call.target.call(call.data);
        string memory what = string.concat(call.name, " by ", _actorName(actorIndex));
        if ((call.allowed >> actorIndex) & 1 == 1) {
            vm.assertTrue(ok, string.concat(what, ": should be allowed but reverted"));
        } else {
            vm.assertFalse(ok, string.concat(what, ": should be denied but succeeded"));
            bytes4 selector = ret.length >= 4 ? bytes4(ret) : bytes4(0);
            vm.assertTrue(
                selector == call.deny || selector == call.denyAlt,
                string.concat(what, ": denied with an unexpected error")
            );
        }
        vm.revertToState(snapshot);
    }

    /// @dev The one call the table can't express: any Active member may join; others may not.
    function test_JoinActivityOnlyByActiveMembers() public {
        vm.prank(op1);
        uint256 id = ledger.createActivity(NORTH, ActivityKind.Activity, 1e18, 0, bytes32(0));
        address[ACTOR_COUNT] memory actors = _actors();
        for (uint256 a; a < ACTOR_COUNT; ++a) {
            uint256 snapshot = vm.snapshotState();
            vm.prank(actors[a]);
            (bool ok,) = address(ledger).call(abi.encodeCall(ledger.joinActivity, (id)));
            vm.assertEq(ok, actors[a] == alice, _actorName(a));
            vm.revertToState(snapshot);
        }
    }
}
