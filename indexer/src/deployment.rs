//! The deployment file written by `contracts/script/Deploy.s.sol`.

use crate::{Error, Result};
use alloy::primitives::Address;
use serde::Deserialize;
use std::path::Path;

/// Where the timebank contracts live on one chain.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// The chain the contracts were deployed on.
    pub chain_id: u64,
    /// The block before the first deployment transaction: indexing starts after it.
    pub start_block: u64,
    /// The platform admin.
    pub admin: Address,
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

impl Deployment {
    /// A deployment made through the bindings (`timebank_bindings::deploy::deploy_all`).
    pub fn new(
        chain_id: u64,
        start_block: u64,
        admin: Address,
        a: timebank_bindings::deploy::Addresses,
    ) -> Self {
        Self {
            chain_id,
            start_block,
            admin,
            forwarder: a.forwarder,
            access: a.access,
            identity_registry: a.identity_registry,
            credential_registry: a.credential_registry,
            time_coin: a.time_coin,
            service_ledger: a.service_ledger,
            supervision_desk: a.supervision_desk,
        }
    }

    /// Reads and checks a deployment file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|err| {
            Error::Config(format!(
                "cannot read the deployment file {}: {err}",
                path.display()
            ))
        })?;
        serde_json::from_str(&text).map_err(|err| {
            Error::Config(format!(
                "the deployment file {} is not valid: {err}",
                path.display()
            ))
        })
    }

    /// The indexed contracts, by name.
    pub fn contracts(&self) -> [(&'static str, Address); 7] {
        [
            ("TimebankAccess", self.access),
            ("IdentityRegistry", self.identity_registry),
            ("CredentialRegistry", self.credential_registry),
            ("TimeCoin", self.time_coin),
            ("ServiceLedger", self.service_ledger),
            ("SupervisionDesk", self.supervision_desk),
            ("TimebankForwarder", self.forwarder),
        ]
    }
}
