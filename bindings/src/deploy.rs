//! Deploys and wires the timebank contracts through the bindings, the way
//! `contracts/script/Deploy.s.sol` does: for tests, benchmarks and local chains.

use crate::{
    CredentialRegistry, IdentityRegistry, NoopMonitor, ServiceLedger, SupervisionDesk, TimeCoin,
    TimebankAccess, TimebankForwarder, roles,
};
use alloy::{
    contract::Error,
    primitives::{Address, aliases::U48},
    providers::Provider,
};

/// Where a deployment's contracts live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addresses {
    /// `TimebankForwarder`.
    pub forwarder: Address,
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

/// Deploys everything from `admin`, who becomes the platform admin, and wires it: registry to
/// coin, the ledger and monitor roles, the desk as the coin's monitor. The monitoring rules
/// start switched off. `admin` must be a signer of the provider's wallet or an account the
/// node signs for.
pub async fn deploy_all<P: Provider + Clone>(
    provider: &P,
    admin: Address,
) -> Result<Addresses, Error> {
    let forwarder = TimebankForwarder::new(
        deployed(TimebankForwarder::deploy_builder(provider).from(admin)).await?,
        provider,
    );
    let access = TimebankAccess::new(
        deployed(
            TimebankAccess::deploy_builder(provider, U48::ZERO, admin, *forwarder.address())
                .from(admin),
        )
        .await?,
        provider,
    );
    let identity = IdentityRegistry::new(
        deployed(
            IdentityRegistry::deploy_builder(provider, *access.address(), *forwarder.address())
                .from(admin),
        )
        .await?,
        provider,
    );
    let credentials = deployed(
        CredentialRegistry::deploy_builder(
            provider,
            *access.address(),
            *identity.address(),
            *forwarder.address(),
        )
        .from(admin),
    )
    .await?;
    let noop = deployed(NoopMonitor::deploy_builder(provider).from(admin)).await?;
    let coin = TimeCoin::new(
        deployed(
            TimeCoin::deploy_builder(
                provider,
                *access.address(),
                *identity.address(),
                *forwarder.address(),
                noop,
            )
            .from(admin),
        )
        .await?,
        provider,
    );
    let ledger = deployed(
        ServiceLedger::deploy_builder(
            provider,
            *access.address(),
            *identity.address(),
            credentials,
            *coin.address(),
            *forwarder.address(),
        )
        .from(admin),
    )
    .await?;
    let desk = deployed(
        SupervisionDesk::deploy_builder(
            provider,
            *access.address(),
            *identity.address(),
            *coin.address(),
            *forwarder.address(),
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
    access
        .grantRole(roles::role("ledger"), ledger)
        .from(admin)
        .send()
        .await?
        .get_receipt()
        .await?;
    access
        .grantRole(roles::role("monitor"), desk)
        .from(admin)
        .send()
        .await?
        .get_receipt()
        .await?;
    coin.setMonitor(desk)
        .from(admin)
        .send()
        .await?
        .get_receipt()
        .await?;
    Ok(Addresses {
        forwarder: *forwarder.address(),
        access: *access.address(),
        identity_registry: *identity.address(),
        credential_registry: credentials,
        time_coin: *coin.address(),
        service_ledger: ledger,
        supervision_desk: desk,
    })
}

async fn deployed<P: Provider, D: alloy::contract::CallDecoder>(
    builder: alloy::contract::CallBuilder<P, D>,
) -> Result<Address, Error> {
    builder.deploy().await
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
        newAccountAge: alloy::primitives::aliases::U24::from(30 * 86_400),
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
