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
    let timelock =
        deploy(TimebankTimelock::deploy_builder(provider, U256::ZERO, admin, admin).from(admin))
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

/// `MonitorRules.defaults()`, as the deploy script sets them.
pub fn default_rules() -> (crate::time_coin::MonitorRules::Config, u32) {
    let config = crate::time_coin::MonitorRules::Config {
        enabled: 0xff,
        largeActivityReward: 40,
        largeTrainingReward: 40,
        largeServicePayment: 24,
        largeGift: 10,
        window: alloy::primitives::aliases::U24::from(86_400),
        velocityCount: 20,
        volumeOut: 60,
        volumeIn: 60,
        structuringCount: 3,
        structuringBand: 20,
        roundTripWindow: alloy::primitives::aliases::U24::from(2 * 86_400),
        newAccountDays: 30,
        dustAmount: 50,
        newAccountAmount: 20,
        riskyLevel: 3,
        dormantDays: 180,
        dormantAmount: 10,
    };
    let mut actions = 2u32;
    for id in 2..=8u32 {
        actions |= 1 << (2 * (id - 1));
    }
    (config, actions)
}
