// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CredentialRegistry} from "../src/CredentialRegistry.sol";
import {IdentityRegistry} from "../src/IdentityRegistry.sol";
import {Roles} from "../src/Roles.sol";
import {ServiceLedger} from "../src/ServiceLedger.sol";
import {TimeCoin} from "../src/TimeCoin.sol";
import {TimebankAccess} from "../src/TimebankAccess.sol";
import {TimebankForwarder} from "../src/TimebankForwarder.sol";
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
/// - TIMEBANK_ADMIN_DELAY: seconds a later admin transfer must wait (default 0; use days in
///   production).
/// - TIMEBANK_DEPLOYMENTS: where to write the JSON (default deployments/<chain id>.json).
contract Deploy {
    struct Deployment {
        TimebankForwarder forwarder;
        TimebankAccess access;
        IdentityRegistry identity;
        CredentialRegistry credentials;
        TimeCoin timeCoin;
        ServiceLedger ledger;
        SupervisionDesk desk;
        uint256 startBlock;
    }

    function run() external returns (Deployment memory d) {
        uint256 key = vm.envOr("DEPLOYER_KEY", uint256(0));
        address deployer = key == 0 ? msg.sender : vm.addr(key);
        address admin = vm.envOr("TIMEBANK_ADMIN", deployer);
        uint48 delay = uint48(vm.envOr("TIMEBANK_ADMIN_DELAY", uint256(0)));
        string memory path = vm.envOr(
            "TIMEBANK_DEPLOYMENTS",
            string.concat("deployments/", vm.toString(block.chainid), ".json")
        );

        d.startBlock = block.number;
        if (key == 0) vm.startBroadcast();
        else vm.startBroadcast(key);
        d.forwarder = new TimebankForwarder();
        d.access = new TimebankAccess(delay, deployer, address(d.forwarder));
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
        if (admin != deployer) d.access.beginDefaultAdminTransfer(admin);
        vm.stopBroadcast();

        _write(d, admin, path);
    }

    function _write(Deployment memory d, address admin, string memory path) internal {
        string memory o = "deployment";
        vm.serializeUint(o, "chainId", block.chainid);
        vm.serializeUint(o, "startBlock", d.startBlock);
        vm.serializeAddress(o, "admin", admin);
        vm.serializeAddress(o, "forwarder", address(d.forwarder));
        vm.serializeAddress(o, "access", address(d.access));
        vm.serializeAddress(o, "identityRegistry", address(d.identity));
        vm.serializeAddress(o, "credentialRegistry", address(d.credentials));
        vm.serializeAddress(o, "supervisionDesk", address(d.desk));
        vm.serializeAddress(o, "timeCoin", address(d.timeCoin));
        string memory json = vm.serializeAddress(o, "serviceLedger", address(d.ledger));
        vm.writeJson(json, path);
    }
}
