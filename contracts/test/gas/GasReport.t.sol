// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ActivityKind, Purpose} from "../../src/Types.sol";
import {Fixture} from "../utils/Fixture.sol";
import {Vm, vm} from "../utils/Vm.sol";
import {PlainERC20} from "./PlainERC20.sol";
import {PlainSolady} from "./PlainSolady.sol";
import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";

/// @notice `make gas`: the gas of each operation as a whole transaction, intrinsic cost
/// included, measured in one forge run. Run with `--isolate` so that every top-level call is
/// its own transaction with cold storage, as on a real chain; `vm.lastCallGas()` then reports
/// the transaction's total. Prints `GAS name value` lines that the Makefile collects.
contract GasReportTest is Fixture {
    PlainERC20 internal plain;
    PlainSolady internal solady;

    bytes32 internal constant PERMIT_TYPEHASH = keccak256(
        "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
    );

    function setUp() public override {
        super.setUp();
        plain = new PlainERC20();
        plain.mint(alice, START_BALANCE);
        plain.mint(bob, START_BALANCE);
        solady = new PlainSolady();
        solady.mint(alice, START_BALANCE);
        solady.mint(bob, START_BALANCE);
    }

    /// An EIP-2612 permit by `key`'s owner for `spender`, signed over `domainSeparator`.
    function _permit(uint256 key, address spender, uint256 nonce, bytes32 domainSeparator)
        internal
        pure
        returns (uint8 v, bytes32 r, bytes32 s)
    {
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                domainSeparator,
                keccak256(
                    abi.encode(
                        PERMIT_TYPEHASH, vm.addr(key), spender, HOUR, nonce, type(uint256).max
                    )
                )
            )
        );
        return vm.sign(key, digest);
    }

    /// Transfer, mint and permit of the two baselines and TimeCoin, the same cases side by side
    /// (an existing holder pays or receives; the permit is the owner's first).
    function test_Gas_Baselines() public {
        vm.prank(alice);
        solady.transfer(bob, HOUR);
        _report("solady_erc20_transfer");

        plain.mint(bob, HOUR);
        _report("oz_erc20_mint");
        solady.mint(bob, HOUR);
        _report("solady_erc20_mint");
        vm.prank(address(ledger));
        coin.mint(bob, HOUR, Purpose.ActivityReward, bytes32(0));
        _report("timecoin_mint");

        (uint8 v, bytes32 r, bytes32 s) = _permit(aliceKey, stranger, 0, plain.DOMAIN_SEPARATOR());
        vm.prank(stranger);
        plain.permit(alice, stranger, HOUR, type(uint256).max, v, r, s);
        _report("oz_erc20_permit");
        (v, r, s) = _permit(aliceKey, stranger, 0, solady.DOMAIN_SEPARATOR());
        vm.prank(stranger);
        solady.permit(alice, stranger, HOUR, type(uint256).max, v, r, s);
        _report("solady_erc20_permit");
        (v, r, s) = _permit(aliceKey, stranger, 0, coin.DOMAIN_SEPARATOR());
        vm.prank(stranger);
        coin.permit(alice, stranger, HOUR, type(uint256).max, v, r, s);
        _report("timecoin_permit");
    }

    function _report(string memory name) internal view {
        Vm.Gas memory gas = vm.lastCallGas();
        (bool ok,) = address(0x000000000000000000636F6e736F6c652e6c6f67)
            .staticcall(
                abi.encodeWithSignature(
                    "log(string,uint256)", string.concat("GAS ", name), gas.gasTotalUsed
                )
            );
        ok; // console.log never fails; the result is irrelevant
    }

    function test_Gas_Transfers() public {
        // Baseline: a plain OpenZeppelin ERC-20 transfer to an existing holder.
        vm.prank(alice);
        plain.transfer(bob, HOUR);
        _report("oz_erc20_transfer");

        // The same case through TimeCoin, every monitoring rule off (no monitor call).
        vm.prank(alice);
        coin.transfer(bob, HOUR);
        _report("timecoin_transfer");

        vm.prank(alice);
        coin.pay(bob, HOUR, Purpose.Gift, keccak256("invoice"));
        _report("timecoin_pay");

        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signPay(aliceKey, bob, HOUR, Purpose.Gift, bytes32(0), deadline);
        vm.prank(stranger);
        coin.payWithSignature(alice, bob, HOUR, Purpose.Gift, bytes32(0), deadline, sig);
        _report("timecoin_pay_with_signature");

        ERC2771Forwarder.ForwardRequestData memory request =
            _forwardRequest(aliceKey, address(coin), abi.encodeCall(coin.transfer, (bob, HOUR)));
        vm.prank(stranger);
        forwarder.execute(request);
        _report("timecoin_transfer_forwarded");
    }

    /// @dev Every rule on, with the default parameters. Time moves between transactions, as on a
    /// chain, so that each one really rewrites both sides' window state.
    function test_Gas_Monitored() public {
        _enableDefaultRules();
        vm.warp(block.timestamp + 1 hours);

        // No rule fires: 1 h gift, far from every threshold.
        vm.prank(alice);
        coin.transfer(bob, HOUR);
        _report("timecoin_transfer_monitored");

        // Flagged: bob pays alice back within the round-trip window; a case opens.
        vm.warp(block.timestamp + 1 minutes);
        vm.prank(bob);
        coin.transfer(alice, HOUR);
        _report("timecoin_transfer_flagged");

        // Held: a 10 h gift reaches the large-gift threshold; escrow and a case.
        vm.warp(block.timestamp + 1 minutes);
        vm.prank(carol);
        coin.transfer(alice, 10 * HOUR);
        _report("timecoin_transfer_held");
    }

    function test_Gas_Members() public {
        address dave = makeAddr("dave");
        vm.prank(op1);
        identity.submitMember(dave, NORTH, keccak256("dave"), new bytes(256));
        _report("member_register");

        vm.prank(northGateway);
        identity.bindUniquenessKey(dave, _person(dave));
        _report("member_bind_key");

        vm.prank(op1b);
        identity.approveMember(dave);
        _report("member_approve");

        vm.prank(issuer);
        credentials.issueCredential(
            dave, licenceType, keccak256("licence"), uint40(block.timestamp + 365 days)
        );
        _report("credential_issue");
    }

    function test_Gas_Activity() public {
        vm.prank(op1);
        uint256 id = ledger.createActivity(NORTH, ActivityKind.Activity, 4 * HOUR, 0, bytes32(0));
        _report("activity_create");
        vm.prank(alice);
        ledger.joinActivity(id);
        vm.prank(op1);
        ledger.recordHours(id, alice, 3 * HOUR);
        vm.prank(alice);
        ledger.confirmHours(id, 3 * HOUR);
        vm.prank(op1);
        ledger.settle(id, alice);
        _report("activity_settle");

        vm.prank(bob);
        uint256 serviceId = ledger.proposeService(alice, HOUR, bytes32(0));
        vm.prank(alice);
        ledger.confirmService(serviceId);
        _report("service_confirm_and_pay");
    }
}
