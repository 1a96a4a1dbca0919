// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../utils/Test.sol";
import {vm} from "../utils/Vm.sol";

/// @notice Proves the test base can fail. `make test` runs this suite on its own and requires
/// every test here to FAIL; if one passes, assertions have stopped failing tests.
contract CanaryTest is Test {
    function test_Canary_AssertEqMustFail() public pure {
        vm.assertEq(uint256(1), uint256(2), "canary: this assertion must fail");
    }

    function test_Canary_AssertTrueMustFail() public pure {
        vm.assertTrue(false, "canary: this assertion must fail");
    }

    function test_Canary_ExpectRevertMustFail() public {
        vm.expectRevert();
        this.doesNotRevert();
    }

    function doesNotRevert() external pure {}
}
