// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MonitorAction, Purpose, RiskLevel} from "../Types.sol";
import {MonitorRules} from "../monitor/MonitorRules.sol";
import {ITimeCoinMonitor} from "./ITimeCoinMonitor.sol";

/// @title TimeCoin: one TIME is one hour of service
/// @notice ERC-20 with EIP-2612 permits and EIP-712 signed payments. Only Active members below
/// Blocked risk send or receive; every movement carries a purpose and passes the monitoring
/// rules.
interface ITimeCoin {
    enum HoldStatus {
        None,
        Held, // in escrow, waiting for a supervisor's decision
        Released, // paid out to the intended recipient
        Returned // given back to the sender
    }

    /// @notice Coins a Hold rule kept in escrow (this contract's own balance).
    struct Hold {
        address from;
        Purpose purpose;
        HoldStatus status;
        /// The monitor that decides it (numbered as set), or 0 while no desk has a case for it.
        uint32 monitorId;
        address to;
        uint96 amount;
        bytes32 ref;
    }

    /// @notice A movement's purpose and reference, emitted right after ERC-20's `Transfer` for
    /// every movement except a Gift with no reference: a `Transfer` with no `CoinsMoved` after
    /// it is exactly that. For held coins `to` is this contract (the escrow), as in `Transfer`.
    event CoinsMoved(
        address indexed from,
        address indexed to,
        uint256 amount,
        Purpose indexed purpose,
        bytes32 ref
    );
    /// @notice A movement fired monitoring rules (an alert). `rules` are MonitorRules bits.
    event RuleHit(
        address indexed from,
        address indexed to,
        uint256 amount,
        Purpose purpose,
        bytes32 ref,
        uint16 rules,
        MonitorAction action,
        uint256 indexed holdId
    );
    /// @notice A Hold rule sent the coins to escrow instead of to `to`.
    event MovementHeld(
        uint256 indexed holdId,
        address indexed from,
        address indexed to,
        uint256 amount,
        Purpose purpose,
        bytes32 ref
    );
    /// @notice Held coins went to `recipient`: the intended one (released) or the sender (or
    /// their recovered wallet); zero when a Closed sender's coins went back to the bank.
    event HoldSettled(
        uint256 indexed holdId, bool released, address indexed recipient, uint256 amount
    );
    /// @notice The monitor in force took over a hold no monitor had a case for.
    event HoldAdopted(uint256 indexed holdId, address indexed monitor);
    /// @notice The rule parameters or actions changed.
    event MonitorRulesChanged(MonitorRules.Config config, uint32 actions, address indexed governor);
    /// @notice The supervision hook was replaced.
    event MonitorChanged(
        address indexed previous, address indexed current, address indexed governor
    );
    /// @notice The coin's copy of a member's standing changed.
    event StandingSynced(
        address indexed account, bool canTransact, RiskLevel risk, uint40 activatedAt
    );

    /// @notice `account` is not an Active member below Blocked risk.
    error TimeCoinNotActiveMember(address account);
    /// @notice `purpose` can't be used on this path (e.g. a member can't pay an ActivityReward).
    error TimeCoinInvalidPurpose(Purpose purpose);
    /// @notice `from` tried to pay `to` a ServicePayment directly: a service payment is made
    /// only by the ServiceLedger, for a service `to` proposed and `from` confirmed
    /// (`proposeService`, `confirmService`); a free payment is a Gift.
    error TimeCoinUnrecordedServicePayment(address from, address to, uint256 amount);
    /// @notice Only the identity registry moves balances on recovery.
    error TimeCoinOnlyIdentityRegistry(address caller);
    /// @notice Only the monitor that owns a hold settles it (and only the monitor in force
    /// adopts one).
    error TimeCoinOnlyMonitor(address caller);
    /// @notice A movement of zero coins.
    error TimeCoinZeroAmount();
    /// @notice The monitor must be a deployed contract.
    error TimeCoinInvalidMonitor(address monitor);
    /// @notice The signed payment's deadline passed.
    error TimeCoinExpiredSignature(uint256 deadline);
    /// @notice The payment signature was not made by `from` (for this chain, contract and nonce).
    error TimeCoinInvalidSigner(address signer, address from);
    /// @notice A member can't pay themselves.
    error TimeCoinSelfTransfer(address account);
    /// @notice Monitoring rule `ruleId` blocks this movement; `rules` are all the rules that fired.
    error TimeCoinBlockedByRule(uint8 ruleId, uint16 rules);
    /// @notice The parameters or action of rule `ruleId` are not valid.
    error TimeCoinInvalidRule(uint8 ruleId);
    /// @notice `holdId` does not exist or was already settled.
    error TimeCoinInvalidHold(uint256 holdId);

    /// @notice Gives `to` the caller's coins; `purpose` is Gift (a payment for a service goes
    /// through the ServiceLedger: `TimeCoinUnrecordedServicePayment` otherwise).
    function pay(address to, uint256 amount, Purpose purpose, bytes32 ref) external;
    /// @notice Pays on behalf of `from`, who signed the EIP-712 `Pay` message; anyone may relay.
    /// The same purposes as `pay`.
    function payWithSignature(
        address from,
        address to,
        uint256 amount,
        Purpose purpose,
        bytes32 ref,
        uint256 deadline,
        bytes calldata signature
    ) external;
    /// @notice Gives coins back to the bank (burns them), purpose Redemption.
    function redeem(uint256 amount, bytes32 ref) external;
    /// @notice Mints a reward; `purpose` is ActivityReward or TrainingReward. Ledger role only.
    function mint(address to, uint256 amount, Purpose purpose, bytes32 ref) external;
    /// @notice Moves a confirmed service payment from `requester` to `provider`, who both
    /// confirmed it in the ServiceLedger. Ledger role only.
    function payService(address requester, address provider, uint256 amount, bytes32 ref) external;
    /// @notice Moves a recovered member's whole balance and standing to the new wallet.
    /// Identity registry only.
    function recoverMember(address previousAccount, address newAccount) external;
    /// @notice Burns a closed member's whole balance (purpose Redemption). Identity registry
    /// only, when a supervisor closes a membership that still holds coins.
    function redeemClosed(address account, bytes32 ref) external;
    /// @notice Refreshes the coin's copy of `account`'s standing (may transact, risk level,
    /// activation time) from the identity registry. The registry calls it on every change;
    /// anyone may call it, since it only copies the registry's truth.
    function syncMember(address account) external;
    /// @notice Pays held coins out to the intended recipient (`release`) or back to the sender
    /// (burned if the sender's membership is closed). Only the monitor that owns the hold (the
    /// one in force, or a replaced one deciding its own cases), on a supervisor's decision.
    function settleHold(uint256 holdId, bool release) external;
    /// @notice Takes over a hold that no monitor has a case for (held while the monitor opened
    /// none). The monitor in force only.
    function adoptHold(uint256 holdId) external;
    /// @notice Sets every rule's parameters and actions (2 bits per rule id at 2 * (id - 1)).
    /// Governor only (the timelock).
    function setMonitorRules(MonitorRules.Config calldata config, uint32 actions) external;
    /// @notice Switches one rule on or off. Governor only (the timelock).
    function setRuleEnabled(uint8 ruleId, bool enabled) external;
    /// @notice Replaces the supervision hook. Governor only (the timelock).
    function setMonitor(ITimeCoinMonitor newMonitor) external;

    /// @notice What the rules would do with this movement now, without moving anything:
    /// the action, the rules that would fire (MonitorRules bits) and the lowest blocking rule.
    /// Membership is not part of it; see `standingOf`.
    function check(address from, address to, uint256 amount, Purpose purpose)
        external
        view
        returns (MonitorAction action, uint16 rules, uint8 blockingRule);
    /// @notice The coin's copy of `account`'s standing.
    function standingOf(address account)
        external
        view
        returns (bool canTransact, RiskLevel risk, uint40 activatedAt);
    /// @notice The parameters and actions timebank ships with (`MonitorRules.defaults()`).
    function defaultRules() external pure returns (MonitorRules.Config memory, uint32 actions);
    /// @notice The rule parameters and actions in force.
    function monitorRules() external view returns (MonitorRules.Config memory, uint32 actions);
    /// @notice A hold.
    function hold(uint256 holdId) external view returns (Hold memory);
    /// @notice The supervision hook in force.
    function monitor() external view returns (ITimeCoinMonitor);
}
