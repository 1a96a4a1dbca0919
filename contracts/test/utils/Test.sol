// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm, vm} from "./Vm.sol";

/// @title Test: the base of timebank's forge tests
/// @notice A stand-in for forge-std's `Test` with only what we use. Assertions are forge's
/// `vm.assert*` cheatcodes, which revert: a test fails exactly when one of them fails.
abstract contract Test {
    /// @dev forge-std compatibility marker; forge runs every contract with test functions.
    bool public constant IS_TEST = true;

    /// @dev Clamps `x` into [min, max] without skewing small inputs (forge-std's algorithm).
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min + 1;
        // Map small x straight onto the range so that fuzzed edge values stay edge values.
        if (x <= 3 && size > x) return min + x;
        if (x >= type(uint256).max - 3 && size > type(uint256).max - x) {
            return max - (type(uint256).max - x);
        }
        if (x > max) {
            uint256 diff = x - max;
            uint256 rem = diff % size;
            if (rem == 0) return max;
            return min + rem - 1;
        }
        uint256 diffBelow = min - x;
        uint256 remBelow = diffBelow % size;
        if (remBelow == 0) return min;
        return max - remBelow + 1;
    }

    /// @dev A labelled address and its private key, derived from `name`.
    function makeAddrAndKey(string memory name) internal returns (address account, uint256 key) {
        key = uint256(keccak256(bytes(name)));
        account = vm.addr(key);
        vm.label(account, name);
    }

    function makeAddr(string memory name) internal returns (address account) {
        (account,) = makeAddrAndKey(name);
    }
}

/// @title InvariantTest: the selectors forge reads to pick invariant targets
abstract contract InvariantTest {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targetContracts;
    FuzzSelector[] private _targetSelectors;
    address[] private _targetSenders;

    function targetContract(address target) internal {
        _targetContracts.push(target);
    }

    function targetSelector(FuzzSelector memory selector) internal {
        _targetSelectors.push(selector);
    }

    function targetSender(address sender) internal {
        _targetSenders.push(sender);
    }

    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetSelectors;
    }

    function targetSenders() public view returns (address[] memory) {
        return _targetSenders;
    }
}
