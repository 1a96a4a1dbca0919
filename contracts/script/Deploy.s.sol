// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CredentialRegistry} from "../src/CredentialRegistry.sol";
import {IdentityRegistry} from "../src/IdentityRegistry.sol";
import {Roles} from "../src/Roles.sol";
import {ServiceLedger} from "../src/ServiceLedger.sol";
import {TimeCoin} from "../src/TimeCoin.sol";
import {TimebankAccess} from "../src/TimebankAccess.sol";
import {TimebankForwarder} from "../src/TimebankForwarder.sol";
import {TimebankTimelock} from "../src/TimebankTimelock.sol";
import {MonitorRules} from "../src/monitor/MonitorRules.sol";
import {NoopMonitor} from "../src/monitor/NoopMonitor.sol";
import {SupervisionDesk} from "../src/monitor/SupervisionDesk.sol";
import {vm} from "../test/utils/Vm.sol";

/// @title Deploy: deploys and wires timebank, and writes the addresses for the Rust side
/// @notice DEPLOYER_KEY=... forge script script/Deploy.s.sol --rpc-url URL --broadcast
///
/// Settings (environment):
/// - DEPLOYER_KEY: the deploying account's private key, read from the environment so it never
///   appears on a command line. Without it, forge's own signer options (`--account`, ...) apply.
/// - TIMEBANK_ADMIN: the platform admin; defaults to the deployer. When it differs, the
///   deployer wires everything and then starts the two-step admin transfer, which the new
///   admin completes with `acceptDefaultAdminTransfer()`.
/// - TIMEBANK_GUARDIAN: who may cancel the governor's scheduled operations (default: the admin).
/// - TIMEBANK_ADMIN_DELAY: seconds a later admin transfer must wait.
/// - TIMEBANK_GOVERNANCE_DELAY: seconds between scheduling a dangerous change (monitor, rules,
///   ledger, monitor and supervisor roles) and carrying it out.
/// - TIMEBANK_BRANCH_KEY_DELAY: seconds between proposing a branch's new key and confirming it.
///   The three delays default to 0 on a local anvil chain (id 31337) only; on any other chain
///   each must be set, and above 0.
/// - TIMEBANK_DEPLOYMENTS: where to write the JSON (default deployments/<chain id>.json).
contract Deploy {
    uint256 internal constant ANVIL_CHAIN_ID = 31_337;

    struct Deployment {
        TimebankForwarder forwarder;
        TimebankTimelock timelock;
        TimebankAccess access;
        IdentityRegistry identity;
        CredentialRegistry credentials;
        TimeCoin timeCoin;
        ServiceLedger ledger;
        SupervisionDesk desk;
        uint256 startBlock;
    }

    struct Delays {
        uint48 admin;
        uint48 governance;
        uint48 branchKey;
    }

    function run() external returns (Deployment memory d) {
        uint256 key = vm.envOr("DEPLOYER_KEY", uint256(0));
        address deployer = key == 0 ? msg.sender : vm.addr(key);
        address admin = vm.envOr("TIMEBANK_ADMIN", deployer);
        address guardian = vm.envOr("TIMEBANK_GUARDIAN", admin);
        Delays memory delays = Delays({
            admin: _delay("TIMEBANK_ADMIN_DELAY"),
            governance: _delay("TIMEBANK_GOVERNANCE_DELAY"),
            branchKey: _delay("TIMEBANK_BRANCH_KEY_DELAY")
        });
        string memory path = vm.envOr(
            "TIMEBANK_DEPLOYMENTS",
            string.concat("deployments/", vm.toString(block.chainid), ".json")
        );

        d.startBlock = block.number;
        if (key == 0) vm.startBroadcast();
        else vm.startBroadcast(key);
        d.forwarder = new TimebankForwarder();
        d.timelock = new TimebankTimelock(delays.governance, admin, guardian, address(d.forwarder));
        // The deployer governs while it wires the contracts, then hands over to the timelock.
        d.access = new TimebankAccess(
            delays.admin, deployer, deployer, delays.branchKey, address(d.forwarder)
        );
        d.identity = new IdentityRegistry(d.access, address(d.forwarder));
        d.credentials = new CredentialRegistry(d.access, d.identity, address(d.forwarder));
        // The coin needs a monitor from its first block; the desk needs the coin. Start with
        // the no-op monitor and hand over to the desk once both exist.
        d.timeCoin = new TimeCoin(d.access, d.identity, address(d.forwarder), new NoopMonitor());
        d.ledger = new ServiceLedger(
            d.access, d.identity, d.credentials, d.timeCoin, address(d.forwarder)
        );
        d.desk = new SupervisionDesk(d.access, d.identity, d.timeCoin, address(d.forwarder));
        d.identity.setTimeCoin(d.timeCoin);
        d.access.grantRole(Roles.LEDGER, address(d.ledger));
        d.access.grantRole(Roles.MONITOR, address(d.desk));
        d.timeCoin.setMonitor(d.desk);
        (MonitorRules.Config memory rules, uint32 actions) = MonitorRules.defaults();
        d.timeCoin.setMonitorRules(rules, actions);
        d.access.grantRole(Roles.GOVERNOR, address(d.timelock));
        d.access.renounceRole(Roles.GOVERNOR, deployer);
        if (admin != deployer) d.access.beginDefaultAdminTransfer(admin);
        vm.stopBroadcast();

        _write(d, admin, path);
    }

    /// @dev A delay from the environment: optional (0) on a local anvil chain, required and
    /// above 0 anywhere else.
    function _delay(string memory name) internal view returns (uint48) {
        uint256 value = vm.envOr(name, uint256(0));
        require(
            value != 0 || block.chainid == ANVIL_CHAIN_ID,
            string.concat(name, " must be set above 0 on any chain but a local anvil chain")
        );
        require(value <= type(uint48).max, string.concat(name, " is too large"));
        return uint48(value);
    }

    function _write(Deployment memory d, address admin, string memory path) internal {
        string memory o = "deployment";
        vm.serializeUint(o, "chainId", block.chainid);
        vm.serializeUint(o, "startBlock", d.startBlock);
        vm.serializeAddress(o, "admin", admin);
        vm.serializeAddress(o, "forwarder", address(d.forwarder));
        vm.serializeAddress(o, "timelock", address(d.timelock));
        vm.serializeAddress(o, "access", address(d.access));
        vm.serializeAddress(o, "identityRegistry", address(d.identity));
        vm.serializeAddress(o, "credentialRegistry", address(d.credentials));
        vm.serializeAddress(o, "supervisionDesk", address(d.desk));
        vm.serializeAddress(o, "timeCoin", address(d.timeCoin));
        string memory json = vm.serializeAddress(o, "serviceLedger", address(d.ledger));
        vm.writeJson(json, path);
    }
}
