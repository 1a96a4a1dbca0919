// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "../src/Roles.sol";
import {ITimebankAccess} from "../src/interfaces/ITimebankAccess.sol";
import {Fixture} from "./utils/Fixture.sol";
import {vm} from "./utils/Vm.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

contract TimebankAccessTest is Fixture {
    function test_AddBranch() public {
        vm.expectEmit(address(access));
        emit ITimebankAccess.BranchAdded(3, "east", "East", hex"0303", admin);
        vm.prank(admin);
        uint32 id = access.addBranch("east", "East", hex"0303");
        vm.assertEq(uint256(id), 3);
        vm.assertEq(uint256(access.branchCount()), 3);
        ITimebankAccess.Branch memory b = access.branch(id);
        vm.assertEq(b.name, "east");
        vm.assertEq(b.region, "East");
        vm.assertEq(b.publicKey, hex"0303");
        vm.assertTrue(b.active);
        vm.assertTrue(access.isActiveBranch(id));
    }

    function test_RevertWhen_AddBranchWithoutNameOrKey() public {
        vm.startPrank(admin);
        vm.expectRevert(ITimebankAccess.TimebankAccessInvalidBranch.selector);
        access.addBranch("", "East", hex"03");
        vm.expectRevert(ITimebankAccess.TimebankAccessInvalidBranch.selector);
        access.addBranch("east", "East", "");
        vm.stopPrank();
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

    function test_OperatorRotatesOwnBranchKey() public {
        vm.expectEmit(address(access));
        emit ITimebankAccess.BranchUpdated(NORTH, "north", "North", hex"aa", op1);
        vm.prank(op1);
        access.updateBranch(NORTH, "north", "North", hex"aa");
        vm.assertEq(access.branch(NORTH).publicKey, hex"aa");
    }

    function test_RevertWhen_OperatorUpdatesOtherBranch() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, op2, Roles.operator(NORTH)
            )
        );
        vm.prank(op2);
        access.updateBranch(NORTH, "north", "North", hex"aa");
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
        access.addBranch("x", "y", hex"01");
    }
}
