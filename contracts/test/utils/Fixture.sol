// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CredentialRegistry} from "../../src/CredentialRegistry.sol";
import {IdentityRegistry} from "../../src/IdentityRegistry.sol";
import {Roles} from "../../src/Roles.sol";
import {ServiceLedger} from "../../src/ServiceLedger.sol";
import {TimeCoin} from "../../src/TimeCoin.sol";
import {TimebankAccess} from "../../src/TimebankAccess.sol";
import {TimebankForwarder} from "../../src/TimebankForwarder.sol";
import {ActivityKind, CredentialKind, Purpose} from "../../src/Types.sol";
import {MonitorRules} from "../../src/monitor/MonitorRules.sol";
import {NoopMonitor} from "../../src/monitor/NoopMonitor.sol";
import {SupervisionDesk} from "../../src/monitor/SupervisionDesk.sol";
import {Test} from "./Test.sol";
import {vm} from "./Vm.sol";
import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";

/// @title Fixture: a wired timebank with two branches and a cast of actors
/// @notice Branch 1 ("north") has operators op1 and op1b, branch 2 ("south") op2 and op2b.
/// alice and bob are Active members of branch 1, carol of branch 2; each starts with
/// `START_BALANCE` minted through a real settlement. The SupervisionDesk is the coin's monitor;
/// every monitoring rule starts switched off (`_enableDefaultRules` turns them on). `governor`
/// holds the governor role directly (the timelock in front of it is tested on its own).
abstract contract Fixture is Test {
    uint128 internal constant HOUR = 1e18;
    uint128 internal constant START_BALANCE = 10 * HOUR;
    uint32 internal constant NORTH = 1;
    uint32 internal constant SOUTH = 2;
    uint48 internal constant KEY_DELAY = 2 days;
    bytes32 internal constant NORTH_KEY = keccak256("north branch key");
    bytes32 internal constant SOUTH_KEY = keccak256("south branch key");

    TimebankForwarder internal forwarder;
    TimebankAccess internal access;
    IdentityRegistry internal identity;
    CredentialRegistry internal credentials;
    NoopMonitor internal monitor;
    SupervisionDesk internal desk;
    TimeCoin internal coin;
    ServiceLedger internal ledger;

    address internal admin = makeAddr("admin");
    address internal governor = makeAddr("governor");
    address internal op1 = makeAddr("op1");
    address internal op1b = makeAddr("op1b");
    address internal op2 = makeAddr("op2");
    address internal op2b = makeAddr("op2b");
    address internal supervisor = makeAddr("supervisor");
    address internal partner = makeAddr("partner");
    address internal auditor = makeAddr("auditor");
    address internal issuer = makeAddr("issuer");
    address internal stranger = makeAddr("stranger");
    /// @dev Each branch's gateway (its relayer key): binds members' uniqueness keys.
    address internal northGateway = makeAddr("north-gateway");
    address internal southGateway = makeAddr("south-gateway");
    address internal alice;
    uint256 internal aliceKey;
    address internal bob;
    uint256 internal bobKey;
    address internal carol = makeAddr("carol");

    uint32 internal idCheckType;
    uint32 internal licenceType;
    uint32 internal uploadType;

    function setUp() public virtual {
        (alice, aliceKey) = makeAddrAndKey("alice");
        (bob, bobKey) = makeAddrAndKey("bob");

        forwarder = new TimebankForwarder();
        access = new TimebankAccess(0, admin, governor, KEY_DELAY, address(forwarder));
        identity = new IdentityRegistry(access, address(forwarder));
        credentials = new CredentialRegistry(access, identity, address(forwarder));
        monitor = new NoopMonitor();
        coin = new TimeCoin(access, identity, address(forwarder), monitor);
        ledger = new ServiceLedger(access, identity, credentials, coin, address(forwarder));
        desk = new SupervisionDesk(access, identity, coin, address(forwarder));

        vm.startPrank(governor);
        access.grantRole(Roles.LEDGER, address(ledger));
        access.grantRole(Roles.MONITOR, address(desk));
        access.grantRole(Roles.SUPERVISOR, supervisor);
        coin.setMonitor(desk);
        vm.stopPrank();

        vm.startPrank(admin);
        identity.setTimeCoin(coin);
        access.addBranch("north", "North Region", NORTH_KEY);
        access.addBranch("south", "South Region", SOUTH_KEY);
        access.grantRole(Roles.operator(NORTH), op1);
        access.grantRole(Roles.operator(NORTH), op1b);
        access.grantRole(Roles.operator(SOUTH), op2);
        access.grantRole(Roles.operator(SOUTH), op2b);
        access.grantRole(Roles.gateway(NORTH), northGateway);
        access.grantRole(Roles.gateway(SOUTH), southGateway);
        access.grantRole(Roles.PARTNER, partner);
        access.grantRole(Roles.AUDITOR, auditor);
        idCheckType = credentials.defineCredentialType(CredentialKind.IdentityCheck, "gov-id");
        licenceType =
            credentials.defineCredentialType(CredentialKind.ProfessionalLicence, "nursing");
        uploadType = credentials.defineCredentialType(CredentialKind.SelfDeclared, "upload");
        access.grantRole(Roles.issuer(idCheckType), issuer);
        access.grantRole(Roles.issuer(licenceType), issuer);
        ledger.setMintQuota(NORTH, 1000 * HOUR);
        ledger.setMintQuota(SOUTH, 1000 * HOUR);
        vm.stopPrank();

        _register(alice, NORTH);
        _register(bob, NORTH);
        _register(carol, SOUTH);
        _reward(alice, START_BALANCE);
        _reward(bob, START_BALANCE);
        _reward(carol, START_BALANCE);
    }

    function _enableDefaultRules() internal {
        (MonitorRules.Config memory config, uint32 actions) = MonitorRules.defaults();
        vm.prank(governor);
        coin.setMonitorRules(config, actions);
    }

    /// @dev Submits and approves `account` at `branchId` with a profile derived from it.
    function _register(address account, uint32 branchId) internal {
        (address submitter, address approver) = _operators(branchId);
        _submit(submitter, account, branchId, _person(account));
        vm.prank(approver);
        identity.approveMember(account);
    }

    /// @dev `submitter` submits `account` at `branchId`, and the branch's gateway binds `key`.
    function _submit(address submitter, address account, uint32 branchId, bytes32 key)
        internal
        returns (uint48 memberId)
    {
        vm.prank(submitter);
        memberId = identity.submitMember(account, branchId, _commitment(account), hex"c0ffee");
        vm.prank(_gateway(branchId));
        identity.bindUniquenessKey(account, key);
    }

    /// @dev The gateway of `branchId`.
    function _gateway(uint32 branchId) internal view returns (address) {
        return branchId == NORTH ? northGateway : southGateway;
    }

    /// @dev Mints `amount` to `account` through a one-volunteer activity of its home branch.
    function _reward(address account, uint128 amount) internal returns (uint256 activityId) {
        (address op,) = _operators(identity.member(account).homeBranch);
        uint32 branchId = identity.member(account).homeBranch;
        vm.prank(op);
        activityId = ledger.createActivity(branchId, ActivityKind.Activity, amount, 0, bytes32(0));
        vm.prank(account);
        ledger.joinActivity(activityId);
        vm.prank(op);
        ledger.recordHours(activityId, account, amount);
        vm.prank(account);
        ledger.confirmHours(activityId, amount);
        vm.prank(op);
        ledger.settle(activityId, account);
    }

    function _operators(uint32 branchId) internal view returns (address, address) {
        return branchId == NORTH ? (op1, op1b) : (op2, op2b);
    }

    function _commitment(address account) internal pure returns (bytes32) {
        return keccak256(abi.encode("profile", account));
    }

    /// @dev The uniqueness key of the person behind `account` (one person per account here).
    function _person(address account) internal pure returns (bytes32) {
        return keccak256(abi.encode("person", account));
    }

    /// @dev Signs an EIP-712 `Pay` from `vm.addr(key)` with its current nonce.
    function _signPay(
        uint256 key,
        address to,
        uint256 amount,
        Purpose purpose,
        bytes32 ref,
        uint256 deadline
    ) internal view returns (bytes memory) {
        address from = vm.addr(key);
        uint256 nonce = coin.nonces(from);
        bytes32 digest = coin.payDigest(from, to, amount, purpose, ref, nonce, deadline);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev A forward request from `from` (key `key`) to call `target` with `data`, signed for
    /// this chain and forwarder with the signer's current nonce.
    function _forwardRequest(uint256 key, address target, bytes memory data)
        internal
        view
        returns (ERC2771Forwarder.ForwardRequestData memory request)
    {
        address from = vm.addr(key);
        request = ERC2771Forwarder.ForwardRequestData({
            from: from,
            to: target,
            value: 0,
            gas: 500_000,
            deadline: uint48(block.timestamp + 1 hours),
            data: data,
            signature: ""
        });
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "ForwardRequest(address from,address to,uint256 value,uint256 gas,uint256 nonce,uint48 deadline,bytes data)"
                ),
                from,
                target,
                uint256(0),
                request.gas,
                forwarder.nonces(from),
                request.deadline,
                keccak256(data)
            )
        );
        bytes32 domain = keccak256(
            abi.encode(
                keccak256(
                    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
                ),
                keccak256("TimebankForwarder"),
                keccak256("1"),
                block.chainid,
                address(forwarder)
            )
        );
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(key, keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
        request.signature = abi.encodePacked(r, s, v);
    }
}
