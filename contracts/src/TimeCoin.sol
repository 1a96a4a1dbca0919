// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "./Roles.sol";
import {TimebankManaged} from "./TimebankManaged.sol";
import {MemberStatus, MonitorAction, Purpose, RiskLevel} from "./Types.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {ITimeCoin} from "./interfaces/ITimeCoin.sol";
import {ITimeCoinMonitor} from "./interfaces/ITimeCoinMonitor.sol";
import {ITimebankAccess} from "./interfaces/ITimebankAccess.sol";
import {MonitorRules} from "./monitor/MonitorRules.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title TimeCoin: the time bank's currency, 1 TIME = 1 hour of service
/// @notice Members sign their own payments: directly, through an ERC-2771 forward request, an
/// EIP-2612 permit, or an EIP-712 `Pay` signature relayed by a gateway. A member's own payment
/// is a Gift; a ServicePayment moves only through `payService`, when the ServiceLedger pays a
/// service its provider proposed and its requester confirmed, so that a gift can't be labelled
/// a service to pass the service's higher thresholds. Every mint, transfer and burn passes the
/// monitoring rules (`MonitorRules`): a hit is flagged, held in escrow or blocked, and the
/// supervision monitor opens a case.
/// @dev Invariant kept by every override: each balance change goes through OpenZeppelin's
/// `ERC20._update` inside this contract's `_update`, which, unless the movement carries a
/// supervisor's decision (recovery, hold settlement, closure):
///  0. refuses a movement of zero coins;
///  1. refuses a sender or recipient that is not an Active member below Blocked risk, as
///     recorded in `_accounts`, the coin's copy of the registry's standing;
///  2. evaluates every rule and updates both sides' window state, in constant gas;
///  3. reverts on a Block rule, redirects the coins to escrow (this contract) on a Hold;
///  4. moves the balances, emits `CoinsMoved` with the movement's purpose (except for a Gift
///     with no reference, which ERC-20's `Transfer` alone stands for), and on a hit emits
///     `RuleHit` and only then calls the monitor: state changes come before the external call.
/// Entry points pass the purpose to `_update` through transient storage, cleared on read; a
/// movement that sets none (plain `transfer`/`transferFrom`) is a Gift. Coins in escrow are
/// exactly the holds in status Held: `balanceOf(address(this))` is their sum. A hold is settled
/// only by the monitor that opened its case, and coins never go to an address that can't use
/// them: to a recovered wallet's successor, and burned rather than returned to a Closed member.
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

    /// @dev Context flag: the movement is a supervisor's decision (recovery, hold settlement,
    /// closure) and skips membership checks and rules.
    uint256 private constant _DECIDED = 1 << 8;
    /// @dev Low byte of an `_accounts` word (MonitorRules.Account.standing): bit 0 may transact,
    /// bits 1-3 the RiskLevel.
    uint256 private constant _STANDING_MASK = 0xff;
    /// @dev The activation time in an `_accounts` word: bits 8-39.
    uint256 private constant _ACTIVATED_MASK = uint256(type(uint32).max)
        << MonitorRules.A_ACTIVATED;

    /// @notice The member registry deciding who may hold and move coins.
    IIdentityRegistry public immutable identity;
    /// @dev The rule parameters (MonitorRules' packed config): one slot, read by every movement.
    uint256 private _rules;
    /// @inheritdoc ITimeCoin
    ITimeCoinMonitor public monitor;
    /// @dev 2 bits per rule id: its MonitorAction. Shares the monitor's slot: read on hits only.
    uint32 private _ruleActions;
    uint256 private _holdCount;
    uint32 private _monitorCount;
    /// @dev Every monitor ever set, numbered from 1: each keeps settling the holds of the cases
    /// it opened after it is replaced (`Hold.monitorId`), so that replacing the monitor strands
    /// no coins and no monitor settles another's holds.
    mapping(address monitor => uint32 monitorId) private _monitorIds;
    mapping(uint256 holdId => Hold) private _holds;
    /// @dev Per account, one word (MonitorRules.Account): the standing copied from the registry
    /// by `syncMember` and the monitoring rules' window state, so that a movement reads and
    /// writes one local slot per side.
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
        return super.transfer(to, value);
    }

    /// @notice A plain ERC-20 transferFrom between members; counts as a Gift.
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        return super.transferFrom(from, to, value);
    }

    /// @inheritdoc ITimeCoin
    function pay(address to, uint256 amount, Purpose purpose, bytes32 ref) external {
        address from = _msgSender();
        _requireMemberPurpose(from, to, amount, purpose);
        _setContext(purpose, ref);
        _transfer(from, to, amount);
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
        _requireMemberPurpose(from, to, amount, purpose);
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
    function redeemClosed(address account, bytes32 ref) external {
        if (msg.sender != address(identity)) revert TimeCoinOnlyIdentityRegistry(msg.sender);
        uint256 balance = balanceOf(account);
        if (balance == 0) return;
        _setContext(Purpose.Redemption, ref, _DECIDED);
        _burn(account, balance);
    }

    /// @inheritdoc ITimeCoin
    function recoverMember(address previousAccount, address newAccount) external {
        if (msg.sender != address(identity)) revert TimeCoinOnlyIdentityRegistry(msg.sender);
        // The rules' window state follows the member, so a recovery can't reset its counters;
        // the standing of both addresses is then read from the registry.
        uint256 standing = _ACTIVATED_MASK | _STANDING_MASK;
        _accounts[newAccount] = _accounts[previousAccount] & ~standing;
        _accounts[previousAccount] = 0;
        syncMember(previousAccount);
        syncMember(newAccount);
        uint256 balance = balanceOf(previousAccount);
        if (balance == 0) return;
        _setContext(Purpose.Recovery, bytes32(0), _DECIDED);
        _transfer(previousAccount, newAccount, balance);
    }

    /// @inheritdoc ITimeCoin
    function syncMember(address account) public {
        (bool canTransact, RiskLevel risk, uint40 activatedAt) = identity.standing(account);
        uint256 standing = (canTransact ? 1 : 0) | (uint256(risk) << 1);
        // Keep the rules' window state; replace the standing and activation time.
        _accounts[account] = (_accounts[account] & ~(_STANDING_MASK | _ACTIVATED_MASK)) | standing
            | (uint256(uint32(activatedAt)) << 8);
        emit StandingSynced(account, canTransact, risk, activatedAt);
    }

    /// @inheritdoc ITimeCoin
    function standingOf(address account)
        external
        view
        returns (bool canTransact, RiskLevel risk, uint40 activatedAt)
    {
        uint256 packed = _accounts[account];
        canTransact = packed & 1 != 0;
        risk = RiskLevel((packed >> 1) & 0x7);
        activatedAt = uint32(packed >> 8);
    }

    /// @inheritdoc ITimeCoin
    function settleHold(uint256 holdId, bool release) external {
        Hold storage h = _holds[holdId];
        if (h.status != HoldStatus.Held) revert TimeCoinInvalidHold(holdId);
        uint32 monitorId = _monitorIds[msg.sender];
        if (monitorId == 0 || monitorId != h.monitorId) revert TimeCoinOnlyMonitor(msg.sender);
        // The member may have recovered their wallet since; the coins follow them.
        address recipient = identity.currentAccount(release ? h.to : h.from);
        // A release pays a member, who must still be allowed to receive; a return needs no
        // check, the coins were the sender's, unless the sender's membership is closed: then
        // they go back to the bank.
        // slither-disable-next-line incorrect-equality
        if (release && _accounts[recipient] & 1 == 0) revert TimeCoinNotActiveMember(recipient);
        bool burn = !release && identity.member(recipient).status == MemberStatus.Closed;
        if (burn) recipient = address(0);
        h.status = release ? HoldStatus.Released : HoldStatus.Returned;
        uint256 amount = h.amount;
        emit HoldSettled(holdId, release, recipient, amount);
        if (burn) {
            _setContext(Purpose.Redemption, h.ref, _DECIDED);
            _burn(address(this), amount);
        } else {
            _setContext(h.purpose, h.ref, _DECIDED);
            _transfer(address(this), recipient, amount);
        }
    }

    /// @inheritdoc ITimeCoin
    function adoptHold(uint256 holdId) external {
        if (msg.sender != address(monitor)) revert TimeCoinOnlyMonitor(msg.sender);
        Hold storage h = _holds[holdId];
        if (h.status != HoldStatus.Held || h.monitorId != 0) revert TimeCoinInvalidHold(holdId);
        h.monitorId = _monitorIds[msg.sender];
        emit HoldAdopted(holdId, msg.sender);
    }

    /// @inheritdoc ITimeCoin
    function setMonitorRules(MonitorRules.Config calldata config, uint32 actions) external {
        address governor = _requireRole(Roles.GOVERNOR);
        _validateRules(config, actions);
        _rules = MonitorRules.packConfig(config);
        _ruleActions = actions;
        emit MonitorRulesChanged(config, actions, governor);
    }

    /// @inheritdoc ITimeCoin
    function setRuleEnabled(uint8 ruleId, bool enabled) external {
        address governor = _requireRole(Roles.GOVERNOR);
        if (ruleId == 0 || ruleId > MonitorRules.RULE_COUNT) revert TimeCoinInvalidRule(ruleId);
        MonitorRules.Config memory config = MonitorRules.unpackConfig(_rules);
        uint8 bit = uint8(1 << (ruleId - 1));
        config.enabled = enabled ? config.enabled | bit : config.enabled & ~bit;
        uint32 actions = _ruleActions;
        _validateRules(config, actions);
        _rules = MonitorRules.packConfig(config);
        emit MonitorRulesChanged(config, actions, governor);
    }

    /// @inheritdoc ITimeCoin
    function check(address from, address to, uint256 amount, Purpose purpose)
        external
        view
        returns (MonitorAction action, uint16 rules, uint8 blockingRule)
    {
        // Only the verdict matters here; the advanced window state is thrown away.
        // slither-disable-next-line unused-return
        (rules,,) = MonitorRules.evaluate(
            _rules, _accounts[from], _accounts[to], from, to, amount, purpose, block.timestamp
        );
        if (rules != 0) {
            uint8 strongest;
            (strongest, blockingRule) = MonitorRules.strongest(rules, _ruleActions);
            action = MonitorAction(strongest);
        }
    }

    /// @inheritdoc ITimeCoin
    function defaultRules() external pure returns (MonitorRules.Config memory, uint32 actions) {
        return MonitorRules.defaults();
    }

    /// @inheritdoc ITimeCoin
    function monitorRules() external view returns (MonitorRules.Config memory, uint32 actions) {
        return (MonitorRules.unpackConfig(_rules), _ruleActions);
    }

    /// @inheritdoc ITimeCoin
    function hold(uint256 holdId) external view returns (Hold memory) {
        return _holds[holdId];
    }

    /// @inheritdoc ITimeCoin
    function setMonitor(ITimeCoinMonitor newMonitor) external {
        _setMonitor(newMonitor, _requireRole(Roles.GOVERNOR));
    }

    /// @dev The one place balances change; see the contract's invariant.
    function _update(address from, address to, uint256 value) internal override {
        (Purpose purpose, bytes32 ref, uint256 flags) = _takeContext();
        if (flags & _DECIDED != 0) {
            super._update(from, to, value);
            emit CoinsMoved(from, to, value, purpose, ref);
            return;
        }
        // Nothing moves, but a zero movement would still advance the rules' memory of the
        // sender (last payee, last outgoing time) and open cases about the recipient.
        if (value == 0) revert TimeCoinZeroAmount();
        if (from == to) revert TimeCoinSelfTransfer(from);

        uint16 fired = _applyRules(from, to, value, purpose);
        MonitorAction action = MonitorAction.None;
        uint256 holdId = 0;
        if (fired != 0) (action, holdId) = _decide(from, to, value, purpose, ref, fired);
        // slither-disable-next-line incorrect-equality
        address recipient = holdId == 0 ? to : address(this);

        super._update(from, recipient, value);
        // A Transfer with no CoinsMoved after it is a Gift with no reference: the commonest
        // movement skips the second log (about 2,000 gas).
        if (purpose != Purpose.Gift || ref != bytes32(0)) {
            emit CoinsMoved(from, recipient, value, purpose, ref);
        }
        if (fired != 0) {
            if (holdId != 0) emit MovementHeld(holdId, from, to, value, purpose, ref);
            emit RuleHit(from, to, value, purpose, ref, fired, action, holdId);
            // The case id is the monitor's to announce (CaseOpened); the coin only needs to know
            // whether there is one.
            uint256 caseId = monitor.onRuleHit(
                ITimeCoinMonitor.RuleHit({
                    from: from,
                    to: to,
                    amount: value,
                    purpose: purpose,
                    ref: ref,
                    rules: fired,
                    action: action,
                    holdId: holdId
                })
            );
            // A monitor that opened no case (NoopMonitor) can't decide the hold: it is left for
            // the next desk to adopt. The monitor is trusted platform code set by the governor.
            // slither-disable-next-line reentrancy-benign,reentrancy-no-eth,incorrect-equality
            if (holdId != 0 && caseId == 0) _holds[holdId].monitorId = 0;
        }
    }

    /// @dev Checks both sides may transact, evaluates the rules and stores both sides' new
    /// window state. Returns the fired rules.
    function _applyRules(address from, address to, uint256 value, Purpose purpose)
        private
        returns (uint16 fired)
    {
        // A mint has no sender and a burn no recipient: their word stays zero and unused.
        uint256 f0 = from == address(0) ? 0 : _loadActive(from);
        uint256 t0 = to == address(0) ? 0 : _loadActive(to);
        uint256 f;
        uint256 t;
        (fired, f, t) =
            MonitorRules.evaluate(_rules, f0, t0, from, to, value, purpose, block.timestamp);
        if (f != f0) _accounts[from] = f;
        if (t != t0) _accounts[to] = t;
    }

    /// @dev The action for fired rules: reverts on Block, opens an escrow hold on Hold (a burn
    /// has no recipient to hold for, so it is only flagged).
    function _decide(
        address from,
        address to,
        uint256 value,
        Purpose purpose,
        bytes32 ref,
        uint16 fired
    ) private returns (MonitorAction action, uint256 holdId) {
        (uint8 strongest, uint8 blockingRule) = MonitorRules.strongest(fired, _ruleActions);
        if (blockingRule != 0) revert TimeCoinBlockedByRule(blockingRule, fired);
        action = MonitorAction(strongest);
        // slither-disable-next-line incorrect-equality
        if (action == MonitorAction.Hold && to == address(0)) action = MonitorAction.Flag;
        if (action != MonitorAction.Hold) return (action, 0);
        holdId = ++_holdCount;
        _holds[holdId] = Hold({
            from: from,
            purpose: purpose,
            status: HoldStatus.Held,
            monitorId: _monitorIds[address(monitor)],
            to: to,
            amount: SafeCast.toUint96(value),
            ref: ref
        });
    }

    /// @dev The account's word, after checking it may transact.
    function _loadActive(address account) private view returns (uint256 word) {
        word = _accounts[account];
        // Bit 0 is a flag, not a balance: strict equality is the point.
        // slither-disable-next-line incorrect-equality
        if (word & 1 == 0) revert TimeCoinNotActiveMember(account);
    }

    function _validateRules(MonitorRules.Config memory c, uint32 actions) private pure {
        for (uint8 id = 1; id <= MonitorRules.RULE_COUNT; ++id) {
            if (c.enabled & (1 << (id - 1)) == 0) continue;
            uint256 action = (actions >> (2 * (id - 1))) & 3;
            if (action == uint256(MonitorAction.None) || !_ruleUsable(c, id)) {
                revert TimeCoinInvalidRule(id);
            }
        }
        if (actions >> (2 * MonitorRules.RULE_COUNT) != 0) revert TimeCoinInvalidRule(0);
    }

    /// @dev Whether rule `id`'s parameters let it work as documented (docs/monitoring.md).
    function _ruleUsable(MonitorRules.Config memory c, uint8 id) private pure returns (bool) {
        bool anyLarge =
            (c.largeActivityReward | c.largeTrainingReward | c.largeServicePayment | c.largeGift)
                != 0;
        if (id == MonitorRules.LARGE_AMOUNT) return anyLarge;
        if (id == MonitorRules.VELOCITY) return c.velocityCount != 0 && c.window != 0;
        if (id == MonitorRules.VOLUME) return (c.volumeOut | c.volumeIn) != 0 && c.window != 0;
        if (id == MonitorRules.STRUCTURING) {
            return anyLarge && c.structuringCount != 0 && c.structuringBand != 0
                && c.structuringBand < 100 && c.window != 0;
        }
        if (id == MonitorRules.ROUND_TRIP) return c.roundTripWindow != 0;
        if (id == MonitorRules.NEW_ACCOUNT) return c.newAccountDays != 0;
        if (id == MonitorRules.RISKY_COUNTERPARTY) {
            return c.riskyLevel != 0 && c.riskyLevel <= uint8(RiskLevel.Blocked);
        }
        return c.dormantDays != 0; // DORMANT_REACTIVATION
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

    /// @dev A member's own payment is a Gift. A ServicePayment has a service behind it, which
    /// only the ServiceLedger knows (`payService`); the other purposes are the bank's.
    function _requireMemberPurpose(address from, address to, uint256 amount, Purpose purpose)
        private
        pure
    {
        if (purpose == Purpose.Gift) return;
        if (purpose == Purpose.ServicePayment) {
            revert TimeCoinUnrecordedServicePayment(from, to, amount);
        }
        revert TimeCoinInvalidPurpose(purpose);
    }

    function _setMonitor(ITimeCoinMonitor monitor_, address governor) private {
        if (address(monitor_).code.length == 0) revert TimeCoinInvalidMonitor(address(monitor_));
        emit MonitorChanged(address(monitor), address(monitor_), governor);
        monitor = monitor_;
        if (_monitorIds[address(monitor_)] == 0) _monitorIds[address(monitor_)] = ++_monitorCount;
    }

    /// @dev Stores purpose + 1 (so that an unset slot, 0, reads as "no purpose given") and the
    /// flags above bit 8.
    function _setContext(Purpose purpose, bytes32 ref) private {
        _setContext(purpose, ref, 0);
    }

    function _setContext(Purpose purpose, bytes32 ref, uint256 flags) private {
        _PURPOSE_SLOT.asUint256().tstore((uint256(purpose) + 1) | flags);
        if (ref != bytes32(0)) _REF_SLOT.asBytes32().tstore(ref);
    }

    function _takeContext() private returns (Purpose purpose, bytes32 ref, uint256 flags) {
        uint256 stored = _PURPOSE_SLOT.asUint256().tload();
        if (stored == 0) return (Purpose.Gift, bytes32(0), 0);
        _PURPOSE_SLOT.asUint256().tstore(0);
        ref = _REF_SLOT.asBytes32().tload();
        if (ref != bytes32(0)) _REF_SLOT.asBytes32().tstore(bytes32(0));
        flags = stored & ~uint256(0xff);
        // Safe: only _setContext writes the slot, from a valid Purpose.
        purpose = Purpose((stored & 0xff) - 1);
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
