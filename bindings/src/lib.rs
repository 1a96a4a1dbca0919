//! alloy bindings of the timebank contracts.
//!
//! Generated at build time (see `build.rs`) from `contracts/src`, compiled with
//! foundry-compilers through the project's solc wrapper: the bindings can't go stale, and they
//! are never edited by hand. Each contract module has the contract's instance type (`new`,
//! `deploy`), its calls, events (`TimeCoin::Transfer`, ...) and custom errors
//! (`TimeCoin::TimeCoinErrors`), so a revert decodes to a typed Rust error with
//! `as_decoded_interface_error`.
//!
//! # Layout
//! - one module per contract: [`TimebankAccess`], [`IdentityRegistry`], [`CredentialRegistry`],
//!   [`TimeCoin`], [`ServiceLedger`], [`SupervisionDesk`], [`TimebankForwarder`], [`NoopMonitor`]
//! - [`roles`]: the AccessControl role ids of `contracts/src/Roles.sol`
//! - [`deploy`]: deploy and wire everything, as the forge deploy script does

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));

pub mod deploy;

pub mod roles {
    //! Role ids, as `contracts/src/Roles.sol` derives them.
    use alloy::primitives::{B256, keccak256};
    use alloy::sol_types::SolValue;

    /// The platform admin (`DEFAULT_ADMIN_ROLE`).
    pub const ADMIN: B256 = B256::ZERO;

    /// `keccak256("timebank.role.<name>")`, e.g. `role("supervisor")`.
    pub fn role(name: &str) -> B256 {
        keccak256(format!("timebank.role.{name}"))
    }

    /// The operator role of `branch_id`.
    pub fn operator(branch_id: u32) -> B256 {
        keccak256((role("operator"), branch_id).abi_encode())
    }

    /// The issuer role of credential type `type_id`.
    pub fn issuer(type_id: u32) -> B256 {
        keccak256((role("issuer"), type_id).abi_encode())
    }
}
