// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Purpose, RiskLevel} from "../Types.sol";
import {ITimeCoinMonitor} from "./ITimeCoinMonitor.sol";

/// @title TimeCoin: one TIME is one hour of service
/// @notice ERC-20 with EIP-2612 permits and EIP-712 signed payments. Only Active members below
/// Blocked risk send or receive; every movement carries a purpose and passes the monitor.
interface ITimeCoin {
    /// @notice Every movement with its purpose; emitted after ERC-20's `Transfer`.
    event CoinsMoved(
        address indexed from,
        address indexed to,
        uint256 amount,
        Purpose indexed purpose,
        bytes32 ref
    );
    /// @notice The monitoring hook was replaced.
    event MonitorChanged(address indexed previous, address indexed current, address indexed admin);
    /// @notice The coin's copy of a member's standing changed.
    event StandingSynced(
        address indexed account, bool canTransact, RiskLevel risk, uint40 activatedAt
    );

    /// @notice `account` is not an Active member below Blocked risk.
    error TimeCoinNotActiveMember(address account);
    /// @notice `purpose` can't be used on this path (e.g. a member can't pay an ActivityReward).
    error TimeCoinInvalidPurpose(Purpose purpose);
    /// @notice Only the identity registry moves balances on recovery.
    error TimeCoinOnlyIdentityRegistry(address caller);
    /// @notice The monitor must be a deployed contract.
    error TimeCoinInvalidMonitor(address monitor);
    /// @notice The signed payment's deadline passed.
    error TimeCoinExpiredSignature(uint256 deadline);
    /// @notice The payment signature was not made by `from` (for this chain, contract and nonce).
    error TimeCoinInvalidSigner(address signer, address from);

    /// @notice Pays `to` with the caller's coins; `purpose` is ServicePayment or Gift.
    function pay(address to, uint256 amount, Purpose purpose, bytes32 ref) external;
    /// @notice Pays on behalf of `from`, who signed the EIP-712 `Pay` message; anyone may relay.
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
    /// @notice Refreshes the coin's copy of `account`'s standing (may transact, risk level,
    /// activation time) from the identity registry. The registry calls it on every change;
    /// anyone may call it, since it only copies the registry's truth.
    function syncMember(address account) external;
    /// @notice The coin's copy of `account`'s standing.
    function standingOf(address account)
        external
        view
        returns (bool canTransact, RiskLevel risk, uint40 activatedAt);
    /// @notice Replaces the monitoring hook. Platform admin only.
    function setMonitor(ITimeCoinMonitor newMonitor) external;
    /// @notice The monitoring hook in force.
    function monitor() external view returns (ITimeCoinMonitor);
}
