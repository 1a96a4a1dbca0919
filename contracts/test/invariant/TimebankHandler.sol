// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IdentityRegistry} from "../../src/IdentityRegistry.sol";
import {ServiceLedger} from "../../src/ServiceLedger.sol";
import {TimeCoin} from "../../src/TimeCoin.sol";
import {ActivityKind, MemberStatus, MonitorAction, Purpose, RiskLevel} from "../../src/Types.sol";
import {ISupervisionDesk} from "../../src/interfaces/ISupervisionDesk.sol";
import {SupervisionDesk} from "../../src/monitor/SupervisionDesk.sol";
import {vm} from "../utils/Vm.sol";

/// @notice Drives random member, operator, supervisor and admin actions; keeps ghost totals.
contract TimebankHandler {
    IdentityRegistry internal immutable identity;
    TimeCoin internal immutable coin;
    ServiceLedger internal immutable ledger;
    address internal immutable admin;
    address internal immutable supervisor;

    /// Every address that ever held coins (members, and wallets created by recovery).
    address[] public holders;
    address[] internal _members;
    /// Operators by branch (index 0 unused).
    address[3] internal _operators;

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
    /// A case decided by someone who is not a supervisor.
    uint256 public ghostNonSupervisorDecided;
    uint256 public blockedRefused;

    SupervisionDesk internal _desk;
    address[] internal _deciders;
    uint256 internal _walletNonce;

    /// @dev Fails the run (through a ghost counter, which persists) if a coin-moving action
    /// changed the balance of a member that could not transact when it started.
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
        address admin_,
        address supervisor_,
        address[] memory members_,
        address northOperator,
        address southOperator
    ) {
        identity = identity_;
        coin = coin_;
        ledger = ledger_;
        admin = admin_;
        supervisor = supervisor_;
        _members = members_;
        holders = members_;
        _operators[1] = northOperator;
        _operators[2] = southOperator;
    }

    function setDesk(SupervisionDesk desk_, address[] calldata deciders) external {
        _desk = desk_;
        _deciders = deciders;
    }

    function holderCount() external view returns (uint256) {
        return holders.length;
    }

    function _member(uint256 seed) internal view returns (address) {
        return _members[seed % _members.length];
    }

    function pay(uint256 fromSeed, uint256 toSeed, uint256 amount, bool gift)
        external
        frozenStayFrozen
    {
        address from = _member(fromSeed);
        address to = _member(toSeed);
        uint256 balance = coin.balanceOf(from);
        amount = balance == 0 ? 0 : amount % (balance + 1);
        _pay(from, to, amount, gift ? Purpose.Gift : Purpose.ServicePayment);
    }

    function _pay(address from, address to, uint256 amount, Purpose purpose) internal {
        bool eligible = identity.canTransact(from) && identity.canTransact(to) && from != to;
        (MonitorAction action, uint16 rules,) = coin.check(from, to, amount, purpose);
        bool blocked = eligible && action == MonitorAction.Block;
        uint256 before = coin.balanceOf(to);
        uint256 cases = _desk.caseCount();
        vm.prank(from);
        try coin.pay(to, amount, purpose, bytes32(0)) {
            if (!eligible) ++ghostIneligibleMoved;
            if (blocked) ++ghostBlockedLanded;
            if (_desk.caseCount() - cases != (rules == 0 ? 0 : 1)) ++ghostCaseMismatch;
        } catch {
            if (blocked) ++blockedRefused;
            else if (eligible) ++ghostEligibleRefused;
            else ++refusedIneligible;
            if (coin.balanceOf(to) != before) ++ghostIneligibleMoved;
        }
    }

    function decide(uint256 caseSeed, bool confirm, uint256 deciderSeed, uint8 level) external {
        if (_desk.caseCount() == 0) return;
        uint256 caseId = 1 + caseSeed % _desk.caseCount();
        address decider = _deciders[deciderSeed % _deciders.length];
        ISupervisionDesk.Case memory c = _desk.supervisionCase(caseId);
        RiskLevel risk = confirm ? RiskLevel(level % 5) : identity.member(c.account).risk;
        vm.prank(decider);
        try _desk.decideCase(
            caseId,
            confirm ? ISupervisionDesk.CaseStatus.Confirmed : ISupervisionDesk.CaseStatus.Cleared,
            bytes32(0),
            risk
        ) {
            if (decider != supervisor) ++ghostNonSupervisorDecided;
        } catch {}
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + seconds_ % 3 days);
    }

    function reward(uint256 memberSeed, uint256 amount, bool training) external frozenStayFrozen {
        address volunteer = _member(memberSeed);
        uint32 branchId = identity.member(volunteer).homeBranch;
        address op = _operators[branchId];
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
        ledger.confirmHours(id);
        vm.prank(op);
        try ledger.settle(id, volunteer) {
            ghostMinted[branchId] += amount;
        } catch {}
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
        amount = balance == 0 ? 0 : amount % (balance + 1);
        vm.prank(holder);
        try coin.redeem(amount, bytes32(0)) {
            ghostBurned += amount;
        } catch {}
    }

    function toggleSuspension(uint256 memberSeed) external {
        address account = _member(memberSeed);
        MemberStatus status = identity.member(account).status;
        vm.prank(supervisor);
        if (status == MemberStatus.Active) identity.suspendMember(account, bytes32(0));
        else if (status == MemberStatus.Suspended) identity.reinstateMember(account, bytes32(0));
    }

    function setRisk(uint256 memberSeed, uint8 level) external {
        address account = _member(memberSeed);
        RiskLevel next = RiskLevel(level % 5);
        if (identity.member(account).risk == next) return;
        vm.prank(supervisor);
        identity.setRiskLevel(account, next, bytes32(0));
    }

    function setQuota(bool north, uint128 limit) external {
        uint32 branchId = north ? 1 : 2;
        limit = uint128(limit % 500e18);
        vm.prank(admin);
        try ledger.setMintQuota(branchId, limit) {} catch {}
    }

    function recover(uint256 memberSeed) external {
        uint256 i = memberSeed % _members.length;
        address previous = _members[i];
        address fresh = address(uint160(uint256(keccak256(abi.encode("wallet", ++_walletNonce)))));
        vm.prank(admin);
        identity.recoverMember(previous, fresh, bytes32(0));
        _members[i] = fresh;
        holders.push(fresh);
    }
}
