//! Deploys and wires the timebank contracts through the bindings, the way
//! `contracts/script/Deploy.s.sol` does (for tests, benchmarks and local chains), and carries out
//! the governor's changes through the timelock.

use crate::{
    CredentialRegistry, IdentityRegistry, NoopMonitor, ServiceLedger, SupervisionDesk, TimeCoin,
    TimebankAccess, TimebankForwarder, TimebankTimelock, roles,
};
use alloy::{
    contract::Error,
    primitives::{Address, B256, Bytes, U256, aliases::U48, keccak256},
    providers::Provider,
    sol_types::SolValue,
};
use serde::{Deserialize, Serialize};

/// Anvil's chain id: the development chain of `make up` and the tests. Demo wallets (anvil's
/// well-known keys) exist on this chain only.
pub const DEV_CHAIN_ID: u64 = 31337;

/// Where a deployment's contracts live (the address fields of the deployment file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Addresses {
    /// `TimebankForwarder`.
    pub forwarder: Address,
    /// `TimebankTimelock`, the governor.
    pub timelock: Address,
    /// `TimebankAccess`.
    pub access: Address,
    /// `IdentityRegistry`.
    pub identity_registry: Address,
    /// `CredentialRegistry`.
    pub credential_registry: Address,
    /// `TimeCoin`.
    pub time_coin: Address,
    /// `ServiceLedger`.
    pub service_ledger: Address,
    /// `SupervisionDesk`.
    pub supervision_desk: Address,
}

/// Where the timebank contracts live on one chain: the file the deploy script writes
/// (`contracts/deployments/<chain id>.json`, or `data/deployment.json` for `make up`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// The chain the contracts were deployed on.
    pub chain_id: u64,
    /// The block before the first deployment transaction: indexing starts after it.
    pub start_block: u64,
    /// The platform admin.
    pub admin: Address,
    /// The contracts' addresses.
    #[serde(flatten)]
    pub contracts: Addresses,
}

/// A deployment file that can't be read.
#[derive(Debug, thiserror::Error)]
#[error("the deployment file {path}: {reason}")]
pub struct DeploymentError {
    /// The file.
    pub path: std::path::PathBuf,
    /// What was wrong.
    pub reason: String,
}

impl Deployment {
    /// A deployment made through the bindings ([`deploy_all`]).
    pub fn new(chain_id: u64, start_block: u64, admin: Address, contracts: Addresses) -> Self {
        Self {
            chain_id,
            start_block,
            admin,
            contracts,
        }
    }

    /// Reads and checks a deployment file.
    pub fn load(path: &std::path::Path) -> Result<Self, DeploymentError> {
        let error = |reason: String| DeploymentError {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|err| error(err.to_string()))?;
        serde_json::from_str(&text).map_err(|err| error(format!("not valid: {err}")))
    }

    /// The contracts an indexer follows, by name: all of them.
    pub fn indexed(&self) -> [(&'static str, Address); 8] {
        self.contracts.named()
    }
}

impl Addresses {
    /// Every contract, by its name.
    pub fn named(&self) -> [(&'static str, Address); 8] {
        [
            ("TimebankAccess", self.access),
            ("IdentityRegistry", self.identity_registry),
            ("CredentialRegistry", self.credential_registry),
            ("TimeCoin", self.time_coin),
            ("ServiceLedger", self.service_ledger),
            ("SupervisionDesk", self.supervision_desk),
            ("TimebankForwarder", self.forwarder),
            ("TimebankTimelock", self.timelock),
        ]
    }

    /// The name of the contract at `address`, if it is one of these.
    pub fn name_of(&self, address: Address) -> Option<&'static str> {
        self.named()
            .into_iter()
            .find(|(_, a)| *a == address)
            .map(|(name, _)| name)
    }
}

/// Deploys everything from `admin`, who becomes the platform admin, the timelock's proposer
/// and its guardian, and wires it: registry to coin, the ledger and monitor roles, the desk as
/// the coin's monitor, then hands the governor role to the timelock. Every delay is 0 (a local
/// chain). The monitoring rules start switched off. `admin` must be a signer of the
/// provider's wallet or an account the node signs for.
pub async fn deploy_all<P: Provider + Clone>(
    provider: &P,
    admin: Address,
) -> Result<Addresses, Error> {
    let forwarder = deploy(TimebankForwarder::deploy_builder(provider).from(admin)).await?;
    let timelock = deploy(
        TimebankTimelock::deploy_builder(provider, U256::ZERO, admin, admin, forwarder).from(admin),
    )
    .await?;
    // The admin governs while it wires the contracts, then hands over to the timelock.
    let access = TimebankAccess::new(
        deploy(
            TimebankAccess::deploy_builder(provider, U48::ZERO, admin, admin, U48::ZERO, forwarder)
                .from(admin),
        )
        .await?,
        provider,
    );
    let identity = IdentityRegistry::new(
        deploy(
            IdentityRegistry::deploy_builder(provider, *access.address(), forwarder).from(admin),
        )
        .await?,
        provider,
    );
    let credentials = deploy(
        CredentialRegistry::deploy_builder(
            provider,
            *access.address(),
            *identity.address(),
            forwarder,
        )
        .from(admin),
    )
    .await?;
    let noop = deploy(NoopMonitor::deploy_builder(provider).from(admin)).await?;
    let coin = TimeCoin::new(
        deploy(
            TimeCoin::deploy_builder(
                provider,
                *access.address(),
                *identity.address(),
                forwarder,
                noop,
            )
            .from(admin),
        )
        .await?,
        provider,
    );
    let ledger = deploy(
        ServiceLedger::deploy_builder(
            provider,
            *access.address(),
            *identity.address(),
            credentials,
            *coin.address(),
            forwarder,
        )
        .from(admin),
    )
    .await?;
    let desk = deploy(
        SupervisionDesk::deploy_builder(
            provider,
            *access.address(),
            *identity.address(),
            *coin.address(),
            forwarder,
        )
        .from(admin),
    )
    .await?;
    identity
        .setTimeCoin(*coin.address())
        .from(admin)
        .send()
        .await?
        .get_receipt()
        .await?;
    for (role, account) in [
        (roles::LEDGER, ledger),
        (roles::MONITOR, desk),
        (roles::GOVERNOR, timelock),
    ] {
        access
            .grantRole(role, account)
            .from(admin)
            .send()
            .await?
            .get_receipt()
            .await?;
    }
    coin.setMonitor(desk)
        .from(admin)
        .send()
        .await?
        .get_receipt()
        .await?;
    access
        .renounceRole(roles::GOVERNOR, admin)
        .from(admin)
        .send()
        .await?
        .get_receipt()
        .await?;
    Ok(Addresses {
        forwarder,
        timelock,
        access: *access.address(),
        identity_registry: *identity.address(),
        credential_registry: credentials,
        time_coin: *coin.address(),
        service_ledger: ledger,
        supervision_desk: desk,
    })
}

async fn deploy<P: Provider, D: alloy::contract::CallDecoder>(
    builder: alloy::contract::CallBuilder<P, D>,
) -> Result<Address, Error> {
    builder.deploy().await
}

/// Carries out `calls` (target, calldata) as the governor: `proposer` schedules them as one
/// batch in the timelock with its minimum delay, and executes the batch. This succeeds at once
/// only where that delay is 0 (a local chain); elsewhere the batch waits in the public queue and
/// the execution is refused until its time (`TimelockUnexpectedOperationState`).
pub async fn govern<P: Provider>(
    provider: &P,
    timelock: Address,
    proposer: Address,
    calls: &[(Address, Bytes)],
) -> Result<(), Error> {
    let timelock = TimebankTimelock::new(timelock, provider);
    let delay = timelock.getMinDelay().call().await?;
    let targets: Vec<Address> = calls.iter().map(|(to, _)| *to).collect();
    let values = vec![U256::ZERO; calls.len()];
    let payloads: Vec<Bytes> = calls.iter().map(|(_, data)| data.clone()).collect();
    // A fresh salt: the same changes may be governed again later.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let salt = keccak256((payloads.clone(), U256::from(nanos)).abi_encode());
    timelock
        .scheduleBatch(
            targets.clone(),
            values.clone(),
            payloads.clone(),
            B256::ZERO,
            salt,
            delay,
        )
        .from(proposer)
        .send()
        .await?
        .get_receipt()
        .await?;
    timelock
        .executeBatch(targets, values, payloads, B256::ZERO, salt)
        .from(proposer)
        .send()
        .await?
        .get_receipt()
        .await?;
    Ok(())
}

/// `MonitorRules.defaults()`, as the deploy script sets them, read from the coin.
pub async fn default_rules<P: Provider>(
    provider: &P,
    time_coin: Address,
) -> Result<(crate::time_coin::MonitorRules::Config, u32), Error> {
    let defaults = TimeCoin::new(time_coin, provider)
        .defaultRules()
        .call()
        .await?;
    Ok((defaults._0, defaults.actions))
}
