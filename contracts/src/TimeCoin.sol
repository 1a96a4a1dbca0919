// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "./Roles.sol";
import {TimebankManaged} from "./TimebankManaged.sol";
import {Purpose, RiskLevel} from "./Types.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {ITimeCoin} from "./interfaces/ITimeCoin.sol";
import {ITimeCoinMonitor} from "./interfaces/ITimeCoinMonitor.sol";
import {ITimebankAccess} from "./interfaces/ITimebankAccess.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title TimeCoin: the time bank's currency, 1 TIME = 1 hour of service
/// @notice Members sign their own payments: directly, through an ERC-2771 forward request, an
/// EIP-2612 permit, or an EIP-712 `Pay` signature relayed by a gateway.
/// @dev Invariant kept by every override: each balance change goes through OpenZeppelin's
/// `ERC20._update` inside this contract's `_update`, which (1) refuses any sender or
/// recipient that is not an Active member below Blocked risk (a wallet recovery excepted) as
/// recorded in the coin's copy of the registry's standing, which the registry refreshes on
/// every change of status or risk,
/// (2) emits `CoinsMoved` with the movement's purpose and (3) then calls the monitor.
/// Entry points pass the purpose to `_update` through transient storage, cleared on read; a
/// movement that sets none (plain `transfer`/`transferFrom`) is a Gift.
contract TimeCoin is ITimeCoin, ERC20Permit, TimebankManaged {
    using TransientSlot for bytes32;
    using TransientSlot for TransientSlot.Uint256Slot;
    using TransientSlot for TransientSlot.Bytes32Slot;

    /// @notice EIP-712 type of a signed payment.
    bytes32 public constant PAY_TYPEHASH = keccak256(
        "Pay(address from,address to,uint256 amount,uint8 purpose,bytes32 ref,uint256 nonce,uint256 deadline)"
    );

    /// @dev ERC-7201 slot of "timebank.TimeCoin.purpose" (`cast index-erc7201`).
    bytes32 private constant _PURPOSE_SLOT =
        0xe50aeb6558526d961cd08dae5cb23e827d28677c8dcf3dae58b38d87566cb900;
    /// @dev ERC-7201 slot of "timebank.TimeCoin.ref".
    bytes32 private constant _REF_SLOT =
        0xca4cd6e9c22a3fec66659a13b032781e4ad4e62cc546b2aeeef44feb9fe6d000;

    /// @dev Bit layout of `_accounts`: the standing copied from the registry, in the low bits
    /// so that the monitor's per-account window state can share the slot.
    uint256 private constant _CAN_TRANSACT = 1; // bit 0
    uint256 private constant _RISK_SHIFT = 1; // bits 1-3: RiskLevel
    uint256 private constant _ACTIVATED_SHIFT = 4; // bits 4-43: activation time (uint40)

    /// @notice The member registry deciding who may hold and move coins.
    IIdentityRegistry public immutable identity;
    /// @inheritdoc ITimeCoin
    ITimeCoinMonitor public monitor;
    /// @dev Per-account standing, copied from the registry by `syncMember` so that a movement
    /// reads one local slot per side instead of calling the registry.
    mapping(address account => uint256) private _accounts;

    constructor(
        ITimebankAccess access_,
        IIdentityRegistry identity_,
        address forwarder,
        ITimeCoinMonitor monitor_
    ) ERC20("Time Coin", "TIME") ERC20Permit("Time Coin") TimebankManaged(access_, forwarder) {
        identity = identity_;
        _setMonitor(monitor_, _msgSender());
    }

    /// @notice A plain ERC-20 transfer between members; counts as a Gift.
    function transfer(address to, uint256 value) public override returns (bool) {
        _setContext(Purpose.Gift, bytes32(0));
        return super.transfer(to, value);
    }

    /// @notice A plain ERC-20 transferFrom between members; counts as a Gift.
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        _setContext(Purpose.Gift, bytes32(0));
        return super.transferFrom(from, to, value);
    }

    /// @inheritdoc ITimeCoin
    function pay(address to, uint256 amount, Purpose purpose, bytes32 ref) external {
        _requireMemberPurpose(purpose);
        _setContext(purpose, ref);
        _transfer(_msgSender(), to, amount);
    }

    /// @inheritdoc ITimeCoin
    function payWithSignature(
        address from,
        address to,
        uint256 amount,
        Purpose purpose,
        bytes32 ref,
        uint256 deadline,
        bytes calldata signature
    ) external {
        if (block.timestamp > deadline) revert TimeCoinExpiredSignature(deadline);
        _requireMemberPurpose(purpose);
        bytes32 digest = _payDigest(from, to, amount, purpose, ref, _useNonce(from), deadline);
        address signer = ECDSA.recover(digest, signature);
        if (signer != from) revert TimeCoinInvalidSigner(signer, from);
        _setContext(purpose, ref);
        _transfer(from, to, amount);
    }

    /// @notice The EIP-712 digest `from` signs to authorize a payment with `nonce`.
    function payDigest(
        address from,
        address to,
        uint256 amount,
        Purpose purpose,
        bytes32 ref,
        uint256 nonce,
        uint256 deadline
    ) external view returns (bytes32) {
        return _payDigest(from, to, amount, purpose, ref, nonce, deadline);
    }

    /// @inheritdoc ITimeCoin
    function redeem(uint256 amount, bytes32 ref) external {
        _setContext(Purpose.Redemption, ref);
        _burn(_msgSender(), amount);
    }

    /// @inheritdoc ITimeCoin
    function mint(address to, uint256 amount, Purpose purpose, bytes32 ref) external {
        _requireRole(Roles.LEDGER);
        if (purpose != Purpose.ActivityReward && purpose != Purpose.TrainingReward) {
            revert TimeCoinInvalidPurpose(purpose);
        }
        _setContext(purpose, ref);
        _mint(to, amount);
    }

    /// @inheritdoc ITimeCoin
    function payService(address requester, address provider, uint256 amount, bytes32 ref) external {
        _requireRole(Roles.LEDGER);
        _setContext(Purpose.ServicePayment, ref);
        _transfer(requester, provider, amount);
    }

    /// @inheritdoc ITimeCoin
    function recoverMember(address previousAccount, address newAccount) external {
        if (msg.sender != address(identity)) revert TimeCoinOnlyIdentityRegistry(msg.sender);
        syncMember(previousAccount);
        syncMember(newAccount);
        uint256 balance = balanceOf(previousAccount);
        if (balance == 0) return;
        _setContext(Purpose.Recovery, bytes32(0));
        _transfer(previousAccount, newAccount, balance);
    }

    /// @inheritdoc ITimeCoin
    function syncMember(address account) public {
        (bool canTransact, RiskLevel risk, uint40 activatedAt) = identity.standing(account);
        _accounts[account] = (canTransact ? _CAN_TRANSACT : 0) | (uint256(risk) << _RISK_SHIFT)
            | (uint256(activatedAt) << _ACTIVATED_SHIFT);
        emit StandingSynced(account, canTransact, risk, activatedAt);
    }

    /// @inheritdoc ITimeCoin
    function standingOf(address account)
        external
        view
        returns (bool canTransact, RiskLevel risk, uint40 activatedAt)
    {
        uint256 packed = _accounts[account];
        canTransact = packed & _CAN_TRANSACT != 0;
        risk = RiskLevel((packed >> _RISK_SHIFT) & 0x7);
        activatedAt = uint40(packed >> _ACTIVATED_SHIFT);
    }

    /// @inheritdoc ITimeCoin
    function setMonitor(ITimeCoinMonitor monitor_) external {
        _setMonitor(monitor_, _requireRole(Roles.ADMIN));
    }

    /// @dev The one place balances change; see the contract's invariant.
    function _update(address from, address to, uint256 value) internal override {
        (Purpose purpose, bytes32 ref) = _takeContext();
        // A recovery moves coins off a retired wallet onto its successor: neither side is
        // checked, the registry has already re-homed the member.
        if (purpose != Purpose.Recovery) {
            if (from != address(0)) _requireActive(from);
            if (to != address(0)) _requireActive(to);
        }
        super._update(from, to, value);
        emit CoinsMoved(from, to, value, purpose, ref);
        monitor.onMovement(from, to, value, purpose, ref);
    }

    function _payDigest(
        address from,
        address to,
        uint256 amount,
        Purpose purpose,
        bytes32 ref,
        uint256 nonce,
        uint256 deadline
    ) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(PAY_TYPEHASH, from, to, amount, purpose, ref, nonce, deadline))
        );
    }

    function _requireActive(address account) private view {
        if (_accounts[account] & _CAN_TRANSACT == 0) revert TimeCoinNotActiveMember(account);
    }

    function _requireMemberPurpose(Purpose purpose) private pure {
        if (purpose != Purpose.ServicePayment && purpose != Purpose.Gift) {
            revert TimeCoinInvalidPurpose(purpose);
        }
    }

    function _setMonitor(ITimeCoinMonitor monitor_, address admin) private {
        if (address(monitor_).code.length == 0) revert TimeCoinInvalidMonitor(address(monitor_));
        emit MonitorChanged(address(monitor), address(monitor_), admin);
        monitor = monitor_;
    }

    /// @dev Stores purpose + 1 so that an unset slot (0) reads as "no purpose given".
    function _setContext(Purpose purpose, bytes32 ref) private {
        _PURPOSE_SLOT.asUint256().tstore(uint256(purpose) + 1);
        if (ref != bytes32(0)) _REF_SLOT.asBytes32().tstore(ref);
    }

    function _takeContext() private returns (Purpose purpose, bytes32 ref) {
        uint256 stored = _PURPOSE_SLOT.asUint256().tload();
        if (stored == 0) return (Purpose.Gift, bytes32(0));
        _PURPOSE_SLOT.asUint256().tstore(0);
        ref = _REF_SLOT.asBytes32().tload();
        if (ref != bytes32(0)) _REF_SLOT.asBytes32().tstore(bytes32(0));
        // Safe: only _setContext writes the slot, from a valid Purpose.
        purpose = Purpose(stored - 1);
    }

    // ---- ERC-2771: the signer of a forwarded request is the caller -------------------------

    function _msgSender() internal view override(Context, ERC2771Context) returns (address) {
        return ERC2771Context._msgSender();
    }

    function _msgData() internal view override(Context, ERC2771Context) returns (bytes calldata) {
        return ERC2771Context._msgData();
    }

    function _contextSuffixLength()
        internal
        view
        override(Context, ERC2771Context)
        returns (uint256)
    {
        return ERC2771Context._contextSuffixLength();
    }
}
