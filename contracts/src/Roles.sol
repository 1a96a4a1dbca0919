// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Flat roles of the time bank
/// @notice AccessControl role ids held in TimebankAccess. The platform admin is
/// AccessControl's `DEFAULT_ADMIN_ROLE` (0x00); branch operators and credential issuers have
/// per-branch and per-type roles (see `TimebankAccess.operatorRole` and `issuerRole`), and each
/// branch's gateway a per-branch role (`gatewayRole`) for anchoring its access log.
library Roles {
    /// @notice The platform admin: AccessControl's `DEFAULT_ADMIN_ROLE`.
    bytes32 internal constant ADMIN = 0x00;
    /// @notice Decides supervision cases, sets any risk level including Blocked, assesses
    /// partner risk alerts, approves wallet recoveries. Granted by the governor only.
    bytes32 internal constant SUPERVISOR = keccak256("timebank.role.supervisor");
    /// @notice Partner institution: may raise risk alerts on members.
    bytes32 internal constant PARTNER = keccak256("timebank.role.partner");
    /// @notice Read-only oversight; used by the gateway to scope reads of the access log.
    bytes32 internal constant AUDITOR = keccak256("timebank.role.auditor");
    /// @notice Held by the ServiceLedger contract: mints rewards and moves service payments.
    /// Granted and revoked by the governor only.
    bytes32 internal constant LEDGER = keccak256("timebank.role.ledger");
    /// @notice The platform's delayed admin: held by `TimebankTimelock`, whose public queue and
    /// delay every dangerous change passes (the monitor, its rules, the ledger, monitor and
    /// supervisor roles). It administers those roles and itself.
    bytes32 internal constant GOVERNOR = keccak256("timebank.role.governor");

    /// @notice Held by the supervision monitor contract: may set risk levels on a supervisor's
    /// decision or when an account's open cases reach the configured number, and carries out
    /// a wallet recovery a supervisor approved. Granted by the governor only.
    bytes32 internal constant MONITOR = keccak256("timebank.role.monitor");
    /// @notice Off-chain monitoring agents: open supervision cases for patterns found off chain.
    bytes32 internal constant MONITORING_AGENT = keccak256("timebank.role.monitoring-agent");

    /// @dev Prefixes of the derived per-branch and per-type roles.
    bytes32 internal constant OPERATOR_PREFIX = keccak256("timebank.role.operator");
    bytes32 internal constant ISSUER_PREFIX = keccak256("timebank.role.issuer");
    bytes32 internal constant GATEWAY_PREFIX = keccak256("timebank.role.gateway");

    function operator(uint32 branchId) internal pure returns (bytes32) {
        return keccak256(abi.encode(OPERATOR_PREFIX, branchId));
    }

    function issuer(uint32 typeId) internal pure returns (bytes32) {
        return keccak256(abi.encode(ISSUER_PREFIX, typeId));
    }

    /// @notice A branch gateway's own key (its relayer): anchors the branch's access log.
    function gateway(uint32 branchId) internal pure returns (bytes32) {
        return keccak256(abi.encode(GATEWAY_PREFIX, branchId));
    }
}
