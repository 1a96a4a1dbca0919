// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IdentityRegistry} from "../../src/IdentityRegistry.sol";
import {Roles} from "../../src/Roles.sol";
import {ServiceLedger} from "../../src/ServiceLedger.sol";
import {TimeCoin} from "../../src/TimeCoin.sol";
import {ActivityKind, MemberStatus, MonitorAction, Purpose, RiskLevel} from "../../src/Types.sol";
import {IIdentityRegistry} from "../../src/interfaces/IIdentityRegistry.sol";
import {IServiceLedger} from "../../src/interfaces/IServiceLedger.sol";
import {ISupervisionDesk} from "../../src/interfaces/ISupervisionDesk.sol";
import {ITimeCoin} from "../../src/interfaces/ITimeCoin.sol";
import {ITimeCoinMonitor} from "../../src/interfaces/ITimeCoinMonitor.sol";
import {ITimebankAccess} from "../../src/interfaces/ITimebankAccess.sol";
import {SupervisionDesk} from "../../src/monitor/SupervisionDesk.sol";
import {vm} from "../utils/Vm.sol";

/// @notice Drives random member, operator, supervisor, partner and governor actions, honest
/// and not: payments, rewards, services, redemptions, suspensions, risk changes by supervisors
/// and operators, partner alerts and their assessment, moves, closures, recoveries, case
/// decisions by anyone (including a supervisor who is a member), monitor replacements and hold
/// adoption. Outcomes that contradict the rules are counted in ghost variables, which persist.
contract TimebankHandler {
    struct Actors {
        address admin;
        address governor;
        address supervisor;
        address partner;
        address[] members;
        address[2] northOperators;
        address[2] southOperators;
        address[] deciders;
    }

    IdentityRegistry internal immutable identity;
    TimeCoin internal immutable coin;
    ServiceLedger internal immutable ledger;
    address internal immutable admin;
    address internal immutable governor;
    address internal immutable supervisor;
    address internal immutable partner;

    /// Every address that ever held coins (members, and wallets created by recovery).
    address[] public holders;
    address[] internal _members;
    /// Two operators per branch (index 0 unused).
    address[2][3] internal _operators;
    address[] internal _deciders;
    /// The desks set as monitor at some point, and the no-op monitor.
    SupervisionDesk[] public desks;
    ITimeCoinMonitor internal immutable _noop;

    mapping(uint32 branchId => uint256) public ghostMinted;
    uint256 public ghostBurned;
    uint256 public refusedIneligible;
    /// Outcomes that contradict the rules, counted rather than reverted so they persist.
    uint256 public ghostIneligibleMoved;
    uint256 public ghostEligibleRefused;
    uint256 public ghostFrozenMoved;
    /// A payment `check` said a Block rule stops, that landed anyway.
    uint256 public ghostBlockedLanded;
    /// A payment whose case count did not grow by exactly one per Flag/Hold hit (zero otherwise).
    uint256 public ghostCaseMismatch;
    /// A case decided by someone who is not a supervisor, or by a party to it.
    uint256 public ghostNonSupervisorDecided;
    uint256 public ghostConflictDecided;
    /// An operator lowered a risk level supervision set, or acted on their own record.
    uint256 public ghostOperatorLoweredSupervisedRisk;
    /// A payment (and the case its rule hit opened) changed either side's risk level.
    uint256 public ghostRiskChangedByPayment;
    /// A desk settled a hold it does not own.
    uint256 public ghostForeignHoldSettled;
    /// Coins burned by a closure or a return to a closed member that differ from the expected.
    uint256 public ghostBurnMismatch;
    uint256 public blockedRefused;
    uint256 public recoveries;
    uint256 public closures;
    uint256 public alertsAssessed;
    uint256 public moves;

    uint256 internal _walletNonce;

    /// @dev Fails the run (through a ghost counter) if a coin-moving action changed the balance
    /// of a member that could not transact when it started.
    modifier frozenStayFrozen() {
        uint256 n = _members.length;
        bool[] memory frozen = new bool[](n);
        uint256[] memory balances = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            frozen[i] = !identity.canTransact(_members[i]);
            balances[i] = coin.balanceOf(_members[i]);
        }
        _;
        for (uint256 i; i < n; ++i) {
            if (frozen[i] && coin.balanceOf(_members[i]) != balances[i]) ++ghostFrozenMoved;
        }
    }

    constructor(
        IdentityRegistry identity_,
        TimeCoin coin_,
        ServiceLedger ledger_,
        SupervisionDesk desk_,
        ITimeCoinMonitor noop_,
        Actors memory actors
    ) {
        identity = identity_;
        coin = coin_;
        ledger = ledger_;
        admin = actors.admin;
        governor = actors.governor;
        supervisor = actors.supervisor;
        partner = actors.partner;
        _members = actors.members;
        holders = actors.members;
        _operators[1] = actors.northOperators;
        _operators[2] = actors.southOperators;
        _deciders = actors.deciders;
        desks.push(desk_);
        _noop = noop_;
    }

    function holderCount() external view returns (uint256) {
        return holders.length;
    }

    function deskCount() external view returns (uint256) {
        return desks.length;
    }

    function _member(uint256 seed) internal view returns (address) {
        return _members[seed % _members.length];
    }

    function _operator(address account, uint256 seed) internal view returns (address) {
        uint32 branchId = identity.member(account).homeBranch;
        return _operators[branchId == 0 ? 1 : branchId][seed % 2];
    }

    // ---- coins ---------------------------------------------------------------------------

    function pay(uint256 fromSeed, uint256 toSeed, uint256 amount, bool gift)
        external
        frozenStayFrozen
    {
        address from = _member(fromSeed);
        address to = _member(toSeed);
        uint256 balance = coin.balanceOf(from);
        // Zero only when the sender holds nothing; a zero movement is refused (ineligible).
        amount = balance == 0 ? 0 : 1 + amount % balance;
        // A member's own service payment has no service behind it: always refused.
        _pay(from, to, amount, gift ? Purpose.Gift : Purpose.ServicePayment);
    }

    function _pay(address from, address to, uint256 amount, Purpose purpose) internal {
        bool eligible = identity.canTransact(from) && identity.canTransact(to) && from != to
            && amount != 0 && purpose == Purpose.Gift;
        RiskLevel fromRisk = identity.member(from).risk;
        RiskLevel toRisk = identity.member(to).risk;
        (MonitorAction action, uint16 rules,) = coin.check(from, to, amount, purpose);
        bool blocked = eligible && action == MonitorAction.Block;
        uint256 before = coin.balanceOf(to);
        SupervisionDesk desk = _currentDesk();
        uint256 cases = address(desk) == address(0) ? 0 : desk.caseCount();
        vm.prank(from);
        try coin.pay(to, amount, purpose, bytes32(0)) {
            if (!eligible) ++ghostIneligibleMoved;
            if (blocked) ++ghostBlockedLanded;
            if (address(desk) != address(0) && desk.caseCount() - cases != (rules == 0 ? 0 : 1)) {
                ++ghostCaseMismatch;
            }
            if (identity.member(from).risk != fromRisk || identity.member(to).risk != toRisk) {
                ++ghostRiskChangedByPayment;
            }
        } catch {
            if (blocked) ++blockedRefused;
            else if (eligible) ++ghostEligibleRefused;
            else ++refusedIneligible;
            if (coin.balanceOf(to) != before) ++ghostIneligibleMoved;
        }
    }

    function reward(uint256 memberSeed, uint256 amount, bool training) external frozenStayFrozen {
        address volunteer = _member(memberSeed);
        uint32 branchId = identity.member(volunteer).homeBranch;
        address op = _operators[branchId][0];
        address second = _operators[branchId][1];
        amount = 1 + amount % 20e18;
        vm.prank(op);
        uint256 id = ledger.createActivity(
            branchId,
            training ? ActivityKind.Training : ActivityKind.Activity,
            uint128(amount),
            0,
            bytes32(0)
        );
        vm.prank(volunteer);
        try ledger.joinActivity(id) {}
        catch {
            return; // not an active member right now
        }
        vm.prank(op);
        ledger.recordHours(id, volunteer, uint128(amount));
        vm.prank(volunteer);
        ledger.confirmHours(id, uint128(amount));
        // Above the branch's second-approval amount the first settle only approves.
        for (uint256 i; i < 2; ++i) {
            vm.prank(i == 0 ? op : second);
            try ledger.settle(id, volunteer) {}
            catch {
                return;
            }
            if (
                ledger.participation(id, volunteer).status
                    == IServiceLedger.ParticipationStatus.Settled
            ) {
                ghostMinted[branchId] += amount;
                return;
            }
        }
    }

    function service(uint256 providerSeed, uint256 requesterSeed, uint256 amount)
        external
        frozenStayFrozen
    {
        address provider = _member(providerSeed);
        address requester = _member(requesterSeed);
        amount = 1 + amount % 5e18;
        vm.prank(provider);
        try ledger.proposeService(requester, uint128(amount), bytes32(0)) returns (uint256 id) {
            vm.prank(requester);
            try ledger.confirmService(id) {} catch {}
        } catch {}
    }

    function redeem(uint256 memberSeed, uint256 amount) external frozenStayFrozen {
        address holder = _member(memberSeed);
        uint256 balance = coin.balanceOf(holder);
        amount = balance == 0 ? 0 : 1 + amount % balance;
        vm.prank(holder);
        try coin.redeem(amount, bytes32(0)) {
            ghostBurned += amount;
        } catch {}
    }

    // ---- members -------------------------------------------------------------------------

    function toggleSuspension(uint256 memberSeed) external {
        address account = _member(memberSeed);
        MemberStatus status = identity.member(account).status;
        if (status == MemberStatus.Active) {
            vm.prank(supervisor);
            identity.suspendMember(account, bytes32(0));
        } else if (status == MemberStatus.Suspended) {
            vm.prank(supervisor);
            identity.reinstateMember(account, bytes32(0));
        }
    }

    function setRisk(uint256 memberSeed, uint8 level) external {
        address account = _member(memberSeed);
        RiskLevel next = RiskLevel(level % 5);
        if (identity.member(account).risk == next) return;
        vm.prank(supervisor);
        identity.setRiskLevel(account, next, bytes32(0));
    }

    /// An operator tries any level, including below what supervision set.
    function operatorSetsRisk(uint256 memberSeed, uint8 level, uint256 opSeed) external {
        address account = _member(memberSeed);
        RiskLevel next = RiskLevel(level % 5);
        RiskLevel floor = identity.member(account).supervisedRisk;
        vm.prank(_operator(account, opSeed));
        try identity.setRiskLevel(account, next, bytes32(0)) {
            if (next < floor) ++ghostOperatorLoweredSupervisedRisk;
        } catch {}
    }

    function raiseAlert(uint256 memberSeed) external {
        vm.prank(partner);
        try identity.raiseRiskAlert(_member(memberSeed), bytes32(0)) {} catch {}
    }

    function assessAlert(uint256 alertSeed, uint8 level, uint256 deciderSeed) external {
        uint256 id = 1 + alertSeed % 64;
        address assessor = _deciders[deciderSeed % _deciders.length];
        vm.prank(assessor);
        try identity.assessRiskAlert(id, RiskLevel(level % 5), bytes32(0)) {
            ++alertsAssessed;
            if (assessor != supervisor && assessor != _deciders[0]) ++ghostNonSupervisorDecided;
            if (identity.currentAccount(identity.riskAlert(id).account) == assessor) {
                ++ghostConflictDecided;
            }
        } catch {}
    }

    function move(uint256 memberSeed, uint8 step) external {
        address account = _member(memberSeed);
        IIdentityRegistry.Member memory m = identity.member(account);
        uint32 other = m.homeBranch == 1 ? 2 : 1;
        if (m.pendingMoveTo == 0) {
            vm.prank(account);
            try identity.requestMove(account, other) {} catch {}
        } else if (step % 2 == 0) {
            vm.prank(_operators[m.pendingMoveTo][step % 4 == 0 ? 0 : 1]);
            try identity.acceptMove(account) {
                ++moves;
            } catch {}
        } else {
            vm.prank(account);
            identity.cancelMove(account);
        }
    }

    /// A supervisor closes a membership; its coins are redeemed, none stranded.
    function close(uint256 memberSeed) external {
        // Keep most of the cast alive.
        if (closures >= 2) return;
        address account = _member(memberSeed);
        uint256 balance = coin.balanceOf(account);
        uint256 supply = coin.totalSupply();
        vm.prank(supervisor);
        try identity.closeMember(account, bytes32(0)) {
            ++closures;
            ghostBurned += balance;
            if (supply - coin.totalSupply() != balance) ++ghostBurnMismatch;
        } catch {}
    }

    /// An operator asks for a recovery to a fresh wallet; a supervisor decides it.
    function recover(uint256 memberSeed, uint256 opSeed, bool approve) external {
        SupervisionDesk desk = _currentDesk();
        if (address(desk) == address(0)) return;
        address previous = _member(memberSeed);
        address fresh = address(uint160(uint256(keccak256(abi.encode("wallet", ++_walletNonce)))));
        vm.prank(_operator(previous, opSeed));
        try desk.requestRecovery(previous, fresh, bytes32(0)) returns (uint256 caseId) {
            _decide(desk, caseId, supervisor, approve, 0);
        } catch {}
    }

    // ---- cases and monitors --------------------------------------------------------------

    function decide(
        uint256 deskSeed,
        uint256 caseSeed,
        bool confirm,
        uint256 deciderSeed,
        uint8 level
    ) external {
        SupervisionDesk desk = desks[deskSeed % desks.length];
        if (desk.caseCount() == 0) return;
        uint256 caseId = 1 + caseSeed % desk.caseCount();
        _decide(desk, caseId, _deciders[deciderSeed % _deciders.length], !confirm, level);
    }

    function _decide(SupervisionDesk desk, uint256 caseId, address decider, bool clear, uint8 level)
        internal
    {
        ISupervisionDesk.Case memory c = desk.supervisionCase(caseId);
        if (c.status != ISupervisionDesk.CaseStatus.Open) return;
        address subject = identity.currentAccount(c.account);
        RiskLevel risk = clear ? identity.member(subject).risk : RiskLevel(level % 5);
        uint256 expectedBurn = _expectedBurn(c.holdId, clear);
        uint256 supply = coin.totalSupply();
        vm.prank(decider);
        try desk.decideCase(
            caseId,
            clear ? ISupervisionDesk.CaseStatus.Cleared : ISupervisionDesk.CaseStatus.Confirmed,
            bytes32(0),
            risk
        ) {
            if (decider != supervisor && decider != _deciders[0]) ++ghostNonSupervisorDecided;
            if (decider == c.account || decider == c.counterparty || decider == subject) {
                ++ghostConflictDecided;
            }
            if (c.holdId != 0 && coin.hold(c.holdId).monitorId != _monitorIdOf(desk)) {
                ++ghostForeignHoldSettled;
            }
            ghostBurned += expectedBurn;
            if (supply - coin.totalSupply() != expectedBurn) ++ghostBurnMismatch;
            if (c.kind == ISupervisionDesk.CaseKind.Recovery && clear) {
                _replaceMember(c.account, c.counterparty);
            }
        } catch {}
    }

    /// Coins a decision burns: held coins returned to a member who is now closed.
    function _expectedBurn(uint256 holdId, bool clear) internal view returns (uint256) {
        if (holdId == 0 || clear) return 0;
        ITimeCoin.Hold memory h = coin.hold(holdId);
        if (h.status != ITimeCoin.HoldStatus.Held) return 0;
        address back = identity.currentAccount(h.from);
        return identity.member(back).status == MemberStatus.Closed ? h.amount : 0;
    }

    function _replaceMember(address previous, address fresh) internal {
        ++recoveries;
        holders.push(fresh);
        for (uint256 i; i < _members.length; ++i) {
            if (_members[i] == previous) _members[i] = fresh;
        }
    }

    /// The governor swaps the monitor: a new desk, an earlier desk, or the no-op monitor.
    function swapMonitor(uint256 seed) external {
        uint256 choice = seed % 3;
        ITimeCoinMonitor next;
        if (choice == 0) {
            next = _noop;
        } else if (choice == 1 && desks.length < 4) {
            ITimebankAccess access = desks[0].access();
            SupervisionDesk fresh = new SupervisionDesk(access, identity, coin, address(0));
            desks.push(fresh);
            vm.prank(governor);
            access.grantRole(Roles.MONITOR, address(fresh));
            next = fresh;
        } else {
            next = desks[seed % desks.length];
        }
        vm.prank(governor);
        coin.setMonitor(next);
    }

    /// A supervisor has the desk in force adopt a hold no desk has a case for.
    function adopt(uint256 holdSeed) external {
        SupervisionDesk desk = _currentDesk();
        if (address(desk) == address(0)) return;
        vm.prank(supervisor);
        try desk.adoptHold(1 + holdSeed % 32) {} catch {}
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + seconds_ % 3 days);
    }

    function setQuota(bool north, uint128 limit) external {
        uint32 branchId = north ? 1 : 2;
        limit = uint128(limit % 500e18);
        vm.prank(admin);
        try ledger.setMintQuota(branchId, limit) {} catch {}
    }

    function _currentDesk() internal view returns (SupervisionDesk) {
        address current = address(coin.monitor());
        for (uint256 i; i < desks.length; ++i) {
            if (address(desks[i]) == current) return desks[i];
        }
        return SupervisionDesk(address(0));
    }

    /// Monitors are numbered in the order they were first set; the no-op monitor was first.
    function _monitorIdOf(SupervisionDesk desk) internal view returns (uint32) {
        for (uint256 i; i < desks.length; ++i) {
            if (desks[i] == desk) return uint32(i + 2);
        }
        return 0;
    }
}
