// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "../src/Roles.sol";
import {ITimebankAccess} from "../src/interfaces/ITimebankAccess.sol";
import {Fixture} from "./utils/Fixture.sol";
import {vm} from "./utils/Vm.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";

contract TimebankAccessTest is Fixture {
    bytes32 internal constant EAST_KEY = keccak256("east branch key");
    bytes32 internal constant NEW_KEY = keccak256("north's next key");

    function test_AddBranch() public {
        vm.expectEmit(address(access));
        emit ITimebankAccess.BranchAdded(3, "east", "East", EAST_KEY, admin);
        vm.prank(admin);
        uint32 id = access.addBranch("east", "East", EAST_KEY);
        vm.assertEq(uint256(id), 3);
        vm.assertEq(uint256(access.branchCount()), 3);
        ITimebankAccess.Branch memory b = access.branch(id);
        vm.assertEq(b.name, "east");
        vm.assertEq(b.region, "East");
        vm.assertEq(b.publicKey, EAST_KEY);
        vm.assertTrue(b.active);
        vm.assertTrue(access.isActiveBranch(id));
    }

    function test_RevertWhen_AddBranchWithoutNameOrKey() public {
        vm.startPrank(admin);
        vm.expectRevert(ITimebankAccess.TimebankAccessInvalidBranch.selector);
        access.addBranch("", "East", EAST_KEY);
        vm.expectRevert(
            abi.encodeWithSelector(ITimebankAccess.TimebankAccessInvalidKey.selector, bytes32(0))
        );
        access.addBranch("east", "East", bytes32(0));
        vm.stopPrank();
    }

    /// The seven X25519 u-coordinates of small order (libsodium's list), each also with the
    /// top bit set, which X25519 ignores.
    function test_SmallOrderKeysAreRefused() public view {
        bytes32[7] memory small = [
            bytes32(0),
            bytes32(0x0100000000000000000000000000000000000000000000000000000000000000),
            bytes32(0xe0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800),
            bytes32(0x5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157),
            bytes32(0xecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f),
            bytes32(0xedffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f),
            bytes32(0xeeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f)
        ];
        for (uint256 i; i < small.length; ++i) {
            vm.assertFalse(access.isValidBranchKey(small[i]));
            vm.assertFalse(access.isValidBranchKey(small[i] | bytes32(uint256(0x80))));
        }
        vm.assertTrue(access.isValidBranchKey(NORTH_KEY));
        // 9, the base point: a valid public key.
        vm.assertTrue(access.isValidBranchKey(bytes32(uint256(9) << 248)));
    }

    function test_RevertWhen_UnknownBranch() public {
        vm.expectRevert(
            abi.encodeWithSelector(ITimebankAccess.TimebankAccessUnknownBranch.selector, 0)
        );
        access.branch(0);
        vm.expectRevert(
            abi.encodeWithSelector(ITimebankAccess.TimebankAccessUnknownBranch.selector, 9)
        );
        vm.prank(admin);
        access.setBranchActive(9, false);
        vm.assertFalse(access.isActiveBranch(9));
        vm.assertFalse(access.isActiveBranch(0));
    }

    function test_OperatorRenamesOwnBranch() public {
        vm.expectEmit(address(access));
        emit ITimebankAccess.BranchUpdated(NORTH, "north", "North", op1);
        vm.prank(op1);
        access.updateBranch(NORTH, "north", "North");
        vm.assertEq(access.branch(NORTH).region, "North");
        vm.assertEq(access.branch(NORTH).publicKey, NORTH_KEY);
    }

    function test_KeyRotationTakesDelayAndSecondParty() public {
        uint48 effectiveAt = uint48(block.timestamp) + KEY_DELAY;
        vm.expectEmit(address(access));
        emit ITimebankAccess.BranchKeyProposed(NORTH, NORTH_KEY, NEW_KEY, op1, effectiveAt);
        vm.prank(op1);
        access.proposeBranchKey(NORTH, NEW_KEY);
        vm.assertEq(access.branch(NORTH).publicKey, NORTH_KEY);

        vm.expectRevert(
            abi.encodeWithSelector(
                ITimebankAccess.TimebankAccessKeyNotReady.selector, NORTH, effectiveAt
            )
        );
        vm.prank(op1b);
        access.confirmBranchKey(NORTH);

        vm.warp(effectiveAt);
        vm.expectEmit(address(access));
        emit ITimebankAccess.BranchKeyChanged(NORTH, NORTH_KEY, NEW_KEY, op1, op1b);
        vm.prank(op1b);
        access.confirmBranchKey(NORTH);
        vm.assertEq(access.branch(NORTH).publicKey, NEW_KEY);
        vm.assertEq(access.keyProposal(NORTH).proposer, address(0));
    }

    function test_AdminConfirmsAnOperatorsKeyAndAnOperatorCancels() public {
        vm.prank(op1);
        access.proposeBranchKey(NORTH, NEW_KEY);
        vm.warp(block.timestamp + KEY_DELAY);
        vm.prank(admin);
        access.confirmBranchKey(NORTH);
        vm.assertEq(access.branch(NORTH).publicKey, NEW_KEY);

        vm.prank(admin);
        access.proposeBranchKey(NORTH, NORTH_KEY);
        vm.expectEmit(address(access));
        emit ITimebankAccess.BranchKeyProposalCancelled(NORTH, NORTH_KEY, op1b);
        vm.prank(op1b);
        access.cancelBranchKey(NORTH);
        vm.warp(block.timestamp + KEY_DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(ITimebankAccess.TimebankAccessNoKeyProposal.selector, NORTH)
        );
        vm.prank(op1);
        access.confirmBranchKey(NORTH);
    }

    function test_RevertWhen_OperatorUpdatesOtherBranch() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, op2, Roles.operator(NORTH)
            )
        );
        vm.prank(op2);
        access.updateBranch(NORTH, "north", "North");
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, op2, Roles.operator(NORTH)
            )
        );
        vm.prank(op2);
        access.proposeBranchKey(NORTH, NEW_KEY);
    }

    function test_OperatorIsScopedToOneBranch() public {
        vm.assertEq(uint256(access.operatorBranch(op1)), NORTH);
        vm.assertTrue(access.isOperator(op1, NORTH));
        vm.assertFalse(access.isOperator(op1, SOUTH));
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimebankAccess.TimebankAccessOperatorOfOtherBranch.selector, op1, NORTH
            )
        );
        vm.prank(admin);
        access.grantRole(Roles.operator(SOUTH), op1);
    }

    function test_RevokedOperatorCanServeAnotherBranch() public {
        vm.startPrank(admin);
        vm.expectEmit(address(access));
        emit ITimebankAccess.OperatorChanged(op1, NORTH, false, admin);
        access.revokeRole(Roles.operator(NORTH), op1);
        vm.assertEq(uint256(access.operatorBranch(op1)), 0);
        vm.expectEmit(address(access));
        emit ITimebankAccess.OperatorChanged(op1, SOUTH, true, admin);
        access.grantRole(Roles.operator(SOUTH), op1);
        vm.stopPrank();
        vm.assertTrue(access.isOperator(op1, SOUTH));
    }

    function test_InactiveBranchOperatorsCannotAct() public {
        vm.prank(admin);
        access.setBranchActive(NORTH, false);
        vm.assertFalse(access.isOperator(op1, NORTH));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, op1, Roles.operator(NORTH)
            )
        );
        vm.prank(op1);
        identity.submitMember(stranger, NORTH, bytes32(uint256(1)), hex"01");
    }

    function test_IssuerRoleIsPerType() public view {
        vm.assertTrue(access.isIssuer(issuer, licenceType));
        vm.assertFalse(access.isIssuer(issuer, uploadType));
        vm.assertEq(access.issuerRole(licenceType), Roles.issuer(licenceType));
        vm.assertEq(access.operatorRole(NORTH), Roles.operator(NORTH));
    }

    function test_AdminTransferIsTwoStep() public {
        vm.prank(admin);
        access.beginDefaultAdminTransfer(stranger);
        vm.assertEq(access.defaultAdmin(), admin);
        vm.warp(block.timestamp + 1); // the schedule must have passed, even with no delay
        vm.prank(stranger);
        access.acceptDefaultAdminTransfer();
        vm.assertEq(access.defaultAdmin(), stranger);
    }

    function testFuzz_OnlyAdminAddsBranches(address caller) public {
        vm.assume(caller != admin);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, caller, bytes32(0)
            )
        );
        vm.prank(caller);
        access.addBranch("x", "y", EAST_KEY);
    }

    function test_GovernedRolesAreGrantedByTheGovernorAndRevokedByTheAdmin() public {
        address desk2 = makeAddr("desk2");
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, admin, Roles.GOVERNOR
            )
        );
        vm.prank(admin);
        access.grantRole(Roles.SUPERVISOR, desk2);
        vm.prank(governor);
        access.grantRole(Roles.SUPERVISOR, desk2);
        // Taking power away is never delayed.
        vm.prank(admin);
        access.revokeRole(Roles.SUPERVISOR, desk2);
        vm.assertFalse(access.hasRole(Roles.SUPERVISOR, desk2));
        // But the admin can't remove the governor.
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, admin, Roles.GOVERNOR
            )
        );
        vm.prank(admin);
        access.revokeRole(Roles.GOVERNOR, governor);
    }

    function test_TheGatewayAnchorsItsBranchAccessLog() public {
        (address gateway, uint256 gatewayKey) = makeAddrAndKey("north gateway");
        vm.assertEq(access.gatewayRole(NORTH), Roles.gateway(NORTH));
        vm.prank(admin);
        access.grantRole(Roles.gateway(NORTH), gateway);

        vm.expectEmit(address(access));
        emit ITimebankAccess.AccessLogAnchored(NORTH, 3, keccak256("three"), gateway);
        vm.prank(gateway);
        access.anchorAccessLog(NORTH, 3, keccak256("three"));
        ITimebankAccess.AccessLogAnchor memory a = access.accessLogAnchor(NORTH);
        vm.assertEq(uint256(a.entries), 3);
        vm.assertEq(a.head, keccak256("three"));
        vm.assertEq(uint256(a.at), block.timestamp);

        // An anchor never goes back: a rewritten, shorter log can't be anchored over it.
        vm.expectRevert(
            abi.encodeWithSelector(ITimebankAccess.TimebankAccessStaleAnchor.selector, NORTH, 3, 3)
        );
        vm.prank(gateway);
        access.anchorAccessLog(NORTH, 3, keccak256("other three"));
        vm.prank(gateway);
        access.anchorAccessLog(NORTH, 5, keccak256("five"));
        vm.assertEq(uint256(access.accessLogAnchor(NORTH).entries), 5);

        // Only this branch's gateway, with its own key: not another branch's, not an operator,
        // not the admin, and not through the forwarder.
        address[3] memory others = [op1, admin, stranger];
        for (uint256 i; i < others.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IAccessControl.AccessControlUnauthorizedAccount.selector,
                    others[i],
                    Roles.gateway(NORTH)
                )
            );
            vm.prank(others[i]);
            access.anchorAccessLog(NORTH, 9, bytes32(0));
        }
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                gateway,
                Roles.gateway(SOUTH)
            )
        );
        vm.prank(gateway);
        access.anchorAccessLog(SOUTH, 1, bytes32(0));
        ERC2771Forwarder.ForwardRequestData memory request = _forwardRequest(
            gatewayKey,
            address(access),
            abi.encodeCall(ITimebankAccess.anchorAccessLog, (NORTH, 9, bytes32(0)))
        );
        vm.expectRevert();
        forwarder.execute(request);
        vm.assertEq(uint256(access.accessLogAnchor(NORTH).entries), 5);
    }
}
