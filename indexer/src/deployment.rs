//! The deployment file written by `contracts/script/Deploy.s.sol`.

use crate::{Error, Result};
use alloy::primitives::Address;
use serde::Deserialize;
use std::path::Path;
use timebank_bindings::deploy::Addresses;

/// Where the timebank contracts live on one chain: the file the deploy script writes.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
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

impl Deployment {
    /// A deployment made through the bindings (`timebank_bindings::deploy::deploy_all`).
    pub fn new(chain_id: u64, start_block: u64, admin: Address, contracts: Addresses) -> Self {
        Self {
            chain_id,
            start_block,
            admin,
            contracts,
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
    pub fn indexed(&self) -> [(&'static str, Address); 8] {
        let c = &self.contracts;
        [
            ("TimebankAccess", c.access),
            ("IdentityRegistry", c.identity_registry),
            ("CredentialRegistry", c.credential_registry),
            ("TimeCoin", c.time_coin),
            ("ServiceLedger", c.service_ledger),
            ("SupervisionDesk", c.supervision_desk),
            ("TimebankForwarder", c.forwarder),
            ("TimebankTimelock", c.timelock),
        ]
    }
}
